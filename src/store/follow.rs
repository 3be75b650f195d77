//! Keeps the served index following its source. For a local directory: a `notify` watch of the
//! directory (recursive) and of its parent (so a symlink swapped by a git-sync sidecar is seen),
//! events debounced and coalesced into one reload at a time. For a git remote: `follow` polls
//! with jitter and backoff, and syncs at once when a webhook fires.

use crate::store::Outcome;
use crate::store::reload::Reloader;
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
    let counter = Arc::clone(&reloader);
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    let filter_dir = dir.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
        let relevant = match &event {
            Ok(e) => concerns(e, &filter_dir),
            // An overflowed queue or a broken watch: look again rather than miss a change.
            Err(_) => true,
        };
        if relevant {
            counter.note_change();
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
        let mut failures: u32 = 0;
        loop {
            if failures == 0 {
                changed.notified().await;
            } else {
                // A reload that could not read the directory is tried again, with backoff,
                // even when nothing else changes.
                tokio::select! {
                    () = changed.notified() => {}
                    () = tokio::time::sleep(retry_wait(failures)) => {}
                }
            }
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
            failures = match reloader.reload().await {
                Outcome::Failed => failures.saturating_add(1),
                _ => 0,
            };
        }
    }))
}

/// The wait before retrying a directory that could not be read: 1 s, 2 s, 4 s … up to 30 s.
fn retry_wait(failures: u32) -> Duration {
    let doubling = 2u32.saturating_pow(failures.saturating_sub(1).min(5));
    (Duration::from_secs(1) * doubling).min(Duration::from_secs(30))
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

/// The longest wait between fetch attempts while the remote keeps failing.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Runs the first load at once, then reloads whenever `sync_now` fires (a webhook) and, with
/// `poll` set (git sources), every poll interval. Wake-ups that arrive during a reload
/// coalesce into one more. Failed fetches are retried with exponential backoff: quickly while
/// nothing is served yet, then slower than the interval while an older revision is served.
/// Intervals carry jitter so that replicas do not fetch in lockstep.
pub fn follow(
    reloader: Arc<Reloader>,
    sync_now: Arc<Notify>,
    poll: Option<Duration>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut failures: u32 = 0;
        loop {
            let outcome = reloader.reload().await;
            failures = if outcome == Outcome::Failed {
                failures.saturating_add(1)
            } else {
                0
            };
            let Some(interval) = poll else {
                sync_now.notified().await;
                continue;
            };
            let wait = next_wait(interval, failures, reloader.store().is_ready());
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = sync_now.notified() => tracing::debug!("sync triggered"),
            }
        }
    })
}

/// How long to wait before the next fetch.
pub fn next_wait(interval: Duration, failures: u32, serving: bool) -> Duration {
    let doubling = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
    let base = match (failures, serving) {
        (0, _) => interval,
        // Nothing served yet: retry soon (1 s, 2 s, 4 s …), never later than the interval.
        (_, false) => (Duration::from_secs(1) * doubling).min(interval),
        // Serving an older revision: back off beyond the interval, up to MAX_BACKOFF.
        (_, true) => (interval * doubling).min(MAX_BACKOFF.max(interval)),
    };
    jitter(base)
}

/// `base` ± 10%, from the standard library's randomly seeded hasher (no RNG dependency).
fn jitter(base: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let spread = (random % 2001) as f64 / 10_000.0 - 0.1; // -0.1 ..= +0.1
    base.mul_f64(1.0 + spread)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(d: Duration, base: Duration) -> bool {
        d >= base.mul_f64(0.899) && d <= base.mul_f64(1.101)
    }

    #[test]
    fn waits_follow_the_interval_and_back_off_with_jitter() {
        let minute = Duration::from_secs(60);
        assert!(within(next_wait(minute, 0, true), minute));
        // Not ready yet: 1 s, 2 s, 4 s … capped at the interval.
        assert!(within(next_wait(minute, 1, false), Duration::from_secs(1)));
        assert!(within(next_wait(minute, 3, false), Duration::from_secs(4)));
        assert!(within(next_wait(minute, 20, false), minute));
        // Serving: the interval, doubled per failure, capped at five minutes.
        assert!(within(next_wait(minute, 1, true), minute));
        assert!(within(next_wait(minute, 2, true), 2 * minute));
        assert!(within(next_wait(minute, 10, true), MAX_BACKOFF));
        let waits: std::collections::HashSet<Duration> =
            (0..20).map(|_| next_wait(minute, 0, true)).collect();
        assert!(waits.len() > 1, "jitter varies the wait");
    }
}
