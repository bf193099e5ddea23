//! What the app remembers between commands: the keychain, the signed-in session and the
//! report of step 2, so later steps reuse it instead of asking GitLab again.

use gitlab_onboard::instance::GITLAB_COM;
use gitlab_onboard::keychain::{Keychain, KeychainError};
use gitlab_onboard::scopes::{DetectProgress, TokenReport};
use gitlab_onboard::token::{Session, TokenInfo};
use gitlab_onboard::{GitLabUrl, Secret};
use serde::Serialize;
use tauri::async_runtime::Mutex;

use crate::demo::{Demo, DemoInfo};
use crate::error::CommandError;

/// Where tokens go, as the Token screen explains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeychainStatus {
    /// The OS keychain.
    System,
    /// Process memory (demo mode without a Secret Service); `message` says so.
    Memory {
        /// Shown on the Token screen.
        message: String,
    },
    /// None: signing in fails until one runs; `message` says what to start.
    Unavailable {
        /// Shown on the Token screen.
        message: String,
    },
}

/// The keychain chosen at start.
pub enum KeychainChoice {
    /// The OS keychain answered.
    System(Keychain),
    /// Demo mode without a Secret Service: process memory; the message says so.
    Memory(Keychain, String),
    /// No keychain: the message says what to install or start.
    Unavailable(String),
}

impl KeychainChoice {
    /// The OS keychain if it answers; otherwise, in demo mode, process memory, and outside it
    /// nothing (signing in then fails with what to install or start).
    pub fn detect(demo: bool) -> Self {
        match usable_system_keychain() {
            Ok(keychain) => Self::System(keychain),
            Err(detail) if demo => Self::Memory(
                Keychain::in_memory(),
                format!(
                    "No system keychain answered ({detail}): the demo keeps its token in memory, for this run only."
                ),
            ),
            Err(detail) => Self::Unavailable(CommandError::keychain_unavailable(&detail).message),
        }
    }

    /// The store to keep a token in.
    fn keychain(&self) -> Result<&Keychain, CommandError> {
        match self {
            Self::System(k) | Self::Memory(k, _) => Ok(k),
            Self::Unavailable(message) => Err(CommandError {
                code: "keychain",
                message: message.clone(),
            }),
        }
    }

    /// How the Token screen describes it.
    fn status(&self) -> KeychainStatus {
        match self {
            Self::System(_) => KeychainStatus::System,
            Self::Memory(_, message) => KeychainStatus::Memory {
                message: message.clone(),
            },
            Self::Unavailable(message) => KeychainStatus::Unavailable {
                message: message.clone(),
            },
        }
    }
}

/// Opens the OS keychain and reads an entry that never exists: a locked or absent Secret
/// Service fails here, at start, rather than after GitLab accepted the token.
fn usable_system_keychain() -> Result<Keychain, String> {
    let detail = |e: KeychainError| match e {
        KeychainError::Unavailable(d) | KeychainError::Failed(d) => d,
    };
    let keychain = Keychain::system().map_err(detail)?;
    let probe = GitLabUrl::parse("https://keychain-probe.invalid").expect("a valid URL");
    keychain.token(&probe).map_err(detail)?;
    Ok(keychain)
}

/// What the window needs before the first screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AppInfo {
    /// The URL field's default.
    pub default_url: &'static str,
    /// Set in demo mode.
    pub demo: Option<DemoInfo>,
    /// Where the token will be kept.
    pub keychain: KeychainStatus,
}

/// Step 1's result for the window. The token itself never goes back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SignedIn {
    /// The instance, normalised (`https://host[/prefix]`).
    pub gitlab_url: String,
    /// The token's name, when GitLab says.
    pub token_name: Option<String>,
    /// Where the token was kept.
    pub keychain: TokenStore,
    /// True when the token and URL are those of the session before: the session, step 2's
    /// report and what later steps built with them are kept.
    pub kept: bool,
}

