//! JSON entities with GitLab's field names and types (see `tests/fixtures/gitlab`). URLs are
//! absolute on the simulator's own base URL.

use crate::model::{Group, Hook, HookOwner, Id, Member, Owner, Project, Token, User, UserKind};
use crate::world::{NamespaceRef, ProjectAccess, World};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value, json};

/// GitLab's timestamp format, e.g. `2013-09-30T13:46:02.000Z`.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn date(d: Option<NaiveDate>) -> Value {
    d.map_or(Value::Null, |d| {
        Value::String(d.format("%Y-%m-%d").to_string())
    })
}

/// Adds the fields of `more` (a JSON object) to `map`.
fn extend(map: &mut Map<String, Value>, more: Value) {
    if let Value::Object(m) = more {
        map.extend(m);
    }
}

/// Renders entities of one world for one base URL.
pub(crate) struct Render<'a> {
    pub(crate) world: &'a World,
    pub(crate) base: &'a str,
}

impl Render<'_> {
    fn host(&self) -> &str {
        let rest = self.base.split("://").nth(1).unwrap_or(self.base);
        rest.split([':', '/']).next().unwrap_or(rest)
    }

    /// An avatar URL the simulator serves (see `routes::meta`).
    pub(crate) fn avatar(&self, kind: &str, id: Id) -> String {
        format!(
            "{}/uploads/-/system/{kind}/avatar/{id}/avatar.png",
            self.base
        )
    }

    // ----- users -----

    /// `id, username, name, state, locked, avatar_url, web_url` (`UserBasic`).
    pub(crate) fn user_basic(&self, u: &User) -> Map<String, Value> {
        let Value::Object(map) = json!({
            "id": u.id,
            "username": u.username,
            "name": u.name,
            "state": u.state(),
            "locked": false,
            "avatar_url": self.avatar("user", u.id),
            "web_url": format!("{}/{}", self.base, u.username),
        }) else {
            unreachable!("an object literal")
        };
        map
    }

    fn user_profile(&self, u: &User) -> Value {
        json!({
            "created_at": ts(u.created_at),
            "bio": "",
            "location": Value::Null,
            "public_email": u.public_email,
            "linkedin": "",
            "twitter": "",
            "discord": "",
            "github": "",
            "website_url": "",
            "organization": "",
            "job_title": u.job_title,
            "pronouns": "",
            "bot": u.kind == UserKind::ProjectBot,
            "work_information": Value::Null,
            "followers": 0,
            "following": 0,
            "local_time": Utc::now().format("%-I:%M %p").to_string(),
        })
    }

    fn user_private(&self, u: &User) -> Value {
        let signed_in = (u.kind == UserKind::Human && u.active).then(|| ts(self.world.created()));
        json!({
            "email": u.email,
            "last_sign_in_at": signed_in,
            "confirmed_at": ts(u.created_at),
            "theme_id": 1,
            "last_activity_on": self.world.created().format("%Y-%m-%d").to_string(),
            "color_scheme_id": 1,
            "projects_limit": 100_000,
            "current_sign_in_at": signed_in,
            "identities": [],
            "can_create_group": u.kind == UserKind::Human,
            "can_create_project": u.kind == UserKind::Human,
            "two_factor_enabled": u.id.is_multiple_of(3),
            "external": false,
            "private_profile": false,
            "commit_email": u.email,
        })
    }

    fn user_admin_fields(&self, u: &User) -> Value {
        json!({
            "is_admin": u.is_admin,
            "note": "",
            "current_sign_in_ip": "127.0.0.1",
            "last_sign_in_ip": "127.0.0.1",
            "namespace_id": u.namespace_id,
            "created_by": Value::Null,
            "email_reset_offered_at": Value::Null,
        })
    }

    /// `GET /users/:id` as a regular user sees it.
    pub(crate) fn user_public(&self, u: &User) -> Value {
        let mut m = self.user_basic(u);
        extend(&mut m, self.user_profile(u));
        m.insert("is_followed".into(), Value::Bool(false));
        Value::Object(m)
    }

    /// `GET /users/:id` as an administrator sees it.
    pub(crate) fn user_for_admin(&self, u: &User) -> Value {
        let mut m = self.user_basic(u);
        extend(&mut m, self.user_profile(u));
        extend(&mut m, self.user_private(u));
        extend(&mut m, self.user_admin_fields(u));
        extend(
            &mut m,
            json!({ "plan": "default", "trial": false, "sign_in_count": u.id % 50 + 1 }),
        );
        Value::Object(m)
    }

    /// An element of `GET /users` as an administrator sees it.
    pub(crate) fn user_list_for_admin(&self, u: &User) -> Value {
        let mut m = self.user_basic(u);
        extend(&mut m, self.user_profile(u));
        extend(&mut m, self.user_private(u));
        extend(&mut m, self.user_admin_fields(u));
        Value::Object(m)
    }

    /// `GET /user`: the caller's own profile; `is_admin` and the admin fields only for
    /// administrators.
    pub(crate) fn current_user(&self, u: &User) -> Value {
        let mut m = self.user_basic(u);
        extend(&mut m, self.user_profile(u));
        extend(&mut m, self.user_private(u));
        if u.is_admin {
            extend(&mut m, self.user_admin_fields(u));
        }
        Value::Object(m)
    }

    // ----- namespaces, groups -----

    fn namespace_fields(&self, ns: NamespaceRef) -> Map<String, Value> {
        let value = match ns {
            NamespaceRef::Group(id) => {
                let g = self.world.group(id).expect("namespace exists");
                json!({
                    "id": g.id,
                    "name": g.name,
                    "path": g.path,
                    "kind": "group",
                    "full_path": g.full_path,
                    "parent_id": g.parent_id,
                    "avatar_url": self.avatar("group", g.id),
                    "web_url": format!("{}/groups/{}", self.base, g.full_path),
                })
            }
            NamespaceRef::User(id) => {
                let u = self.world.user(id).expect("namespace exists");
                json!({
                    "id": u.namespace_id,
                    "name": u.name,
                    "path": u.username,
                    "kind": "user",
                    "full_path": u.username,
                    "parent_id": Value::Null,
                    "avatar_url": self.avatar("user", u.id),
                    "web_url": format!("{}/{}", self.base, u.username),
                })
            }
        };
        let Value::Object(map) = value else {
            unreachable!("an object literal")
        };
        map
    }

    /// The `namespace` object inside a project.
    pub(crate) fn project_namespace(&self, owner: Owner) -> Value {
        Value::Object(self.namespace_fields(match owner {
            Owner::Group(g) => NamespaceRef::Group(g),
            Owner::User(u) => NamespaceRef::User(u),
        }))
    }

    /// `GET /namespaces/:id`; plan and seat fields only for owners.
    pub(crate) fn namespace(&self, ns: NamespaceRef, owner_view: bool) -> Value {
        let mut m = self.namespace_fields(ns);
        if owner_view {
            let (members, plan) = match ns {
                NamespaceRef::Group(id) => {
                    let mut users = std::collections::HashSet::new();
                    for g in std::iter::once(id).chain(self.world.descendants(id)) {
                        users.extend(
                            self.world
                                .members(crate::model::Source::Group(g))
                                .map(|m| m.user_id),
                        );
                    }
                    (
                        users.len(),
                        self.world
                            .group(self.world.root_of(id))
                            .map_or("free".to_string(), |g| g.plan.clone()),
                    )
                }
                NamespaceRef::User(_) => (1, "free".to_string()),
            };
            extend(
                &mut m,
                json!({
                    "members_count_with_descendants": members,
                    "billable_members_count": members,
                    "max_seats_used": members,
                    "seats_in_use": members,
                    "plan": plan,
                    "trial_ends_on": Value::Null,
                    "trial": false,
                }),
            );
        }
        Value::Object(m)
    }

    /// A group as `GET /groups` and `GET /groups/:id` return it.
    pub(crate) fn group(&self, g: &Group) -> Value {
        let mut m = Map::new();
        extend(
            &mut m,
            json!({
                "id": g.id,
                "name": g.name,
                "path": g.path,
                "description": g.description,
                "visibility": g.visibility.as_str(),
                "share_with_group_lock": false,
                "require_two_factor_authentication": false,
                "two_factor_grace_period": 48,
                "project_creation_level": "developer",
                "auto_devops_enabled": Value::Null,
                "subgroup_creation_level": "maintainer",
                "emails_disabled": false,
                "emails_enabled": true,
                "mentions_disabled": Value::Null,
                "lfs_enabled": true,
                "default_branch": Value::Null,
            }),
        );
        extend(
            &mut m,
            json!({
                "default_branch_protection": 2,
                "default_branch_protection_defaults": {
                    "allowed_to_push": [{ "access_level": 40 }],
                    "allow_force_push": false,
                    "allowed_to_merge": [{ "access_level": 40 }],
                },
                "avatar_url": self.avatar("group", g.id),
                "web_url": format!("{}/groups/{}", self.base, g.full_path),
                "request_access_enabled": true,
                "repository_storage": "default",
                "full_name": g.full_name,
                "full_path": g.full_path,
                "file_template_project_id": Value::Null,
                "parent_id": g.parent_id,
                "created_at": ts(g.created_at),
                "ip_restriction_ranges": Value::Null,
                "marked_for_deletion_on": Value::Null,
            }),
        );
        Value::Object(m)
    }

    // ----- projects -----

    /// `simple=true` fields (`BasicProjectDetails`).
    pub(crate) fn project_simple(&self, p: &Project) -> Value {
        Value::Object(self.project_basic(p))
    }

    fn project_basic(&self, p: &Project) -> Map<String, Value> {
        let web = format!("{}/{}", self.base, p.path_with_namespace);
        let Value::Object(map) = json!({
            "id": p.id,
            "description": p.description,
            "name": p.name,
            "name_with_namespace": p.name_with_namespace,
            "path": p.path,
            "path_with_namespace": p.path_with_namespace,
            "created_at": ts(p.created_at),
            "default_branch": p.default_branch,
            "tag_list": p.topics,
            "topics": p.topics,
            "ssh_url_to_repo": format!("git@{}:{}.git", self.host(), p.path_with_namespace),
            "http_url_to_repo": format!("{web}.git"),
            "web_url": web,
            "avatar_url": self.avatar("project", p.id),
            "star_count": p.star_count,
            "last_activity_at": ts(p.last_activity_at),
            "visibility": p.visibility.as_str(),
            "namespace": self.project_namespace(p.owner),
        }) else {
            unreachable!("an object literal")
        };
        map
    }

    /// The full project entity; `permissions` is added when `access` is given (the
    /// `/projects` endpoints), left out otherwise (`/groups/:id/projects`).
    pub(crate) fn project_full(&self, p: &Project, access: Option<ProjectAccess>) -> Value {
        let mut m = self.project_basic(p);
        let web = format!("{}/{}", self.base, p.path_with_namespace);
        let api = format!("{}/api/v4/projects/{}", self.base, p.id);
        extend(
            &mut m,
            json!({
                "description_html": format!("<p data-sourcepos=\"1:1-1:{}\" dir=\"auto\">{}</p>", p.description.len(), p.description),
                "updated_at": ts(p.last_activity_at),
                "readme_url": format!("{web}/-/blob/{}/README.md", p.default_branch),
                "forks_count": 0,
                "container_registry_image_prefix": format!("{}:5050/{}", self.host(), p.path_with_namespace),
                "_links": {
                    "self": api,
                    "issues": format!("{api}/issues"),
                    "merge_requests": format!("{api}/merge_requests"),
                    "repo_branches": format!("{api}/repository/branches"),
                    "labels": format!("{api}/labels"),
                    "events": format!("{api}/events"),
                    "members": format!("{api}/members"),
                    "cluster_agents": format!("{api}/cluster_agents"),
                },
                "packages_enabled": true,
                "package_registry_access_level": "enabled",
                "empty_repo": p.empty_repo,
                "archived": p.archived,
                "resolve_outdated_diff_discussions": false,
                "container_expiration_policy": {
                    "cadence": "1d",
                    "enabled": false,
                    "keep_n": 10,
                    "older_than": "90d",
                    "name_regex": ".*",
                    "name_regex_keep": Value::Null,
                    "next_run_at": ts(p.created_at),
                },
            }),
        );
        extend(
            &mut m,
            json!({
                "issues_enabled": true,
                "merge_requests_enabled": true,
                "wiki_enabled": true,
                "jobs_enabled": true,
                "snippets_enabled": true,
                "container_registry_enabled": true,
                "service_desk_enabled": false,
                "can_create_merge_request_in": access.and_then(|a| a.max()).is_some_and(|l| l >= 30),
                "issues_access_level": "enabled",
                "repository_access_level": "enabled",
                "merge_requests_access_level": "enabled",
                "forking_access_level": "enabled",
                "wiki_access_level": "enabled",
                "builds_access_level": "enabled",
                "snippets_access_level": "enabled",
                "pages_access_level": "private",
                "analytics_access_level": "enabled",
                "container_registry_access_level": "enabled",
                "security_and_compliance_access_level": "private",
                "emails_disabled": false,
                "emails_enabled": true,
                "shared_runners_enabled": true,
                "group_runners_enabled": true,
                "lfs_enabled": true,
                "creator_id": p.creator_id,
                "import_url": Value::Null,
                "import_type": Value::Null,
                "import_status": "none",
                "import_error": Value::Null,
                "open_issues_count": p.id % 17,
            }),
        );
        extend(
            &mut m,
            json!({
                "ci_default_git_depth": 20,
                "ci_forward_deployment_enabled": true,
                "ci_forward_deployment_rollback_allowed": true,
                "ci_allow_fork_pipelines_to_run_in_parent_project": true,
                "ci_id_token_sub_claim_components": ["project_path", "ref_type", "ref"],
                "ci_job_token_scope_enabled": false,
                "ci_separated_caches": true,
                "ci_restrict_pipeline_cancellation_role": "developer",
                "ci_pipeline_variables_minimum_override_role": "developer",
                "ci_push_repository_for_job_token_allowed": false,
                "public_jobs": true,
                "build_timeout": 3600,
                "auto_cancel_pending_pipelines": "enabled",
                "ci_config_path": "",
                "shared_with_groups": [],
                "only_allow_merge_if_pipeline_succeeds": false,
                "allow_merge_on_skipped_pipeline": Value::Null,
                "allow_pipeline_trigger_approve_deployment": false,
                "restrict_user_defined_variables": false,
                "request_access_enabled": true,
                "only_allow_merge_if_all_discussions_are_resolved": false,
                "remove_source_branch_after_merge": true,
                "printing_merge_request_link_enabled": true,
                "merge_method": "merge",
                "squash_option": "default_off",
            }),
        );
        extend(
            &mut m,
            json!({
                "enforce_auth_checks_on_uploads": true,
                "suggestion_commit_message": Value::Null,
                "merge_commit_template": Value::Null,
                "squash_commit_template": Value::Null,
                "issue_branch_template": Value::Null,
                "auto_devops_enabled": false,
                "auto_devops_deploy_strategy": "continuous",
                "autoclose_referenced_issues": true,
                "keep_latest_artifact": true,
                "runner_token_expiration_interval": Value::Null,
                "external_authorization_classification_label": "",
                "requirements_enabled": false,
                "requirements_access_level": "enabled",
                "security_and_compliance_enabled": false,
                "secret_push_protection_enabled": false,
                "compliance_frameworks": [],
                "warn_about_potentially_unwanted_characters": true,
            }),
        );
        if let Some(a) = access {
            let level = |l: Option<u8>| {
                l.map_or(
                    Value::Null,
                    |l| json!({ "access_level": l, "notification_level": 3 }),
                )
            };
            m.insert(
                "permissions".into(),
                json!({ "project_access": level(a.project), "group_access": level(a.group) }),
            );
        }
        Value::Object(m)
    }

    // ----- members -----

    /// A member; `email` only when `show_email`.
    pub(crate) fn member(&self, m: &Member, show_email: bool) -> Value {
        let Some(u) = self.world.user(m.user_id) else {
            return Value::Null;
        };
        let mut map = self.user_basic(u);
        map.remove("locked");
        let created_by = self.world.user(m.created_by).map(|c| {
            let mut b = self.user_basic(c);
            b.remove("locked");
            Value::Object(b)
        });
        extend(
            &mut map,
            json!({
                "created_at": ts(m.created_at),
                "created_by": created_by,
                "expires_at": date(m.expires_at),
                "access_level": m.access_level,
                "group_saml_identity": Value::Null,
                "membership_state": "active",
                "locked": false,
            }),
        );
        if show_email {
            map.insert("email".into(), Value::String(u.email.clone()));
        }
        Value::Object(map)
    }

    // ----- hooks -----

    /// A project or group hook; `detail` adds `url_variables` and `custom_headers` (masked).
    pub(crate) fn hook(&self, h: &Hook, detail: bool) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(h.id));
        m.insert("url".into(), json!(h.url));
        m.insert("name".into(), json!(h.name));
        m.insert("description".into(), json!(h.description));
        match h.owner {
            HookOwner::Project(p) => m.insert("project_id".into(), json!(p)),
            HookOwner::Group(g) => m.insert("group_id".into(), json!(g)),
        };
        for (event, on) in &h.events {
            m.insert(event.clone(), Value::Bool(*on));
        }
        extend(
            &mut m,
            json!({
                "push_events_branch_filter": h.push_events_branch_filter,
                "branch_filter_strategy": h.branch_filter_strategy,
                "enable_ssl_verification": h.enable_ssl_verification,
                "alert_status": h.alert_status_at(Utc::now()).as_str(),
                "disabled_until": h.disabled_until.map(ts),
                "created_at": ts(h.created_at),
                "custom_webhook_template": h.custom_webhook_template,
            }),
        );
        if detail {
            let keys = |kv: &[(String, String)]| {
                kv.iter()
                    .map(|(k, _)| json!({ "key": k }))
                    .collect::<Vec<_>>()
            };
            m.insert("url_variables".into(), Value::Array(keys(&h.url_variables)));
            m.insert(
                "custom_headers".into(),
                Value::Array(keys(&h.custom_headers)),
            );
        }
        Value::Object(m)
    }

    // ----- tokens -----

    /// `GET /personal_access_tokens/self`.
    pub(crate) fn token(&self, t: &Token) -> Value {
        let active = !t.revoked && !t.expired(Utc::now().date_naive());
        json!({
            "id": t.id,
            "name": t.name,
            "revoked": t.revoked,
            "created_at": ts(t.created_at),
            "description": t.description,
            "scopes": t.scopes,
            "user_id": t.user_id,
            "last_used_at": t.last_used_at.map(ts),
            "last_used_ips": ["127.0.0.1"],
            "active": active,
            "expires_at": date(t.expires_at),
        })
    }
}
