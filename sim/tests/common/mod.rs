//! Helpers shared by the integration tests: a small HTTP client bound to one simulator.

#![allow(dead_code)] // each test binary uses a different subset

use gitlab_sim::Simulator;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// A response: status, headers and body (JSON when it parses, else a string).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The URL of the `rel="next"` link, if any.
    pub fn next_link(&self) -> Option<String> {
        let link = self.header("link")?;
        link.split(", ")
            .find(|l| l.ends_with("rel=\"next\""))
            .map(|l| {
                l.trim_start_matches('<')
                    .split(">;")
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
    }
}

/// A client for the simulator's plain HTTP. In a workspace build reqwest also has rustls
/// without a provider (the core's choice), so one is installed first: ring, the core's.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// Talks to one simulator.
pub struct Api {
    pub base: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(sim: &Simulator) -> Api {
        Api {
            base: sim.url(),
            http: http(),
        }
    }

    /// Sends a request to `path` (relative to `/api/v4` unless it starts with `http` or
    /// `/oauth`) with an optional token in `PRIVATE-TOKEN` and an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let url = if path.starts_with("http") {
            path.to_string()
        } else if path.starts_with("/oauth") || path.starts_with("/uploads") {
            format!("{}{path}", self.base)
        } else {
            format!("{}/api/v4{path}", self.base)
        };
        let mut req = self.http.request(method, &url);
        if let Some(t) = token {
            req = req.header("PRIVATE-TOKEN", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// GETs `path` and walks `rel="next"` links; returns every page.
    pub async fn walk(&self, path: &str, token: &str) -> Vec<Reply> {
        let mut pages = vec![self.get(path, token).await];
        while let Some(next) = pages.last().and_then(Reply::next_link) {
            assert!(
                next.starts_with(&self.base),
                "next link {next} is on the sim's base URL"
            );
            assert!(pages.len() < 100_000, "pagination does not end");
            pages.push(self.get(&next, token).await);
        }
        pages
    }
}
