//! The server files one commit changed: its tree against its parent's, under `servers/` only,
//! descending only where two folders differ, one folder at a time from a list and no deeper
//! than `MAX_DEPTH`. libgit2's tree diff walks the whole tree and builds every path from its
//! parent's, which made a commit nesting 100,000 folders cost time quadratic in its depth at
//! every start; such a commit is never served (`git::tree` reports it), and history reads no
//! deeper than a served tree may be.

use crate::check::files::{MAX_DEPTH, MAX_ENTRIES};
use git2::{ObjectType, Oid, Repository};
use std::collections::BTreeMap;

/// A file that differs: its blob before (`None` when added) and after (`None` when deleted).
/// `path` is registry-relative.
#[derive(Debug, PartialEq, Eq)]
pub struct Changed {
    pub path: String,
    pub old: Option<Oid>,
    pub new: Option<Oid>,
}

/// One side of a folder: its entries by name, each an object id and whether it is a folder.
type Side = BTreeMap<String, (Oid, bool)>;

/// The files under the registry's `servers/` (the registry at `prefix`, `""` or `"a/b/"`) that
/// differ between `old` (none for a root commit) and `new`, in path order.
pub fn changed_server_files(
    repo: &Repository,
    old: Option<&git2::Tree>,
    new: &git2::Tree,
    prefix: &str,
) -> Result<Vec<Changed>, git2::Error> {
    let servers = |tree: Option<&git2::Tree>| -> Result<Option<Oid>, git2::Error> {
        let Some(tree) = tree else { return Ok(None) };
        let path = format!("{prefix}servers");
        match tree.get_path(std::path::Path::new(&path)) {
            Ok(entry) if entry.kind() == Some(ObjectType::Tree) => Ok(Some(entry.id())),
            Ok(_) => Ok(None),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    };
    let mut out = Vec::new();
    // Pairs of folders still to compare: before, after, registry-relative path, depth.
    let mut todo = vec![(
        servers(old)?,
        servers(Some(new))?,
        "servers/".to_string(),
        1,
    )];
    let mut visited = 0usize;
    while let Some((old, new, dir, depth)) = todo.pop() {
        if old == new {
            continue;
        }
        let (before, after) = (side(repo, old)?, side(repo, new)?);
        visited += before.len() + after.len();
        if visited > MAX_ENTRIES {
            break;
        }
        let names: std::collections::BTreeSet<&String> =
            before.keys().chain(after.keys()).collect();
        for name in names {
            let path = format!("{dir}{name}");
            let (b, a) = (before.get(name), after.get(name));
            let folder = |s: Option<&(Oid, bool)>| s.filter(|(_, f)| *f).map(|(id, _)| *id);
            let file = |s: Option<&(Oid, bool)>| s.filter(|(_, f)| !*f).map(|(id, _)| *id);
            let (old_dir, new_dir) = (folder(b), folder(a));
            if (old_dir.is_some() || new_dir.is_some()) && old_dir != new_dir && depth < MAX_DEPTH {
                todo.push((old_dir, new_dir, format!("{path}/"), depth + 1));
            }
            let (old_file, new_file) = (file(b), file(a));
            if old_file != new_file {
                out.push(Changed {
                    path,
                    old: old_file,
                    new: new_file,
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The entries of a folder (none for `None`); submodules and other kinds are left out.
fn side(repo: &Repository, tree: Option<Oid>) -> Result<Side, git2::Error> {
    let mut side = Side::new();
    if let Some(id) = tree {
        for entry in repo.find_tree(id)?.iter() {
            let Ok(name) = entry.name() else { continue };
            match entry.kind() {
                Some(ObjectType::Tree) => side.insert(name.to_string(), (entry.id(), true)),
                Some(ObjectType::Blob) => side.insert(name.to_string(), (entry.id(), false)),
                _ => None,
            };
        }
    }
    Ok(side)
}
