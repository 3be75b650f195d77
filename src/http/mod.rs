//! The HTTP faces of the service, and the one function that composes them. Each face (the
//! registry API, the allowlists, the operators' endpoints, the push webhook, the web page)
//! builds its own
//! sub-router with its own caches; they share only `state`, `error`, `auth`, `headers`,
//! `paths`, `metrics` and the service-wide `middleware`, none of which imports a face.
//! Faces read the store; none writes it.

pub mod allowlists;
pub mod api;
pub mod auth;
pub mod error;
pub mod headers;
pub mod listener;
pub mod metrics;
pub mod middleware;
pub mod ops;
pub mod paths;
pub mod scope;
pub mod state;
pub mod web;
pub mod webhook;

pub use error::HttpError;
pub use state::{ApiConfig, AppState, EdgeLimits};

use axum::Router;
use axum::http::{HeaderName, header};
use axum::response::IntoResponse;
use std::any::Any;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;

/// Which routes the operators' endpoints take on the main listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpsPlacement {
    /// `/healthz`, `/readyz`, `/status` and `/metrics` on the main listener.
    Main,
    /// `/status` and `/metrics` on a listener of their own (`--ops-listen`); the probes on both.
    Separate,
}

/// The whole service on one listener: every face, JSON 404 for the rest, the rules of every
/// response, and the edge layers.
pub fn router(state: AppState) -> Router {
    service_router(state, OpsPlacement::Main)
}

/// The service on the main listener, the operators' endpoints placed as `ops` says.
pub fn service_router(state: AppState, ops: OpsPlacement) -> Router {
    // What a view serves of its own, mounted again under `/{view}` (scope.rs).
    let registry = || {
        Router::new()
            .merge(api::routes(&state))
            .merge(allowlists::routes(&state))
            .merge(web::routes(&state))
    };
    let faces = Router::new()
        .merge(registry())
        .nest("/{view}", registry())
        .merge(match ops {
            OpsPlacement::Main => ops::routes(&state),
            OpsPlacement::Separate => ops::probes(),
        })
        .merge(webhook::routes(&state))
        .fallback(unknown_route);
    with_edge(faces, state)
}

/// The operators' listener (`--ops-listen`): the probes, `/status` and `/metrics`, nothing
/// else; no CORS, no read token (keep the port off the public network).
pub fn ops_router(state: AppState) -> Router {
    with_edge(ops::routes(&state).fallback(unknown_route), state)
}

/// What every route goes through, outermost first: the service-wide middleware (metrics, path
/// rules, JSON for bare errors), secrets marked sensitive so no log shows them, and a handler
/// panic turned into a JSON 500. (The request and body timeouts wrap the one route that reads
/// a body, the webhook: a timer per request elsewhere costs throughput for nothing.)
pub fn with_edge(routes: Router<AppState>, state: AppState) -> Router {
    let metrics = std::sync::Arc::clone(&state.metrics);
    routes
        .layer(
            ServiceBuilder::new()
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    middleware::every_response,
                ))
                .layer(SetSensitiveRequestHeadersLayer::new(SECRET_HEADERS))
                // The process's panic hook has logged where (one line); the client gets a JSON
                // 500 that says nothing internal.
                .layer(CatchPanicLayer::custom(move |_: Box<dyn Any + Send>| {
                    metrics.count_panic();
                    HttpError::Internal("the request failed; the server log says why")
                        .into_response()
                })),
        )
        .with_state(state)
}

/// Request headers that carry secrets.
const SECRET_HEADERS: [HeaderName; 3] = [
    header::AUTHORIZATION,
    HeaderName::from_static("x-gitlab-token"),
    HeaderName::from_static("x-hub-signature-256"),
];

async fn unknown_route() -> HttpError {
    HttpError::NotFound(
        "No such route. The registry API is at /v0.1/servers (also /v0/servers); \
         /healthz, /readyz, /status and /metrics are for operators."
            .into(),
    )
}
