//! What operators and orchestrators read: `/healthz` (the process is up), `/readyz` (a good
//! index is served; a later bad revision does not undo that), `/status` (what is served, the
//! last attempt and its errors) and `/metrics` (Prometheus text).

use crate::api::AppState;
use crate::index::rfc3339;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/status", get(status))
        .route("/metrics", get(metrics))
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

async fn status(State(state): State<AppState>) -> Response {
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
            "deleted": entries.iter().filter(|e| e.status == crate::model::Status::Deleted).count(),
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
            "message": a.message,
            "errors": a.errors.iter().map(|d| json!({
                "file": d.file,
                "line": d.pos.line,
                "col": d.pos.col,
                "rule": d.rule.id(),
                "message": d.message,
                "text": d.to_string(),
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
            "lastFetchError": g.last_fetch_error,
            "consecutiveFailures": g.consecutive_failures,
            "shallowHistory": g.shallow_history,
        })
    });
    let source = store.source();
    let body = json!({
        "source": {"kind": source.kind, "location": source.location},
        "git": git,
        "ready": store.is_ready(),
        "degraded": store.is_degraded(),
        "served": served,
        "lastAttempt": attempt,
        "reloads": reloads,
    });
    no_store(axum::Json(body).into_response())
}

async fn metrics(State(state): State<AppState>) -> Response {
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
            escape(source.kind)
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

fn gauge_header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    gauge_header(out, name, "gauge", help);
    let _ = writeln!(out, "{name} {value}");
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// One route's counters. Atomics, so that requests on the two cores never wait for each other
/// (a lock held by a thread the scheduler preempts would stall the other for a time slice).
struct RouteStats {
    /// Requests by status code, 100–599.
    by_status: [AtomicU64; 500],
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Default for RouteStats {
    fn default() -> Self {
        RouteStats {
            by_status: std::array::from_fn(|_| AtomicU64::new(0)),
            counts: Default::default(),
            count: AtomicU64::new(0),
            sum_nanos: AtomicU64::new(0),
        }
    }
}

/// Request counters and latency histograms, kept in memory and rendered as Prometheus text.
/// Labels are route patterns (never raw paths), so the series stay few.
#[derive(Default)]
pub struct Metrics {
    /// Why `RwLock`: routes are added once each (a write), then every request only reads the
    /// map and bumps atomics, and readers never wait for one another.
    routes: RwLock<BTreeMap<String, RouteStats>>,
}

impl Metrics {
    pub fn observe(&self, route: &str, status: u16, elapsed: Duration) {
        let count = |stats: &RouteStats| {
            let secs = elapsed.as_secs_f64();
            if let Some(n) = stats.by_status.get(usize::from(status).wrapping_sub(100)) {
                n.fetch_add(1, Ordering::Relaxed);
            }
            stats.count.fetch_add(1, Ordering::Relaxed);
            let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
            stats.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
            if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
                stats.counts[i].fetch_add(1, Ordering::Relaxed);
            }
        };
        if let Some(stats) = self
            .routes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(route)
        {
            return count(stats);
        }
        let mut routes = self.routes.write().unwrap_or_else(PoisonError::into_inner);
        count(routes.entry(route.to_string()).or_default());
    }

    fn render(&self) -> String {
        let routes = self.routes.read().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::new();
        gauge_header(
            &mut out,
            "mcp_gitops_http_requests_total",
            "counter",
            "HTTP requests by route and status.",
        );
        for (route, stats) in routes.iter() {
            for (i, n) in stats.by_status.iter().enumerate() {
                let n = n.load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "mcp_gitops_http_requests_total{{route=\"{}\",status=\"{}\"}} {n}",
                        escape(route),
                        i + 100
                    );
                }
            }
        }
        gauge_header(
            &mut out,
            "mcp_gitops_http_request_duration_seconds",
            "histogram",
            "HTTP request latency by route.",
        );
        for (route, h) in routes.iter() {
            let route = escape(route);
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(&h.counts) {
                cumulative += n.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "mcp_gitops_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let count = h.count.load(Ordering::Relaxed);
            let sum = h.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            let _ = writeln!(
                out,
                "mcp_gitops_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}\n\
                 mcp_gitops_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}\n\
                 mcp_gitops_http_request_duration_seconds_count{{route=\"{route}\"}} {count}"
            );
        }
        out
    }
}
