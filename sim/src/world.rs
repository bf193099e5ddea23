//! The simulator's state: users, groups, projects, memberships, hooks and tokens, with the
//! indexes and role rules GitLab applies (inherited group membership, highest role wins).

use crate::model::{
    AlertStatus, GROUP_ONLY_HOOK_EVENTS, Group, Hook, HookOwner, Id, Member, Owner,
    PROJECT_HOOK_EVENTS, Project, Source, Token, TokenKind, User, UserKind, VersionInfo,
    Visibility, access,
};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::iter::Peekable;

/// Everything the simulated GitLab instance knows. Build one with [`World::demo`],
/// [`World::seeded`] or [`World::empty`] and the `add_*` methods.
#[derive(Clone, Debug)]
pub struct World {
    /// What `/version` and `/metadata` report.
    pub version: VersionInfo,
    users: BTreeMap<Id, User>,
    usernames: HashMap<String, Id>,
    user_namespaces: HashMap<Id, Id>,
    groups: BTreeMap<Id, Group>,
    group_paths: HashMap<String, Id>,
    subgroups: HashMap<Id, Vec<Id>>,
    projects: BTreeMap<Id, Project>,
    project_paths: HashMap<String, Id>,
    namespace_projects: HashMap<Owner, Vec<Id>>,
    members: HashMap<Source, BTreeMap<Id, Member>>,
    memberships: HashMap<Id, BTreeMap<Source, u8>>,
    hooks: BTreeMap<Id, Hook>,
    tokens: HashMap<String, Token>,
    next_namespace: Id,
    next_user: Id,
    next_project: Id,
    next_hook: Id,
    next_token: Id,
    membership_generation: u64,
    now: DateTime<Utc>,
}

/// A user's role on a project, split as GitLab reports it in `permissions`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProjectAccess {
    /// Direct project membership.
    pub project: Option<u8>,
    /// Highest membership in the project's group or its ancestors.
    pub group: Option<u8>,
}

impl ProjectAccess {
    /// The effective role: the higher of the two, if any.
    pub fn max(self) -> Option<u8> {
        self.project.max(self.group)
    }
}

/// A namespace: a group or a user's personal namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamespaceRef {
    /// A group (namespace id = group id).
    Group(Id),
    /// A user's personal namespace (the user's id).
    User(Id),
}

impl World {
    /// A world with no users, groups, projects or tokens, reporting GitLab 18.1.1-ee.
    pub fn empty() -> World {
        World {
            version: VersionInfo {
                version: "18.1.1-ee".into(),
                revision: "ceb07b24cb0".into(),
                enterprise: true,
            },
            users: BTreeMap::new(),
            usernames: HashMap::new(),
            user_namespaces: HashMap::new(),
            groups: BTreeMap::new(),
            group_paths: HashMap::new(),
            subgroups: HashMap::new(),
            projects: BTreeMap::new(),
            project_paths: HashMap::new(),
            namespace_projects: HashMap::new(),
            members: HashMap::new(),
            memberships: HashMap::new(),
            hooks: BTreeMap::new(),
            tokens: HashMap::new(),
            next_namespace: 1,
            next_user: 1,
            next_project: 1,
            next_hook: 1,
            next_token: 1,
            membership_generation: 0,
            now: Utc::now(),
        }
    }

    /// The time the world was built; generated timestamps lie before it.
    pub fn created(&self) -> DateTime<Utc> {
        self.now
    }

    // ----- users -----

    /// Adds an active human user with e-mail `<username>@example.com` and no public e-mail.
    /// Adjust the rest with [`World::user_mut`]. Panics if the username is taken.
    pub fn add_user(&mut self, username: &str, name: &str) -> Id {
        let key = username.to_lowercase();
        assert!(
            !self.usernames.contains_key(&key),
            "username {username} is taken"
        );
        let id = self.next_user;
        self.next_user += 1;
        let namespace_id = self.next_namespace;
        self.next_namespace += 1;
        self.users.insert(
            id,
            User {
                id,
                username: username.to_string(),
                name: name.to_string(),
                active: true,
                kind: UserKind::Human,
                is_admin: false,
                email: format!("{username}@example.com"),
                public_email: String::new(),
                enterprise_group_id: None,
                namespace_id,
                job_title: String::new(),
                created_at: self.now,
            },
        );
        self.usernames.insert(key, id);
        self.user_namespaces.insert(namespace_id, id);
        id
    }

