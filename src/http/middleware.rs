//! What every request goes through, whichever face answers it: counted, timed and logged;
//! the path rules (NUL, trailing slash) checked before any handler; CORS, JSON for a bare 405,
//! and the served revision on API responses. One middleware rather than three: each layer
//! costs a boxed future and a clone of the state per request.

use crate::http::error::HttpError;
use crate::http::headers::{REVISION_HEADER, header_value};
use crate::http::paths::is_api_path;
use crate::http::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

/// A label for metrics set by a handler whose route pattern says too little: the whole route,
/// prefix included.
#[derive(Clone, Copy, Debug)]
pub struct RouteLabel(pub &'static str);

/// The middleware of the whole service (see the module comment).
pub async fn every_response(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    // Taken before the request moves on: cheap clones (an `Arc<str>`, shared bytes).
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let (method, uri) = (req.method().clone(), req.uri().clone());
    let response = match path_rules(&uri) {
        Some(refused) => refused,
        None => next.run(req).await,
    };
    let response = common_headers(&state, &uri, response);

    let elapsed = started.elapsed();
    let route = match (&matched, response.extensions().get::<RouteLabel>()) {
        (_, Some(RouteLabel(label))) => label,
        (Some(m), None) => m.as_str(),
        (None, None) => "unmatched",
    };
    let status = response.status().as_u16();
    state.metrics.observe(route, status, elapsed);
    // A line per request only at debug: at info, writing it halved the throughput of a
    // saturated core (bench/README.md), and /metrics already counts and times every route.
    let micros = elapsed.as_micros() as u64;
    let path = uri.path();
    if status >= 500 {
        tracing::warn!(%method, %path, status, micros, "request failed");
    } else {
        tracing::debug!(%method, %path, status, micros, "request");
    }
    response
}

/// CORS on every response, JSON for axum's bare 405s, and the served revision on every API
/// response a handler did not already mark.
fn common_headers(state: &AppState, uri: &Uri, mut response: Response) -> Response {
    let api = is_api_path(uri.path());
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        response = HttpError::MethodNotAllowed.into_response();
        if !api {
            // The ops routes answer GET only (and HEAD, which axum derives from it).
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
    }
    let status = response.status();
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type"),
    );
    // Not to a client without the read token: it learns nothing of the registry.
    if api
        && status != StatusCode::UNAUTHORIZED
        && !h.contains_key(REVISION_HEADER)
        && let Some(snap) = state.store.current()
    {
        h.insert(REVISION_HEADER, header_value(&snap.revision));
    }
    response
}

/// NUL in the path or query is 400; a trailing slash is 308 to the clean path, query kept.
fn path_rules(uri: &Uri) -> Option<Response> {
    // `%00` has no letters: no case to fold.
    let has_nul = |s: &str| s.contains("%00");
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        return Some(
            HttpError::BadRequest("the path or query holds a NUL character (%00)".into())
                .into_response(),
        );
    }
    let path = uri.path();
    if path.len() > 1 && path.ends_with('/') {
        let clean = path.trim_end_matches('/');
        let clean = if clean.is_empty() { "/" } else { clean };
        let location = match uri.query() {
            Some(q) => format!("{clean}?{q}"),
            None => clean.to_string(),
        };
        return Some(
            (
                StatusCode::PERMANENT_REDIRECT,
                [(header::LOCATION, header_value(&location))],
            )
                .into_response(),
        );
    }
    None
}
