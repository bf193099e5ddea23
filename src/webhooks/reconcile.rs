//! Writes whose answer may be lost. A create, update, delete or test delivery that ends
//! without an answer (5xx, no answer in time, a broken connection: see
//! [`ApiError::may_have_landed`]) may still have been carried out, so the hooks are read again
//! and the write is sent again only when it did not land: never a blind retry, which would
//! leave a project with two hooks of ours. After a timeout or a 504, GitLab may still be
//! carrying the write out, so the re-read waits first ([`SettleWait`]). A hook that changed
//! meanwhile (another URL, or credentials) is never written.

use std::sync::Mutex;
use std::time::Duration;

use super::{Action, HookSpec};
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
    pub(super) fn hooks(self) -> String {
        match self {
            Home::Project(id) => format!("projects/{id}/hooks"),
            Home::Group(id) => format!("groups/{id}/hooks"),
        }
    }

    pub(super) fn hook(self, hook: u64) -> String {
        format!("{}/{hook}", self.hooks())
    }
}

/// The hooks with our URL, as GitLab has them now.
pub(super) async fn ours_now(
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

/// How long to wait for a write GitLab may still be carrying out (its answer ran out of time,
/// or a proxy answered 504) before taking a re-read that does not show it as proof it did
/// not land: the first wait, doubled after each re-read, until `total` has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettleWait {
    /// The first wait.
    pub first: Duration,
    /// All waits together, at most.
    pub total: Duration,
}

impl SettleWait {
    /// 2 s, then 4, 8, 16… up to 60 s in all.
    pub const DEFAULT: SettleWait = SettleWait {
        first: Duration::from_secs(2),
        total: Duration::from_secs(60),
    };
}

/// The wait in force.
static SETTLE: Mutex<SettleWait> = Mutex::new(SettleWait::DEFAULT);

/// Sets how long every later run waits for a write GitLab may still be carrying out (see
/// [`SettleWait`]; tests and demos shorten it). Process-wide.
pub fn set_settle_wait(wait: SettleWait) {
    *SETTLE.lock().unwrap_or_else(|e| e.into_inner()) = wait;
}

fn settle_wait() -> SettleWait {
    *SETTLE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits `d`, or stops when the run is cancelled.
async fn pause(client: &Client, d: Duration) -> Result<(), ApiError> {
    let cancel = client.cancellation();
    tokio::select! {
        _ = cancel.cancelled() => Err(ApiError::Cancelled),
        _ = tokio::time::sleep(d) => Ok(()),
    }
}

/// The hooks with our URL that were not there before (`before`: their IDs), lowest ID first.
/// `lost`: why the create's answer was lost; when GitLab may still be carrying it out
/// ([`ApiError::may_still_land`]), re-reads follow waits ([`SettleWait`]) until one shows a
/// new hook or the waits are spent.
async fn new_hooks(
    client: &Client,
    home: Home,
    spec: &HookSpec,
    before: &[u64],
    lost: &ApiError,
) -> Result<Vec<ProjectHook>, ApiError> {
    let read = || async {
        let mut made: Vec<ProjectHook> = ours_now(client, home, spec)
            .await?
            .into_iter()
            .filter(|h| !before.contains(&h.id))
            .collect();
        made.sort_by_key(|h| h.id);
        Ok::<_, ApiError>(made)
    };
    if !lost.may_still_land() {
        return read().await;
    }
    let SettleWait { first, total } = settle_wait();
    let mut waited = Duration::ZERO;
    let mut wait = first.min(total);
    loop {
        pause(client, wait).await?;
        waited += wait;
        let made = read().await?;
        if !made.is_empty() || waited >= total {
            return Ok(made);
        }
        wait = (wait * 2).min(total - waited).max(Duration::from_millis(1));
    }
}

/// A hook this tool created, as GitLab has it, and further new hooks with our URL seen after
/// a create whose answer was lost was sent again (the lost one landed after all).
#[derive(Debug)]
struct Created {
    /// Ours.
    pub hook: ProjectHook,
    /// New hooks with our URL besides ours: reported as duplicates.
    pub duplicates: Vec<u64>,
}

/// Creates our hook and returns it as GitLab has it. `before`: the IDs of the hooks with our
/// URL read before this write. When the answer is lost, the hooks are read again (after
/// waiting when GitLab may still be carrying the write out, see [`SettleWait`]): one new hook
/// with our URL is the one this write made, and it is adopted and set as wanted (a PUT of the
/// whole spec, secret included: someone else may have added it meanwhile); several are
/// reported ([`ApiError::SeveralNewHooks`]) and none is adopted; none means the write did not
/// land, and it is sent again. After a create sent again, the hooks are read once more and
/// other new hooks with our URL are returned as duplicates.
async fn create(
    client: &Client,
    home: Home,
    spec: &HookSpec,
    before: &[u64],
) -> Result<Created, ApiError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let lost = match client
            .post::<_, ProjectHook>(&home.hooks(), &spec.body())
            .await
        {
            Ok(hook) if attempt == 1 => {
                return Ok(Created {
                    hook,
                    duplicates: Vec::new(),
                });
            }
            Ok(hook) => {
                // The hook is made: a failed read leaves the duplicates to the next run.
                let duplicates = ours_now(client, home, spec)
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .map(|h| h.id)
                    .filter(|id| !before.contains(id) && *id != hook.id)
                    .collect();
                return Ok(Created { hook, duplicates });
            }
            Err(e) if e.may_have_landed() => e,
            Err(e) => return Err(e),
        };
        let made = new_hooks(client, home, spec, before, &lost).await?;
        match made.as_slice() {
            [] if attempt >= ATTEMPTS => return Err(lost),
            [] => {}
            [made] => {
                let hook = update(client, home, made.id, spec, false).await?;
                return Ok(Created {
                    hook,
                    duplicates: Vec::new(),
                });
            }
            several => {
                return Err(ApiError::SeveralNewHooks {
                    path: home.hooks(),
                    hooks: several.iter().map(|h| h.id).collect(),
                });
            }
        }
    }
}