    /// A user by id.
    pub fn user(&self, id: Id) -> Option<&User> {
        self.users.get(&id)
    }

    /// A user by id, to change it (not its username or namespace).
    pub fn user_mut(&mut self, id: Id) -> Option<&mut User> {
        self.users.get_mut(&id)
    }

    /// A user by username (case-insensitive).
    pub fn user_by_username(&self, username: &str) -> Option<&User> {
        self.usernames
            .get(&username.to_lowercase())
            .and_then(|id| self.users.get(id))
    }

    /// All users in id order.
    pub fn users(&self) -> impl DoubleEndedIterator<Item = &User> + Clone {
        self.users.values()
    }

    /// Users with an id above `after`, in id order.
    pub fn users_after(&self, after: Id) -> impl Iterator<Item = &User> + Clone {
        self.users.range(after.saturating_add(1)..).map(|(_, u)| u)
    }

    /// Users with an id below `before`, highest id first.
    pub fn users_before(&self, before: Id) -> impl Iterator<Item = &User> + Clone {
        self.users.range(..before).rev().map(|(_, u)| u)
    }

    /// Number of users.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    // ----- groups -----

    /// Adds a group (top-level when `parent` is `None`), private, on the `free` plan (or
    /// the parent's plan). Panics if the parent is missing or the full path is taken.
    pub fn add_group(&mut self, name: &str, path: &str, parent: Option<Id>) -> Id {
        let (full_path, full_name, plan) = match parent {
            Some(pid) => {
                let p = self.groups.get(&pid).expect("parent group exists");
                (
                    format!("{}/{path}", p.full_path),
                    format!("{} / {name}", p.full_name),
                    p.plan.clone(),
                )
            }
            None => (path.to_string(), name.to_string(), "free".to_string()),
        };
        let key = full_path.to_lowercase();
        assert!(
            !self.group_paths.contains_key(&key),
            "group path {full_path} is taken"
        );
        let id = self.next_namespace;
        self.next_namespace += 1;
        self.groups.insert(
            id,
            Group {
                id,
                name: name.to_string(),
                path: path.to_string(),
                full_path,
                full_name,
                parent_id: parent,
                description: String::new(),
                visibility: Visibility::Private,
                plan,
                created_at: self.now,
            },
        );
        self.group_paths.insert(key, id);
        if let Some(pid) = parent {
            self.subgroups.entry(pid).or_default().push(id);
        }
        id
    }

    /// A group by id.
    pub fn group(&self, id: Id) -> Option<&Group> {
        self.groups.get(&id)
    }

    /// A group by id, to change it (not its path or parent).
    pub fn group_mut(&mut self, id: Id) -> Option<&mut Group> {
        self.groups.get_mut(&id)
    }

    /// A group by full path (case-insensitive).
    pub fn group_by_path(&self, full_path: &str) -> Option<&Group> {
        self.group_paths
            .get(&full_path.to_lowercase())
            .and_then(|id| self.groups.get(id))
    }

    /// All groups in id order.
    pub fn groups(&self) -> impl DoubleEndedIterator<Item = &Group> + Clone {
        self.groups.values()
    }

    /// Direct subgroups of a group, in creation order.
    pub fn subgroups(&self, id: Id) -> &[Id] {
        self.subgroups.get(&id).map_or(&[], Vec::as_slice)
    }

    /// All subgroups below a group, depth first (not the group itself).
    pub fn descendants(&self, id: Id) -> Vec<Id> {
        let mut out = Vec::new();
        let mut stack: Vec<Id> = self.subgroups(id).iter().rev().copied().collect();
        while let Some(g) = stack.pop() {
            out.push(g);
            stack.extend(self.subgroups(g).iter().rev().copied());
        }
        out
    }

    /// The group and its ancestors, nearest first (each once: a test may make parents loop).
    pub fn self_and_ancestors(&self, id: Id) -> Vec<Id> {
        let mut out = Vec::new();
        let mut cur = self.groups.get(&id);
        while let Some(g) = cur.filter(|g| !out.contains(&g.id)) {
            out.push(g.id);
            cur = g.parent_id.and_then(|p| self.groups.get(&p));
        }
        out
    }

    /// The top-level group above (or equal to) a group.
    pub fn root_of(&self, id: Id) -> Id {
        *self.self_and_ancestors(id).last().unwrap_or(&id)
    }

    // ----- namespaces -----

