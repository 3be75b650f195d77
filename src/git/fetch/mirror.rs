//! The bare mirror in the cache dir: where it lives, and opening it (created when absent,
//! recreated when unusable or when it has gathered too many packs).

use super::{FetchError, GitCause, GitSource};
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
        let io_error = |source| FetchError::Cache {
            path: self.repo_path.clone(),
            source,
        };
        let cache_error = |e: git2::Error| {
            io_error(std::io::Error::other(GitCause::from_git(
                &e,
                str::to_string,
            )))
        };
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
