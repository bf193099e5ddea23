//! Step 4 against the simulator: who is in scope, where each email comes from, and the CSV,
//! through the core and through the CLI.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{cli, demo, main_user, session, stderr};
use gitlab_onboard::scopes::{self, TokenReport};
use gitlab_onboard::token::Session;
use gitlab_onboard::users::{self, EmailSource, Mapping, Options, idp};
use gitlab_sim::model::{Source, UserKind};
use gitlab_sim::{Simulator, tokens};

async fn detect(sim: &Simulator, token: &str) -> (Session, TokenReport) {
    let s = session(sim, token).await.unwrap();
    let report = scopes::detect(&s, &|_| {}).await.unwrap();
    (s, report)
}

async fn build(sim: &Simulator, token: &str, options: &Options) -> Mapping {
    let (s, report) = detect(sim, token).await;
    users::build(&s.client, &report, options, &|_| {})
        .await
        .unwrap()
}

/// Everyone `members/all` lists for every group and project step 2 found: what the mapping
/// must cover, however it reads them.
fn expected_people(sim: &Simulator, report: &TokenReport) -> BTreeSet<u64> {
    sim.state(|w| {
        let groups = report.groups.iter().map(|g| Source::Group(g.id));
        let projects = report.projects.iter().map(|p| Source::Project(p.id));
        groups
            .chain(projects)
            .flat_map(|s| w.members_all(s).map(|m| m.user_id).collect::<Vec<_>>())
            .collect()
    })
}

#[tokio::test]
async fn everyone_in_scope_once_with_emails_only_from_sources_that_gave_them() {
    let sim = demo().await;
    let (s, report) = detect(&sim, tokens::API).await;
    let m = users::build(&s.client, &report, &Options::default(), &|_| {})
        .await
        .unwrap();

    let listed: BTreeSet<u64> = m
        .rows
        .iter()
        .map(|r| r.id)
        .chain(m.excluded.iter().map(|e| e.id))
        .collect();
    assert_eq!(listed, expected_people(&sim, &report));
    assert_eq!(
        listed.len(),
        m.rows.len() + m.excluded.len(),
        "each person once"
    );

    let me = main_user(&sim);
    sim.state(|w| {
        for e in &m.excluded {
            let u = w.user(e.id).unwrap();
            let why = if u.kind == UserKind::ProjectBot {
                "bot"
            } else {
                "blocked"
            };
            assert_eq!(e.reason, why, "{}", u.username);
            assert!(u.kind == UserKind::ProjectBot || !u.active);
        }
        for r in &m.rows {
            let u = w.user(r.id).unwrap();
            assert!(
                u.active && u.kind == UserKind::Human,
                "{} should be left out",
                u.username
            );
            match r.source {
                Some(EmailSource::Gitlab) => {
                    // A group Owner sees the email of that group's enterprise users only.
                    let owner = u.enterprise_group_id.and_then(|g| w.group_access(me, g));
                    assert_eq!(
                        owner,
                        Some(50),
                        "{} email shown without ownership",
                        u.username
                    );
                    assert_eq!(r.email.as_deref(), Some(u.email.as_str()));
                }
                Some(EmailSource::PublicEmail) => {
                    assert_eq!(r.email.as_deref(), Some(u.public_email.as_str()));
                }
                None => assert!(r.email.is_none() && u.public_email.is_empty()),
                other => panic!("{other:?} without an export, a domain or edits"),
            }
        }
    });
    let c = m.counts();
    assert!(c.by_source.contains_key(&EmailSource::PublicEmail), "{c:?}");
    assert!(
        c.unresolved > 0,
        "the demo has people without a public email"
    );
    let csv = m.csv(false);
    assert_eq!(csv.lines().count(), c.total - c.unresolved);
    assert!(csv.lines().all(|l| {
        let (id, email) = l.split_once(',').unwrap();
        id.bytes().all(|b| b.is_ascii_digit()) && users::is_valid_email(email)
    }));
}

