//! The only writer of the store: read the source → validate (the same code as `lint`) → build
//! the index → swap. A revision with any error is not served: the last good index stays, and
//! the attempt with every error is recorded for `/status`, `/metrics` and the logs.

use crate::diagnostic::Diagnostic;
use crate::index::{EntryTimes, Index, Input, Times};
use crate::load;
use crate::store::{Attempt, Outcome, Snapshot, SourceInfo, Store};
use crate::validate;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use time::OffsetDateTime;

/// Where the registry comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A local directory (an author's working tree, or one kept by a git-sync sidecar).
    Directory(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(
        "`{0}` is a git URL; serving straight from git is not supported yet: serve a local \
         directory (for example one kept up to date by a git-sync sidecar)"
    )]
    GitUrlUnsupported(String),
}

impl Source {
    /// A `--repo` value: a local directory path, or (soon) a git URL.
    pub fn parse(repo: &str) -> Result<Source, SourceError> {
        let scp_like = repo.split_once(':').is_some_and(|(head, _)| {
            head.contains('@') && !head.contains('/') && !head.starts_with('@')
        });
        if repo.contains("://") || scp_like {
            return Err(SourceError::GitUrlUnsupported(repo.to_string()));
        }
        Ok(Source::Directory(PathBuf::from(repo)))
    }

    pub fn info(&self) -> SourceInfo {
        match self {
            Source::Directory(dir) => SourceInfo {
                kind: "directory",
                location: dir.display().to_string(),
            },
        }
    }
}

pub struct Reloader {
    store: Arc<Store>,
    source: Source,
    /// One reload at a time; triggers that arrive meanwhile wait and then find the new state.
    running: tokio::sync::Mutex<()>,
}

impl Reloader {
    pub fn new(store: Arc<Store>, source: Source) -> Arc<Reloader> {
        Arc::new(Reloader {
            store,
            source,
            running: tokio::sync::Mutex::new(()),
        })
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Reloads off the async runtime (reading and validating are blocking, CPU-bound work).
    pub async fn reload(self: &Arc<Self>) -> Outcome {
        let _one_at_a_time = self.running.lock().await;
        let this = Arc::clone(self);
        match tokio::task::spawn_blocking(move || this.reload_blocking()).await {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::error!(error = %e, "the reload task failed");
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
            Source::Directory(dir) => build_directory(dir),
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
                self.store.publish(Snapshot {
                    revision: revision.clone(),
                    commit: built.commit,
                    index: built.index,
                    served_at: OffsetDateTime::now_utc(),
                });
                attempt(
                    Outcome::Served,
                    Some(revision),
                    vec![],
                    built.warnings,
                    None,
                )
            }
            Err(Rejected::Invalid { errors, warnings }) => {
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
                attempt(Outcome::Invalid, None, errors, warnings, None)
            }
            Err(Rejected::Unreadable(message)) => {
                tracing::error!(%message, duration_ms, "cannot read the registry");
                attempt(Outcome::Failed, None, vec![], 0, Some(message))
            }
        };
        let kind = outcome.outcome;
        self.store.record(outcome);
        kind
    }
}

/// A revision ready to serve.
struct Built {
    index: Index,
    commit: Option<String>,
    warnings: usize,
}

enum Rejected {
    Invalid {
        errors: Vec<Diagnostic>,
        warnings: usize,
    },
    Unreadable(String),
}

/// Reads, validates and indexes a directory. Each file's modification time stands in for the
/// times git history would give.
fn build_directory(dir: &Path) -> Result<Built, Rejected> {
    let tree = load::read_dir(dir).map_err(|e| Rejected::Unreadable(error_chain(&e)))?;
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
    let checked = validate::check(tree);
    if checked.errors() > 0 {
        let warnings = checked.warnings();
        let errors = checked
            .diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        return Err(Rejected::Invalid { errors, warnings });
    }
    let mut times = Times::new();
    for server in &checked.servers {
        let (Some(name), Some(at)) = (server.name(), modified.get(&server.file)) else {
            continue;
        };
        for v in &server.versions {
            if let Some(version) = v.version() {
                times.insert(
                    (name.to_string(), version.to_string()),
                    EntryTimes::all(*at),
                );
            }
        }
    }
    let index = Index::build(&Input {
        servers: &checked.servers,
        commit: None,
        times: &times,
        fallback_time: now,
        tombstones: &[],
    });
    Ok(Built {
        index,
        commit: None,
        warnings: checked.warnings(),
    })
}

/// An error and its causes, `a: b: c`.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_urls_are_recognized() {
        for url in [
            "https://github.com/acme/registry.git",
            "ssh://git@github.com/acme/registry.git",
            "git@github.com:acme/registry.git",
            "file:///srv/registry.git",
        ] {
            assert!(Source::parse(url).is_err(), "{url}");
        }
        for dir in ["example-repo", "/srv/registry", "./a:b", "c:d"] {
            assert_eq!(
                Source::parse(dir).unwrap(),
                Source::Directory(PathBuf::from(dir))
            );
        }
    }
}
