//! Request counters and latency histograms by route, counted with atomics on the hot path
//! (the middleware observes every request) and written out by prometheus-client when
//! `/metrics` is scraped (`Collector`).
//!
//! Why not prometheus-client's own `Family` and `Histogram` for counting: its histogram takes
//! a write lock per observation, and a lock held by a thread the scheduler preempts stalls the
//! other core's requests for a time slice (bench/README.md measured such tails). The
//! exposition format, names and types are the crate's.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeGaugeValue, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// One route's counters. Atomics, so that requests on the two cores never wait for each other
/// (a lock held by a thread the scheduler preempts would stall the other for a time slice).
#[derive(Debug)]
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
#[derive(Debug, Default)]
pub struct Metrics {
    /// Handler panics caught and answered with a 500.
    panics: AtomicU64,
    /// The API's response cache: bytes held (as weighed) and entries.
    cache_bytes: AtomicU64,
    cache_entries: AtomicU64,
    /// By view (`""`: the root registry), then route. Why `RwLock`: routes are added once each
    /// (a write), then every request only reads the map and bumps atomics, and readers never
    /// wait for one another. Two levels, so that a lookup borrows both keys (no allocation).
    routes: RwLock<BTreeMap<String, BTreeMap<String, RouteStats>>>,
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

    /// Counts a request of `route`; of a view's registry when `view` is given (its own series,
    /// with a `view` label).
    pub fn observe(&self, route: &str, view: Option<&str>, status: u16, elapsed: Duration) {
        let view = view.unwrap_or("");
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
            .get(view)
            .and_then(|routes| routes.get(route))
        {
            return count(stats);
        }
        let mut routes = self.routes.write().unwrap_or_else(PoisonError::into_inner);
        let routes = routes.entry(view.to_string()).or_default();
        count(routes.entry(route.to_string()).or_default());
    }
}

/// Every series: its view (`None` for the root registry), route and counters.
fn series(
    routes: &BTreeMap<String, BTreeMap<String, RouteStats>>,
) -> impl Iterator<Item = (Option<&str>, &str, &RouteStats)> {
    routes.iter().flat_map(|(view, routes)| {
        let view = (!view.is_empty()).then_some(view.as_str());
        routes
            .iter()
            .map(move |(route, stats)| (view, route.as_str(), stats))
    })
}

/// `/metrics` for the request counters: writes them out at each scrape.
#[derive(Debug)]
pub struct RequestCollector(pub Arc<Metrics>);

impl Collector for RequestCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let m = &self.0;
        let routes = m.routes.read().unwrap_or_else(PoisonError::into_inner);
        let mut family = encoder.encode_descriptor(
            "mcp_gitops_http_requests",
            "HTTP requests by route and status.",
            None,
            MetricType::Counter,
        )?;
        for (view, route, stats) in series(&routes) {
            for (i, n) in stats.by_status.iter().enumerate() {
                let n = n.load(Ordering::Relaxed);
                if n > 0 {
                    let status = (i + 100).to_string();
                    let mut labels = vec![("route", route), ("status", status.as_str())];
                    labels.extend(view.map(|v| ("view", v)));
                    ConstCounter::new(n).encode(family.encode_family(&labels)?)?;
                }
            }
        }
        let mut family = encoder.encode_descriptor(
            "mcp_gitops_http_request_duration_seconds",
            "HTTP request latency by route.",
            None,
            MetricType::Histogram,
        )?;
        for (view, route, stats) in series(&routes) {
            let count = stats.count.load(Ordering::Relaxed);
            let mut buckets: Vec<(f64, u64)> = BUCKETS
                .iter()
                .zip(&stats.counts)
                .map(|(bound, n)| (*bound, n.load(Ordering::Relaxed)))
                .collect();
            let counted: u64 = buckets.iter().map(|(_, n)| n).sum();
            buckets.push((f64::MAX, count.saturating_sub(counted)));
            let sum = stats.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            let mut labels = vec![("route", route)];
            labels.extend(view.map(|v| ("view", v)));
            family
                .encode_family(&labels)?
                .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
        }
        drop(routes);
        counter(
            &mut encoder,
            "mcp_gitops_http_panics",
            "Handler panics, each answered with a 500.",
            m.panics(),
        )?;
        let (bytes, entries) = m.response_cache();
        gauge(
            &mut encoder,
            "mcp_gitops_response_cache_bytes",
            "What the API's response cache holds, as weighed against its budget (keys, bodies, room for compressed bodies).",
            bytes as i64,
        )?;
        gauge(
            &mut encoder,
            "mcp_gitops_response_cache_entries",
            "Responses in the API's response cache.",
            entries as i64,
        )
    }
}

/// One counter without labels.
pub fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), std::fmt::Error> {
    ConstCounter::new(value).encode(encoder.encode_descriptor(
        name,
        help,
        None,
        MetricType::Counter,
    )?)
}

/// One gauge without labels.
pub fn gauge<V: EncodeGaugeValue + std::fmt::Debug>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: V,
) -> Result<(), std::fmt::Error> {
    ConstGauge::new(value).encode(encoder.encode_descriptor(name, help, None, MetricType::Gauge)?)
}
