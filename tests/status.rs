//! `gitlab-onboard status` against the simulator: day two, from cron's point of view.

mod common;

use common::{EVENTS, cli_env, hook_cli, stderr};
use gitlab_sim::{AlertStatus, HookOwner, Owner, Simulator, tokens};
use serde_json::Value;

/// Runs the CLI with the test's data directory and webhook secret.
async fn run(
    sim: &Simulator,
    data: &tempfile::TempDir,
    command: &[&str],
    token: &str,
) -> std::process::Output {
    hook_cli(
        sim,
        data.path(),
        command,
        &["--group", "acme"],
        token,
        Some("status-secret"),
    )
    .await
}

/// `status --json`: the exit code and the object.
async fn status_json(
    sim: &Simulator,
    data: &tempfile::TempDir,
    token: &str,
) -> (Option<i32>, Value) {
    status_json_with(sim, data, token, &[]).await
}

/// `status --json` with more arguments.
async fn status_json_with(
    sim: &Simulator,
    data: &tempfile::TempDir,
    token: &str,
    extra: &[&str],
) -> (Option<i32>, Value) {
    let mut args = vec!["status", "--json"];
    args.extend_from_slice(extra);
    let out = run(sim, data, &args, token).await;
    let json =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    (out.status.code(), json)
}

