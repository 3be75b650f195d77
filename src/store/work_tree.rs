//! Dates for a directory source that is (inside) a git working tree, as a newcomer's first
//! `cargo run` on `example-repo/` is: the files whose content is committed at `HEAD` are dated
//! by history as in git mode; modification times stand in only for uncommitted changes.

use crate::check::files::SourceFile;
use crate::check::model::ServerDef;
use crate::git::history::History;
use crate::git::tree;
use crate::store::index::{Times, Tombstones};
use git2::{ObjectType, Oid, Repository};
use std::collections::HashMap;
use std::path::Path;

/// What git says of a directory's files.
pub struct Committed {
    /// Times of the versions whose file is committed as it is.
    pub times: Times,
    pub tombstones: Tombstones,
}

/// The git blob id of each file as it is in the directory: computed before validation takes
/// the files, and only when the directory is in a work tree.
pub fn blob_ids(dir: &Path, files: &[SourceFile]) -> Option<HashMap<String, Oid>> {
    Repository::discover(dir).ok()?;
    files
        .iter()
        .map(|f| {
            Some((
                f.path.clone(),
                Oid::hash_object(ObjectType::Blob, &f.bytes).ok()?,
            ))
        })
        .collect()
}

/// History of `HEAD` for the registry at `dir`, kept in `history` between reloads (advanced by
/// the commits since), and which of `servers` are committed as they are. `None` when `dir` is
/// not in a git work tree or its history cannot be read (modification times then stand in).
pub fn committed(
    dir: &Path,
    ids: &HashMap<String, Oid>,
    servers: &[ServerDef],
    history: &mut Option<History>,
) -> Option<Committed> {
    let repo = Repository::discover(dir).ok()?;
    let workdir = repo.workdir()?.canonicalize().ok()?;
    let here = dir.canonicalize().ok()?;
    let rel = here.strip_prefix(&workdir).ok()?.to_str()?.to_string();
    let prefix = if rel.is_empty() {
        rel
    } else {
        format!("{rel}/")
    };
    let head = repo.head().ok()?.peel_to_commit().ok()?;
    let at_head = tree::server_blobs(&repo, &head.tree().ok()?, &prefix).ok()?;
    let unchanged: HashMap<String, Oid> = servers
        .iter()
        .filter_map(|s| {
            let blob = at_head.get(&s.file)?;
            (ids.get(&s.file) == Some(blob)).then(|| (s.file.clone(), *blob))
        })
        .collect();
    let advanced = match history.as_mut() {
        Some(h) => h.advance(&repo, head.id()).is_ok(),
        None => false,
    };
    if !advanced {
        let built = History::build(&repo, head.id(), &prefix)
            .inspect_err(|e| tracing::warn!(error = %e, "cannot read the work tree's git history; modification times stand in"))
            .ok()?;
        *history = Some(built);
    }
    let history = history.as_ref()?;
    let mut times = Times::new();
    for s in servers.iter().filter(|s| unchanged.contains_key(&s.file)) {
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
