//! Reads the files of a registry straight from a git tree in the object database, without a
//! checkout: `lint --base` reads the base revision this way, and `serve` every fetched commit.
//! One folder at a time from a list, under the limits of `check::files` (libgit2's own tree
//! walk recurses, and a commit nesting 100,000 folders overflowed the stack). Symbolic links
//! are resolved inside the tree as a checkout would resolve them.

use crate::check::files::{
    self, BadLink, MAX_DEPTH, MAX_ENTRIES, MAX_LINK_HOPS, RepoFiles, Role, Special,
};
use git2::{ObjectType, Oid, Repository};
use std::collections::HashMap;

const LINK_MODE: i32 = 0o120000;
const SUBMODULE_MODE: i32 = 0o160000;
/// A link's target is a path; longer than the system's `PATH_MAX` is not one.
const MAX_LINK_BYTES: usize = 4096;

/// The files of the registry rooted at `prefix` (`""` or `"sub/dir/"`) in `tree`.
pub fn read(repo: &Repository, tree: &git2::Tree, prefix: &str) -> Result<RepoFiles, git2::Error> {
    let mut out = RepoFiles::default();
    let Some(root) = registry_tree(repo, tree, prefix)? else {
        return Ok(out);
    };
    let odb = repo.odb()?;
    // Folders still to read: tree, registry-relative path (`""` or ending in `/`), depth.
    let mut todo = vec![(root.id(), String::new(), 0usize)];
    'walk: while let Some((id, dir, depth)) = todo.pop() {
        let folder = repo.find_tree(id)?;
        for entry in folder.iter() {
            let Ok(name) = std::str::from_utf8(entry.name_bytes()) else {
                let is_dir = entry.kind() == Some(ObjectType::Tree);
                out.name_not_utf8(&dir, entry.name_bytes(), is_dir);
                continue;
            };
            if name == ".git" {
                continue;
            }
            let path = format!("{dir}{name}");
            if !out.visit(&path) {
                break 'walk;
            }
            let (id, kind) = match (entry.kind(), entry.filemode()) {
                (_, SUBMODULE_MODE) => {
                    out.special(path, Special::Submodule);
                    continue;
                }
                (Some(ObjectType::Blob), LINK_MODE) => match resolve_link(repo, &root, &path)? {
                    Ok(target) => target,
                    Err(bad) => {
                        out.bad_link(path, bad);
                        continue;
                    }
                },
                (kind, _) => (entry.id(), kind),
            };
            match kind {
                Some(ObjectType::Tree) if out.may_descend(&path, depth + 1) => {
                    todo.push((id, format!("{path}/"), depth + 1));
                }
                Some(ObjectType::Blob) if files::role(&path) != Role::Ignored => {
                    let (size, _) = odb.read_header(id)?;
                    out.add(path, size as u64, || {
                        repo.find_blob(id)
                            .map(|b| b.content().to_vec())
                            .map_err(std::io::Error::other)
                    });
                }
                _ => {}
            }
        }
    }
    Ok(out.finish())
}

/// The blob of every regular server file of the registry at `prefix`, by registry-relative
/// path: what history needs to match validated servers to blobs. Links are not followed and
/// nothing is reported; `read` has said what is wrong with the tree.
pub fn server_blobs(
    repo: &Repository,
    tree: &git2::Tree,
    prefix: &str,
) -> Result<HashMap<String, Oid>, git2::Error> {
    let mut found = HashMap::new();
    let servers = match registry_tree(repo, tree, prefix)? {
        Some(root) => root.get_name("servers").map(|e| e.id()),
        None => None,
    };
    let mut todo: Vec<(Oid, String, usize)> = servers
        .map(|id| (id, "servers/".to_string(), 1))
        .into_iter()
        .collect();
    let mut visited = 0;
    while let Some((id, dir, depth)) = todo.pop() {
        let Ok(folder) = repo.find_tree(id) else {
            continue;
        };
        for entry in folder.iter() {
            visited += 1;
            let Ok(name) = entry.name() else { continue };
            let path = format!("{dir}{name}");
            match entry.kind() {
                Some(ObjectType::Tree) if depth < MAX_DEPTH => {
                    todo.push((entry.id(), format!("{path}/"), depth + 1));
                }
                Some(ObjectType::Blob) if entry.filemode() != LINK_MODE => {
                    found.insert(path, entry.id());
                }
                _ => {}
            }
        }
        if visited > MAX_ENTRIES {
            break;
        }
    }
    Ok(found)
}

/// The tree at `prefix`, or `None` when there is no folder there.
fn registry_tree<'r>(
    repo: &'r Repository,
    tree: &git2::Tree<'r>,
    prefix: &str,
) -> Result<Option<git2::Tree<'r>>, git2::Error> {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        return Ok(Some(tree.clone()));
    }
    match tree.get_path(std::path::Path::new(prefix)) {
        Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
            Ok(Some(repo.find_tree(entry.id())?))
        }
        _ => Ok(None),
    }
}

/// Follows the link at `path` inside the registry, and any link met on the way, as a checkout
/// would: the object it leads to and its kind.
fn resolve_link(
    repo: &Repository,
    root: &git2::Tree,
    path: &str,
) -> Result<Result<(Oid, Option<ObjectType>), BadLink>, git2::Error> {
    let mut at = path.to_string();
    let mut hops = 0;
    // The link's own text names it in findings, as a checkout's `readlink` would.
    let mut shown: Option<String> = None;
    'again: loop {
        let parts: Vec<&str> = at.split('/').filter(|p| !p.is_empty()).collect();
        let mut folder = root.clone();
        for (i, part) in parts.iter().enumerate() {
            let Some(entry) = folder.get_name(part).map(|e| e.to_owned()) else {
                return Ok(Err(BadLink::Dangling(shown.unwrap_or_default())));
            };
            if entry.filemode() == LINK_MODE {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return Ok(Err(BadLink::Loop));
                }
                let target = link_target(repo, entry.id())?;
                let shown = shown.get_or_insert_with(|| target.clone()).clone();
                let Some(joined) = files::join_inside(&parts[..=i].join("/"), &target) else {
                    return Ok(Err(BadLink::Escapes(shown)));
                };
                let rest = parts[i + 1..].join("/");
                at = if rest.is_empty() {
                    joined
                } else {
                    format!("{joined}/{rest}")
                };
                continue 'again;
            }
            if i + 1 == parts.len() {
                let kind = entry.kind();
                // A link to the folder that holds it would be read forever.
                if kind == Some(ObjectType::Tree) && path.starts_with(&format!("{at}/")) {
                    return Ok(Err(BadLink::Ancestor(shown.unwrap_or_default())));
                }
                return Ok(Ok((entry.id(), kind)));
            }
            if entry.kind() != Some(ObjectType::Tree) {
                return Ok(Err(BadLink::Dangling(shown.unwrap_or_default())));
            }
            folder = repo.find_tree(entry.id())?;
        }
        // Nothing left: the registry's root, which holds every link.
        return Ok(Err(BadLink::Ancestor(shown.unwrap_or_default())));
    }
}

/// What a link blob says; a target longer than any path is refused unread.
fn link_target(repo: &Repository, id: Oid) -> Result<String, git2::Error> {
    let (size, _) = repo.odb()?.read_header(id)?;
    if size > MAX_LINK_BYTES {
        return Ok(format!("({size} bytes: too long for a path)"));
    }
    Ok(String::from_utf8_lossy(repo.find_blob(id)?.content()).into_owned())
}
