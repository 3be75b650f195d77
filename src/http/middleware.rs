//! What every request goes through, whichever face answers it: counted, timed and logged;
//! the path rules (NUL, trailing slash) checked before any handler; JSON for the bare errors
//! of the layers below, and the served revision on API responses. One middleware rather than
//! three: each layer costs a boxed future and a clone of the state per request.

use crate::http::error::HttpError;
use crate::http::headers::{REVISION_HEADER, header_value};
use crate::http::paths::is_api_path;
use crate::http::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
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
    // A view's routes are the root's mounted under `/{view}`: the route's label, and the
    // view's name (the path's first segment) for a label of its own.
    let view = matched
        .as_ref()
        .filter(|m| m.as_str().starts_with("/{view}"))
        .and_then(|_| uri.path().split('/').nth(1));
    let route = match (&matched, response.extensions().get::<RouteLabel>()) {
        (_, Some(RouteLabel(label))) => label,
        (Some(m), None) => match m.as_str().strip_prefix("/{view}") {
            Some("") => "/",
            Some(route) => route,
            None => m.as_str(),
        },
        (None, None) => "unmatched",
    };
    let status = response.status().as_u16();
    state.metrics.observe(route, view, status, elapsed);
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

/// JSON for the bare errors of axum and tower-http (405, 408, 413), and the served revision on
/// every API response a handler did not already mark.
fn common_headers(state: &AppState, uri: &Uri, mut response: Response) -> Response {
    let api = is_api_path(uri.path());
    // Bare: no body of ours (axum's rejections are plain text).
    let ours = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    if response.status().is_client_error()
        && !ours
        && let Some(error) = HttpError::from_bare(response.status())
    {
        // axum's 405 names the methods the route takes: keep them, in the documented form.
        // (The API also answers OPTIONS, before routing: its error says so.)
        let allow = response
            .headers()
            .get(header::ALLOW)
            .filter(|_| !api)
            .map(|v| {
                let methods: Vec<&str> = v
                    .to_str()
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .collect();
                header_value(&methods.join(", "))
            });
        response = error.into_response();
        if !api {
            // The ops routes and the page answer GET (and HEAD, which axum derives from it).
            let allow = allow.unwrap_or_else(|| header::HeaderValue::from_static("GET, HEAD"));
            response.headers_mut().insert(header::ALLOW, allow);
        }
    }
    // Not to a client without the read token: it learns nothing of the registry.
    let status = response.status();
    if api
        && status != StatusCode::UNAUTHORIZED
        && !response.headers().contains_key(REVISION_HEADER)
        && let Some(snap) = state.store.current()
    {
        response
            .headers_mut()
            .insert(REVISION_HEADER, header_value(&snap.revision));
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
