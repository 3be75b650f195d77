//! The state every face shares: the store it reads, the configuration, the sync trigger and
//! the request metrics. What only one face needs (the API's response cache, the web page's
//! search catalogs) lives in that face, not here.

use crate::http::metrics::Metrics;
use crate::store::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the faces need besides the store.
#[derive(Clone, Debug, Default)]
pub struct ApiConfig {
    /// `Cache-Control: max-age` of API responses, in seconds.
    pub cache_max_age: u64,
    /// With a token, `/v0.1` and `/v0` need `Authorization: Bearer <token>`.
    pub read_token: Option<String>,
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
    pub metrics: Arc<Metrics>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(store: Arc<Store>, config: ApiConfig) -> AppState {
        AppState(Arc::new(Shared {
            store,
            config: Arc::new(config),
            sync_now: Arc::new(tokio::sync::Notify::new()),
            webhook_secret_file: None,
            metrics: Arc::new(Metrics::default()),
        }))
    }

    /// Turns on `POST /webhook`, checked against the secret in `file`.
    pub fn with_webhook(self, file: Option<PathBuf>) -> AppState {
        let mut shared = Arc::unwrap_or_clone(self.0);
        shared.webhook_secret_file = file.map(Arc::from);
        AppState(Arc::new(shared))
    }

    /// The registry is private: a read token guards the API and the pages.
    pub fn is_private(&self) -> bool {
        self.config.read_token.is_some()
    }
}