    /// A namespace by id.
    pub fn namespace(&self, id: Id) -> Option<NamespaceRef> {
        if self.groups.contains_key(&id) {
            Some(NamespaceRef::Group(id))
        } else {
            self.user_namespaces
                .get(&id)
                .map(|u| NamespaceRef::User(*u))
        }
    }

    /// A namespace by full path: a group path or a username.
    pub fn namespace_by_path(&self, path: &str) -> Option<NamespaceRef> {
        if let Some(g) = self.group_by_path(path) {
            return Some(NamespaceRef::Group(g.id));
        }
        self.user_by_username(path)
            .map(|u| NamespaceRef::User(u.id))
    }

    // ----- projects -----

    /// Adds a private, non-archived project with a `main` branch and commits. Panics if the
    /// namespace is missing or the path is taken in it.
    pub fn add_project(&mut self, name: &str, path: &str, owner: Owner) -> Id {
        let (ns_path, ns_name, creator) = match owner {
            Owner::Group(g) => {
                let g = self.groups.get(&g).expect("group exists");
                (g.full_path.clone(), g.full_name.clone(), None)
            }
            Owner::User(u) => {
                let u = self.users.get(&u).expect("user exists");
                (u.username.clone(), u.name.clone(), Some(u.id))
            }
        };
        let path_with_namespace = format!("{ns_path}/{path}");
        let key = path_with_namespace.to_lowercase();
        assert!(
            !self.project_paths.contains_key(&key),
            "project path {path_with_namespace} is taken"
        );
        let id = self.next_project;
        self.next_project += 1;
        let creator_id = creator
            .or_else(|| self.users.keys().next().copied())
            .unwrap_or(1);
        self.projects.insert(
            id,
            Project {
                id,
                name: name.to_string(),
                path: path.to_string(),
                owner,
                name_with_namespace: format!("{ns_name} / {name}"),
                path_with_namespace,
                description: String::new(),
                visibility: Visibility::Private,
                archived: false,
                empty_repo: false,
                default_branch: "main".into(),
                topics: Vec::new(),
                creator_id,
                star_count: 0,
                created_at: self.now,
                last_activity_at: self.now,
            },
        );
        self.project_paths.insert(key, id);
        self.namespace_projects.entry(owner).or_default().push(id);
        if let Owner::User(u) = owner {
            self.add_member(Source::Project(id), u, access::OWNER);
        }
        id
    }

    /// A project by id.
    pub fn project(&self, id: Id) -> Option<&Project> {
        self.projects.get(&id)
    }

    /// A project by id, to change it (e.g. `archived`; not its path or namespace).
    pub fn project_mut(&mut self, id: Id) -> Option<&mut Project> {
        self.projects.get_mut(&id)
    }

    /// A project by `path_with_namespace` (case-insensitive).
    pub fn project_by_path(&self, path: &str) -> Option<&Project> {
        self.project_paths
            .get(&path.to_lowercase())
            .and_then(|id| self.projects.get(id))
    }

    /// All projects in id order.
    pub fn projects(&self) -> impl DoubleEndedIterator<Item = &Project> + Clone {
        self.projects.values()
    }

    /// Number of projects.
    pub fn project_count(&self) -> usize {
        self.projects.len()
    }

    /// Projects directly in a namespace, in creation order.
    pub fn projects_in(&self, owner: Owner) -> &[Id] {
        self.namespace_projects
            .get(&owner)
            .map_or(&[], Vec::as_slice)
    }

    // ----- memberships and roles -----

    /// Adds or replaces a direct membership, created by the first user (the administrator).
    pub fn add_member(&mut self, source: Source, user: Id, access_level: u8) {
        let created_by = self.users.keys().next().copied().unwrap_or(user);
        self.add_member_record(
            source,
            Member {
                user_id: user,
                access_level,
                created_at: self.now,
                created_by,
                expires_at: None,
            },
        );
    }

    /// Adds or replaces a direct membership with all its fields.
    pub fn add_member_record(&mut self, source: Source, member: Member) {
        self.membership_generation += 1;
        self.memberships
            .entry(member.user_id)
            .or_default()
            .insert(source, member.access_level);
        self.members
            .entry(source)
            .or_default()
            .insert(member.user_id, member);
    }

