//! The only writer of the store: read the source → validate (the same code as `lint`) → build
//! the index → swap. A revision with any error is not served: the last good index stays, and
//! the attempt with every error is recorded for `/status`, `/metrics` and the logs.

use crate::check::diagnostic::Diagnostic;
use crate::check::dir;
use crate::check::model::ServerDef;
use crate::check::model::{VersionTimes, from_unix};
use crate::check::validate;
use crate::clients::allowlist;
use crate::error_chain::error_chain;
use crate::git::fetch::{self, GitSource};
use crate::git::history::History;
use crate::git::tree;
use crate::store::gone::Gone;
use crate::store::index::{Index, Input, Times, Tombstones};
use crate::store::source::Source;
use crate::store::work_tree::{self, WorkTree};
use crate::store::{Attempt, Outcome, Snapshot, Store, ViewInfo};
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use time::OffsetDateTime;

pub struct Reloader {
    store: Arc<Store>,
    source: Source,
    /// One reload at a time; triggers that arrive meanwhile wait and then find the new state.
    running: tokio::sync::Mutex<()>,
    /// Git history, kept between syncs so each new commit is processed once. Only the running
    /// reload touches it.
    history: Mutex<Option<History>>,
    /// Changes seen in a directory source, counted by its watcher: a read during which the
    /// count moved may have seen half a change, and is not served.
    changes: AtomicU64,
    /// Versions served once and gone without a removal history can date.
    gone: Mutex<Gone>,
}

impl Reloader {
    pub fn new(store: Arc<Store>, source: Source) -> Arc<Reloader> {
        let gone = match &source {
            Source::Git(git) => Gone::load(git.repo_path().with_extension("gone.json")),
            Source::Directory(_) => Gone::default(),
        };
        Arc::new(Reloader {
            gone: Mutex::new(gone),
            store,
            source,
            running: tokio::sync::Mutex::new(()),
            history: Mutex::new(None),
            changes: AtomicU64::new(0),
        })
    }

