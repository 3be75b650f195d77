//! Keeps the served index following its source. For a local directory: a `notify` watch of the
//! directory (recursive) and of its parent (so a symlink swapped by a git-sync sidecar is seen),
//! events debounced and coalesced into one reload at a time.

use crate::reload::Reloader;
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

/// How long the directory must stay quiet before a reload.
pub const DEBOUNCE: Duration = Duration::from_millis(200);
/// The longest a stream of events can put a reload off.
pub const MAX_DELAY: Duration = Duration::from_secs(2);

/// Watches `dir` and reloads after changes, until the returned task is aborted or the runtime
/// stops. Fails only when no watcher can be made at all; a directory that is missing now is
/// watched once it appears (its parent is watched).
pub fn watch_directory(
    dir: PathBuf,
    reloader: Arc<Reloader>,
    debounce: Duration,
) -> notify::Result<JoinHandle<()>> {
    // A `Notify` holds at most one pending wake-up: any number of events coalesce into it.
    let changed = Arc::new(Notify::new());
    let signal = Arc::clone(&changed);
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    let filter_dir = dir.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
        let relevant = match &event {
            Ok(e) => concerns(e, &filter_dir),
            // An overflowed queue or a broken watch: look again rather than miss a change.
            Err(_) => true,
        };
        if relevant {
            signal.notify_one();
        }
    })?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty())
        && let Err(e) = watcher.watch(parent, RecursiveMode::NonRecursive)
    {
        tracing::warn!(dir = %parent.display(), error = %e, "cannot watch the parent directory; a swapped symlink will not be noticed");
    }
    rewatch(&mut watcher, &dir, true);

    Ok(tokio::spawn(async move {
        loop {
            changed.notified().await;
            // Debounce: wait for a quiet spell, but not forever.
            let deadline = Instant::now() + MAX_DELAY;
            loop {
                let quiet = (Instant::now() + debounce).min(deadline);
                tokio::select! {
                    () = changed.notified() => {}
                    () = sleep_until(quiet) => break,
                }
                if Instant::now() >= deadline {
                    break;
                }
            }
            // Events from here on wake the next round: nothing is missed while reloading.
            rewatch(&mut watcher, &dir, false);
            reloader.reload().await;
        }
    }))
}

/// (Re)watches `dir` recursively. Done before every reload: the directory may have been
/// replaced (a swapped symlink, a re-created folder), and a watch follows the old one. A change
/// made while the watch is renewed is still seen, by the reload that follows.
fn rewatch(watcher: &mut RecommendedWatcher, dir: &Path, first: bool) {
    if !first {
        let _ = watcher.unwatch(dir);
    }
    if !dir.exists() {
        return;
    }
    if let Err(e) = watcher.watch(dir, RecursiveMode::Recursive) {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot watch the directory");
    }
}

/// Whether an event can change what is served: a change (not a mere read) at or below `dir`,
/// outside `.git`.
fn concerns(event: &Event, dir: &Path) -> bool {
    use notify::event::{AccessKind, AccessMode};
    // Reads, the reload's own included, change nothing; a file closed after writing does.
    if matches!(event.kind, EventKind::Access(a) if a != AccessKind::Close(AccessMode::Write)) {
        return false;
    }
    if event.need_rescan() {
        return true;
    }
    event.paths.iter().any(|p| {
        p.strip_prefix(dir)
            .is_ok_and(|rel| !rel.components().any(|c| c.as_os_str() == ".git"))
    })
}
