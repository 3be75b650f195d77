//! What operators and orchestrators read: `/healthz` (the process is up), `/readyz` (a good
//! index is served; a later bad revision does not undo that), `/status` (what is served, the
//! last attempt and its errors) and `/metrics` (Prometheus text).

use crate::http::error::HttpError;
use crate::http::listener::ConnStats;
use crate::http::metrics::{RequestCollector, counter, gauge};
use crate::http::state::AppState;
use crate::store::Store;
use crate::store::index::rfc3339;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use serde_json::{Value as Json, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;

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
pub fn routes(state: &AppState) -> Router<AppState> {
    let metrics = Router::new()
        .route("/metrics", get(metrics_text))
        .with_state(Arc::new(registry(state)));
    probes().route("/status", get(status_report)).merge(metrics)
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
            "rootRegistry": !s.root_off,
            "views": s.views.iter().map(|v| json!({
                "name": v.view_name(),
                "servers": v.index.server_count(),
                "entries": v.index.entries().len(),
            })).collect::<Vec<Json>>(),
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
            "mirrorRebuilds": g.mirror_rebuilds,
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

/// The registry `/metrics` writes out: collectors that read the state at each scrape, the
/// build, and the process (registered once: it notes the start time).
fn registry(state: &AppState) -> Registry {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(RequestCollector(Arc::clone(&state.metrics))));
    registry.register_collector(Box::new(ConnCollector(Arc::clone(&state.connections))));
    registry.register_collector(Box::new(StoreCollector(Arc::clone(&state.store))));
    registry.register(
        "mcp_gitops_build",
        "The running build, as labels",
        Info::new(vec![
            ("version", env!("CARGO_PKG_VERSION")),
            ("target_os", std::env::consts::OS),
            ("target_arch", std::env::consts::ARCH),
        ]),
    );
    if let Err(e) =
        kubert_prometheus_process::register(registry.sub_registry_with_prefix("process"))
    {
        tracing::debug!(error = %e, "no process metrics");
    }
    registry
}

async fn metrics_text(State(registry): State<Arc<Registry>>) -> Response {
    let mut out = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &registry) {
        tracing::error!(error = %e, "cannot write the metrics");
        return HttpError::Internal("the metrics cannot be written; see the server log")
            .into_response();
    }
    let mut r = out.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    no_store(r)
}

/// The served state, written out at each scrape: reloads, what is served, the git sync.
struct StoreCollector(Arc<Store>);

impl std::fmt::Debug for StoreCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreCollector")
    }
}

impl Collector for StoreCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let store = &self.0;
        let snap = store.current();
        let mut reloads = encoder.encode_descriptor(
            "mcp_gitops_reloads",
            "Reload attempts by outcome.",
            None,
            MetricType::Counter,
        )?;
        for (outcome, n) in store.reloads() {
            ConstCounter::new(n)
                .encode(reloads.encode_family(&[("outcome", outcome.as_str())])?)?;
        }
        let entries = snap.as_ref().map_or(0, |s| s.index.entries().len());
        let servers = snap.as_ref().map_or(0, |s| s.index.server_count());
        gauge(
            &mut encoder,
            "mcp_gitops_entries_served",
            "Name+version entries in the served index.",
            entries as i64,
        )?;
        gauge(
            &mut encoder,
            "mcp_gitops_servers_served",
            "Servers (names) in the served index.",
            servers as i64,
        )?;
        gauge(
            &mut encoder,
            "mcp_gitops_ready",
            "1 when a good index is served.",
            i64::from(store.is_ready()),
        )?;
        gauge(
            &mut encoder,
            "mcp_gitops_degraded",
            "1 when the last reload attempt failed and an older revision is still served.",
            i64::from(store.is_degraded()),
        )?;
        if let Some(g) = store.git() {
            let mut fetches = encoder.encode_descriptor(
                "mcp_gitops_git_fetches",
                "Git fetches by outcome.",
                None,
                MetricType::Counter,
            )?;
            for (outcome, n) in [("ok", g.fetches_ok), ("failed", g.fetches_failed)] {
                ConstCounter::new(n).encode(fetches.encode_family(&[("outcome", outcome)])?)?;
            }
            counter(
                &mut encoder,
                "mcp_gitops_git_mirror_rebuilds",
                "Mirrors fetched anew because the old one's objects were damaged.",
                g.mirror_rebuilds,
            )?;
            gauge(
                &mut encoder,
                "mcp_gitops_git_fetch_consecutive_failures",
                "Git fetches failed in a row (0 after a good fetch).",
                g.consecutive_failures as i64,
            )?;
            if let Some(at) = g.last_fetch_at {
                gauge(
                    &mut encoder,
                    "mcp_gitops_git_last_fetch_timestamp_seconds",
                    "When the last git fetch ended (Unix time).",
                    at.unix_timestamp(),
                )?;
            }
            if let Some(at) = g.served_commit_time {
                gauge(
                    &mut encoder,
                    "mcp_gitops_served_commit_timestamp_seconds",
                    "The commit time of the served commit (Unix time): alert on its age.",
                    at.unix_timestamp(),
                )?;
            }
        }
        if let Some(s) = &snap {
            gauge(
                &mut encoder,
                "mcp_gitops_served_timestamp_seconds",
                "When the served revision was swapped in (Unix time).",
                s.served_at.unix_timestamp(),
            )?;
            let source = store.source().kind.as_str();
            let info = encoder.encode_descriptor(
                "mcp_gitops_served_revision",
                "The served revision, as a label.",
                None,
                MetricType::Info,
            )?;
            let labels = [("revision", s.revision.as_str()), ("source", source)];
            Info::new(labels).encode(info)?;
        }
        Ok(())
    }
}

/// What the main listener counts.
#[derive(Debug)]
struct ConnCollector(Arc<ConnStats>);

impl Collector for ConnCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let c = &self.0;
        let load = |n: &std::sync::atomic::AtomicU64| n.load(Ordering::Relaxed);
        gauge(
            &mut encoder,
            "mcp_gitops_http_connections_open",
            "Client connections open now.",
            load(&c.open) as i64,
        )?;
        counter(
            &mut encoder,
            "mcp_gitops_http_connections_accepted",
            "Client connections accepted.",
            load(&c.accepted),
        )?;
        counter(
            &mut encoder,
            "mcp_gitops_http_connection_cap_waits",
            "Times the accept loop waited because --max-connections were open.",
            load(&c.at_cap),
        )?;
        counter(
            &mut encoder,
            "mcp_gitops_http_accept_errors",
            "Failed accepts (out of file descriptors, for instance).",
            load(&c.accept_errors),
        )
    }
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