    /// Counts a change of the directory source (its watcher calls this for every event).
    pub fn note_change(&self) {
        self.changes.fetch_add(1, Ordering::SeqCst);
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Reloads off the async runtime (reading and validating are blocking, CPU-bound work), on
    /// a thread of its own that ends with the reload: its CPU priority is lowered, so that on a
    /// small machine requests keep their latency while a revision is being built (serving a
    /// good revision matters more than swapping in the next one a moment sooner), and the
    /// memory the reload used goes back to the allocator, and from there to the OS, at once
    /// rather than when an idle pooled thread would be retired.
    pub async fn reload(self: &Arc<Self>) -> Outcome {
        let _one_at_a_time = self.running.lock().await;
        let this = Arc::clone(self);
        let (done, outcome) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("reload".into())
            .stack_size(RELOAD_STACK_BYTES)
            .spawn(move || {
                lower_priority();
                let outcome = this.reload_blocking();
                give_back_memory();
                let _ = done.send(outcome);
            });
        let outcome = match spawned {
            Ok(_) => outcome
                .await
                .map_err(|_| "the reload thread panicked".to_string()),
            Err(e) => Err(format!("cannot start the reload thread: {e}")),
        };
        match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::error!(error = %e, "the reload failed");
                self.store.record(Attempt {
                    at: OffsetDateTime::now_utc(),
                    outcome: Outcome::Failed,
                    revision: None,
                    errors: vec![],
                    warnings: 0,
                    message: Some("internal error during the reload".to_string()),
                    duration_ms: 0,
                });
                Outcome::Failed
            }
        }
    }

    /// One attempt, start to end. Blocking.
    #[tracing::instrument(skip_all, fields(source = %self.source.info().location))]
    pub fn reload_blocking(&self) -> Outcome {
        let started = Instant::now();
        let at = OffsetDateTime::now_utc();
        let result = match &self.source {
            Source::Directory(dir) => {
                let before = self.changes.load(Ordering::SeqCst);
                self.build_directory(dir).and_then(|built| {
                    if self.changes.load(Ordering::SeqCst) == before {
                        Ok(built)
                    } else {
                        Err(Rejected::Changing)
                    }
                })
            }
            Source::Git(git) => self.build_git(git),
        };
        let duration_ms = started.elapsed().as_millis() as u64;
        let attempt = |outcome, revision, errors, warnings, message| Attempt {
            at,
            outcome,
            revision,
            errors,
            warnings,
            message,
            duration_ms,
        };
        let served = self.store.current();
        let outcome = match result {
            Ok(built) => {
                let revision = built
                    .commit
                    .clone()
                    .unwrap_or_else(|| built.index.digest().to_string());
                if served.as_ref().is_some_and(|s| s.revision == revision) {
                    tracing::debug!(%revision, duration_ms, "content unchanged");
                    self.store.record(attempt(
                        Outcome::Unchanged,
                        Some(revision),
                        vec![],
                        built.warnings,
                        None,
                    ));
                    return Outcome::Unchanged;
                }
                tracing::info!(
                    %revision,
                    servers = built.index.server_count(),
                    entries = built.index.entries().len(),
                    warnings = built.warnings,
                    duration_ms,
                    "serving a new revision"
                );
                let served_at = OffsetDateTime::now_utc();
                let views = built
                    .views
                    .into_iter()
                    .map(|(info, index, allowlist)| {
                        Arc::new(Snapshot {
                            revision: revision.clone(),
                            commit: built.commit.clone(),
                            index,
                            allowlist,
                            views: Vec::new(),
                            view: Some(info),
                            root_off: false,
                            served_at,
                        })
                    })
                    .collect();
                self.store.publish(Snapshot {
                    revision: revision.clone(),
                    commit: built.commit,
                    index: built.index,
                    allowlist: built.allowlist,
                    views,
                    view: None,
                    root_off: built.root_off,
                    served_at,
                });
                attempt(
                    Outcome::Served,
                    Some(revision),
                    vec![],
                    built.warnings,
                    None,
                )
            }
            Err(Rejected::Invalid {
                errors,
                warnings,
                revision,
            }) => {
                let still = served
                    .as_ref()
                    .map_or("nothing yet", |s| s.revision.as_str());
                tracing::warn!(
                    errors = errors.len(),
                    still_serving = still,
                    duration_ms,
                    "the new revision has errors and is not served"
                );
                for d in errors.iter().take(20) {
                    tracing::warn!("{d}");
                }
                attempt(Outcome::Invalid, revision, errors, warnings, None)
            }
            // A fetch that brings the commit already served is a good attempt, whatever the
            // attempts before it did: the backoff resets and /status stops saying "failed".
            Err(Rejected::Served(revision)) => {
                tracing::debug!(%revision, "commit already served");
                attempt(Outcome::Unchanged, Some(revision), vec![], 0, None)
            }
            // The directory changed while it was read (a copy or a delete under way): what
            // was read may be half of it. The watcher reads it again once it is quiet.
            Err(Rejected::Changing) => {
                tracing::debug!(
                    duration_ms,
                    "the directory changed while it was read; not served"
                );
                return self
                    .store
                    .last_attempt()
                    .map_or(Outcome::Unchanged, |a| a.outcome);
            }
            Err(Rejected::NoServers { message, revision }) => {
                tracing::warn!(%revision, error = %message, "not served");
                attempt(Outcome::Invalid, Some(revision), vec![], 0, Some(message))
            }
            Err(Rejected::Tried(revision)) => {
                let last = self.store.last_attempt();
                tracing::debug!(%revision, "commit already tried");
                return last.map_or(Outcome::Unchanged, |a| a.outcome);
            }
            Err(Rejected::Unreadable(message) | Rejected::Damaged(message)) => {
                tracing::error!(error = %message, duration_ms, "cannot read the registry");
                attempt(Outcome::Failed, None, vec![], 0, Some(message))
            }
        };
        let kind = outcome.outcome;
        self.store.record(outcome);
        kind
    }
}