/// Where an accepted token was kept (sent as `"system"` or `"memory"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TokenStore {
    /// The OS keychain: it outlives the app.
    System,
    /// Process memory (demo mode without a Secret Service): gone when the app quits.
    Memory,
}

/// The session and what was learned with it. `generation` counts sign-ins, so a detection
/// that outlived its session does not store its report.
#[derive(Default)]
struct Wizard {
    generation: u64,
    session: Option<Session>,
    /// The session's token, to tell a sign-in with the same one (which keeps the session).
    token: Option<Secret>,
    report: Option<TokenReport>,
}

/// The app's managed state.
pub struct AppState {
    keychain: KeychainChoice,
    demo: Option<Demo>,
    wizard: Mutex<Wizard>,
}

impl AppState {
    /// State for a new window: nobody signed in yet.
    pub fn new(keychain: KeychainChoice, demo: Option<Demo>) -> Self {
        Self {
            keychain,
            demo,
            wizard: Mutex::default(),
        }
    }

    /// Start-up facts for the window.
    pub fn info(&self) -> AppInfo {
        AppInfo {
            default_url: GITLAB_COM,
            demo: self.demo.as_ref().map(Demo::info),
            keychain: self.keychain.status(),
        }
    }

    /// Step 1: checks the token with GitLab and keeps it in the keychain (only if accepted).
    /// A new sign-in replaces the session, cancels its requests and forgets its report; one
    /// with the token and URL of the current session keeps it all (`kept`).
    pub async fn sign_in(&self, url: &str, token: &Secret) -> Result<SignedIn, CommandError> {
        let keychain = self.keychain.keychain()?;
        let session = gitlab_onboard::token::sign_in(url, token.expose(), keychain).await?;
        let mut signed_in = SignedIn {
            gitlab_url: session.client.url().to_string(),
            token_name: match &session.info {
                TokenInfo::Personal(t) => t.name.clone(),
                _ => None,
            },
            keychain: if keychain.is_persistent() {
                TokenStore::System
            } else {
                TokenStore::Memory
            },
            kept: false,
        };
        let mut wizard = self.wizard.lock().await;
        let same = wizard.token.as_ref() == Some(token)
            && wizard
                .session
                .as_ref()
                .is_some_and(|s| s.client.url() == session.client.url());
        if same {
            signed_in.kept = true;
            return Ok(signed_in);
        }
        if let Some(old) = wizard.session.replace(session) {
            old.client.cancel();
        }
        wizard.token = Some(token.clone());
        wizard.report = None;
        wizard.generation += 1;
        Ok(signed_in)
    }

    /// Signs in with the token the keychain holds for `url` (the app opened again); `None`
    /// when it holds none.
    pub async fn sign_in_saved(&self, url: &str) -> Result<Option<SignedIn>, CommandError> {
        let instance = GitLabUrl::parse(url).map_err(gitlab_onboard::Error::from)?;
        let token = self
            .keychain
            .keychain()?
            .token(&instance)
            .map_err(gitlab_onboard::Error::Keychain)?;
        match token {
            Some(token) => self.sign_in(instance.as_str(), &token).await.map(Some),
            None => Ok(None),
        }
    }

    /// Forgets the session and everything learned with it (Start over); the keychain keeps
    /// the token.
    pub async fn sign_out(&self) {
        let mut wizard = self.wizard.lock().await;
        if let Some(old) = wizard.session.take() {
            old.client.cancel();
        }
        wizard.token = None;
        wizard.report = None;
        wizard.generation += 1;
    }

