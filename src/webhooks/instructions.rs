//! Precise manual instructions for the projects a person must hook by hand: per project the
//! deep link to its webhook settings, the URL, the secret (only when asked) and the trigger
//! checklist, as Markdown, HTML or CSV.

use std::fmt::Write;

use url::Url;

use super::{Action, HookSpec, ProjectOutcome};
use crate::instance::GitLabUrl;

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

/// Renders the instructions. `with_secret: false` (the default everywhere) writes a
/// placeholder instead of the secret. Every GitLab string is escaped for the format, and a
/// project's webhook settings are a link only when they are an http(s) URL on `instance`'s
/// host (else plain text).
pub fn render(
    format: Format,
    projects: &[&ProjectOutcome],
    spec: &HookSpec,
    with_secret: bool,
    instance: &GitLabUrl,
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
    let host = Url::parse(instance.as_str())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    let link = |s: &str| host.as_deref().and_then(|h| link_on_host(s, h));
    match format {
        Format::Markdown => markdown(projects, spec.url.as_str(), secret, &triggers, &link),
        Format::Html => html(projects, spec.url.as_str(), secret, &triggers, &link),
        Format::Csv => csv(projects, spec.url.as_str(), secret, &triggers),
    }
}

/// `s` as a URL to link to: http(s), on `host`, without credentials; `None` otherwise.
fn link_on_host(s: &str, host: &str) -> Option<Url> {
    let url = Url::parse(s).ok()?;
    (matches!(url.scheme(), "http" | "https")
        && url.host_str() == Some(host)
        && url.username().is_empty()
        && url.password().is_none())
    .then_some(url)
}

fn reason(o: &ProjectOutcome) -> &str {
    match &o.action {
        Action::Manual { reason } => reason,
        _ => "",
    }
}

/// What Verify can check of hooks made by hand, and what only a person can: it lists a
/// project's hooks only where the token's user is Maintainer or Owner, which is often why
/// the hook is made by hand.
const VERIFY_NOTE: &str = "Then, in each project's webhook settings, check that the hook is listed and use its Test button \
     (Push events) to send an event. Verify (in the app, or gitlab-onboard webhooks verify) can check a project's hook \
     only where the token's user is Maintainer or Owner; for the others, only this check in GitLab tells.";

fn markdown(
    projects: &[&ProjectOutcome],
    url: &str,
    secret: &str,
    triggers: &[&str],
    link: &dyn Fn(&str) -> Option<Url>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Crawler webhooks to create by hand\n");
    let _ = writeln!(
        out,
        "For each project below: open its webhook settings (Maintainer or Owner role needed), choose **Add new webhook**, \
         and enter:\n\n- **URL**: {}\n- **Secret token**: {}\n- **Trigger**: {}\n- **Enable SSL verification**: on\n",
        md_code(url),
        md_code(secret),
        triggers.join(", ")
    );
    let _ = writeln!(
        out,
        "| Done | Project | Webhook settings | Why by hand |\n|---|---|---|---|"
    );
    for o in projects {
        let settings = match link(&o.hooks_url) {
            Some(u) => format!("<{}>", md_autolink(&u)),
            None => md_text(&o.hooks_url),
        };
        let _ = writeln!(
            out,
            "| [ ] | {} | {settings} | {} |",
            md_text(&o.path),
            md_text(reason(o))
        );
    }
    let _ = writeln!(out, "\n{VERIFY_NOTE}");
    out
}

