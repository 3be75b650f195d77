//! `GET /allowlists/{client}.json`: the served revision's managed-settings allowlist (what
//! `mcp-gitops allowlist` prints), for device management or a scheduled job to fetch. The same
//! read-token rule as the API; a strong ETag per revision, so a poll that finds nothing new
//! costs a 304.

use crate::http::auth::require_token;
use crate::http::error::HttpError;
use crate::http::headers::{REVISION_HEADER, header_value, if_none_match};
use crate::http::scope::scoped;
use crate::http::state::AppState;
use axum::Router;
use axum::extract::{Path, RawPathParams, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;

/// The clients whose allowlists are served, by file name. GitHub's managed settings and
/// Claude Code's share the keys and matchers today, so both get the same document.
const CLIENTS: [&str; 2] = ["github.json", "claude-code.json"];

pub fn routes(state: &AppState) -> Router<AppState> {
    let router = Router::new().route("/allowlists/{file}", get(allowlist));
    if state.is_private() {
        router.route_layer(middleware::from_fn_with_state(state.clone(), require_token))
    } else {
        router
    }
}

async fn allowlist(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    raw: RawPathParams,
    req: HeaderMap,
) -> Result<Response, HttpError> {
    // Under `/{view}` the path has the view's name too.
    let file = params.get("file").cloned().unwrap_or_default();
    let scoped = scoped(&state, &raw, &req)?;
    let req = &req;
    if !CLIENTS.contains(&file.as_str()) {
        return Err(HttpError::NotFound(format!(
            "no allowlist `{file}`; there are {}",
            CLIENTS
                .map(|c| format!("{}/allowlists/{c}", scoped.base()))
                .join(" and ")
        )));
    }
    let snap = &scoped.snap;
    let etag = match scoped.view() {
        None => format!("\"allowlist-{}\"", snap.revision),
        Some(view) => format!("\"allowlist-{view}-{}\"", snap.revision),
    };
    let cache = if state.is_private() {
        "private, max-age="
    } else {
        "public, max-age="
    };
    let mut response = if if_none_match(req, etag.as_bytes()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = snap.allowlist.clone().into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, header_value(&etag));
    h.insert(REVISION_HEADER, header_value(&snap.revision));
    h.insert(
        header::CACHE_CONTROL,
        header_value(&format!("{cache}{}", state.config.cache_max_age)),
    );
    Ok(response)
}
