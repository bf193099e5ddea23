//! Core of gitlab-onboard: the GitLab client and the wizard's steps as plain async functions.
//!
//! The crate knows nothing of Tauri: the desktop shell (`src-tauri/`) and the CLI (`src/main.rs`)
//! are thin layers over it. Steps, in the wizard's order:
//! 1. [`token`]: read and check the personal access token, keep it in the [`keychain`];
//! 2. [`scopes`]: ask GitLab what the token can do, who owns it and which projects it reaches;
//! 3. [`webhooks`]: the crawler's webhook on every project, automatic or by hand, verified.
//! 4. [`users`]: the user ID → email CSV, and [`upload`]: that CSV handed to the crawler's GCS bucket.
//!
//! Day two: [`status`] says whether the token and the webhooks still hold; [`rotate`] replaces
//! the token with a new one.

pub mod client;
pub mod error;
pub mod files;
pub mod instance;
pub mod keychain;
pub mod model;
pub mod rotate;
pub mod scopes;
pub mod secret;
pub mod status;
pub mod tls;
pub mod token;
pub mod upload;
pub mod users;
pub mod webhooks;

pub use client::{Client, ClientConfig};
pub use error::{ApiError, Error};
pub use instance::GitLabUrl;
pub use secret::Secret;