impl Reloader {
    /// Fetches, and when the commit is new: reads its tree from the object database (no
    /// checkout), validates, advances the history and builds the index. Blocking.
    fn build_git(&self, git: &GitSource) -> Result<Built, Rejected> {
        let fetched = git.fetch();
        self.store.update_git(|g| {
            g.url = fetch::redact_url(git.url());
            g.reference = git.reference().map(str::to_string);
            g.last_fetch_at = Some(OffsetDateTime::now_utc());
            match &fetched {
                Ok(f) => {
                    g.mirror_rebuilds = git.rebuilds();
                    g.resolved = Some(f.resolved.clone());
                    g.attempted_commit = Some(f.commit.to_string());
                    g.last_fetch_error = None;
                    g.consecutive_failures = 0;
                    g.fetches_ok += 1;
                }
                Err(e) => {
                    g.last_fetch_error = Some(error_chain(e));
                    g.consecutive_failures += 1;
                    g.fetches_failed += 1;
                }
            }
        });
        let fetched = match fetched {
            Ok(fetched) => fetched,
            // Nothing served yet (a restart) and the remote unreachable: the mirror still has
            // the commit served before, checked again below like any other.
            Err(e) => {
                let cached = match self.store.current() {
                    None => git.last_served(),
                    Some(_) => None,
                };
                let Some(cached) = cached else {
                    return Err(Rejected::Unreadable(error_chain(&e)));
                };
                tracing::warn!(
                    error = %error_chain(&e),
                    commit = %cached.commit,
                    "cannot fetch; serving the commit served before, from the cache, until a fetch succeeds"
                );
                cached
            }
        };
        let commit_id = fetched.commit.to_string();
        // Most polls find the commit already served, or already tried and rejected.
        if self
            .store
            .current()
            .is_some_and(|s| s.revision == commit_id)
        {
            return Err(Rejected::Served(commit_id));
        }
        if self
            .store
            .last_attempt()
            .is_some_and(|a| a.revision.as_deref() == Some(&commit_id))
        {
            return Err(Rejected::Tried(commit_id));
        }
        match self.build_commit(git, &fetched, &commit_id) {
            // The mirror lost objects it had (a truncated pack, a bad disk): fetch it anew
            // beside the old one and try again, once. The last good index is served meanwhile.
            Err(Rejected::Damaged(message)) => {
                tracing::warn!(error = %message, "the mirror's objects are damaged; fetching it anew");
                let fresh = git
                    .rebuild()
                    .map_err(|e| Rejected::Unreadable(error_chain(&e)))?;
                self.store
                    .update_git(|g| g.mirror_rebuilds = git.rebuilds());
                // History read from the old mirror is rebuilt from the new one.
                *self.history.lock().unwrap_or_else(PoisonError::into_inner) = None;
                match self.build_commit(git, &fresh, &fresh.commit.to_string()) {
                    Err(Rejected::Damaged(message)) => Err(Rejected::Unreadable(message)),
                    other => other,
                }
            }
            other => other,
        }
    }

