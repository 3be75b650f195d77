//! Network time limits of a fetch, and libgit2's socket timeouts (process-wide C globals).

use std::sync::OnceLock;
use std::time::Duration;

/// Network time limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP connection. Process-wide in libgit2: the first `GitSource` sets it.
    /// Zero leaves it to the operating system.
    pub connect: Duration,
    /// Waiting for any one read or write on the socket (a silent server). Process-wide too.
    /// Zero: no limit.
    pub io: Duration,
    /// The whole fetch, from connecting to the last byte; enforced whenever data arrives.
    pub transfer: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(15),
            io: Duration::from_secs(60),
            transfer: Duration::from_secs(300),
        }
    }
}

/// The timeouts libgit2 was given (it has one pair for the whole process).
static SOCKET_TIMEOUTS: OnceLock<(Duration, Duration)> = OnceLock::new();

/// Sets libgit2's connect and socket timeouts the first time a `GitSource` is made; a later
/// source asking for others is told in the log that the first ones stand.
pub(super) fn socket_timeouts(timeouts: Timeouts) {
    let wanted = (timeouts.connect, timeouts.io);
    let set = SOCKET_TIMEOUTS.get_or_init(|| {
        set_libgit2_timeouts(millis(wanted.0), millis(wanted.1));
        wanted
    });
    if *set != wanted {
        tracing::warn!(
            connect = ?set.0,
            io = ?set.1,
            "libgit2's socket timeouts are process-wide; keeping the first ones set"
        );
    }
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

/// One of the crate's two `unsafe` calls (docs/architecture.md lists both).
#[allow(unsafe_code)]
fn set_libgit2_timeouts(connect_ms: i32, io_ms: i32) {
    // SAFETY: these write two plain `int` globals of libgit2 without synchronization, which is
    // a data race only if another thread reads them at the same time. libgit2 reads them only
    // when it opens a network stream or an ssh session, and in this crate that happens only in
    // `GitSource::fetch`, which needs a `GitSource`, which `GitSource::new` makes only after
    // this has returned: `OnceLock::get_or_init` runs it once, and every later caller
    // synchronizes with its completion. Both calls only assign an int (they cannot fail).
    unsafe {
        let _ = git2::opts::set_server_connect_timeout_in_milliseconds(connect_ms);
        let _ = git2::opts::set_server_timeout_in_milliseconds(io_ms);
    }
}
