//! Request counters and latency histograms by route, kept in memory and rendered as
//! Prometheus text; the middleware observes every request, `/metrics` renders them.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

pub(crate) fn gauge_header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

pub(crate) fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    gauge_header(out, name, "gauge", help);
    let _ = writeln!(out, "{name} {value}");
}

pub(crate) fn escape(s: &str) -> String {
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
    /// Handler panics caught and answered with a 500.
    panics: AtomicU64,
    /// The API's response cache: bytes held (as weighed) and entries.
    cache_bytes: AtomicU64,
    cache_entries: AtomicU64,
    /// Why `RwLock`: routes are added once each (a write), then every request only reads the
    /// map and bumps atomics, and readers never wait for one another.
    routes: RwLock<BTreeMap<String, RouteStats>>,
}

impl Metrics {
    pub fn count_panic(&self) {
        self.panics.fetch_add(1, Ordering::Relaxed);
    }

    pub fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }

    pub fn set_response_cache(&self, bytes: u64, entries: usize) {
        self.cache_bytes.store(bytes, Ordering::Relaxed);
        self.cache_entries.store(entries as u64, Ordering::Relaxed);
    }

    /// The response cache's (bytes, entries), as last set.
    pub fn response_cache(&self) -> (u64, u64) {
        (
            self.cache_bytes.load(Ordering::Relaxed),
            self.cache_entries.load(Ordering::Relaxed),
        )
    }

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

    pub(crate) fn render(&self) -> String {
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