fn ids(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap_or_else(|| panic!("a list: {v}"))
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

fn project_id(sim: &Simulator, path: &str) -> u64 {
    sim.state(|w| w.project_by_path(path).expect(path).id)
}

/// Our hook on a project (the only hook with the crawler's URL after an apply).
fn our_hook(sim: &Simulator, project: u64) -> u64 {
    sim.state(|w| {
        let ours: Vec<u64> = w
            .hooks_of_project(project)
            .iter()
            .filter(|h| h.url == EVENTS)
            .map(|h| h.id)
            .collect();
        assert_eq!(ours.len(), 1, "{ours:?}");
        ours[0]
    })
}

/// The demo world after a plain `webhooks apply`, and the data directory it used.
async fn applied() -> (Simulator, tempfile::TempDir) {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let out = run(&sim, &data, &["webhooks", "apply"], tokens::API).await;
    assert!(out.status.success(), "{}", stderr(&out));
    (sim, data)
}

#[tokio::test]
async fn all_well_after_an_apply_then_each_problem_in_its_list() {
    let (sim, data) = applied().await;

    sim.clear_requests();
    let (code, json) = status_json(&sim, &data, tokens::API).await;
    assert_eq!(code, Some(0), "{json:#}");
    let hooks = &json["webhooks"];
    for list in [
        "missing",
        "disabled",
        "wrong",
        "duplicates",
        "manual",
        "failed",
        "groups",
    ] {
        assert_eq!(ids(&hooks[list]), Vec::<u64>::new(), "{list}: {json:#}");
    }
    let checked = hooks["projects"].as_u64().unwrap();
    assert!(checked > 5, "{json:#}");
    assert_eq!(hooks["ok"], checked);
    assert_eq!(json["token"]["valid"], true);
    assert_eq!(json["token"]["days_left"], 200);
    assert_eq!(json["token"]["expires_soon"], false);
    assert_eq!(json["token"]["scopes"], serde_json::json!(["api"]));
    assert!(json["token"]["expires_at"].is_string());
    // The count printed is the requests GitLab saw, and status writes nothing.
    let seen = sim.requests();
    assert_eq!(json["requests"], seen.len() as u64, "{seen:#?}");
    assert!(seen.iter().all(|r| r.method == "GET"), "{seen:#?}");

    // Day two: a new project, a hook GitLab disabled (for good, and for a while), a hook whose
    // triggers someone changed, and a second hook with the crawler's URL.
    let acme_web = sim.state(|w| w.group_by_path("acme/web").unwrap().id);
    let new = sim.state(|w| w.add_project("Checkout", "checkout", Owner::Group(acme_web)));
    let disabled = project_id(&sim, "acme/web/storefront");
    let paused = project_id(&sim, "acme/web/design-system");
    let wrong = project_id(&sim, "acme/handbook");
    let doubled = project_id(&sim, "acme/ci-templates");
    let resumed = project_id(&sim, "acme/web/marketing-site");
    let h_resumed = our_hook(&sim, resumed);
    let (h_disabled, h_paused, h_wrong) = (
        our_hook(&sim, disabled),
        our_hook(&sim, paused),
        our_hook(&sim, wrong),
    );
    sim.state(|w| {
        w.hook_mut(h_disabled).unwrap().alert_status = AlertStatus::Disabled;
        let p = w.hook_mut(h_paused).unwrap();
        p.alert_status = AlertStatus::TemporarilyDisabled;
        p.disabled_until = Some(chrono::Utc::now() + chrono::Duration::hours(1));
        let h = w.hook_mut(h_wrong).unwrap();
        h.events.insert("wiki_page_events".into(), false);
        h.events.insert("tag_push_events".into(), true);
        h.enable_ssl_verification = false;
        w.add_hook(HookOwner::Project(doubled), EVENTS, Some("someone-else"));
        // Disabled for a while that has passed: GitLab runs it again.
        let r = w.hook_mut(h_resumed).unwrap();
        r.alert_status = AlertStatus::TemporarilyDisabled;
        r.disabled_until = Some(chrono::Utc::now() - chrono::Duration::minutes(1));
    });

    // `--full` reads every hook (a later run without it reads a slice: see below).
    let (code, json) = status_json_with(&sim, &data, tokens::API, &["--full"]).await;
    assert_eq!(code, Some(4), "{json:#}");
    assert_eq!(json["scan"]["full"], true, "{json:#}");
    let hooks = &json["webhooks"];
    assert_eq!(ids(&hooks["missing"]), vec![new], "{json:#}");
    let mut off = vec![disabled, paused];
    off.sort_unstable();
    assert_eq!(ids(&hooks["disabled"]), off, "{json:#}");
    assert_eq!(ids(&hooks["wrong"]), vec![wrong], "{json:#}");
    assert_eq!(ids(&hooks["duplicates"]), vec![doubled], "{json:#}");
    assert_eq!(ids(&hooks["manual"]), Vec::<u64>::new(), "{json:#}");
    assert_eq!(hooks["projects"].as_u64().unwrap(), checked + 1);
    assert_eq!(hooks["ok"].as_u64().unwrap(), checked + 1 - 5);
    let details = hooks["details"].as_array().unwrap();
    let of = |id: u64| {
        details
            .iter()
            .find(|d| d["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {json:#}"))["reasons"]
            .to_string()
    };
    assert!(
        of(wrong).contains("Wiki page events off") && of(wrong).contains("TLS verification off"),
        "{}",
        of(wrong)
    );
    assert!(
        of(paused).contains("temporarily_disabled until"),
        "{}",
        of(paused)
    );

    // The report for a person says the same in a few lines (a later run: the projects that
    // needed attention are read again).
    let out = run(&sim, &data, &["status"], tokens::API).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 missing, 2 disabled, 1 wrong, 1 with duplicates, 0 manual"),
        "{text}"
    );
    assert!(text.contains("acme/web/checkout"), "{text}");
    assert!(text.contains("`webhooks apply`"), "{text}");
    assert!(text.contains("Requests: "), "{text}");

    // An apply fixes what it may (the duplicate is someone's: it stays), and writes only where
    // status found something: a hook for the new project, an update and a test delivery for each
    // disabled or wrong hook, nothing for the healthy ones; status agrees.
    sim.clear_requests();
    let out = run(&sim, &data, &["webhooks", "apply"], tokens::API).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let found = [new, disabled, paused, wrong];
    let writes: Vec<String> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let touched = |w: &String| {
        found
            .iter()
            .any(|id| w.contains(&format!("/api/v4/projects/{id}/hooks")))
    };
    assert!(writes.iter().all(touched), "{writes:#?}");
    for id in found {
        let prefix = format!("/api/v4/projects/{id}/hooks");
        assert!(
            writes.iter().any(|w| w.contains(&prefix)),
            "nothing written for {id}: {writes:#?}"
        );
    }
    assert_eq!(
        writes
            .iter()
            .filter(|w| w.starts_with("POST") && w.ends_with("/hooks"))
            .count(),
        1,
        "one new hook, for the new project: {writes:#?}"
    );
    let (code, json) = status_json(&sim, &data, tokens::API).await;
    assert_eq!(code, Some(4), "{json:#}");
    for list in ["missing", "disabled", "wrong"] {
        assert_eq!(
            ids(&json["webhooks"][list]),
            Vec::<u64>::new(),
            "{list}: {json:#}"
        );
    }
    assert_eq!(ids(&json["webhooks"]["duplicates"]), vec![doubled]);
}