    /// Removes a direct membership; returns whether there was one.
    pub fn remove_member(&mut self, source: Source, user: Id) -> bool {
        self.membership_generation += 1;
        if let Some(m) = self.memberships.get_mut(&user) {
            m.remove(&source);
        }
        self.members
            .get_mut(&source)
            .and_then(|m| m.remove(&user))
            .is_some()
    }

    /// A counter that changes whenever a membership is added, changed or removed (lets
    /// callers cache member lists).
    pub fn membership_generation(&self) -> u64 {
        self.membership_generation
    }

    /// Direct members of a group or project, in user-id order.
    pub fn members(&self, source: Source) -> impl Iterator<Item = &Member> + Clone {
        self.members
            .get(&source)
            .into_iter()
            .flat_map(|m| m.values())
    }

    /// Direct, inherited members of a group or project, each user once with the highest role,
    /// in user-id order (GitLab's `members/all`, without invited groups).
    pub fn members_all(&self, source: Source) -> MembersAll<'_> {
        let chain: Vec<Source> = match source {
            Source::Group(g) => self
                .self_and_ancestors(g)
                .into_iter()
                .map(Source::Group)
                .collect(),
            Source::Project(p) => {
                let mut chain = vec![Source::Project(p)];
                if let Some(Owner::Group(g)) = self.projects.get(&p).map(|p| p.owner) {
                    chain.extend(self.self_and_ancestors(g).into_iter().map(Source::Group));
                }
                chain
            }
        };
        MembersAll {
            heads: chain
                .iter()
                .filter_map(|s| self.members.get(s))
                .map(|m| m.values().peekable())
                .collect(),
        }
    }

    /// A user's direct memberships (source → role).
    pub fn memberships_of(&self, user: Id) -> impl Iterator<Item = (Source, u8)> + '_ {
        self.memberships
            .get(&user)
            .into_iter()
            .flat_map(|m| m.iter().map(|(s, l)| (*s, *l)))
    }

    fn direct_level(&self, user: Id, source: Source) -> Option<u8> {
        self.memberships
            .get(&user)
            .and_then(|m| m.get(&source))
            .copied()
    }

    /// A user's role in a group: the highest direct membership in it or its ancestors.
    pub fn group_access(&self, user: Id, group: Id) -> Option<u8> {
        self.self_and_ancestors(group)
            .into_iter()
            .filter_map(|g| self.direct_level(user, Source::Group(g)))
            .max()
            .filter(|l| *l > access::MINIMAL)
    }

    /// A user's role on a project, direct and through groups.
    pub fn project_access(&self, user: Id, project: Id) -> ProjectAccess {
        let Some(p) = self.projects.get(&project) else {
            return ProjectAccess::default();
        };
        ProjectAccess {
            project: self.direct_level(user, Source::Project(project)),
            group: match p.owner {
                Owner::Group(g) => self.group_access(user, g),
                Owner::User(_) => None,
            },
        }
    }

    fn is_admin(&self, user: Id) -> bool {
        self.users.get(&user).is_some_and(|u| u.is_admin)
    }

    /// Whether a signed-in user can see a project: administrators see everything, others see
    /// public and internal projects and those they are members of.
    pub fn can_see_project(&self, user: Id, project: &Project) -> bool {
        project.visibility != Visibility::Private
            || self.is_admin(user)
            || self.project_access(user, project.id).max().is_some()
    }

    /// Whether a signed-in user can see a group: public and internal groups, groups the user
    /// belongs to (directly or inherited), and ancestors of groups and projects the user
    /// belongs to.
    pub fn can_see_group(&self, user: Id, group: &Group) -> bool {
        group.visibility != Visibility::Private
            || self.is_admin(user)
            || self.group_access(user, group.id).is_some()
            || self.groups_with_member_below(user).contains(&group.id)
    }

    /// Groups above any of the user's memberships (including the membership's own group):
    /// groups the user belongs to or reaches through a subgroup or project.
    pub fn groups_with_member_below(&self, user: Id) -> HashSet<Id> {
        let mut out = HashSet::new();
        for (source, _) in self.memberships_of(user) {
            let group = match source {
                Source::Group(g) => Some(g),
                Source::Project(p) => match self.projects.get(&p).map(|p| p.owner) {
                    Some(Owner::Group(g)) => Some(g),
                    _ => None,
                },
            };
            if let Some(g) = group {
                out.extend(self.self_and_ancestors(g));
            }
        }
        out
    }

    /// Ids of the projects a user can see (what `GET /projects` lists), in id order.
    pub fn visible_projects(&self, user: Id) -> Vec<Id> {
        self.projects
            .values()
            .filter(|p| self.can_see_project(user, p))
            .map(|p| p.id)
            .collect()
    }

    /// Ids of the projects where a user's effective role is at least `min_level`
    /// (`GET /projects?min_access_level=…`), in id order.
    pub fn member_projects(&self, user: Id, min_level: u8) -> Vec<Id> {
        self.projects
            .values()
            .filter(|p| {
                self.project_access(user, p.id)
                    .max()
                    .is_some_and(|l| l >= min_level)
            })
            .map(|p| p.id)
            .collect()
    }

    /// How many projects a user has each effective role on (role → count).
    pub fn project_roles(&self, user: Id) -> BTreeMap<u8, usize> {
        let mut out = BTreeMap::new();
        for p in self.projects.values() {
            if let Some(l) = self.project_access(user, p.id).max() {
                *out.entry(l).or_insert(0) += 1;
            }
        }
        out
    }

    // ----- hooks -----

    /// Adds a hook with GitLab's defaults (push events only, SSL verification on).
    pub fn add_hook(&mut self, owner: HookOwner, url: &str, token: Option<&str>) -> Id {
        let id = self.next_hook;
        self.next_hook += 1;
        let names = PROJECT_HOOK_EVENTS.iter().chain(match owner {
            HookOwner::Project(_) => [].iter(),
            HookOwner::Group(_) => GROUP_ONLY_HOOK_EVENTS.iter(),
        });
        self.hooks.insert(
            id,
            Hook {
                id,
                owner,
                url: url.to_string(),
                name: String::new(),
                description: String::new(),
                token: token.map(str::to_string),
                events: names
                    .map(|n| (n.to_string(), *n == "push_events"))
                    .collect(),
                push_events_branch_filter: String::new(),
                branch_filter_strategy: "wildcard".into(),
                enable_ssl_verification: true,
                custom_webhook_template: None,
                alert_status: AlertStatus::Executable,
                disabled_until: None,
                custom_headers: Vec::new(),
                url_variables: Vec::new(),
                test_triggers: Vec::new(),
                created_at: Utc::now(),
            },
        );
        id
    }

    /// A hook by id.
    pub fn hook(&self, id: Id) -> Option<&Hook> {
        self.hooks.get(&id)
    }

    /// A hook by id, to change it.
    pub fn hook_mut(&mut self, id: Id) -> Option<&mut Hook> {
        self.hooks.get_mut(&id)
    }

    /// Removes a hook; returns it.
    pub fn remove_hook(&mut self, id: Id) -> Option<Hook> {
        self.hooks.remove(&id)
    }

    /// All hooks in id order.
    pub fn hooks(&self) -> impl Iterator<Item = &Hook> + Clone {
        self.hooks.values()
    }

    /// Hooks of a project or group, in id order.
    pub fn hooks_of(&self, owner: HookOwner) -> impl Iterator<Item = &Hook> + Clone {
        self.hooks.values().filter(move |h| h.owner == owner)
    }

    /// Hooks of a project, in id order.
    pub fn hooks_of_project(&self, project: Id) -> Vec<&Hook> {
        self.hooks_of(HookOwner::Project(project)).collect()
    }

    /// Hooks of a group, in id order.
    pub fn hooks_of_group(&self, group: Id) -> Vec<&Hook> {
        self.hooks_of(HookOwner::Group(group)).collect()
    }

    // ----- tokens -----

    /// Adds an access token. Panics if the secret is already used.
    pub fn add_token(
        &mut self,
        secret: &str,
        kind: TokenKind,
        user: Id,
        scopes: &[&str],
        expires_at: Option<NaiveDate>,
    ) -> Id {
        assert!(
            !self.tokens.contains_key(secret),
            "token secret already used"
        );
        let id = self.next_token;
        self.next_token += 1;
        self.tokens.insert(
            secret.to_string(),
            Token {
                id,
                secret: secret.to_string(),
                kind,
                name: format!("token-{id}"),
                description: String::new(),
                user_id: user,
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                created_at: self.now,
                expires_at,
                revoked: false,
                last_used_at: None,
                rotated_from: None,
            },
        );
        id
    }

    /// A token by its secret.
    pub fn token(&self, secret: &str) -> Option<&Token> {
        self.tokens.get(secret)
    }

    /// A token by its secret, to change it (e.g. revoke it).
    pub fn token_mut(&mut self, secret: &str) -> Option<&mut Token> {
        self.tokens.get_mut(secret)
    }

    /// The user a token belongs to.
    pub fn user_of_token(&self, secret: &str) -> Option<&User> {
        self.token(secret).and_then(|t| self.users.get(&t.user_id))
    }

    /// All tokens, in no particular order.
    pub fn tokens(&self) -> impl Iterator<Item = &Token> {
        self.tokens.values()
    }
}

