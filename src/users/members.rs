//! Who is in scope: every member (direct or inherited) of the groups and projects in scope,
//! once each by numeric ID.
//!
//! `members/all` of a group or project lists its own members and those inherited from its
//! ancestors, so listing it for every subgroup and project would list a large organisation's
//! members again for each of them. Where the parent group is itself in scope, its listing
//! already covers the inheritance, and the direct `members` list suffices; `members/all` is
//! used for the roots of the scope (and groups invited into them come with it).

use std::collections::{HashMap, HashSet};

use futures::StreamExt;

use crate::client::Client;
use crate::error::ApiError;
use crate::model::Member;
use crate::scopes::TokenReport;

/// Where members are listed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `groups/:id/members` or `members/all`.
    Group {
        /// Group ID.
        id: u64,
        /// `members/all` (inherited too) or direct `members`.
        all: bool,
    },
    /// `projects/:id/members` or `members/all`.
    Project {
        /// Project ID.
        id: u64,
        /// `members/all` (inherited too) or direct `members`.
        all: bool,
    },
}

impl Source {
    /// The list's API path, e.g. `groups/12/members/all`.
    pub fn path(&self) -> String {
        let (kind, id, all) = match self {
            Source::Group { id, all } => ("groups", id, all),
            Source::Project { id, all } => ("projects", id, all),
        };
        format!("{kind}/{id}/members{}", if *all { "/all" } else { "" })
    }
}

/// The lists to read for the groups in scope (`groups`: full paths, subgroups included; empty
/// means everything step 2 found) and their projects.
pub fn sources(report: &TokenReport, groups: &[String]) -> Vec<Source> {
    let wanted = |path: &str| {
        groups.is_empty()
            || groups.iter().any(|g| {
                let g = g.trim_matches('/');
                path == g || path.starts_with(&format!("{g}/"))
            })
    };
    let in_scope: HashMap<u64, &str> = report
        .groups
        .iter()
        .filter(|g| wanted(&g.full_path))
        .map(|g| (g.id, g.full_path.as_str()))
        .collect();
    let mut out: Vec<Source> = report
        .groups
        .iter()
        .filter(|g| in_scope.contains_key(&g.id))
        .map(|g| Source::Group {
            id: g.id,
            all: !g.parent_id.is_some_and(|p| in_scope.contains_key(&p)),
        })
        .collect();
    let by_path: HashSet<&str> = in_scope.values().copied().collect();
    out.extend(
        report
            .projects
            .iter()
            .filter(|p| wanted(&p.namespace.full_path))
            .map(|p| Source::Project {
                id: p.id,
                all: !(p.namespace.kind == "group"
                    && by_path.contains(p.namespace.full_path.as_str())),
            }),
    );
    out
}

/// Reads every source (bounded concurrency through the client), keeping each user once.
/// `progress(sources done, members so far)`.
pub async fn enumerate(
    client: &Client,
    sources: &[Source],
    progress: &(dyn Fn(usize, usize) + Send + Sync),
) -> Result<Vec<Member>, ApiError> {
    let mut seen: HashMap<u64, Member> = HashMap::new();
    // Owned paths: a closure over borrowed items makes a future the compiler cannot prove
    // `Send`, which the desktop shell's commands need.
    let paths: Vec<String> = sources.iter().map(Source::path).collect();
    let mut lists = futures::stream::iter(
        paths
            .into_iter()
            .map(|path| async move { client.get_all::<Member>(&path, &[], |_| {}).await }),
    )
    .buffer_unordered(client.concurrency());
    let mut done = 0;
    while let Some(list) = lists.next().await {
        for m in list? {
            // The same person may come with an email from one list and without from another.
            match seen.get_mut(&m.id) {
                Some(known) if known.email.is_none() => known.email = m.email,
                Some(_) => {}
                None => {
                    seen.insert(m.id, m);
                }
            }
        }
        done += 1;
        progress(done, seen.len());
    }
    let mut members: Vec<Member> = seen.into_values().collect();
    members.sort_by_key(|m| m.id);
    Ok(members)
}

/// True for the bot users of project and group access tokens (`project_<id>_bot_…`,
/// `group_<id>_bot_…`) and service accounts (`service_account_…`).
pub fn is_bot(username: &str) -> bool {
    let bot_of = |prefix: &str| {
        username
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once("_bot"))
            .is_some_and(|(id, _)| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
    };
    bot_of("project_") || bot_of("group_") || username.starts_with("service_account_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bots_by_gitlab_naming() {
        assert!(is_bot("project_12_bot_0a1b2c"));
        assert!(is_bot("group_7_bot"));
        assert!(is_bot("service_account_group_3_abc"));
        assert!(!is_bot("project_manager"));
        assert!(!is_bot("robot"));
        assert!(!is_bot("project_x_bot_1"));
    }
}