#[tokio::test]
async fn members_all_is_read_only_at_the_roots_of_the_scope() {
    let sim = demo().await;
    let (s, report) = detect(&sim, tokens::API).await;
    sim.clear_requests();
    users::build(&s.client, &report, &Options::default(), &|_| {})
        .await
        .unwrap();
    let member_lists: Vec<String> = sim
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.contains("/members"))
        .collect();
    let first_pages = |all: bool| {
        member_lists
            .iter()
            .filter(|p| p.contains("/members/all") == all && !p.contains("page=2"))
            .count()
    };
    let group_roots = report
        .groups
        .iter()
        .filter(|g| {
            !g.parent_id
                .is_some_and(|p| report.groups.iter().any(|o| o.id == p))
        })
        .count();
    assert!(
        first_pages(true) >= group_roots
            && first_pages(true) < report.groups.len() + report.projects.len(),
        "members/all {} times for {group_roots} roots: {member_lists:?}",
        first_pages(true)
    );
    assert!(first_pages(false) > 0, "direct lists below the roots");
}

#[tokio::test]
async fn an_administrator_sees_every_email() {
    let sim = demo().await;
    sim.state(|w| {
        let root = w.user_by_username(tokens::ADMIN_USER).unwrap().id;
        for path in ["acme", "partners"] {
            let g = w.group_by_path(path).unwrap().id;
            w.add_member(Source::Group(g), root, gitlab_sim::access::REPORTER);
        }
    });
    let m = build(&sim, tokens::ADMIN, &Options::default()).await;
    assert!(!m.rows.is_empty());
    sim.state(|w| {
        for r in &m.rows {
            assert_eq!(r.source, Some(EmailSource::Gitlab), "{}", r.username);
            assert_eq!(
                r.email.as_deref(),
                Some(w.user(r.id).unwrap().email.as_str())
            );
        }
    });
    assert_eq!(m.counts().unresolved, 0);
}

#[tokio::test]
async fn an_export_then_a_domain_fill_the_gaps_in_that_order() {
    let sim = demo().await;
    let base = build(&sim, tokens::API, &Options::default()).await;
    let gaps: Vec<_> = base.unresolved().cloned().collect();
    assert!(
        gaps.len() >= 2,
        "the demo needs two people without an email"
    );
    let (by_login, by_name) = (&gaps[0], &gaps[1]);
    let export = format!(
        "\u{feff}Display Name;Login;Primary Email\n\"{}\";{};from.idp@corp.example\n\"{}\";;by.name@corp.example\n",
        by_login.name, by_login.username, by_name.name
    );
    let idp =
        idp::Directory::parse("okta.csv", export.as_bytes(), &idp::Columns::default()).unwrap();
    let options = Options {
        idp: Some(idp),
        email_domain: Some(users::parse_domain("@Corp.Example").unwrap()),
        ..Options::default()
    };
    let m = build(&sim, tokens::API, &options).await;
    let row = |id: u64| m.rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(
        row(by_login.id).email.as_deref(),
        Some("from.idp@corp.example")
    );
    assert_eq!(row(by_login.id).source, Some(EmailSource::IdentityProvider));
    assert_eq!(
        row(by_name.id).email.as_deref(),
        Some("by.name@corp.example")
    );
    for g in &gaps[2..] {
        assert_eq!(
            row(g.id).email,
            Some(format!("{}@corp.example", g.username))
        );
        assert_eq!(row(g.id).source, Some(EmailSource::Guessed));
    }
    // Sources already known keep their emails: the export and the rule only fill gaps.
    let before: HashMap<u64, &Option<String>> =
        base.rows.iter().map(|r| (r.id, &r.email)).collect();
    for r in m.rows.iter().filter(|r| before[&r.id].is_some()) {
        assert_eq!(&r.email, before[&r.id]);
    }
    assert_eq!(m.counts().unresolved, 0);
}