    /// Reads, validates and indexes the fetched commit. Blocking.
    fn build_commit(
        &self,
        git: &GitSource,
        fetched: &fetch::Fetched,
        commit_id: &str,
    ) -> Result<Built, Rejected> {
        let commit_id = commit_id.to_string();
        let unreadable = |e: git2::Error| {
            let message = format!("cannot read commit {commit_id}: {e}");
            if fetch::is_damaged_odb(&e) {
                Rejected::Damaged(message)
            } else {
                Rejected::Unreadable(message)
            }
        };
        let commit = fetched
            .repo
            .find_commit(fetched.commit)
            .map_err(unreadable)?;
        let tree = commit.tree().map_err(unreadable)?;
        let prefix = git.prefix();
        // No `servers/` where the registry should be (the wrong --path, or a commit that moved
        // it): an empty registry would be served, so refuse and say where we looked.
        let servers = format!("{prefix}servers");
        if !tree
            .get_path(Path::new(&servers))
            .is_ok_and(|e| e.kind() == Some(git2::ObjectType::Tree))
        {
            return Err(Rejected::NoServers {
                message: format!(
                    "commit {commit_id} has no {servers}/ folder: the registry's server files are expected there{}",
                    if prefix.is_empty() {
                        " (--path names a registry in a subfolder)"
                    } else {
                        ""
                    }
                ),
                revision: commit_id,
            });
        }
        let checked =
            validate::check(tree::read(&fetched.repo, &tree, prefix).map_err(unreadable)?);
        if checked.errors() > 0 {
            return Err(Rejected::invalid(checked, Some(commit_id)));
        }

        let mut history = self.history.lock().unwrap_or_else(PoisonError::into_inner);
        let history = match history.as_mut() {
            Some(h) => {
                h.advance(&fetched.repo, fetched.commit)
                    .map_err(unreadable)?;
                h
            }
            None => history.insert(
                History::build_reusing(&fetched.repo, fetched.commit, prefix, &checked.servers)
                    .map_err(unreadable)?,
            ),
        };
        let commit_time = from_unix(fetched.time);
        let shallow = history.shallow;
        self.store.update_git(|g| {
            g.shallow_history = shallow;
            g.served_commit_time = Some(commit_time);
        });
        let served = self.store.current();
        let before_restart = match served {
            None => previous_index(git, fetched),
            Some(_) => None,
        };
        let served = served
            .as_ref()
            .map(|s| &s.index)
            .or(before_restart.as_ref());
        let (times, tombstones) = self.with_gone(
            served,
            &checked.servers,
            history.times.clone(),
            history.tombstones.clone(),
        );
        let built = Built::new(
            &checked,
            &Input {
                servers: &checked.servers,
                commit: Some(&commit_id),
                times: &times,
                fallback_time: commit_time,
                tombstones: &tombstones,
                view: None,
                reuse: None,
            },
        );
        if let Err(e) = git.mark_served(&fetched.repo, fetched.commit) {
            tracing::warn!(error = %e, "cannot record the served commit in the cache");
        }
        Ok(built)
    }
}

/// A revision ready to serve.
struct Built {
    index: Index,
    /// Its allowlist, as JSON.
    allowlist: bytes::Bytes,
    /// Each view of registry.yaml, built from the same servers, times and tombstones.
    views: Vec<(ViewInfo, Index, bytes::Bytes)>,
    root_off: bool,
    commit: Option<String>,
    warnings: usize,
}

impl Built {
    /// The root registry and every view of one validated revision, so that one swap serves
    /// them all together.
    fn new(checked: &validate::Checked, root: &Input) -> Built {
        let index = Index::build(root);
        let contributions = allowlist::contributions(&checked.servers);
        let views = checked
            .config
            .views
            .iter()
            .map(|view| {
                let info = ViewInfo {
                    name: view.name.text.clone(),
                    description: view.description.clone(),
                    token: view.read_token_file.as_deref().map(|file| {
                        crate::secret_file::read(Path::new(file)).map_err(|e| {
                            tracing::warn!(view = %view.name.text, %file, error = %e, "cannot read the view's token file: only the registry's token opens the view");
                            format!("cannot read {file}: {e}")
                        })
                    }),
                };
                let view_index = Index::build(&Input {
                    view: Some(view),
                    reuse: Some(&index),
                    ..*root
                });
                let selected = contributions.iter().filter(|c| {
                    view.selects(c.name, &c.server.labels) && view.keeps(c.version.status)
                });
                let allowlist = allowlist_json(selected, checked);
                (info, view_index, allowlist)
            })
            .collect();
        Built {
            index,
            allowlist: allowlist_json(&contributions, checked),
            views,
            root_off: checked.config.root_off,
            commit: root.commit.map(str::to_string),
            warnings: checked.warnings(),
        }
    }
}

