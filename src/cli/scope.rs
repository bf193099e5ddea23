//! What `webhooks` and `status` look at: the crawler's hook and the projects in scope.

use clap::Args as ClapArgs;

use gitlab_onboard::Error;
use gitlab_onboard::webhooks::{EventUrl, Selection, Triggers};

/// Options shared by the webhook commands and `status`.
#[derive(Debug, ClapArgs)]
pub struct HookScope {
    /// The crawler's event URL (HTTPS; loopback allowed for tests).
    #[arg(long, env = "CRAWLER_EVENT_URL")]
    pub event_url: String,
    /// An environment variable holding the webhook secret (else the keychain; apply makes one).
    /// On a host without a keychain, also set GITLAB_ONBOARD_FINGERPRINT_KEY (32+ random
    /// characters, the same on every run): the key of the hook fingerprints.
    #[arg(long, value_name = "VAR")]
    pub secret_env: Option<String>,
    /// Only projects in this group and its subgroups (repeatable).
    #[arg(long = "group", value_name = "PATH")]
    pub groups: Vec<String>,
    /// Only this project, by ID or path (repeatable).
    #[arg(long = "project", value_name = "ID|PATH")]
    pub projects: Vec<String>,
    /// Include archived projects.
    #[arg(long)]
    pub include_archived: bool,
    /// The hook sends tag push events too (`status`: as applied with it).
    #[arg(long)]
    pub tag_push: bool,
    /// The hook sends confidential issues and comments too (`status`: as applied with it).
    #[arg(long)]
    pub confidential: bool,
}

impl HookScope {
    /// The event URL, checked.
    pub fn event_url(&self) -> Result<EventUrl, Error> {
        Ok(EventUrl::parse(&self.event_url)?)
    }

    /// The projects asked for.
    pub fn selection(&self) -> Selection {
        Selection {
            groups: self.groups.clone(),
            projects: self.projects.clone(),
            include_archived: self.include_archived,
        }
    }

    /// The wanted triggers: the default five, plus `--tag-push` and `--confidential`.
    pub fn triggers(&self) -> Triggers {
        Triggers::chosen(self.tag_push, self.confidential)
    }
}
