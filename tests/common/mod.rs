//! Shared set-up for the integration tests: a simulator and clients pointed at it.

#![allow(dead_code)] // each test crate uses a different part

use gitlab_onboard::client::ClientConfig;
use gitlab_onboard::token::Session;
use gitlab_onboard::{Client, Error, GitLabUrl, Secret};
use gitlab_sim::{Simulator, World};

/// A simulator with the demo world.
pub async fn demo() -> Simulator {
    Simulator::start(World::demo())
        .await
        .expect("the simulator starts")
}

/// A client configuration for the simulator with a well-known token, retrying little.
pub fn config(sim: &Simulator, token: &str) -> ClientConfig {
    let mut c = ClientConfig::new(GitLabUrl::parse(&sim.url()).unwrap(), Secret::new(token));
    c.max_attempts = 3;
    c
}

/// A client for the simulator.
pub fn client(sim: &Simulator, token: &str) -> Client {
    Client::new(config(sim, token)).unwrap()
}

/// Step 1 against the simulator, without the keychain.
pub async fn session(sim: &Simulator, token: &str) -> Result<Session, Error> {
    Session::open(config(sim, token)).await
}

/// The main user's ID in the simulator's world.
pub fn main_user(sim: &Simulator) -> u64 {
    sim.state(|w| {
        w.user_by_username(gitlab_sim::tokens::MAIN_USER)
            .expect("main user")
            .id
    })
}
