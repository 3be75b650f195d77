//! What operators and orchestrators read: `/healthz` (the process is up), `/readyz` (a good
//! index is served; a later bad revision does not undo that), `/status` (what is served, the
//! last attempt and its errors) and `/metrics` (Prometheus text).

use crate::http::metrics::{escape, gauge, gauge_header};
use crate::http::state::AppState;
use crate::store::index::rfc3339;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value as Json, json};
use std::fmt::Write;

/// `/status` lists this many errors of the last attempt at most (`errorCount` has them all;
/// `mcp-gitops lint` prints every one): a commit with 100,000 errors must not make a 30 MB
/// answer that every poll of a dashboard rebuilds.
pub const STATUS_MAX_ERRORS: usize = 100;

/// Longer texts in `/status` are cut, with an ellipsis.
const STATUS_MAX_TEXT: usize = 1024;

fn clip(text: &str) -> String {
    if text.len() <= STATUS_MAX_TEXT {
        return text.to_string();
    }
    let mut end = STATUS_MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The probes, `/status` and `/metrics`.
pub fn routes() -> Router<AppState> {
    probes()
        .route("/status", get(status_report))
        .route("/metrics", get(metrics_text))
}

/// `/healthz` and `/readyz` only: what a load balancer or the kubelet asks.
pub fn probes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> Response {
    no_store(axum::Json(json!({"status": "ok"})).into_response())
}

async fn readyz(State(state): State<AppState>) -> Response {
    let response = match state.store.current() {
        Some(snap) => (
            StatusCode::OK,
            axum::Json(json!({"status": "ready", "revision": snap.revision})),
        ),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(
                json!({"status": "not ready", "detail": "no good revision served yet; see /status"}),
            ),
        ),
    };
    no_store(response.into_response())
}

async fn status_report(State(state): State<AppState>) -> Response {
    let store = &state.store;
    let served = store.current().map(|s| {
        let entries = s.index.entries();
        json!({
            "revision": s.revision,
            "commit": s.commit,
            "servedAt": rfc3339(s.served_at),
            "servers": s.index.server_count(),
            "entries": entries.len(),
            "latest": entries.iter().filter(|e| e.is_latest).count(),
            "deleted": entries.iter().filter(|e| e.status == crate::check::model::Status::Deleted).count(),
        })
    });
    let attempt = store.last_attempt().map(|a| {
        json!({
            "at": rfc3339(a.at),
            "outcome": a.outcome.as_str(),
            "revision": a.revision,
            "durationMs": a.duration_ms,
            "errorCount": a.errors.len(),
            "warningCount": a.warnings,
            "message": a.message.as_deref().map(clip),
            "errorsShown": a.errors.len().min(STATUS_MAX_ERRORS),
            "errors": a.errors.iter().take(STATUS_MAX_ERRORS).map(|d| json!({
                "file": clip(&d.file),
                "line": d.pos.line,
                "col": d.pos.col,
                "rule": d.rule.id(),
                "message": clip(&d.message),
                "text": clip(&d.to_string()),
            })).collect::<Vec<Json>>(),
        })
    });
    let reloads: serde_json::Map<String, Json> = store
        .reloads()
        .iter()
        .map(|(o, n)| (o.as_str().to_string(), (*n).into()))
        .collect();
    let git = store.git().map(|g| {
        json!({
            "url": g.url,
            "ref": g.reference,
            "resolvedRef": g.resolved,
            "attemptedCommit": g.attempted_commit,
            "servedCommitTime": g.served_commit_time.map(rfc3339),
            "lastFetchAt": g.last_fetch_at.map(rfc3339),
            "lastFetchOutcome": g.last_fetch_at.map(|_| if g.last_fetch_error.is_some() { "failed" } else { "ok" }),
            "lastFetchError": g.last_fetch_error.as_deref().map(clip),
            "consecutiveFailures": g.consecutive_failures,
            "shallowHistory": g.shallow_history,
        })
    });
    let source = store.source();
    let body = json!({
        "source": {"kind": source.kind.as_str(), "location": source.location},
        "git": git,
        "ready": store.is_ready(),
        "degraded": store.is_degraded(),
        "served": served,
        "lastAttempt": attempt,
        "reloads": reloads,
    });
    no_store(axum::Json(body).into_response())
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    let mut out = state.metrics.render();
    let store = &state.store;
    let snap = store.current();
    gauge_header(
        &mut out,
        "mcp_gitops_reloads_total",
        "counter",
        "Reload attempts by outcome.",
    );
    for (outcome, n) in store.reloads() {
        let _ = writeln!(
            out,
            "mcp_gitops_reloads_total{{outcome=\"{}\"}} {n}",
            outcome.as_str()
        );
    }
    let entries = snap.as_ref().map_or(0, |s| s.index.entries().len());
    let servers = snap.as_ref().map_or(0, |s| s.index.server_count());
    gauge(
        &mut out,
        "mcp_gitops_entries_served",
        "Name+version entries in the served index.",
        entries as f64,
    );
    gauge(
        &mut out,
        "mcp_gitops_servers_served",
        "Servers (names) in the served index.",
        servers as f64,
    );
    gauge(
        &mut out,
        "mcp_gitops_ready",
        "1 when a good index is served.",
        f64::from(u8::from(store.is_ready())),
    );
    gauge(
        &mut out,
        "mcp_gitops_degraded",
        "1 when the last reload attempt failed and an older revision is still served.",
        f64::from(u8::from(store.is_degraded())),
    );
    if let Some(g) = store.git() {
        gauge_header(
            &mut out,
            "mcp_gitops_git_fetches_total",
            "counter",
            "Git fetches by outcome.",
        );
        let _ = writeln!(
            out,
            "mcp_gitops_git_fetches_total{{outcome=\"ok\"}} {}",
            g.fetches_ok
        );
        let _ = writeln!(
            out,
            "mcp_gitops_git_fetches_total{{outcome=\"failed\"}} {}",
            g.fetches_failed
        );
        gauge(
            &mut out,
            "mcp_gitops_git_fetch_consecutive_failures",
            "Git fetches failed in a row (0 after a good fetch).",
            g.consecutive_failures as f64,
        );
        if let Some(at) = g.last_fetch_at {
            gauge(
                &mut out,
                "mcp_gitops_git_last_fetch_timestamp_seconds",
                "When the last git fetch ended (Unix time).",
                at.unix_timestamp() as f64,
            );
        }
        if let Some(at) = g.served_commit_time {
            gauge(
                &mut out,
                "mcp_gitops_served_commit_timestamp_seconds",
                "The commit time of the served commit (Unix time): alert on its age.",
                at.unix_timestamp() as f64,
            );
        }
    }
    if let Some(s) = &snap {
        gauge(
            &mut out,
            "mcp_gitops_served_timestamp_seconds",
            "When the served revision was swapped in (Unix time).",
            s.served_at.unix_timestamp() as f64,
        );
        gauge_header(
            &mut out,
            "mcp_gitops_served_revision_info",
            "gauge",
            "The served revision, as a label.",
        );
        let source = store.source();
        let _ = writeln!(
            out,
            "mcp_gitops_served_revision_info{{revision=\"{}\",source=\"{}\"}} 1",
            escape(&s.revision),
            escape(source.kind.as_str())
        );
    }
    let mut r = out.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    no_store(r)
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