/// Text for Markdown (a table cell included): every ASCII punctuation character
/// backslash-escaped (CommonMark allows it for all of them), control characters and line
/// breaks as spaces. Nothing in it can open a link, an emphasis, an HTML tag or a cell.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.push(' ');
        } else {
            if c.is_ascii_punctuation() {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// A URL for a Markdown autolink in a table cell: a parsed URL has no space, `<` or `>`;
/// `|` (ends the cell), `\\` and `` ` `` (read differently by some renderers) are
/// percent-encoded too.
fn md_autolink(url: &Url) -> String {
    url.as_str()
        .replace('|', "%7C")
        .replace('\\', "%5C")
        .replace('`', "%60")
}

/// A Markdown code span holding `s` literally: fenced with more backticks than any run
/// inside it, control characters as spaces.
fn md_code(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let longest = s
        .split(|c| c != '`')
        .map(str::len)
        .max()
        .unwrap_or_default();
    let fence = "`".repeat(longest + 1);
    format!("{fence} {s} {fence}")
}

fn html(
    projects: &[&ProjectOutcome],
    url: &str,
    secret: &str,
    triggers: &[&str],
    link: &dyn Fn(&str) -> Option<Url>,
) -> String {
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
        let settings = match link(&o.hooks_url) {
            Some(u) => format!("<a href=\"{}\">{}</a>", esc(u.as_str()), esc(u.as_str())),
            None => esc(&o.hooks_url),
        };
        let _ = writeln!(
            out,
            "<tr><td><input type=\"checkbox\"></td><td>{}</td><td>{settings}</td><td>{}</td></tr>",
            esc(&o.path),
            esc(reason(o))
        );
    }
    out.push_str("</tbody></table>\n</body></html>\n");
    out
}

/// Text for HTML content or a quoted attribute; control characters as spaces.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
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
    use proptest::prelude::*;

    fn instance() -> GitLabUrl {
        GitLabUrl::parse("https://gitlab.example.com").unwrap()
    }

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
            removed: Vec::new(),
        }
    }

    fn spec() -> HookSpec {
        HookSpec {
            url: EventUrl::parse("https://c.example.com/events").unwrap(),
            triggers: Triggers::default(),
            secret: Secret::new("abc123"),
        }
    }

    fn render_one(format: Format, o: &ProjectOutcome, with_secret: bool) -> String {
        render(format, &[o], &spec(), with_secret, &instance())
    }

    #[test]
    fn markdown_lists_link_url_secret_and_triggers() {
        let o = outcome("team/app");
        let md = render_one(Format::Markdown, &o, true);
        assert!(md.contains("<https://gitlab.example.com/team/app/-/hooks>"));
        assert!(md.contains("` https://c.example.com/events `") && md.contains("` abc123 `"));
        assert!(md.contains(
            "Push events, Issues events, Merge request events, Comments, Wiki page events"
        ));
        assert!(md.contains("| team\\/app |"), "{md}");
        assert!(
            md.contains("only where the token's user is Maintainer or Owner"),
            "{md}"
        );
        assert!(md.contains("Test button"), "{md}");
    }

    #[test]
    fn the_secret_is_left_out_unless_asked() {
        let o = outcome("team/app");
        for format in [Format::Markdown, Format::Html, Format::Csv] {
            assert!(!render_one(format, &o, false).contains("abc123"));
            assert!(render_one(format, &o, true).contains("abc123"));
        }
    }

    #[test]
    fn html_is_escaped() {
        let o = outcome("team/<script>");
        let page = render_one(Format::Html, &o, true);
        assert!(page.contains("team/&lt;script&gt;") && !page.contains("<script>"));
    }

    #[test]
    fn links_only_to_the_instance_over_http() {
        for hooks_url in [
            "javascript:alert(1)",
            "https://evil.example.com/g/p/-/hooks",
            "https://user:pw@gitlab.example.com/g/p/-/hooks",
            "data:text/html,<b>x</b>",
            "not a url",
        ] {
            let o = ProjectOutcome {
                hooks_url: hooks_url.into(),
                ..outcome("g/p")
            };
            let page = render_one(Format::Html, &o, false);
            assert!(!page.contains("<a "), "{hooks_url}: {page}");
            let md = render_one(Format::Markdown, &o, false);
            assert!(
                !md.contains("<http") && !md.contains("](") && !md.contains("<javascript"),
                "{hooks_url}: {md}"
            );
        }
        let page = render_one(Format::Html, &outcome("g/p"), false);
        assert!(page.contains("<a href=\"https://gitlab.example.com/g/p/-/hooks\">"));
        let odd = ProjectOutcome {
            hooks_url: "https://gitlab.example.com/g/p/-/hooks#a|b\\`c".into(),
            ..outcome("g/p")
        };
        let md = render_one(Format::Markdown, &odd, false);
        assert!(
            md.contains("<https://gitlab.example.com/g/p/-/hooks#a%7Cb%5C%60c>"),
            "{md}"
        );
    }

    #[test]
    fn code_spans_outlast_backticks_inside() {
        assert_eq!(md_code("a``b"), "``` a``b ```");
        assert_eq!(md_code("x\ny"), "` x y `");
    }

    #[test]
    fn csv_has_a_header_and_one_row_per_project() {
        let (a, b) = (outcome("a/b"), outcome("c,d/e"));
        let text = render(Format::Csv, &[&a, &b], &spec(), true, &instance());
        let mut r = ::csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<_> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[1][1], "c,d/e");
        assert_eq!(&rows[0][4], "abc123");
        assert!(!text.contains('\r'));
    }

    /// Strings GitLab could send: anything, with markup-laden pieces made likely.
    fn gitlab_string() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            any::<char>().prop_map(String::from),
            Just("<".to_owned()),
            Just(">".to_owned()),
            Just("[".to_owned()),
            Just("](".to_owned()),
            Just("`".to_owned()),
            Just("|".to_owned()),
            Just("\\".to_owned()),
            Just("\n".to_owned()),
            Just("&".to_owned()),
            Just("\"".to_owned()),
            Just("<a href=x>".to_owned()),
            Just("<script>".to_owned()),
            Just("https://gitlab.example.com/".to_owned()),
            Just("javascript:".to_owned()),
            Just("*_~#!".to_owned()),
        ];
        prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    fn hostile(path: String, reason: String, hooks_url: String) -> ProjectOutcome {
        ProjectOutcome {
            project_id: 1,
            path,
            hooks_url,
            action: Action::Manual { reason },
            hook_id: None,
            duplicates: vec![],
            disabled: None,
            removed: Vec::new(),
        }
    }

    /// The tag names in an HTML document, in order.
    fn tags(page: &str) -> Vec<String> {
        page.split('<')
            .skip(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| !c.is_whitespace() && *c != '>')
                    .collect()
            })
            .collect()
    }

    proptest! {
        #[test]
        fn html_never_carries_markup_or_links_from_gitlab(
            path in gitlab_string(), reason in gitlab_string(), hooks_url in gitlab_string()
        ) {
            let o = hostile(path, reason, hooks_url.clone());
            let page = render(Format::Html, &[&o], &spec(), false, &instance());
            let expected = render(
                Format::Html,
                &[&hostile("p".into(), "r".into(), hooks_url.clone())],
                &spec(),
                false,
                &instance(),
            );
            prop_assert_eq!(tags(&page), tags(&expected), "the template's tags only");
            let links = link_on_host(&hooks_url, "gitlab.example.com").is_some();
            prop_assert_eq!(page.matches("<a ").count(), usize::from(links));
            for href in page.split("href=\"").skip(1) {
                let value = &href[..href.find('"').unwrap()];
                prop_assert!(
                    value.starts_with("https://gitlab.example.com/")
                        || value.starts_with("http://gitlab.example.com/"),
                    "{}", value
                );
            }
        }

        #[test]
        fn markdown_never_carries_markup_or_links_from_gitlab(
            path in gitlab_string(), reason in gitlab_string(), hooks_url in gitlab_string()
        ) {
            let o = hostile(path, reason, hooks_url.clone());
            let md = render(Format::Markdown, &[&o], &spec(), false, &instance());
            let expected = render(
                Format::Markdown,
                &[&hostile("p".into(), "r".into(), "h".into())],
                &spec(),
                false,
                &instance(),
            );
            prop_assert_eq!(md.lines().count(), expected.lines().count(), "one line per row");
            let row = md.lines().find(|l| l.starts_with("| [ ] |")).unwrap();
            // Outside an autolink we wrote, every `<`, `[`, `` ` ``, `|` and `&` is escaped.
            let links = link_on_host(&hooks_url, "gitlab.example.com").is_some();
            let mut rest = row["| [ ] ".len()..].to_owned();
            if links {
                let start = rest.find(" | <http").unwrap() + 3;
                let end = start + rest[start..].find('>').unwrap();
                let inside = &rest[start + 1..end];
                prop_assert!(!inside.contains(['<', ' ', '|', '\\']), "{}", inside);
                rest.replace_range(start..=end, "");
            }
            let mut escaped = false;
            let mut bars = 0;
            for c in rest.chars() {
                if !escaped && c == '|' {
                    bars += 1;
                }
                prop_assert!(
                    escaped || !matches!(c, '<' | '>' | '[' | ']' | '`' | '&' | '(' | ')' | '*' | '_'),
                    "unescaped {:?} in {}", c, row
                );
                escaped = !escaped && c == '\\';
            }
            prop_assert_eq!(bars, 4, "three cells after the box: {}", row);
        }
    }
}