    /// Step 2: the report of this session, asking GitLab only the first time or on `refresh`.
    pub async fn detect(
        &self,
        refresh: bool,
        progress: &(dyn Fn(DetectProgress) + Send + Sync),
    ) -> Result<TokenReport, CommandError> {
        let (session, generation) = {
            let wizard = self.wizard.lock().await;
            if let (false, Some(report)) = (refresh, &wizard.report) {
                return Ok(report.clone());
            }
            (
                wizard
                    .session
                    .clone()
                    .ok_or_else(CommandError::not_signed_in)?,
                wizard.generation,
            )
        };
        let report = gitlab_onboard::scopes::detect(&session, progress).await?;
        let mut wizard = self.wizard.lock().await;
        if wizard.generation == generation {
            wizard.report = Some(report.clone());
        }
        Ok(report)
    }

    /// The current sign-in generation: a result from an older one is stale.
    pub async fn generation(&self) -> u64 {
        self.wizard.lock().await.generation
    }

    /// For the steps after 2: the session, step 2's report (never asked for again here) and
    /// the sign-in generation they belong to, so a later result can be tied to this sign-in.
    pub async fn session_and_report(&self) -> Result<(Session, TokenReport, u64), CommandError> {
        let wizard = self.wizard.lock().await;
        let session = wizard
            .session
            .clone()
            .ok_or_else(CommandError::not_signed_in)?;
        let report = wizard.report.clone().ok_or_else(CommandError::no_report)?;
        Ok((session, report, wizard.generation))
    }

    /// The signed-in session and its sign-in generation (step 2 not needed).
    pub async fn session(&self) -> Result<(Session, u64), CommandError> {
        let wizard = self.wizard.lock().await;
        let session = wizard
            .session
            .clone()
            .ok_or_else(CommandError::not_signed_in)?;
        Ok((session, wizard.generation))
    }

    /// The GitLab instance signed in to.
    pub async fn instance(&self) -> Result<gitlab_onboard::GitLabUrl, CommandError> {
        let wizard = self.wizard.lock().await;
        let session = wizard
            .session
            .as_ref()
            .ok_or_else(CommandError::not_signed_in)?;
        Ok(session.client.url().clone())
    }

