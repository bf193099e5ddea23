//! Steps 1 and 2 against the simulator: token check, keychain, scopes, roles, expiry.

mod common;

use gitlab_onboard::GitLabUrl;
use gitlab_onboard::keychain::Keychain;
use gitlab_onboard::scopes::{self, Expiry, HookAccess, Mode, ScopesSource};
use gitlab_onboard::token::sign_in;
use gitlab_sim::{Knobs, tokens};

#[tokio::test]
async fn api_token_is_automatic_and_counts_match_the_world() {
    let sim = common::demo().await;
    let session = common::session(&sim, tokens::API).await.unwrap();
    let report = scopes::detect(&session, &|_| {}).await.unwrap();
    assert_eq!(report.mode, Mode::Automatic);
    assert_eq!(report.scopes, vec!["api"]);
    assert_eq!(report.scopes_source, ScopesSource::Reported);
    assert_eq!(report.user.username, tokens::MAIN_USER);
    assert!(!report.user.is_admin);
    assert!(matches!(report.expiry, Expiry::Ok { days_left } if days_left > 30));

    let uid = common::main_user(&sim);
    let roles = sim.state(|w| w.project_roles(uid));
    assert_eq!(report.counts.total, roles.values().sum::<usize>());
    for (level, n) in &roles {
        let role = gitlab_onboard::model::Role::from_level(u32::from(*level)).unwrap();
        let key = serde_json::to_value(role)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(report.counts.by_role.get(&key), Some(n), "role {key}");
    }
    // Automatic exactly where the role is Maintainer or above.
    let maintained = roles
        .iter()
        .filter(|(l, _)| **l >= 40)
        .map(|(_, n)| n)
        .sum::<usize>();
    assert_eq!(report.counts.automatic, maintained);
    assert!(
        report.counts.manual > 0,
        "the demo world has projects below Maintainer"
    );
    for p in &report.projects {
        let automatic = p.hooks == HookAccess::Automatic;
        assert_eq!(
            automatic,
            p.role >= Some(gitlab_onboard::model::Role::Maintainer),
            "{}",
            p.path_with_namespace
        );
    }
    assert!(
        report.groups.iter().any(|g| g.owner),
        "the main user owns a group"
    );
    assert!(report.groups.iter().all(|g| !g.full_path.is_empty()));
}

#[tokio::test]
async fn read_only_token_is_manual_everywhere() {
    let sim = common::demo().await;
    let session = common::session(&sim, tokens::READ_ONLY).await.unwrap();
    let report = scopes::detect(&session, &|_| {}).await.unwrap();
    assert_eq!(report.mode, Mode::Manual);
    assert_eq!(report.counts.automatic, 0);
    assert_eq!(report.counts.manual, report.counts.total);
    assert!(report.projects.iter().all(
        |p| matches!(&p.hooks, HookAccess::Manual { reason } if reason.contains("read-only"))
    ));
}

#[tokio::test]
async fn missing_scopes_are_named() {
    let sim = common::demo().await;
    let session = common::session(&sim, tokens::READ_API_ONLY).await.unwrap();
    let report = scopes::detect(&session, &|_| {}).await.unwrap();
    assert_eq!(report.mode, Mode::Insufficient);
    assert_eq!(report.missing_scopes, vec!["read_user", "read_repository"]);

    let session = common::session(&sim, tokens::REPO_ONLY).await.unwrap();
    let err = scopes::detect(&session, &|_| {}).await.unwrap_err();
    assert_eq!(err.code(), "insufficient_scope");
    assert!(err.to_string().contains("only read_repository"), "{err}");
}

#[tokio::test]
async fn expiry_is_reported_and_warned() {
    let sim = common::demo().await;
    let soon = scopes::detect(
        &common::session(&sim, tokens::EXPIRING_SOON).await.unwrap(),
        &|_| {},
    )
    .await
    .unwrap();
    assert!(
        matches!(soon.expiry, Expiry::Soon { days_left } if (9..=10).contains(&days_left)),
        "{:?}",
        soon.expiry
    );
    assert!(soon.warnings.iter().any(|w| w.contains("expires on")));
    let never = scopes::detect(
        &common::session(&sim, tokens::NO_EXPIRY).await.unwrap(),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(never.expiry, Expiry::Never);
    assert!(never.expires_at.is_none());
    assert!(never.warnings.iter().any(|w| w.contains("no expiry")));
}

#[tokio::test]
async fn admin_oauth_and_old_gitlab() {
    let sim = common::demo().await;
    let admin = scopes::detect(
        &common::session(&sim, tokens::ADMIN).await.unwrap(),
        &|_| {},
    )
    .await
    .unwrap();
    assert!(admin.user.is_admin);

    let oauth = scopes::detect(
        &common::session(&sim, tokens::OAUTH).await.unwrap(),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(oauth.mode, Mode::Automatic);
    assert_eq!(oauth.token_name, None);

    sim.set_knobs(Knobs {
        legacy_no_token_self: true,
        ..Knobs::default()
    });
    let old = scopes::detect(&common::session(&sim, tokens::API).await.unwrap(), &|_| {})
        .await
        .unwrap();
    assert_eq!(old.scopes_source, ScopesSource::Inferred);
    assert_eq!(old.mode, Mode::Manual);
    assert!(old.warnings.iter().any(|w| w.contains("older than 15.5")));
    // An old GitLab still refuses a bad token.
    let err = common::session(&sim, "simtok-nonsense").await.unwrap_err();
    assert_eq!(err.code(), "unauthorized");
}

#[tokio::test]
async fn progress_is_reported_per_stage() {
    let sim = common::demo().await;
    let session = common::session(&sim, tokens::API).await.unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let report = scopes::detect(&session, &|p| seen.lock().unwrap().push(p))
        .await
        .unwrap();
    let seen = seen.into_inner().unwrap();
    let last_projects = seen
        .iter()
        .filter(|p| p.stage == "projects")
        .map(|p| p.done)
        .max();
    assert_eq!(last_projects, Some(report.counts.total));
    assert!(seen.iter().any(|p| p.stage == "groups"));
}

#[tokio::test]
async fn sign_in_stores_only_an_accepted_token() {
    let sim = common::demo().await;
    let keychain = Keychain::in_memory();
    let url = GitLabUrl::parse(&sim.url()).unwrap();

    let err = sign_in(&sim.url(), tokens::EXPIRED, &keychain)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "token_expired");
    assert!(
        keychain.token(&url).unwrap().is_none(),
        "a refused token is not stored"
    );

    let before = sim.requests().len();
    let err = sign_in(&sim.url(), "  two words ", &keychain)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    let err = sign_in("http://gitlab.example.com", tokens::API, &keychain)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert_eq!(
        sim.requests().len(),
        before,
        "bad input is refused before any request"
    );

    let session = sign_in(
        &format!(" {}/ ", sim.url()),
        &format!("  {}\n", tokens::API),
        &keychain,
    )
    .await
    .unwrap();
    assert_eq!(keychain.token(&url).unwrap().unwrap().expose(), tokens::API);
    assert!(
        !format!("{session:?}").contains(tokens::API),
        "Debug never shows the token"
    );
}