#[tokio::test]
async fn a_token_expiring_soon_needs_attention() {
    let (sim, data) = applied().await;

    let (code, json) = status_json(&sim, &data, tokens::EXPIRING_SOON).await;
    assert_eq!(code, Some(4), "{json:#}");
    assert_eq!(json["token"]["days_left"], 10);
    assert_eq!(json["token"]["expires_soon"], true);
    assert_eq!(ids(&json["webhooks"]["missing"]), Vec::<u64>::new());

    let out = run(&sim, &data, &["status"], tokens::EXPIRING_SOON).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(in 10 days)"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("Warning:") && l.contains("expires")),
        "{text}"
    );
    assert!(text.contains("create a new token"), "{text}");

    // A token that reads the API but lacks the crawler's other scopes needs attention.
    let (code, json) = status_json(&sim, &data, tokens::READ_API_ONLY).await;
    assert_eq!(code, Some(4), "{json:#}");
    assert_eq!(json["token"]["mode"], "insufficient");
    assert_eq!(
        json["token"]["missing_scopes"],
        serde_json::json!(["read_user", "read_repository"])
    );
    assert_eq!(json["token"]["expires_soon"], false);

    // The token with no expiry date is not "soon".
    let (code, json) = status_json(&sim, &data, tokens::NO_EXPIRY).await;
    assert_eq!(code, Some(0), "{json:#}");
    assert_eq!(json["token"]["days_left"], Value::Null);
    assert_eq!(json["token"]["expires_at"], Value::Null);
}