enum Rejected {
    Invalid {
        errors: Vec<Diagnostic>,
        warnings: usize,
        /// The commit that was tried, when there is one.
        revision: Option<String>,
    },
    Unreadable(String),
    /// The mirror's object database cannot give objects it should hold.
    Damaged(String),
    /// The commit is the one served: nothing to do, and nothing failed.
    Served(String),
    /// The commit is the one last tried and rejected: nothing to do; it stays rejected.
    Tried(String),
    /// A directory changed while it was read.
    Changing,
    /// The commit has no `servers/` where the registry should be.
    NoServers {
        message: String,
        revision: String,
    },
}

impl Rejected {
    /// The findings of a revision that has errors.
    fn invalid(checked: validate::Checked, revision: Option<String>) -> Rejected {
        let warnings = checked.warnings();
        let errors = checked
            .diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        Rejected::Invalid {
            errors,
            warnings,
            revision,
        }
    }
}

impl Reloader {
    /// Reads, validates and indexes a directory. Each file's modification time stands in for the
    /// times git history would give.
    fn build_directory(&self, dir: &Path) -> Result<Built, Rejected> {
        // No `servers/` (a directory being deleted or not yet copied, or the wrong directory): an
        // empty registry would be served, so refuse and say where we looked.
        let servers = dir.join("servers");
        if !servers.is_dir() {
            return Err(Rejected::Unreadable(format!(
                "{} has no servers/ folder: the registry's server files are expected in {}",
                dir.display(),
                servers.display()
            )));
        }
        let tree = dir::read_dir(dir).map_err(|e| Rejected::Unreadable(error_chain(&e)))?;
        let now = OffsetDateTime::now_utc();
        let modified: std::collections::HashMap<String, OffsetDateTime> = tree
            .files
            .iter()
            .map(|f| {
                let at = std::fs::metadata(dir.join(&f.path))
                    .and_then(|m| m.modified())
                    .map_or(now, OffsetDateTime::from);
                (f.path.clone(), at)
            })
            .collect();
        // In a git work tree, committed files are dated by history; the rest by mtime.
        let work_tree = WorkTree::open(dir);
        let blob_ids = work_tree.as_ref().map(|_| work_tree::blob_ids(&tree.files));
        let checked = validate::check(tree);
        if checked.errors() > 0 {
            return Err(Rejected::invalid(checked, None));
        }
        let committed = work_tree.zip(blob_ids).and_then(|(work_tree, ids)| {
            let mut history = self.history.lock().unwrap_or_else(PoisonError::into_inner);
            work_tree.committed(&ids, &checked.servers, &mut history)
        });
        let (mut times, history_tombstones) = match committed {
            Some(c) => (c.times, c.tombstones),
            None => (Times::new(), Tombstones::new()),
        };
        for server in &checked.servers {
            let (Some(name), Some(at)) = (server.name(), modified.get(&server.file)) else {
                continue;
            };
            for v in &server.versions {
                if let Some(version) = v.version() {
                    times
                        .entry((name.to_string(), version.to_string()))
                        .or_insert(VersionTimes::all(*at));
                }
            }
        }
        let served = self.store.current();
        let (times, tombstones) = self.with_gone(
            served.as_ref().map(|s| &s.index),
            &checked.servers,
            times,
            history_tombstones,
        );
        Ok(Built::new(
            &checked,
            &Input {
                servers: &checked.servers,
                commit: None,
                times: &times,
                fallback_time: now,
                tombstones: &tombstones,
                view: None,
                reuse: None,
            },
        ))
    }