#[tokio::test]
async fn a_group_narrows_the_scope_to_its_subtree() {
    let sim = demo().await;
    let (s, report) = detect(&sim, tokens::API).await;
    let root = report
        .groups
        .iter()
        .find(|g| g.parent_id.is_none())
        .unwrap()
        .full_path
        .clone();
    let options = Options {
        groups: vec![root.clone()],
        ..Options::default()
    };
    let m = users::build(&s.client, &report, &options, &|_| {})
        .await
        .unwrap();
    let all = users::build(&s.client, &report, &Options::default(), &|_| {})
        .await
        .unwrap();
    let expected: BTreeSet<u64> = sim.state(|w| {
        let g = w.group_by_path(&root).unwrap().id;
        let mut ids: BTreeSet<u64> = BTreeSet::new();
        for sub in std::iter::once(g).chain(w.descendants(g)) {
            ids.extend(w.members_all(Source::Group(sub)).map(|m| m.user_id));
            for p in w.projects_in(gitlab_sim::model::Owner::Group(sub)) {
                ids.extend(w.members_all(Source::Project(*p)).map(|m| m.user_id));
            }
        }
        ids
    });
    let got: BTreeSet<u64> = m
        .rows
        .iter()
        .map(|r| r.id)
        .chain(m.excluded.iter().map(|e| e.id))
        .collect();
    assert_eq!(got, expected);
    assert!(m.rows.len() <= all.rows.len());
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gitlab-onboard-users-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[tokio::test]
async fn cli_writes_the_csv_and_reports_sources_and_unresolved_users() {
    let sim = demo().await;
    let out = temp("mapping.csv");
    let url = sim.url();
    let args = [
        "users",
        "--gitlab-url",
        &url,
        "--out",
        out.to_str().unwrap(),
        "--json",
    ];
    let o = cli(&args, Some(tokens::API), None).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let expected = build(&sim, tokens::API, &Options::default()).await;
    assert_eq!(std::fs::read_to_string(&out).unwrap(), expected.csv(false));
    assert_eq!(
        report["written"],
        expected.rows.len() - expected.counts().unresolved
    );
    assert_eq!(
        report["counts"]["by_source"]["public_email"],
        expected.counts().by_source[&EmailSource::PublicEmail]
    );
    let unresolved: Vec<u64> = report["unresolved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        unresolved,
        expected.unresolved().map(|r| r.id).collect::<Vec<_>>()
    );

    let with_header = cli(
        &[&args[..5], &["--header"]].concat(),
        Some(tokens::API),
        None,
    )
    .await;
    assert!(with_header.status.success());
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("user_id,email\n")
    );
}

