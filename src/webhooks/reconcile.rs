//! Writes whose answer may be lost. A create, update, delete or test delivery that ends
//! without an answer (5xx, no answer in time, a broken connection: see
//! [`ApiError::may_have_landed`]) may still have been carried out, so the hooks are read again
//! and the write is sent again only when it did not land: never a blind retry, which would
//! leave a project with two hooks of ours.

use super::HookSpec;
use crate::client::Client;
use crate::error::ApiError;
use crate::model::ProjectHook;

/// Writes of one kind to one hook, lost answers included, before giving up.
const ATTEMPTS: u32 = 3;

/// Where hooks live: a project or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Home {
    /// `projects/:id/hooks`.
    Project(u64),
    /// `groups/:id/hooks`.
    Group(u64),
}

impl Home {
    fn hooks(self) -> String {
        match self {
            Home::Project(id) => format!("projects/{id}/hooks"),
            Home::Group(id) => format!("groups/{id}/hooks"),
        }
    }

    fn hook(self, hook: u64) -> String {
        format!("{}/{hook}", self.hooks())
    }
}

/// The hooks with our URL, as GitLab has them now.
async fn ours_now(
    client: &Client,
    home: Home,
    spec: &HookSpec,
) -> Result<Vec<ProjectHook>, ApiError> {
    let hooks: Vec<ProjectHook> = client.get_all(&home.hooks(), &[], |_| {}).await?;
    Ok(hooks
        .into_iter()
        .filter(|h| spec.url.matches(&h.url))
        .collect())
}

/// Creates our hook and returns it as GitLab has it. `before`: the IDs of the hooks with our
/// URL read before this write. When the answer is lost, a hook with our URL that was not
/// there before is the one this write made: it is adopted (and set as wanted if it differs);
/// when there is none, the hook is written again.
pub(super) async fn create(
    client: &Client,
    home: Home,
    spec: &HookSpec,
    before: &[u64],
) -> Result<ProjectHook, ApiError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let lost = match client
            .post::<_, ProjectHook>(&home.hooks(), &spec.body())
            .await
        {
            Ok(hook) => return Ok(hook),
            Err(e) if e.may_have_landed() => e,
            Err(e) => return Err(e),
        };
        let made = ours_now(client, home, spec)
            .await?
            .into_iter()
            .filter(|h| !before.contains(&h.id))
            .min_by_key(|h| h.id);
        if let Some(made) = made {
            return if spec.differences(&made).is_empty() {
                Ok(made)
            } else {
                update(client, home, made.id, spec, false).await
            };
        }
        if attempt >= ATTEMPTS {
            return Err(lost);
        }
    }
}

/// Sets the spec (secret included) on hook `id` and returns it as GitLab has it.
/// `secret_known`: the hook already has the current secret, so a re-read that shows the
/// wanted triggers proves the update; otherwise (GitLab never shows the secret) an update
/// whose answer was lost is sent again, which is safe: an update is idempotent.
pub(super) async fn update(
    client: &Client,
    home: Home,
    id: u64,
    spec: &HookSpec,
    secret_known: bool,
) -> Result<ProjectHook, ApiError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let lost = match client
            .put::<_, ProjectHook>(&home.hook(id), &spec.body())
            .await
        {
            Ok(hook) => return Ok(hook),
            Err(e) if e.may_have_landed() => e,
            Err(e) => return Err(e),
        };
        // A hook deleted meanwhile answers 404: reported as it is, never re-created here.
        let now: ProjectHook = client.get(&home.hook(id), &[]).await?;
        if secret_known && spec.differences(&now).is_empty() {
            return Ok(now);
        }
        if attempt >= ATTEMPTS {
            return Err(lost);
        }
    }
}

/// Deletes hook `id`. When the answer is lost, a re-read that no longer finds the hook
/// proves the delete; otherwise it is sent again.
pub(super) async fn delete(client: &Client, home: Home, id: u64) -> Result<(), ApiError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let lost = match client.delete(&home.hook(id)).await {
            Ok(()) => return Ok(()),
            Err(e) if e.may_have_landed() => e,
            Err(e) => return Err(e),
        };
        match client.get::<ProjectHook>(&home.hook(id), &[]).await {
            Err(ApiError::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
            Ok(_) if attempt >= ATTEMPTS => return Err(lost),
            Ok(_) => {}
        }
    }
}

/// Asks GitLab to send a test push event through hook `id`. `Ok` when the receiver answered
/// 2xx (which also re-enables a disabled hook); 422 carries the receiver's answer. A test
/// whose answer was lost proves nothing and changes nothing but a disabled hook's state, so
/// it is sent again (GitLab allows 5 a minute per project or group).
pub(super) async fn test(client: &Client, home: Home, id: u64) -> Result<(), ApiError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match client
            .post::<_, serde::de::IgnoredAny>(
                &format!("{}/test/push_events", home.hook(id)),
                &serde_json::json!({}),
            )
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if e.may_have_landed() && attempt < ATTEMPTS => {}
            Err(e) => return Err(e),
        }
    }
}

/// GitLab's `alert_status` and `disabled_until` when it has disabled a hook.
pub(super) fn disabled(hook: &ProjectHook) -> Option<String> {
    let status = hook
        .alert_status
        .as_deref()
        .filter(|s| *s != "executable")?;
    let until = hook
        .disabled_until
        .as_deref()
        .map(|u| format!(" until {u}"))
        .unwrap_or_default();
    Some(format!("{status}{until}"))
}
