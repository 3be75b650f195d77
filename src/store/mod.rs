//! The served state: one `Arc<Snapshot>` holding a revision and its index, swapped whole by the
//! reloader, plus what `/status` and `/metrics` report about reload attempts. Handlers only read.

pub mod follow;
pub mod gone;
pub mod index;
pub mod query;
pub mod reload;
pub mod source;
pub mod work_tree;

use crate::check::diagnostic::Diagnostic;
use crate::store::index::Index;
pub use crate::store::source::{SourceInfo, SourceKind};
use arc_swap::ArcSwapOption;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use time::OffsetDateTime;

/// One revision as served: never changed after it is built.
#[derive(Debug)]
pub struct Snapshot {
    /// `X-Registry-Revision`: the commit id, or in a plain directory a digest of the content.
    pub revision: String,
    /// The commit, when the content comes from git.
    pub commit: Option<String>,
    pub index: Index,
    /// The managed-settings allowlist of this revision (`mcp-gitops allowlist`), as JSON.
    pub allowlist: bytes::Bytes,
    /// registry.yaml's views, each a registry of its own: a snapshot of the same revision
    /// holding what the view selects. Swapped in with this one, so every view changes at once.
    pub views: Vec<Arc<Snapshot>>,
    /// On a view's snapshot: which view it is.
    pub view: Option<ViewInfo>,
    /// `rootRegistry: false`: only the views are served.
    pub root_off: bool,
    pub served_at: OffsetDateTime,
}

/// What a view's snapshot knows of its view.
#[derive(Debug)]
pub struct ViewInfo {
    pub name: String,
    /// Shown on the view's web page.
    pub description: Option<String>,
    /// The view's own read token (`readTokenFile`), accepted beside the registry's; `Err` when
    /// the file could not be read, and then only the registry's token opens the view.
    pub token: Option<Result<String, String>>,
}

impl Snapshot {
    /// A revision of `index` alone, served from now: no commit, allowlist or views (tests,
    /// benchmarks, and registries built outside the reloader).
    pub fn of_index(revision: String, commit: Option<String>, index: Index) -> Snapshot {
        Snapshot {
            revision,
            commit,
            index,
            allowlist: Default::default(),
            views: Vec::new(),
            view: None,
            root_off: false,
            served_at: OffsetDateTime::now_utc(),
        }
    }

    /// The view called `name`.
    pub fn view(&self, name: &str) -> Option<&Arc<Snapshot>> {
        self.views
            .iter()
            .find(|v| v.view.as_ref().is_some_and(|i| i.name == name))
    }

    /// The view's name, on a view's snapshot.
    pub fn view_name(&self) -> Option<&str> {
        self.view.as_ref().map(|v| v.name.as_str())
    }
}

/// How a reload attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A new revision is served.
    Served,
    /// The content is what is already served.
    Unchanged,
    /// The revision has errors; the last good one stays.
    Invalid,
    /// The source could not be read.
    Failed,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Served,
        Outcome::Unchanged,
        Outcome::Invalid,
        Outcome::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Served => "served",
            Outcome::Unchanged => "unchanged",
            Outcome::Invalid => "invalid",
            Outcome::Failed => "failed",
        }
    }

    pub fn is_good(self) -> bool {
        matches!(self, Outcome::Served | Outcome::Unchanged)
    }
}

/// One reload attempt, for `/status`.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub at: OffsetDateTime,
    pub outcome: Outcome,
    /// The revision attempted, when known (a commit; a directory's digest once it validated).
    pub revision: Option<String>,
    /// Every error found (warnings are only counted).
    pub errors: Vec<Diagnostic>,
    pub warnings: usize,
    /// Why the source could not be read.
    pub message: Option<String>,
    pub duration_ms: u64,
}

/// What the git sync last did, for `/status` and `/metrics` (git sources only).
#[derive(Clone, Debug, Default)]
pub struct GitStatus {
    /// The source URL with any credentials taken out.
    pub url: String,
    /// The configured ref; `None` means the remote's default branch.
    pub reference: Option<String>,
    /// What the ref resolved to at the last fetch (`refs/heads/main`, or a commit id).
    pub resolved: Option<String>,
    pub last_fetch_at: Option<OffsetDateTime>,
    /// The error of the last fetch, when it failed.
    pub last_fetch_error: Option<String>,
    pub consecutive_failures: u64,
    pub fetches_ok: u64,
    pub fetches_failed: u64,
    /// The newest commit fetched and tried, served or not.
    pub attempted_commit: Option<String>,
    /// The commit time of the served commit.
    pub served_commit_time: Option<OffsetDateTime>,
    /// The history is shallow: versions in its oldest commit are dated by that commit.
    pub shallow_history: bool,
    /// Mirrors fetched anew since start because the old one's objects were damaged.
    pub mirror_rebuilds: u64,
}

pub struct Store {
    /// Why `ArcSwapOption`: every request reads the snapshot and the reloader replaces it rarely.
    /// A load is a few atomic operations with no lock for readers to queue on, and a request
    /// that took its `Arc` keeps that whole revision alive until it is done, so no response
    /// mixes two revisions. Take `load_full()` (an owned `Arc`), never hold a `Guard` across an
    /// `.await`: guards are a small per-thread resource meant for short borrows. `None` until
    /// the first good revision.
    current: ArcSwapOption<Snapshot>,
    /// What the git sync last did; `None` for a directory source.
    git: Mutex<Option<GitStatus>>,
    /// The last attempt; written by the reloader only, read by `/status`.
    last_attempt: Mutex<Option<Attempt>>,
    reloads: [AtomicU64; 4],
    source: SourceInfo,
}

impl Store {
    pub fn new(source: SourceInfo) -> Store {
        Store {
            current: ArcSwapOption::empty(),
            last_attempt: Mutex::new(None),
            git: Mutex::new(None),
            reloads: Default::default(),
            source,
        }
    }

    /// The snapshot being served, to be used for a whole request.
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.current.load_full()
    }

    /// Serves `snapshot` from now on. Requests under way finish with the one they took.
    pub fn publish(&self, snapshot: impl Into<Arc<Snapshot>>) {
        self.current.store(Some(snapshot.into()));
    }

    pub fn record(&self, attempt: Attempt) {
        self.reloads[attempt.outcome as usize].fetch_add(1, Ordering::Relaxed);
        *self
            .last_attempt
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(attempt);
    }

    pub fn last_attempt(&self) -> Option<Attempt> {
        self.last_attempt
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reload attempts so far, by outcome.
    pub fn reloads(&self) -> [(Outcome, u64); 4] {
        Outcome::ALL.map(|o| (o, self.reloads[o as usize].load(Ordering::Relaxed)))
    }

    /// Changes the git sync status (created on first use).
    pub fn update_git(&self, change: impl FnOnce(&mut GitStatus)) {
        let mut git = self.git.lock().unwrap_or_else(PoisonError::into_inner);
        change(git.get_or_insert_with(GitStatus::default));
    }

    /// The git sync status; `None` for a directory source.
    pub fn git(&self) -> Option<GitStatus> {
        self.git
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn source(&self) -> &SourceInfo {
        &self.source
    }

    /// A good index is served.
    pub fn is_ready(&self) -> bool {
        self.current.load().is_some()
    }

    /// A revision is served but the last attempt to move on failed.
    pub fn is_degraded(&self) -> bool {
        self.last_attempt().is_some_and(|a| !a.outcome.is_good())
    }
}
