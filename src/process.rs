//! What `serve` sets up for the whole process: the open-files limit (and so the connection
//! cap), a panic hook that logs one line, and SIGHUP.

use std::sync::Arc;

/// File descriptors kept free below the limit for what is not a client connection: the git
/// mirror and its packs, the files a reload reads, the watcher, the logs.
const FD_HEADROOM: u64 = 256;

/// Raises the soft limit on open files to the hard limit (as Go's runtime and nginx
/// deployments do: the soft default of 1024 is a relic), and returns the connection cap:
/// `wanted`, but never so close to the limit that idle sockets could leave no descriptor for
/// the rest of the process.
pub fn connection_cap(wanted: usize) -> usize {
    let limit = raise_open_files_limit();
    let room = limit.map_or(wanted as u64, |l| l.saturating_sub(FD_HEADROOM).max(16));
    let cap = (wanted as u64).min(room) as usize;
    if cap < wanted {
        tracing::warn!(
            wanted,
            cap,
            open_files_limit = limit,
            "the open-files limit is low: fewer connections are accepted at once than asked for"
        );
    }
    cap
}

#[cfg(target_os = "linux")]
fn raise_open_files_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if let Some(hard) = limit.maximum
        && limit.current.is_some_and(|soft| soft < hard)
    {
        limit.current = Some(hard);
        if let Err(e) = setrlimit(Resource::Nofile, limit) {
            tracing::warn!(error = %e, "cannot raise the open-files limit");
        }
    }
    getrlimit(Resource::Nofile).current
}

#[cfg(not(target_os = "linux"))]
fn raise_open_files_limit() -> Option<u64> {
    None
}

/// One log line per panic, where it happened, no backtrace: a request that panics is answered
/// with a 500 (`http::with_edge`) and must not flood the log.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(%message, %at, "panic");
    }));
}

/// SIGHUP syncs now (a fetch, or a reload of the directory), as nginx and Prometheus reload on
/// it, instead of ending the process.
pub async fn sync_on_hangup(sync_now: Arc<tokio::sync::Notify>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP");
            return;
        };
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP received: syncing now");
            sync_now.notify_one();
        }
    }
    #[cfg(not(unix))]
    let _ = sync_now;
}