#[tokio::test]
async fn a_revoked_token_is_an_error_in_one_line() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    for args in [&["status", "--json"][..], &["status"][..]] {
        let out = run(&sim, &data, args, tokens::REVOKED).await;
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(
            err.starts_with("error: ") && err.contains("revoked"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[tokio::test]
async fn hooks_are_read_only_where_the_token_may_list_them() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    // Every project the token reaches, some of them below Maintainer.
    let out = hook_cli(
        &sim,
        data.path(),
        &["status"],
        &["--json"],
        tokens::API,
        Some("status-secret"),
    )
    .await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let manual = ids(&json["webhooks"]["manual"]);
    assert!(!manual.is_empty(), "{json:#}");
    let read: Vec<String> = sim
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.contains("/hooks"))
        .collect();
    for id in &manual {
        let prefix = format!("/api/v4/projects/{id}/hooks");
        assert!(
            !read.iter().any(|p| p.starts_with(&prefix)),
            "{id}'s hooks were read: {read:?}"
        );
    }
    let missing = ids(&json["webhooks"]["missing"]);
    assert!(!missing.is_empty());
    for id in &missing {
        let prefix = format!("/api/v4/projects/{id}/hooks");
        assert!(
            read.iter().any(|p| p.starts_with(&prefix)),
            "{id}: {read:?}"
        );
    }

    // A later run carries the projects only a person can check (with why) and lists only
    // the new range, those needing attention and its slice: no full listing.
    sim.clear_requests();
    let again = hook_cli(
        &sim,
        data.path(),
        &["status"],
        &["--json"],
        tokens::API,
        Some("status-secret"),
    )
    .await;
    let later: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(later["scan"]["full"], false, "{later:#}");
    assert_eq!(ids(&later["webhooks"]["manual"]), manual, "{later:#}");
    assert_eq!(later["webhooks"]["projects"], json["webhooks"]["projects"]);
    let details = later["webhooks"]["details"].as_array().unwrap();
    for id in &manual {
        let d = details.iter().find(|d| d["id"] == *id).expect("a detail");
        assert!(!d["reasons"].as_array().unwrap().is_empty(), "{d}");
    }
    let listings = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v4/projects?"))
        .collect::<Vec<_>>();
    assert!(
        listings
            .iter()
            .all(|r| r.path.contains("id_after=") || r.path.contains("id_before=")),
        "{listings:#?}"
    );
}

#[tokio::test]
async fn a_disabled_group_hook_is_its_projects_problem_not_a_missing_hook() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let out = run(
        &sim,
        &data,
        &["webhooks", "apply", "--group-hook", "acme"],
        tokens::API,
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let (code, json) = status_json(&sim, &data, tokens::API).await;
    assert_eq!(code, Some(0), "{json:#}");
    let covered = json["webhooks"]["ok"].as_u64().unwrap();
    assert!(covered > 5, "{json:#}");

    let acme = sim.state(|w| w.group_by_path("acme").unwrap().id);
    sim.state(|w| {
        let ours: Vec<u64> = w
            .hooks_of_group(acme)
            .iter()
            .filter(|h| h.url == EVENTS)
            .map(|h| h.id)
            .collect();
        assert_eq!(ours.len(), 1);
        w.hook_mut(ours[0]).unwrap().alert_status = AlertStatus::Disabled;
    });
    let (code, json) = status_json(&sim, &data, tokens::API).await;
    assert_eq!(code, Some(4), "{json:#}");
    let hooks = &json["webhooks"];
    assert_eq!(ids(&hooks["groups"]), vec![acme], "{json:#}");
    assert_eq!(ids(&hooks["disabled"]).len() as u64, covered, "{json:#}");
    assert_eq!(ids(&hooks["missing"]), Vec::<u64>::new(), "{json:#}");
    assert_eq!(ids(&hooks["wrong"]), Vec::<u64>::new(), "{json:#}");
    assert_eq!(hooks["ok"], 0);
    let out = run(&sim, &data, &["status"], tokens::API).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("judged by the group hook of acme"), "{text}");
    assert!(text.contains("--group-hook GROUP"), "{text}");
}

#[tokio::test]
async fn a_mistyped_group_checks_nothing_and_is_not_all_well() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let out = hook_cli(
        &sim,
        data.path(),
        &["status"],
        &["--group", "acme/no-such-group"],
        tokens::API,
        Some("s"),
    )
    .await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no project selected"), "{text}");
    assert!(!text.contains("All well"), "{text}");
}

/// The hook-list reads of a request log, as project IDs.
fn hook_reads(sim: &Simulator) -> Vec<u64> {
    let mut read: Vec<u64> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .filter_map(|r| {
            r.path
                .split('?')
                .next()?
                .strip_prefix("/api/v4/projects/")?
                .strip_suffix("/hooks")?
                .parse()
                .ok()
        })
        .collect();
    read.sort_unstable();
    read
}

