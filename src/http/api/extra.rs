//! The official registry's other v0.1 routes, as a read-only registry answers them: `ping` and
//! `health` as the official registry does (`{"pong":true}`, `{"status":"ok",…}`), `version`
//! (this build's), `validate`
//! (a server.json checked by the same code as `lint`, answered in the official shape
//! `{"valid","issues":[{"type","path","message","severity","reference"}]}`, changing nothing
//! served), and the write routes (`publish`, `…/status`) refused with where changes are made.

use crate::check::diagnostic::{Diagnostic, Rule};
use crate::check::files::{MAX_FILE_BYTES, RepoFiles};
use crate::check::validate;
use crate::http::error::HttpError;
use crate::http::state::EdgeLimits;
use axum::Json;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{MethodRouter, get, post};
use serde_json::{Value, json};
use tower::ServiceBuilder;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

/// Where changes to this registry are made, for the refused write routes.
const READ_ONLY: &str = "this registry is read-only: servers are added and changed by pull request to the git repository it is served from (checked by `mcp-gitops lint`), not through the API";

pub fn ping<S: Clone + Send + Sync + 'static>() -> MethodRouter<S> {
    get(|| async { Json(json!({ "pong": true })) })
}

/// `GET …/version`: which build answers. A fork of the official registry answers
/// `{"version","gitCommit","buildTime"}`; this build knows only its version, so the other two
/// say so rather than guess.
pub fn version<S: Clone + Send + Sync + 'static>() -> MethodRouter<S> {
    get(|| async {
        Json(json!({
            "version": env!("CARGO_PKG_VERSION"),
            "gitCommit": "unknown",
            "buildTime": "unknown"
        }))
    })
}

pub fn health<S: Clone + Send + Sync + 'static>() -> MethodRouter<S> {
    get(|| async { Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") })) })
}

/// `POST …/validate`, bounded like a registry file (1 MiB) and in time like the webhook.
pub fn validate<S: Clone + Send + Sync + 'static>(limits: EdgeLimits) -> MethodRouter<S> {
    post(validate_body).layer(
        ServiceBuilder::new()
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                limits.request_timeout,
            ))
            .layer(RequestBodyTimeoutLayer::new(limits.body_timeout))
            .layer(DefaultBodyLimit::max(MAX_FILE_BYTES as usize)),
    )
}

/// `POST /publish`, `PATCH …/status`: refused, saying where changes are made.
pub async fn read_only() -> HttpError {
    HttpError::ReadOnly(READ_ONLY)
}

async fn validate_body(body: Bytes) -> Json<Value> {
    // The file the document would be: its name decides the path, so path rules hold too.
    let name = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("name")?.as_str().map(str::to_string))
        .filter(|n| n.contains('/') && !n.contains(['\n', '\0']) && !n.contains(".."));
    let path = format!(
        "servers/{}.yaml",
        name.as_deref().unwrap_or("unnamed/server")
    );
    let mut files = RepoFiles::default();
    files.add(path, body.len() as u64, || Ok(body.to_vec()));
    let checked = tokio::task::spawn_blocking(move || validate::check(files))
        .await
        .unwrap_or_default();
    let issues: Vec<Value> = checked.diagnostics.iter().map(issue).collect();
    Json(json!({ "valid": checked.errors() == 0, "issues": issues }))
}

fn issue(d: &Diagnostic) -> Value {
    let kind = if d.rule.id().starts_with("schema-") || d.rule == Rule::UnknownField {
        "schema"
    } else if d.rule.id().starts_with("yaml-") || d.rule.id().starts_with("file-") {
        "json"
    } else {
        "semantic"
    };
    json!({
        "type": kind,
        // Our findings carry the position in the posted text, the JSON path in the message.
        "path": "",
        "line": d.pos.line,
        "column": d.pos.col,
        "message": d.message,
        "severity": d.severity.as_str(),
        "reference": d.rule.id(),
    })
}
