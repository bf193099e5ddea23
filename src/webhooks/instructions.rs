//! Precise manual instructions for the projects a person must hook by hand: per project the
//! deep link to its webhook settings, the URL, the secret and the trigger checklist, as
//! Markdown, HTML or CSV.

use std::fmt::Write;

use super::{Action, HookSpec, ProjectOutcome};

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A checklist document.
    Markdown,
    /// A standalone page.
    Html,
    /// One row per project, for a spreadsheet or a script.
    Csv,
}

/// The projects that need a person: manual outcomes, and every project without our hook
/// when the token is read-only.
pub fn manual(outcomes: &[ProjectOutcome]) -> Vec<&ProjectOutcome> {
    outcomes
        .iter()
        .filter(|o| matches!(o.action, Action::Manual { .. }))
        .collect()
}

/// Renders the instructions. `with_secret: false` writes a placeholder instead of the secret.
pub fn render(
    format: Format,
    projects: &[&ProjectOutcome],
    spec: &HookSpec,
    with_secret: bool,
) -> String {
    let secret = if with_secret {
        spec.secret.expose()
    } else {
        "(ask your GitLab admin for the secret token)"
    };
    let triggers: Vec<&str> = spec
        .triggers
        .fields()
        .iter()
        .filter(|(_, _, on)| *on)
        .map(|(_, label, _)| *label)
        .collect();
    match format {
        Format::Markdown => markdown(projects, spec.url.as_str(), secret, &triggers),
        Format::Html => html(projects, spec.url.as_str(), secret, &triggers),
        Format::Csv => csv(projects, spec.url.as_str(), secret, &triggers),
    }
}

fn reason(o: &ProjectOutcome) -> &str {
    match &o.action {
        Action::Manual { reason } => reason,
        _ => "",
    }
}

fn markdown(projects: &[&ProjectOutcome], url: &str, secret: &str, triggers: &[&str]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Crawler webhooks to create by hand\n");
    let _ = writeln!(
        out,
        "For each project below: open its webhook settings (Maintainer or Owner role needed), choose **Add new webhook**, \
         and enter:\n\n- **URL**: `{url}`\n- **Secret token**: `{secret}`\n- **Trigger**: {}\n- **Enable SSL verification**: on\n",
        triggers.join(", ")
    );
    let _ = writeln!(
        out,
        "| Done | Project | Webhook settings | Why by hand |\n|---|---|---|---|"
    );
    for o in projects {
        let _ = writeln!(
            out,
            "| [ ] | {} | <{}> | {} |",
            md_cell(&o.path),
            o.hooks_url,
            md_cell(reason(o))
        );
    }
    let _ = writeln!(
        out,
        "\nThen run `gitlab-onboard webhooks verify` (or Verify in the app) to check what was made."
    );
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn html(projects: &[&ProjectOutcome], url: &str, secret: &str, triggers: &[&str]) -> String {
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Crawler webhooks to create by hand</title></head><body>\n",
    );
    let _ = writeln!(out, "<h1>Crawler webhooks to create by hand</h1>");
    let _ = writeln!(
        out,
        "<p>For each project: open its webhook settings (Maintainer or Owner role needed), choose <b>Add new webhook</b>, and enter:</p>\
         <ul><li>URL: <code>{}</code></li><li>Secret token: <code>{}</code></li><li>Trigger: {}</li><li>Enable SSL verification: on</li></ul>",
        esc(url),
        esc(secret),
        esc(&triggers.join(", "))
    );
    let _ = writeln!(
        out,
        "<table><thead><tr><th>Done</th><th>Project</th><th>Webhook settings</th><th>Why by hand</th></tr></thead><tbody>"
    );
    for o in projects {
        let _ = writeln!(
            out,
            "<tr><td><input type=\"checkbox\"></td><td>{}</td><td><a href=\"{}\">{}</a></td><td>{}</td></tr>",
            esc(&o.path),
            esc(&o.hooks_url),
            esc(&o.hooks_url),
            esc(reason(o))
        );
    }
    out.push_str("</tbody></table>\n</body></html>\n");
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn csv(projects: &[&ProjectOutcome], url: &str, secret: &str, triggers: &[&str]) -> String {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let joined = triggers.join("; ");
    w.write_record([
        "project_id",
        "project",
        "webhook_settings",
        "url",
        "secret_token",
        "triggers",
        "reason",
    ])
    .expect("in memory");
    for o in projects {
        let id = o.project_id.to_string();
        w.write_record([
            id.as_str(),
            &o.path,
            &o.hooks_url,
            url,
            secret,
            &joined,
            reason(o),
        ])
        .expect("in memory");
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8 in, UTF-8 out")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;
    use crate::webhooks::{EventUrl, Triggers};

    fn outcome(path: &str) -> ProjectOutcome {
        ProjectOutcome {
            project_id: 7,
            path: path.into(),
            hooks_url: format!("https://gitlab.example.com/{path}/-/hooks"),
            action: Action::Manual {
                reason: "the token is read-only (no `api` scope)".into(),
            },
            hook_id: None,
            duplicates: vec![],
            disabled: None,
        }
    }

    fn spec() -> HookSpec {
        HookSpec {
            url: EventUrl::parse("https://c.example.com/events").unwrap(),
            triggers: Triggers::default(),
            secret: Secret::new("abc123"),
        }
    }

    #[test]
    fn markdown_lists_link_url_secret_and_triggers() {
        let o = outcome("team/app");
        let md = render(Format::Markdown, &[&o], &spec(), true);
        assert!(md.contains("<https://gitlab.example.com/team/app/-/hooks>"));
        assert!(md.contains("`https://c.example.com/events`") && md.contains("`abc123`"));
        assert!(md.contains(
            "Push events, Issues events, Merge request events, Comments, Wiki page events"
        ));
        assert!(!render(Format::Markdown, &[&o], &spec(), false).contains("abc123"));
    }

    #[test]
    fn html_is_escaped() {
        let o = outcome("team/<script>");
        let page = render(Format::Html, &[&o], &spec(), true);
        assert!(page.contains("team/&lt;script&gt;") && !page.contains("<script>"));
    }

    #[test]
    fn csv_has_a_header_and_one_row_per_project() {
        let (a, b) = (outcome("a/b"), outcome("c,d/e"));
        let text = render(Format::Csv, &[&a, &b], &spec(), true);
        let mut r = ::csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<_> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[1][1], "c,d/e");
        assert_eq!(&rows[0][4], "abc123");
        assert!(!text.contains('\r'));
    }
}
