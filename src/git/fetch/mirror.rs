//! The bare mirror in the cache dir: where it lives, opening it (created when absent,
//! recreated when unusable or when it has gathered too many packs), and fetching it anew
//! beside the old one when its objects are damaged.

use super::session::Session;
use super::{FetchError, GitCause, GitSource, Want};
use crate::git::remote::strip_userinfo;
use git2::Repository;
use sha2::{Digest, Sha256};
use std::path::Path;

/// libgit2 has no `gc`: each fetch that brings objects adds a pack. Past this many packs the
/// mirror is dropped and fetched anew, which keeps object lookups quick on a long-lived server.
const MAX_PACKS: usize = 256;

impl GitSource {
    /// Opens the mirror, creating it when absent and recreating it when unusable or when it
    /// has gathered too many packs.
    pub(super) fn open_cache(&self) -> Result<Repository, FetchError> {
        let io_error = |e| self.cache_error(e);
        let cache_error = |e| self.cache_git_error(e);
        std::fs::create_dir_all(&self.config.cache_dir).map_err(io_error)?;
        if self.repo_path.exists() {
            match Repository::open_bare(&self.repo_path) {
                Ok(repo) => {
                    let packs = count_packs(&self.repo_path);
                    if packs <= MAX_PACKS {
                        return Ok(repo);
                    }
                    tracing::info!(
                        path = %self.repo_path.display(),
                        packs,
                        "the cache repository has many packs; fetching it anew"
                    );
                }
                Err(e) => tracing::warn!(
                    path = %self.repo_path.display(),
                    error = %e,
                    "the cache repository is unusable; fetching it anew"
                ),
            }
            std::fs::remove_dir_all(&self.repo_path).map_err(io_error)?;
        }
        Repository::init_bare(&self.repo_path).map_err(cache_error)
    }
}

fn count_packs(repo: &Path) -> usize {
    std::fs::read_dir(repo.join("objects/pack"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".pack"))
                .count()
        })
        .unwrap_or(0)
}

/// The mirror's folder name: a short hash of the URL, userinfo left out (so a credential in
/// the URL does not reach the file system, and rotating it keeps the cache).
pub(super) fn cache_name(url: &str) -> String {
    let digest = Sha256::digest(strip_userinfo(url).as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

impl GitSource {
    /// A new mirror beside the current one, fetched whole, then swapped in: the old one is
    /// kept until the new one has every object, so a failed fetch loses nothing.
    pub(super) fn fetch_fresh(
        &self,
        session: &Session<'_>,
    ) -> Result<(Repository, Want, (usize, usize)), FetchError> {
        let io_error = |e| self.cache_error(e);
        let git_error = |e| self.cache_git_error(e);
        let fresh = self.repo_path.with_extension("rebuild");
        if fresh.exists() {
            std::fs::remove_dir_all(&fresh).map_err(io_error)?;
        }
        let repo = Repository::init_bare(&fresh).map_err(git_error)?;
        let (want, stats) = self.download(&repo, session)?;
        drop(repo);
        let damaged = self.repo_path.with_extension("damaged");
        if damaged.exists() {
            std::fs::remove_dir_all(&damaged).map_err(io_error)?;
        }
        if self.repo_path.exists() {
            std::fs::rename(&self.repo_path, &damaged).map_err(io_error)?;
        }
        std::fs::rename(&fresh, &self.repo_path).map_err(io_error)?;
        if let Err(e) = std::fs::remove_dir_all(&damaged) {
            tracing::warn!(path = %damaged.display(), error = %e, "cannot remove the damaged mirror");
        }
        self.rebuilds
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(path = %self.repo_path.display(), "the mirror was fetched anew and swapped in");
        let repo = Repository::open_bare(&self.repo_path).map_err(git_error)?;
        Ok((repo, want, stats))
    }

    /// Mirrors fetched anew because the old one was damaged, since start.
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl GitSource {
    /// The mirror could not be used: the file system said why.
    fn cache_error(&self, source: std::io::Error) -> FetchError {
        FetchError::Cache {
            path: self.repo_path.clone(),
            source,
        }
    }

    /// The mirror could not be used: libgit2 said why.
    fn cache_git_error(&self, e: git2::Error) -> FetchError {
        self.cache_error(std::io::Error::other(GitCause::from_git(
            &e,
            str::to_string,
        )))
    }
}