#[tokio::test]
async fn a_later_run_reads_new_projects_attention_and_a_slice_only() {
    let (sim, data) = applied().await;

    // A completed apply marks the instance onboarded: what it applied, nothing secret.
    let dir = data.path().to_owned();
    let marker =
        gitlab_onboard::status::onboarded::onboarded_instance(&dir, |u| u.as_str() == sim.url())
            .expect("an onboarding marker");
    assert_eq!(marker.event_url, EVENTS);
    assert_eq!(marker.groups, vec!["acme".to_owned()]);
    let text = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("onboarded-"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect::<String>();
    assert!(!text.contains("status-secret"), "{text}");

    // The first run reads every hook and keeps a private record of IDs.
    sim.clear_requests();
    let (code, first) = status_json(&sim, &data, tokens::API).await;
    assert_eq!(code, Some(0), "{first:#}");
    assert_eq!(first["scan"]["full"], true, "{first:#}");
    let checked = first["webhooks"]["projects"].as_u64().unwrap();
    let all_reads = hook_reads(&sim).len();
    assert!(all_reads as u64 >= checked - 1, "{all_reads} for {checked}");
    let record: Vec<_> = std::fs::read_dir(data.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("status-"))
        .collect();
    assert_eq!(record.len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = record[0].metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A new project: found by listing from the highest ID seen, and its hooks read; of the
    // others only a slice (1/8) is read again.
    let acme_web = sim.state(|w| w.group_by_path("acme/web").unwrap().id);
    let new = sim.state(|w| w.add_project("Checkout", "checkout", Owner::Group(acme_web)));
    sim.clear_requests();
    let (code, later) = status_json(&sim, &data, tokens::API).await;
    assert_eq!(code, Some(4), "{later:#}");
    assert_eq!(ids(&later["webhooks"]["missing"]), vec![new], "{later:#}");
    assert_eq!(later["webhooks"]["projects"].as_u64().unwrap(), checked + 1);
    let scan = &later["scan"];
    assert_eq!(scan["full"], false, "{later:#}");
    assert_eq!(scan["new"], 1, "{later:#}");
    let highest = scan["new_after"].as_u64().unwrap();
    assert!(highest < new, "{later:#}");
    let log = sim.requests();
    assert!(
        log.iter().any(|r| r.path.starts_with("/api/v4/projects?")
            && r.path.contains(&format!("id_after={highest}"))
            && r.path.contains("order_by=id")
            && r.path.contains("pagination=keyset")),
        "{log:#?}"
    );
    let reads = hook_reads(&sim);
    assert!(reads.contains(&new), "{reads:?}");
    let slice = (checked as usize).div_ceil(gitlab_onboard::status::SWEEP_RUNS);
    assert!(reads.len() <= 1 + slice + 1, "{reads:?}");
    assert!(reads.len() < all_reads, "{reads:?}");
    assert_eq!(
        scan["checked"].as_u64().unwrap() + scan["carried"].as_u64().unwrap(),
        checked + 1,
        "{later:#}"
    );
    assert!(later["requests"].as_u64().unwrap() < first["requests"].as_u64().unwrap());

    // Apply hooks the new project; the next run reads it again (it needed attention) and
    // finds all well.
    let out = run(&sim, &data, &["webhooks", "apply"], tokens::API).await;
    assert!(out.status.success(), "{}", stderr(&out));
    sim.clear_requests();
    let (code, json) = status_json(&sim, &data, tokens::API).await;
    assert_eq!(code, Some(0), "{json:#}");
    assert!(hook_reads(&sim).contains(&new));

    // GitLab disables a hook of a healthy project: the rolling slice reaches it within
    // SWEEP_RUNS runs, and that run reads every hook and lists it.
    let victim = project_id(&sim, "acme/web/storefront");
    let hook = our_hook(&sim, victim);
    sim.state(|w| w.hook_mut(hook).unwrap().alert_status = AlertStatus::Disabled);
    let mut found = None;
    for i in 0..=gitlab_onboard::status::SWEEP_RUNS {
        sim.clear_requests();
        let (code, json) = status_json(&sim, &data, tokens::API).await;
        if code == Some(4) {
            found = Some((i, json));
            break;
        }
    }
    let (_, json) = found.expect("the disabled hook is found within a round");
    assert_eq!(ids(&json["webhooks"]["disabled"]), vec![victim], "{json:#}");
    assert!(json["scan"]["escalated"].is_string(), "{json:#}");
    assert_eq!(json["scan"]["full"], true, "{json:#}");
    assert_eq!(
        json["webhooks"]["ok"].as_u64().unwrap(),
        checked,
        "{json:#}"
    );
    // Every hook read once: the slice's reads are not repeated by the full read.
    let reads = hook_reads(&sim);
    let mut once = reads.clone();
    once.dedup();
    assert_eq!(reads, once, "read twice");
    assert_eq!(
        reads.len(),
        all_reads + 1,
        "every hook, the new project's too"
    );

    // A damaged record is ignored: that run reads every hook and rewrites it.
    std::fs::write(record[0].path(), b"{\"version\": 1, \"known\": [").unwrap();
    let (code, json) = status_json(&sim, &data, tokens::API).await;
    assert_eq!(code, Some(4), "{json:#}");
    assert_eq!(json["scan"]["full"], true, "{json:#}");
    let again = std::fs::read(record[0].path()).unwrap();
    assert!(serde_json::from_slice::<Value>(&again).is_ok());
}

#[tokio::test]
async fn the_mapping_age_and_the_members_who_joined_since_are_counted_cheaply() {
    let (sim, data) = applied().await;
    // No mapping built here: status says so and it is not a problem.
    let (code, json) = status_json(&sim, &data, tokens::API).await;
    assert_eq!(code, Some(0), "{json:#}");
    assert_eq!(json["mapping"], Value::Null, "{json:#}");

    let csv = data.path().join("mapping.csv");
    let url = sim.url();
    let out = cli_env(
        &[
            "users",
            "--gitlab-url",
            &url,
            "--group",
            "acme",
            "--out",
            csv.to_str().unwrap(),
        ],
        Some(tokens::API),
        None,
        &[("GITLAB_ONBOARD_DATA_DIR", data.path().to_str().unwrap())],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = std::fs::read_to_string(&csv).unwrap().lines().count();
    // The record is small and holds no email.
    let record = std::fs::read_dir(data.path())
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("mapping-"))
        .expect("a mapping record");
    let text = std::fs::read_to_string(record.path()).unwrap();
    assert!(!text.contains('@') && text.len() < 2_000, "{text}");

    let (code, json) = status_json(&sim, &data, tokens::API).await;
    assert_eq!(code, Some(0), "{json:#}");
    let m = &json["mapping"];
    assert_eq!(m["days_ago"], 0, "{json:#}");
    assert!(m["users"].as_u64().unwrap() >= rows as u64, "{json:#}");
    assert_eq!(m["appeared"], 0, "{json:#}");
    assert_eq!(m["members_now"], m["members_then"], "{json:#}");
    // Counted with `per_page=1`, not listed.
    let counts: Vec<String> = sim
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.contains("/members"))
        .collect();
    assert!(!counts.is_empty());
    assert!(
        counts.iter().all(|p| p.contains("per_page=1")),
        "{counts:?}"
    );

    // Two people join acme: status counts them and asks for a new mapping.
    let acme = sim.state(|w| w.group_by_path("acme").unwrap().id);
    sim.state(|w| {
        for name in ["newcomer-one", "newcomer-two"] {
            let id = w.add_user(name, name);
            w.add_member(
                gitlab_sim::Source::Group(acme),
                id,
                gitlab_sim::access::DEVELOPER,
            );
        }
    });
    let (code, json) = status_json(&sim, &data, tokens::API).await;
    assert_eq!(code, Some(4), "{json:#}");
    assert_eq!(json["mapping"]["appeared"], 2, "{json:#}");
    let out = run(&sim, &data, &["status"], tokens::API).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 members appeared since"), "{text}");
    assert!(text.contains("`users build` again"), "{text}");
}

#[tokio::test]
async fn members_gitlab_does_not_count_are_unknown_not_zero() {
    // Above 10,000 members GitLab leaves `x-total` out: the count is unknown.
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let csv = data.path().join("mapping.csv");
    let url = sim.url();
    let env = [("GITLAB_ONBOARD_DATA_DIR", data.path().to_str().unwrap())];
    let users = [
        "users",
        "--gitlab-url",
        &url,
        "--group",
        "acme",
        "--out",
        csv.to_str().unwrap(),
    ];
    let out = cli_env(&users, Some(tokens::API), None, &env).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let acme = sim.state(|w| w.group_by_path("acme").unwrap().id);
    sim.state(|w| {
        for i in 0..10_001 {
            let name = format!("crowd-{i}");
            let id = w.add_user(&name, &name);
            w.add_member(
                gitlab_sim::Source::Group(acme),
                id,
                gitlab_sim::access::GUEST,
            );
        }
    });
    let (_, json) = status_json(&sim, &data, tokens::API).await;
    let m = &json["mapping"];
    assert_eq!(m["appeared"], Value::Null, "{json:#}");
    assert!(
        m["unknown"].as_str().unwrap().contains("10,000"),
        "{json:#}"
    );
}