#[tokio::test]
async fn cli_bad_input_is_one_line_and_keeps_the_previous_csv() {
    let sim = demo().await;
    let url = sim.url();
    let out = temp("kept.csv");
    std::fs::write(&out, "1,previous@corp.example\n").unwrap();
    let bad_idp = temp("export.csv");
    std::fs::write(&bad_idp, "login,phone\nkim,123\n").unwrap();
    let formula = temp("formula.csv");
    std::fs::write(
        &formula,
        "login,email\nkim,kim@corp.example\nlee,=HYPERLINK(\"http://x.example\")\n",
    )
    .unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--idp", bad_idp.to_str().unwrap()],
            "export.csv:1: no email column found",
        ),
        (
            &["--idp", formula.to_str().unwrap()],
            "formula.csv:3: the email cell starts with '='",
        ),
        (
            &["--email-domain", "not a domain"],
            "'not a domain' is not an email domain",
        ),
        (
            &["--group", "research", "--public-lookups", "0"],
            "no email for any of the",
        ),
    ];
    for (extra, message) in cases {
        sim.clear_requests();
        let args = [
            &[
                "users",
                "--gitlab-url",
                &url,
                "--out",
                out.to_str().unwrap(),
            ][..],
            extra,
        ]
        .concat();
        let o = cli(&args, Some(tokens::READ_ONLY), None).await;
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(message), "{err}");
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "1,previous@corp.example\n"
        );
        if !message.starts_with("no email") {
            assert!(sim.requests().is_empty(), "refused before any request");
        }
    }
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// `users --json` against the simulator with `extra` flags: the report.
async fn cli_report(sim: &Simulator, extra: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mapping.csv");
    let url = sim.url();
    let args = [
        &[
            "users",
            "--gitlab-url",
            &url,
            "--out",
            out.to_str().unwrap(),
            "--json",
        ][..],
        extra,
    ]
    .concat();
    let o = cli(&args, Some(tokens::API), None).await;
    assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn excluded(report: &serde_json::Value, reason: &str) -> BTreeSet<u64> {
    report["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == reason)
        .map(|e| e["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn cli_include_bots_and_include_blocked_bring_those_people_back() {
    let sim = demo().await;
    let plain = cli_report(&sim, &[]).await;
    let bots = excluded(&plain, "bot");
    let blocked = excluded(&plain, "blocked");
    assert!(
        !bots.is_empty() && !blocked.is_empty(),
        "the demo has both: {plain}"
    );
    let total = |r: &serde_json::Value| r["counts"]["total"].as_u64().unwrap();

    let with_bots = cli_report(&sim, &["--include-bots"]).await;
    assert!(excluded(&with_bots, "bot").is_empty(), "{with_bots}");
    assert_eq!(excluded(&with_bots, "blocked"), blocked);
    assert_eq!(total(&with_bots), total(&plain) + bots.len() as u64);

    let with_blocked = cli_report(&sim, &["--include-blocked"]).await;
    assert!(excluded(&with_blocked, "blocked").is_empty());
    assert_eq!(excluded(&with_blocked, "bot"), bots);
    assert_eq!(total(&with_blocked), total(&plain) + blocked.len() as u64);

    let both = cli_report(&sim, &["--include-bots", "--include-blocked"]).await;
    assert_eq!(both["counts"]["excluded"], 0);
    assert_eq!(
        total(&both),
        total(&plain) + (bots.len() + blocked.len()) as u64
    );
    // Each brought-back person is now a row: resolved, or listed as without an email.
    let rows: BTreeSet<u64> = {
        let m = build(
            &sim,
            tokens::API,
            &Options {
                include_bots: true,
                include_blocked: true,
                public_lookups: Some(users::PUBLIC_LOOKUPS),
                ..Options::default()
            },
        )
        .await;
        m.rows.iter().map(|r| r.id).collect()
    };
    assert!(bots.is_subset(&rows) && blocked.is_subset(&rows));
}

#[tokio::test]
async fn cli_public_lookups_caps_the_user_look_ups() {
    let sim = demo().await;
    let lookups = |sim: &Simulator| {
        sim.requests()
            .iter()
            .filter(|r| {
                let p = r.path.split('?').next().unwrap();
                p.strip_prefix("/api/v4/users/")
                    .is_some_and(|id| id.bytes().all(|b| b.is_ascii_digit()))
            })
            .count()
    };
    sim.clear_requests();
    let open = cli_report(&sim, &["--public-lookups", "100000"]).await;
    let wanted = lookups(&sim);
    assert!(wanted > 0, "someone needs a public email");
    assert!(
        open["counts"]["by_source"]["public_email"]
            .as_u64()
            .unwrap()
            > 0,
        "{open}"
    );

    // One fewer than needed: no look-up at all, a warning that says how to raise it, and the
    // domain fills in.
    sim.clear_requests();
    let capped = (wanted - 1).to_string();
    let report = cli_report(
        &sim,
        &[
            "--public-lookups",
            &capped,
            "--email-domain",
            "corp.example",
        ],
    )
    .await;
    assert_eq!(lookups(&sim), 0);
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains(&format!(
            "Public emails were not looked up for {wanted} users"
        )) && warnings.contains("--public-lookups"),
        "{warnings}"
    );
    assert!(report["counts"]["by_source"]["public_email"].is_null());

    // Exactly as many as needed: all of them.
    sim.clear_requests();
    cli_report(&sim, &["--public-lookups", &wanted.to_string()]).await;
    assert_eq!(lookups(&sim), wanted);
}

#[tokio::test]
async fn cli_escapes_control_characters_from_an_export_in_its_summary() {
    let sim = demo().await;
    let base = build(&sim, tokens::API, &Options::default()).await;
    let gap = base
        .unresolved()
        .next()
        .expect("someone without an email")
        .clone();
    // Found by display name; its login, listed twice with two emails, carries escape sequences.
    let login = "\u{1b}]0;owned\u{7}\u{1b}[2Jkim";
    let export = temp("escapes.csv");
    let mut w = csv::Writer::from_path(&export).unwrap();
    w.write_record(["login", "name", "email"]).unwrap();
    w.write_record([login, gap.name.as_str(), "a@corp.example"])
        .unwrap();
    w.write_record([login, "Someone Else", "b@corp.example"])
        .unwrap();
    w.flush().unwrap();
    let out = temp("escapes-out.csv");
    let url = sim.url();
    let o = cli(
        &[
            "users",
            "--gitlab-url",
            &url,
            "--out",
            out.to_str().unwrap(),
            "--idp",
            export.to_str().unwrap(),
            "--email-domain",
            "corp.example",
        ],
        Some(tokens::API),
        None,
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(
        text.contains("Warning: ") && text.contains("\\u{1b}]0;owned\\u{7}"),
        "{text}"
    );
}
