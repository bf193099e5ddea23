//! `gitlab-sim`: a stateful simulator of GitLab's REST API (v4) for integration tests,
//! benchmarks and the desktop app's demo mode.
//!
//! It follows GitLab's documented behaviour (see `shared/gitlab/api-notes.md`): token
//! authentication and scopes, projects and groups with inherited roles, project and group
//! webhooks, members, users, offset and keyset pagination, and rate limiting.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use gitlab_sim::{Simulator, World, tokens};
//! let sim = Simulator::start(World::demo()).await?;
//! println!("GitLab at {} — try token {}", sim.url(), tokens::API);
//! let hooks = sim.state(|w| w.hooks().count());
//! # let _ = hooks; Ok(()) }
//! ```

mod auth;
mod entities;
mod error;
pub mod model;
mod paginate;
mod params;
mod ratelimit;
mod rng;
mod rotation;
mod routes;
mod seed;
mod server;
pub mod tokens;
mod world;

pub use model::{
    AlertStatus, Group, Hook, HookOwner, Id, Member, Owner, Project, Source, Token, TokenKind,
    User, UserKind, VersionInfo, Visibility, access,
};
pub use ratelimit::{HeaderShape, RateLimit};
pub use seed::WorldSpec;
pub use server::{Knobs, Meanwhile, REQUEST_LOG, RequestRecord, Simulator};
pub use world::{MembersAll, NamespaceRef, ProjectAccess, World};