    /// `times` and `tombstones` for the next revision, plus the versions `served` served that
    /// the next one (`servers`, and `tombstones` already) no longer holds.
    fn with_gone(
        &self,
        served: Option<&Index>,
        servers: &[ServerDef],
        mut times: Times,
        mut tombstones: Tombstones,
    ) -> (Times, Tombstones) {
        let live = servers.iter().flat_map(|s| {
            let name = s.name().unwrap_or_default();
            s.versions
                .iter()
                .filter_map(move |v| Some((name, v.version()?)))
        });
        let buried = tombstones.keys().map(|(n, v)| (n.as_str(), v.as_str()));
        let present: HashSet<(&str, &str)> = live.chain(buried).collect();
        let mut gone = self.gone.lock().unwrap_or_else(PoisonError::into_inner);
        let changed = gone.update(served, &present, OffsetDateTime::now_utc());
        if changed {
            tracing::info!(
                versions = gone.count(),
                "versions served before and gone now are served as deleted"
            );
            if let Err(e) = gone.save() {
                tracing::warn!(error = %e, "cannot save the versions seen to vanish");
            }
        }
        gone.add_to(&mut times, &mut tombstones);
        (times, tombstones)
    }
}

/// The allowlist of these versions of a validated revision, as `GET /allowlists/…` serves it.
fn allowlist_json<'a>(
    versions: impl IntoIterator<Item = &'a allowlist::Contribution<'a>>,
    checked: &validate::Checked,
) -> bytes::Bytes {
    let list = allowlist::assemble(versions, checked.config.allowlist.as_ref(), true);
    serde_json::to_vec_pretty(&list.to_json())
        .unwrap_or_default()
        .into()
}

/// At a restart whose first commit does not descend from the one served before (history was
/// rewritten while this registry was down): that commit's index, to see what vanished.
fn previous_index(git: &GitSource, fetched: &fetch::Fetched) -> Option<Index> {
    let last = git.last_served()?;
    let descends = fetched
        .repo
        .graph_descendant_of(fetched.commit, last.commit)
        .unwrap_or(false);
    if last.commit == fetched.commit || descends {
        return None;
    }
    let tree = last.repo.find_commit(last.commit).ok()?.tree().ok()?;
    let checked = validate::check(tree::read(&last.repo, &tree, git.prefix()).ok()?);
    if checked.errors() > 0 {
        return None;
    }
    let history =
        History::build_reusing(&last.repo, last.commit, git.prefix(), &checked.servers).ok()?;
    Some(Index::build(&Input {
        servers: &checked.servers,
        commit: Some(&last.commit.to_string()),
        times: &history.times,
        fallback_time: from_unix(last.time),
        tombstones: &history.tombstones,
        view: None,
        reuse: None,
    }))
}

/// The reload thread's stack: reserved, and touched only as deep as a reload goes. Our walks
/// do not recurse, but libgit2 packs a `file://` remote's objects in this process with a
/// recursion per folder level; this much stack takes a tree a million folders deep (remote
/// servers pack on their side). The YAML parser stops at 64 levels.
const RELOAD_STACK_BYTES: usize = 256 * 1024 * 1024;

/// How much nicer than the request threads a reload runs (Unix `nice`, 0–19). The threads a
/// reload starts to parse and build on every core inherit it.
const RELOAD_NICENESS: i32 = 10;

/// Lowers this thread's CPU priority (Linux: `setpriority` on a thread id applies to that
/// thread only). Best effort: without it a reload merely competes with requests as equals.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) =
        rustix::process::setpriority_process(Some(rustix::thread::gettid()), RELOAD_NICENESS)
    {
        tracing::debug!(error = %e, "cannot lower the reload thread's priority");
    }
}

/// Returns the memory a reload freed (the parsed trees, the replaced index) to the OS now.
/// mimalloc, the allocator `mcp-gitops` runs with, returns freed pages after a delay, but only
/// when some thread allocates again; an idle server would keep the garbage of its last reload
/// resident. `mi_collect` is harmless when the process runs on another allocator.
#[allow(unsafe_code)]
fn give_back_memory() {
    // SAFETY: `mi_collect` takes a flag and touches only mimalloc's own state; it is safe to
    // call from any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}
