//! The HTTP faces of the service, and the one function that composes them. Each face (the
//! registry API, the operators' endpoints, the push webhook, the web page) builds its own
//! sub-router with its own caches; they share only `state`, `error`, `auth`, `headers`,
//! `paths`, `metrics` and the service-wide `middleware`, none of which imports a face.
//! Faces read the store; none writes it.

pub mod api;
pub mod auth;
pub mod error;
pub mod headers;
pub mod metrics;
pub mod middleware;
pub mod ops;
pub mod paths;
pub mod state;
pub mod web;
pub mod webhook;

pub use error::HttpError;
pub use state::{ApiConfig, AppState};

use axum::Router;

/// The whole service: every face, JSON 404 for the rest, and the rules of every response.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes(&state))
        .merge(ops::routes())
        .merge(webhook::routes())
        .merge(web::routes(&state))
        .fallback(unknown_route)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::every_response,
        ))
        .with_state(state)
}

async fn unknown_route() -> HttpError {
    HttpError::NotFound(
        "No such route. The registry API is at /v0.1/servers (also /v0/servers); \
         /healthz, /readyz, /status and /metrics are for operators."
            .into(),
    )
}
