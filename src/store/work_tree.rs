//! Dates for a directory source that is (inside) a git working tree, as a newcomer's first
//! `cargo run` on `example-repo/` is: the files whose content is committed at `HEAD` are dated
//! by history as in git mode; modification times stand in only for uncommitted changes.

use crate::check::files::{self, Role, SourceFile};
use crate::check::model::ServerDef;
use crate::git::history::History;
use crate::git::tree;
use crate::store::index::{Times, Tombstones};
use git2::{ObjectType, Oid, Repository};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// What git says of a directory's files.
pub struct Committed {
    /// Times of the versions whose file is committed as it is.
    pub times: Times,
    pub tombstones: Tombstones,
}

/// A directory inside a git work tree: the repository, and where the directory is in it.
pub struct WorkTree {
    repo: Repository,
    /// The directory inside the work tree: `""` or `"a/b/"`.
    prefix: String,
}

/// The git blob id of each server file as it is in the directory: computed before validation
/// takes the files.
pub fn blob_ids(files: &[SourceFile]) -> HashMap<String, Oid> {
    files
        .iter()
        .filter(|f| files::role(&f.path) == Role::Server)
        .filter_map(|f| {
            Some((
                f.path.clone(),
                Oid::hash_object(ObjectType::Blob, &f.bytes).ok()?,
            ))
        })
        .collect()
}

impl WorkTree {
    /// The work tree `dir` is in; `None` when it is in none.
    pub fn open(dir: &Path) -> Option<WorkTree> {
        let repo = Repository::discover(dir).ok()?;
        let workdir = repo.workdir()?.canonicalize().ok()?;
        let here = dir.canonicalize().ok()?;
        let rel = here.strip_prefix(&workdir).ok()?.to_str()?.to_string();
        let prefix = if rel.is_empty() {
            rel
        } else {
            format!("{rel}/")
        };
        Some(WorkTree { repo, prefix })
    }

    /// History of `HEAD`, kept in `history` between reloads (advanced by the commits since),
    /// and the times of those of `servers` whose file (`ids`, from `blob_ids`) is committed as
    /// it is. `None` when the history cannot be read (modification times then stand in).
    pub fn committed(
        &self,
        ids: &HashMap<String, Oid>,
        servers: &[ServerDef],
        history: &mut Option<History>,
    ) -> Option<Committed> {
        let repo = &self.repo;
        let head = repo.head().ok()?.peel_to_commit().ok()?;
        let at_head = tree::server_blobs(repo, &head.tree().ok()?, &self.prefix).ok()?;
        let unchanged: HashSet<&str> = servers
            .iter()
            .filter(|s| {
                at_head
                    .get(&s.file)
                    .is_some_and(|blob| ids.get(&s.file) == Some(blob))
            })
            .map(|s| s.file.as_str())
            .collect();
        let advanced = match history.as_mut() {
            Some(h) => h.advance(repo, head.id()).is_ok(),
            None => false,
        };
        if !advanced {
            let built = History::build(repo, head.id(), &self.prefix)
                .inspect_err(|e| tracing::warn!(error = %e, "cannot read the work tree's git history; modification times stand in"))
                .ok()?;
            *history = Some(built);
        }
        let history = history.as_ref()?;
        let mut times = Times::new();
        for s in servers
            .iter()
            .filter(|s| unchanged.contains(s.file.as_str()))
        {
            let Some(name) = s.name() else { continue };
            for v in &s.versions {
                let key = (
                    name.to_string(),
                    v.version().unwrap_or_default().to_string(),
                );
                if let Some(t) = history.times.get(&key) {
                    times.insert(key, *t);
                }
            }
        }
        Some(Committed {
            times,
            tombstones: history.tombstones.clone(),
        })
    }
}