    /// The keychain in use, or an error that says what to start.
    pub fn keychain(&self) -> Result<&Keychain, CommandError> {
        self.keychain.keychain()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use gitlab_onboard::scopes::Mode;
    use gitlab_sim::{Simulator, World, tokens};

    use super::*;

    fn in_memory() -> (AppState, Keychain) {
        let keychain = Keychain::in_memory();
        (
            AppState::new(
                KeychainChoice::Memory(keychain.clone(), "in memory (test)".into()),
                None,
            ),
            keychain,
        )
    }

    fn stored(keychain: &Keychain, url: &str) -> Option<String> {
        keychain
            .token(&GitLabUrl::parse(url).unwrap())
            .unwrap()
            .map(|t| t.expose().to_owned())
    }

    /// Runs a detection and returns its report with the stages it reported.
    async fn detect(
        state: &AppState,
        refresh: bool,
    ) -> (Result<TokenReport, CommandError>, Vec<String>) {
        let stages = StdMutex::new(Vec::new());
        let record = |p: DetectProgress| stages.lock().unwrap().push(p.stage);
        let result = state.detect(refresh, &record).await;
        (result, stages.into_inner().unwrap())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn accepted_token_is_kept_and_its_report_reused() {
        let sim = Simulator::start(World::demo()).await.unwrap();
        let (state, keychain) = in_memory();

        let signed_in = state
            .sign_in(&format!(" {}/ ", sim.url()), &Secret::new(tokens::API))
            .await
            .unwrap();
        assert_eq!(signed_in.gitlab_url, sim.url());
        assert_eq!(signed_in.keychain, TokenStore::Memory);
        assert_eq!(stored(&keychain, &sim.url()).as_deref(), Some(tokens::API));

        let (first, stages) = detect(&state, false).await;
        let first = first.unwrap();
        assert_eq!(first.mode, Mode::Automatic);
        assert!(stages.iter().any(|s| s == "projects"), "{stages:?}");

        let (again, stages) = detect(&state, false).await;
        assert_eq!(again.unwrap(), first);
        assert!(
            stages.is_empty(),
            "a second look reuses the report: {stages:?}"
        );

        let (refreshed, stages) = detect(&state, true).await;
        assert_eq!(refreshed.unwrap().counts, first.counts);
        assert!(!stages.is_empty(), "refresh asks GitLab again");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn refused_token_stores_nothing_and_signs_nobody_in() {
        let sim = Simulator::start(World::demo()).await.unwrap();
        let (state, keychain) = in_memory();

        let err = state
            .sign_in(&sim.url(), &Secret::new(tokens::EXPIRED))
            .await
            .unwrap_err();
        assert_eq!(err.code, "token_expired", "{err:?}");
        assert_eq!(stored(&keychain, &sim.url()), None);
        assert_eq!(
            detect(&state, false).await.0.unwrap_err(),
            CommandError::not_signed_in()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn new_sign_in_forgets_the_previous_report() {
        let sim = Simulator::start(World::demo()).await.unwrap();
        let (state, keychain) = in_memory();

        state
            .sign_in(&sim.url(), &Secret::new(tokens::API))
            .await
            .unwrap();
        assert_eq!(detect(&state, false).await.0.unwrap().mode, Mode::Automatic);
        state
            .sign_in(&sim.url(), &Secret::new(tokens::READ_ONLY))
            .await
            .unwrap();
        assert_eq!(detect(&state, false).await.0.unwrap().mode, Mode::Manual);
        assert_eq!(
            stored(&keychain, &sim.url()).as_deref(),
            Some(tokens::READ_ONLY)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_same_token_again_keeps_the_session_and_report() {
        let sim = Simulator::start(World::demo()).await.unwrap();
        let (state, _keychain) = in_memory();
        let first = state
            .sign_in(&sim.url(), &Secret::new(tokens::API))
            .await
            .unwrap();
        assert!(!first.kept);
        detect(&state, false).await.0.unwrap();
        let generation = state.generation().await;
        let again = state
            .sign_in(&format!("{}/", sim.url()), &Secret::new(tokens::API))
            .await
            .unwrap();
        assert!(again.kept);
        assert_eq!(state.generation().await, generation);
        let (_, stages) = detect(&state, false).await;
        assert!(stages.is_empty(), "the report is kept: {stages:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_keychain_token_signs_in_again_and_sign_out_forgets_all() {
        let sim = Simulator::start(World::demo()).await.unwrap();
        let (state, _keychain) = in_memory();
        assert_eq!(state.sign_in_saved(&sim.url()).await, Ok(None));
        state
            .sign_in(&sim.url(), &Secret::new(tokens::API))
            .await
            .unwrap();
        state.sign_out().await;
        assert_eq!(
            detect(&state, false).await.0.unwrap_err(),
            CommandError::not_signed_in()
        );
        let resumed = state.sign_in_saved(&sim.url()).await.unwrap().unwrap();
        assert_eq!(resumed.gitlab_url, sim.url());
        assert!(!resumed.kept);
        assert_eq!(detect(&state, false).await.0.unwrap().mode, Mode::Automatic);
        assert_eq!(
            state.sign_in_saved("not a url").await.unwrap_err().code,
            "invalid_input"
        );
    }

    #[tokio::test]
    async fn without_a_keychain_sign_in_fails_before_asking_gitlab() {
        let state = AppState::new(
            KeychainChoice::Unavailable("start gnome-keyring".into()),
            None,
        );
        // Nothing listens on port 9: a request would fail as `unreachable`.
        let err = state
            .sign_in("http://127.0.0.1:9", &Secret::new(tokens::API))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            CommandError {
                code: "keychain",
                message: "start gnome-keyring".into()
            }
        );
        assert_eq!(
            state.info().keychain,
            KeychainStatus::Unavailable {
                message: "start gnome-keyring".into()
            }
        );
    }
}
