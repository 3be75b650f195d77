//! Accepting connections and serving HTTP/1.1 on them, with the bounds a service on every
//! developer's critical path needs against slow or idle clients: a cap on open connections, a
//! deadline for each request head, a cap on its size, and a drain on shutdown.
//!
//! Written on hyper directly rather than `axum::serve`, which sets none of these.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// The connection limits; `Default` holds the documented defaults (README, "Limits and
/// hardening").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnLimits {
    /// Open connections at most. At the cap, new connections wait in the kernel's backlog
    /// until one closes (the header timeout closes idle ones), instead of failing on a file
    /// descriptor limit.
    pub max_connections: usize,
    /// From a connection's opening, or from the end of its previous response, to a complete
    /// request head. hyper also applies it while a keep-alive connection waits idle, so it is
    /// the idle timeout too: a slow or silent client is closed when it passes.
    pub header_timeout: Duration,
    /// Bytes a request head (request line and headers) may take; larger ones get 431.
    pub max_header_bytes: usize,
    /// After a shutdown signal, how long open requests get to finish.
    pub grace: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_connections: 4096,
            header_timeout: Duration::from_secs(15),
            max_header_bytes: 64 * 1024,
            grace: Duration::from_secs(10),
        }
    }
}

/// What the listener counts, for `/metrics`.
#[derive(Debug, Default)]
pub struct ConnStats {
    pub open: AtomicU64,
    pub accepted: AtomicU64,
    /// Times the accept loop waited because the cap was reached.
    pub at_cap: AtomicU64,
    /// Accept errors (out of file descriptors, for instance), each followed by a short pause.
    pub accept_errors: AtomicU64,
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open requests finish
/// for up to `limits.grace`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    stats: Arc<ConnStats>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stopping, stop) = watch::channel(false);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192));
    let builder = Arc::new(builder);
    let service = TowerToHyperService::new(router);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut last_warning: Option<Instant> = None;
    loop {
        let slot = if let Ok(slot) = Arc::clone(&slots).try_acquire_owned() {
            slot
        } else {
            stats.at_cap.fetch_add(1, Ordering::Relaxed);
            warn_now_and_then(&mut last_warning, || {
                tracing::warn!(
                    max = limits.max_connections,
                    "the connection cap is reached; new connections wait until one closes"
                );
            });
            tokio::select! {
                () = &mut shutdown => break,
                slot = Arc::clone(&slots).acquire_owned() => match slot {
                    Ok(slot) => slot,
                    Err(_) => break,
                },
            }
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    stats.accept_errors.fetch_add(1, Ordering::Relaxed);
                    warn_now_and_then(&mut last_warning, || {
                        tracing::warn!(error = %e, "cannot accept a connection; pausing briefly");
                    });
                    // Out of file descriptors (or a like fault): retrying at once would spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        stats.accepted.fetch_add(1, Ordering::Relaxed);
        // Responses are written whole, so Nagle's algorithm could only hold back their last
        // segment.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let (builder, service, stats) = (Arc::clone(&builder), service.clone(), Arc::clone(&stats));
        let mut stop = stop.clone();
        tokio::spawn(async move {
            stats.open.fetch_add(1, Ordering::Relaxed);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            let ended = tokio::select! {
                ended = conn.as_mut() => ended,
                () = async {
                    // The guard `wait_for` returns is not `Send`: drop it here.
                    let _ = stop.wait_for(|stopping| *stopping).await;
                } => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                // Timeouts, resets, malformed requests: the client's doing, not a fault here.
                tracing::debug!(error = %e, "connection ended with an error");
            }
            stats.open.fetch_sub(1, Ordering::Relaxed);
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing open requests");
    let _ = stopping.send(true);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.grace, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            open = stats.open.load(Ordering::Relaxed),
            "connections still open {} s after the shutdown signal; closing them",
            limits.grace.as_secs()
        );
    }
}

/// Runs `warn` at most once a minute: a flood of refused connections must not flood the log.
fn warn_now_and_then(last: &mut Option<Instant>, warn: impl FnOnce()) {
    if last.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
        *last = Some(Instant::now());
        warn();
    }
}