/// Iterator behind [`World::members_all`]: a merge of sorted member lists.
pub struct MembersAll<'a> {
    heads: Vec<Peekable<std::collections::btree_map::Values<'a, Id, Member>>>,
}

impl<'a> Iterator for MembersAll<'a> {
    type Item = &'a Member;

    fn next(&mut self) -> Option<&'a Member> {
        let min = self
            .heads
            .iter_mut()
            .filter_map(|h| h.peek().map(|m| m.user_id))
            .min()?;
        let mut best: Option<&'a Member> = None;
        for head in &mut self.heads {
            if let Some(m) = head.next_if(|m| m.user_id == min)
                && best.is_none_or(|b| m.access_level > b.access_level)
            {
                best = Some(m);
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> (World, Id, Id, Id, Id) {
        let mut w = World::empty();
        let admin = w.add_user("root", "Administrator");
        w.user_mut(admin).unwrap().is_admin = true;
        let alice = w.add_user("alice", "Alice");
        let bob = w.add_user("bob", "Bob");
        let top = w.add_group("Top", "top", None);
        let sub = w.add_group("Sub", "sub", Some(top));
        let subsub = w.add_group("Deep", "deep", Some(sub));
        w.add_member(Source::Group(top), alice, access::REPORTER);
        w.add_member(Source::Group(sub), alice, access::MAINTAINER);
        w.add_member(Source::Group(subsub), bob, access::DEVELOPER);
        (w, alice, bob, top, subsub)
    }

    #[test]
    fn group_roles_are_inherited_and_the_highest_wins() {
        let (w, alice, bob, top, subsub) = world();
        assert_eq!(w.group_access(alice, top), Some(access::REPORTER));
        assert_eq!(w.group_access(alice, subsub), Some(access::MAINTAINER));
        assert_eq!(w.group_access(bob, subsub), Some(access::DEVELOPER));
        assert_eq!(w.group_access(bob, top), None);
        assert_eq!(w.group(subsub).unwrap().full_path, "top/sub/deep");
    }

    #[test]
    fn project_access_splits_direct_and_group_roles() {
        let (mut w, alice, bob, top, subsub) = world();
        let p = w.add_project("API", "api", Owner::Group(subsub));
        w.add_member(Source::Project(p), bob, access::OWNER);
        assert_eq!(
            w.project_access(alice, p),
            ProjectAccess {
                project: None,
                group: Some(access::MAINTAINER)
            }
        );
        assert_eq!(w.project_access(bob, p).max(), Some(access::OWNER));
        let q = w.add_project("Docs", "docs", Owner::Group(top));
        assert_eq!(w.project_access(bob, q).max(), None);
        assert!(!w.can_see_project(bob, w.project(q).unwrap()));
        assert!(
            w.can_see_project(1, w.project(q).unwrap()),
            "admin sees private projects"
        );
        assert!(
            w.can_see_group(bob, w.group(top).unwrap()),
            "ancestor of a membership"
        );
        assert_eq!(w.member_projects(alice, access::MAINTAINER), vec![p]);
        assert_eq!(w.project_roles(alice).get(&access::REPORTER), Some(&1));
    }

    #[test]
    fn members_all_lists_each_user_once_with_the_highest_role() {
        let (mut w, alice, bob, _top, subsub) = world();
        let p = w.add_project("API", "api", Owner::Group(subsub));
        w.add_member(Source::Project(p), alice, access::GUEST);
        let all: Vec<(Id, u8)> = w
            .members_all(Source::Project(p))
            .map(|m| (m.user_id, m.access_level))
            .collect();
        assert_eq!(
            all,
            vec![(alice, access::MAINTAINER), (bob, access::DEVELOPER)]
        );
        let direct: Vec<Id> = w.members(Source::Project(p)).map(|m| m.user_id).collect();
        assert_eq!(direct, vec![alice]);
        assert!(w.remove_member(Source::Project(p), alice));
        assert_eq!(w.project_access(alice, p).project, None);
    }
}