/// Carries out what a plan decided for one home: a create, or an update of hook `hook_id`
/// (nothing for any other action), and returns the hook as GitLab then has it. The hooks with
/// our URL before the write are `hook_id` and `duplicates`; other new hooks with our URL that
/// a lost create's re-read found join `duplicates`. `known` tells a hook whose secret is ours.
pub(super) async fn write(
    client: &Client,
    home: Home,
    spec: &HookSpec,
    action: &Action,
    hook_id: Option<u64>,
    duplicates: &mut Vec<u64>,
    known: impl Fn(u64) -> bool,
) -> Result<Option<ProjectHook>, ApiError> {
    match (action, hook_id) {
        (Action::Create, _) => {
            let before: Vec<u64> = hook_id
                .into_iter()
                .chain(duplicates.iter().copied())
                .collect();
            let made = create(client, home, spec, &before).await?;
            duplicates.extend(made.duplicates);
            Ok(Some(made.hook))
        }
        (Action::Update { .. }, Some(id)) => {
            update(client, home, id, spec, known(id)).await.map(Some)
        }
        _ => Ok(None),
    }
}

/// Sets the spec (secret included) on hook `id` and returns it as GitLab has it.
/// `secret_known`: the hook already has the current secret, so a re-read that shows the
/// wanted triggers proves the update; otherwise (GitLab never shows the secret) an update
/// whose answer was lost is sent again, which is safe: an update is idempotent. A re-read
/// that shows the hook no longer has our URL (or now carries credentials) stops with
/// [`ApiError::HookChanged`]: someone changed it meanwhile, and it is not ours to write.
async fn update(
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
        if !spec.url.matches(&now.url) {
            return Err(ApiError::HookChanged {
                path: home.hooks(),
                hook: id,
            });
        }
        if secret_known && spec.differences(&now).is_empty() {
            return Ok(now);
        }
        if attempt >= ATTEMPTS {
            return Err(lost);
        }
    }
}

/// Deletes hook `id`. When the answer is lost, a re-read that no longer finds the hook
/// proves the delete; one that finds it with our URL sends it again; one that finds it
/// changed (another URL, or credentials) stops with [`ApiError::HookChanged`].
pub(super) async fn delete(
    client: &Client,
    home: Home,
    id: u64,
    spec: &HookSpec,
) -> Result<(), ApiError> {
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
            Ok(now) if !spec.url.matches(&now.url) => {
                return Err(ApiError::HookChanged {
                    path: home.hooks(),
                    hook: id,
                });
            }
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

/// GitLab's `alert_status` and `disabled_until` when it has disabled a hook: an
/// `alert_status` other than `executable`, or a `disabled_until` still to come (GitLab
/// reports both together; either alone is taken as disabled).
pub(super) fn disabled(hook: &ProjectHook) -> Option<String> {
    let until = hook.disabled_until.as_deref().filter(|u| !u.is_empty());
    let suffix = until.map(|u| format!(" until {u}")).unwrap_or_default();
    match hook.alert_status.as_deref() {
        Some(status) if status != "executable" => Some(format!("{status}{suffix}")),
        _ => until
            .filter(|u| {
                chrono::DateTime::parse_from_rfc3339(u).is_ok_and(|t| t > chrono::Utc::now())
            })
            .map(|_| format!("temporarily_disabled{suffix}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(alert_status: Option<&str>, disabled_until: Option<&str>) -> ProjectHook {
        serde_json::from_value(serde_json::json!({
            "id": 1,
            "url": "https://c.example.com/e",
            "alert_status": alert_status,
            "disabled_until": disabled_until,
        }))
        .unwrap()
    }

    #[test]
    fn disabled_by_alert_status_or_a_disabled_until_to_come() {
        assert_eq!(disabled(&hook(Some("executable"), None)), None);
        assert_eq!(disabled(&hook(None, None)), None);
        assert_eq!(
            disabled(&hook(Some("disabled"), None)).as_deref(),
            Some("disabled")
        );
        assert_eq!(
            disabled(&hook(
                Some("temporarily_disabled"),
                Some("2030-01-01T00:00:00Z")
            ))
            .as_deref(),
            Some("temporarily_disabled until 2030-01-01T00:00:00Z")
        );
        // A disabled_until still to come disables the hook whatever alert_status says; one
        // past (GitLab keeps it once the hook works again) or unreadable does not.
        assert!(disabled(&hook(Some("executable"), Some("2999-01-01T00:00:00Z"))).is_some());
        assert!(disabled(&hook(None, Some("2999-01-01T00:00:00.000+02:00"))).is_some());
        assert_eq!(
            disabled(&hook(Some("executable"), Some("2001-01-01T00:00:00Z"))),
            None
        );
        assert_eq!(disabled(&hook(None, Some("soon"))), None);
    }
}
