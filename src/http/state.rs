//! The state every face shares: the store it reads, the configuration, the sync trigger and
//! the request metrics. What only one face needs (the API's response cache, the web page's
//! search catalogs) lives in that face, not here.

use crate::http::listener::ConnStats;
use crate::http::metrics::Metrics;
use crate::store::Store;
use arc_swap::ArcSwap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// What the faces need besides the store.
#[derive(Clone, Debug, Default)]
pub struct ApiConfig {
    /// `Cache-Control: max-age` of API responses, in seconds.
    pub cache_max_age: u64,
    /// With a token, `/v0.1` and `/v0` need `Authorization: Bearer <token>`.
    pub read_token: Option<String>,
}

/// Time limits of one request (README, "Limits and hardening").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeLimits {
    /// From the request head to the response: a handler, and reading the body it asks for.
    pub request_timeout: Duration,
    /// Between two pieces of a request body.
    pub body_timeout: Duration,
}

impl Default for EdgeLimits {
    fn default() -> Self {
        EdgeLimits {
            request_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(10),
        }
    }
}

/// One `Arc`: axum clones the state for every request and every middleware, and one
/// reference count is cheaper than one per field (the fields are read through `Deref`).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What `AppState` holds.
#[derive(Clone)]
pub struct Shared {
    pub store: Arc<Store>,
    pub config: Arc<ApiConfig>,
    /// Fired to sync now (a webhook); the sync loop coalesces the wake-ups.
    pub sync_now: Arc<tokio::sync::Notify>,
    /// With a secret, `POST /webhook` triggers a sync; without, it does not exist.
    pub webhook_secret_file: Option<Arc<Path>>,
    /// Lets one read of the webhook secret file run at a time: a read that hangs (a network
    /// mount) keeps it, so a hung mount costs one blocked thread, not one per delivery.
    pub webhook_gate: Arc<tokio::sync::Semaphore>,
    pub metrics: Arc<Metrics>,
    /// The read token in force: `config.read_token` at start, replaced when its file changes
    /// (`server` watches it). Why `ArcSwap`: every API request reads it, a rotation writes it.
    pub read_token: Option<Arc<ArcSwap<String>>>,
    /// What the main listener counts (connections open, accepted, waits at the cap).
    pub connections: Arc<ConnStats>,
    pub limits: EdgeLimits,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(store: Arc<Store>, config: ApiConfig) -> AppState {
        let read_token = config
            .read_token
            .clone()
            .map(|t| Arc::new(ArcSwap::from_pointee(t)));
        AppState(Arc::new(Shared {
            store,
            read_token,
            config: Arc::new(config),
            sync_now: Arc::new(tokio::sync::Notify::new()),
            webhook_secret_file: None,
            webhook_gate: Arc::new(tokio::sync::Semaphore::new(1)),
            metrics: Arc::new(Metrics::default()),
            connections: Arc::new(ConnStats::default()),
            limits: EdgeLimits::default(),
        }))
    }

    /// Turns on `POST /webhook`, checked against the secret in `file`.
    pub fn with_webhook(self, file: Option<PathBuf>) -> AppState {
        let mut shared = Arc::unwrap_or_clone(self.0);
        shared.webhook_secret_file = file.map(Arc::from);
        AppState(Arc::new(shared))
    }

    /// Sets the time limits of a request.
    pub fn with_limits(self, limits: EdgeLimits) -> AppState {
        let mut shared = Arc::unwrap_or_clone(self.0);
        shared.limits = limits;
        AppState(Arc::new(shared))
    }

    /// The registry is private: a read token guards the API and the pages.
    pub fn is_private(&self) -> bool {
        self.read_token.is_some()
    }
}
