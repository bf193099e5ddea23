//! GitLab's text on the terminal: control characters are shown escaped, never sent raw.

mod common;

use common::{cli_env, hook_cli, stderr};
use gitlab_sim::tokens;

/// Escape sequences that would clear the screen, retitle the window, ring the bell, rewrite
/// the line or reverse the text after them.
const HOSTILE: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}\r\u{9b}31m\u{202e}";

fn raw_controls(bytes: &[u8]) -> Vec<char> {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| (c.is_control() && *c != '\n') || *c == '\u{202e}')
        .collect()
}

#[tokio::test]
async fn tables_and_summaries_escape_control_characters() {
    let sim = common::demo().await;
    let url = sim.url();
    let main = common::main_user(&sim);
    sim.state(|w| {
        w.user_mut(main).unwrap().name = format!("Main{HOSTILE}User");
        for p in w.projects().map(|p| p.id).collect::<Vec<_>>() {
            let p = w.project_mut(p).unwrap();
            p.path_with_namespace = format!("{}{HOSTILE}", p.path_with_namespace);
        }
    });

    let out = cli_env(
        &["token", "--gitlab-url", &url],
        Some(tokens::API),
        None,
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        raw_controls(&out.stdout),
        Vec::<char>::new(),
        "token summary"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Main\\u{1b}[2J"));

    for verb in ["plan", "verify"] {
        let data = tempfile::tempdir().unwrap();
        let command = ["webhooks", verb];
        let out = hook_cli(&sim, data.path(), &command, &[], tokens::API, Some("s")).await;
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.lines().count() > 3, "{verb}: {}", stderr(&out));
        assert_eq!(
            raw_controls(&out.stdout),
            Vec::<char>::new(),
            "{verb} table"
        );
        assert_eq!(
            raw_controls(&out.stderr),
            Vec::<char>::new(),
            "{verb} progress"
        );
        assert!(text.contains("\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\u{d}\\u{9b}31m\\u{202e}"));
    }
}
