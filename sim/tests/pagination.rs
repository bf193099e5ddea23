//! Pagination over more than 10,000 items: no totals, and following `Link: rel="next"`
//! reaches every item exactly once, with offset and keyset pagination.

mod common;

use common::{Api, Reply};
use gitlab_sim::{Simulator, Source, World, WorldSpec, tokens};
use std::collections::HashSet;

fn ids(pages: &[Reply]) -> Vec<u64> {
    pages
        .iter()
        .flat_map(|p| {
            p.body
                .as_array()
                .expect("a JSON array")
                .iter()
                .map(|x| x["id"].as_u64().unwrap())
        })
        .collect()
}

/// Asserts the ids are exactly `expected`, each once.
fn assert_exactly_once(got: Vec<u64>, expected: &HashSet<u64>) {
    let unique: HashSet<u64> = got.iter().copied().collect();
    assert_eq!(unique.len(), got.len(), "some items came twice");
    assert_eq!(&unique, expected, "items missing or extra");
}

async fn big() -> (Simulator, Api) {
    let spec = WorldSpec {
        seed: 3,
        projects: 10_050,
        groups: 40,
        users: 10_400,
        ..WorldSpec::default()
    };
    let sim = Simulator::start(World::seeded(spec))
        .await
        .expect("sim starts");
    let api = Api::new(&sim);
    (sim, api)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offset_and_keyset_walks_over_ten_thousand_items() {
    let (sim, api) = big().await;
    let all_projects: HashSet<u64> = sim.state(|w| w.projects().map(|p| p.id).collect());
    assert!(all_projects.len() > 10_000);

    // Offset: no totals and no rel="last" on any page; every project once.
    let pages = api
        .walk("/projects?simple=true&per_page=100", tokens::ADMIN)
        .await;
    for p in &pages {
        assert!(p.header("x-total").is_none() && p.header("x-total-pages").is_none());
        assert!(!p.header("link").unwrap().contains("rel=\"last\""));
        assert!(p.header("x-page").is_some() && p.header("x-per-page") == Some("100"));
    }
    assert_eq!(pages.len(), all_projects.len().div_ceil(100));
    assert_exactly_once(ids(&pages), &all_projects);

    // Keyset: only a Link header, ids ascending, every project once.
    let pages = api
        .walk(
            "/projects?pagination=keyset&order_by=id&sort=asc&per_page=100&simple=true",
            tokens::ADMIN,
        )
        .await;
    for p in &pages {
        assert!(p.header("x-page").is_none() && p.header("x-total").is_none());
    }
    assert!(pages[0].next_link().unwrap().contains("id_after="));
    let got = ids(&pages);
    assert!(got.windows(2).all(|w| w[0] < w[1]), "ascending ids");
    assert_exactly_once(got, &all_projects);

    // Users: keyset and offset.
    let all_users: HashSet<u64> = sim.state(|w| w.users().map(|u| u.id).collect());
    let pages = api
        .walk(
            "/users?pagination=keyset&order_by=id&sort=asc&per_page=100",
            tokens::API,
        )
        .await;
    assert_exactly_once(ids(&pages), &all_users);
    let pages = api.walk("/users?per_page=100", tokens::API).await;
    assert!(pages[0].header("x-total").is_none());
    assert_exactly_once(ids(&pages), &all_users);

    // Members of the organisation (every generated person belongs to it).
    let org = sim.state(|w| w.groups().next().unwrap().id);
    let members: HashSet<u64> = sim.state(|w| {
        w.members_all(Source::Group(org))
            .map(|m| m.user_id)
            .collect()
    });
    assert!(members.len() > 10_000);
    let pages = api
        .walk(
            &format!("/groups/{org}/members/all?per_page=100"),
            tokens::API,
        )
        .await;
    assert!(pages.iter().all(|p| p.header("x-total").is_none()));
    assert_exactly_once(ids(&pages), &members);

    // GitLab caps offset pagination at 50,000 for types with keyset pagination.
    let far = api
        .get("/projects?per_page=100&page=501", tokens::ADMIN)
        .await;
    assert_eq!(far.status, 405);
    assert!(
        far.body["error"]
            .as_str()
            .unwrap()
            .contains("keyset pagination")
    );
}

#[tokio::test]
async fn small_lists_carry_exact_totals() {
    let sim = Simulator::start(World::demo()).await.expect("sim starts");
    let api = Api::new(&sim);
    let visible = sim.state(|w| {
        w.visible_projects(w.user_by_username(tokens::MAIN_USER).unwrap().id)
            .len()
    });
    let pages = api.walk("/projects?per_page=7", tokens::API).await;
    let first = &pages[0];
    assert_eq!(first.header("x-total"), Some(visible.to_string().as_str()));
    assert_eq!(
        first.header("x-total-pages"),
        Some(visible.div_ceil(7).to_string().as_str())
    );
    assert_eq!(first.header("x-prev-page"), Some(""));
    assert_eq!(first.header("x-next-page"), Some("2"));
    let link = first.header("link").unwrap();
    assert!(link.contains(&format!(
        "{}/api/v4/projects?page={}&per_page=7>; rel=\"last\"",
        sim.url(),
        visible.div_ceil(7)
    )));
    assert_eq!(pages.len(), visible.div_ceil(7));
    assert_eq!(ids(&pages).len(), visible);
    let last = pages.last().unwrap();
    assert_eq!(last.header("x-next-page"), Some(""));
    assert!(last.next_link().is_none());

    // Default order is newest first; keyset descending uses id_before.
    let desc = api
        .walk(
            "/projects?pagination=keyset&order_by=id&sort=desc&per_page=5",
            tokens::API,
        )
        .await;
    let got = ids(&desc);
    assert!(got.windows(2).all(|w| w[0] > w[1]));
    assert_eq!(got.len(), visible);
    assert!(desc[0].next_link().unwrap().contains("id_before="));
}

#[tokio::test]
async fn keyset_from_an_id_lists_only_what_follows_and_keeps_the_bounds() {
    let sim = Simulator::start(World::demo()).await.expect("sim starts");
    let api = Api::new(&sim);
    let all = ids(&api
        .walk(
            "/projects?membership=true&pagination=keyset&order_by=id&sort=asc&per_page=3",
            tokens::API,
        )
        .await);
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    assert!(all.len() > 8, "{all:?}");
    // From the fourth ID on: only what follows, page after page by `Link` (which carries
    // the next `id_after` and keeps the other parameters).
    let after = all[3];
    let pages = api
        .walk(
            &format!(
                "/projects?membership=true&pagination=keyset&order_by=id&sort=asc&per_page=2&id_after={after}"
            ),
            tokens::API,
        )
        .await;
    assert_eq!(ids(&pages), all[4..].to_vec());
    let link = pages[0].next_link().unwrap();
    assert!(
        link.contains(&format!("id_after={}", all[5])) && link.contains("membership=true"),
        "{link}"
    );
    assert!(
        pages[0].header("x-total").is_none(),
        "keyset sends only Link"
    );
    // A window: `id_after` and `id_before` together, the bound kept on every page.
    let before = all[8];
    let pages = api
        .walk(
            &format!(
                "/projects?membership=true&pagination=keyset&order_by=id&sort=asc&per_page=2&id_after={after}&id_before={before}"
            ),
            tokens::API,
        )
        .await;
    assert_eq!(ids(&pages), all[4..8].to_vec());
    assert!(
        pages[0]
            .next_link()
            .unwrap()
            .contains(&format!("id_before={before}"))
    );
    // Nothing above the highest ID: one empty page, no link.
    let last = *all.last().unwrap();
    let pages = api
        .walk(
            &format!(
                "/projects?membership=true&pagination=keyset&order_by=id&sort=asc&id_after={last}"
            ),
            tokens::API,
        )
        .await;
    assert_eq!(pages.len(), 1);
    assert!(ids(&pages).is_empty() && pages[0].next_link().is_none());
}
