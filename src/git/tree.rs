//! Reads the files of a registry straight from a git tree in the object database, without a
//! checkout: `lint --base` reads the base revision this way, and `serve` every fetched commit.
//! Symbolic links are resolved inside the tree; one that leaves the registry is a finding.

use crate::check::load::{self, RepoFiles, Role};
use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

/// Links are followed this many times at most (a link to a link to ...).
const MAX_LINK_HOPS: usize = 8;
const LINK_MODE: i32 = 0o120000;

/// The files of the registry rooted at `prefix` (`""` or `"sub/dir/"`) in `tree`.
pub fn read(repo: &Repository, tree: &git2::Tree, prefix: &str) -> Result<RepoFiles, git2::Error> {
    let mut entries = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(ObjectType::Blob) {
            let path = format!("{dir}{}", entry.name().unwrap_or_default());
            if let Some(rel) = path.strip_prefix(prefix) {
                entries.push((rel.to_string(), entry.id(), entry.filemode() == LINK_MODE));
            }
        }
        TreeWalkResult::Ok
    })?;

    let odb = repo.odb()?;
    let mut out = RepoFiles::default();
    for (path, id, is_link) in entries {
        if load::role(&path) == Role::Ignored {
            continue;
        }
        let id = if is_link {
            match resolve_link(repo, tree, prefix, &path, id)? {
                Ok(target) => target,
                Err(target) => {
                    out.escaping_link(path, &target);
                    continue;
                }
            }
        } else {
            id
        };
        let (size, _) = odb.read_header(id)?;
        out.add(path, size as u64, || {
            repo.find_blob(id)
                .map(|b| b.content().to_vec())
                .map_err(std::io::Error::other)
        });
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Follows a link inside the registry. `Ok(Err(target))` when it leaves the registry, points
/// at nothing, or loops.
fn resolve_link(
    repo: &Repository,
    tree: &git2::Tree,
    prefix: &str,
    path: &str,
    mut id: Oid,
) -> Result<Result<Oid, String>, git2::Error> {
    let mut at = path.to_string();
    for _ in 0..MAX_LINK_HOPS {
        let target = String::from_utf8_lossy(repo.find_blob(id)?.content()).into_owned();
        let Some(resolved) = join_inside(&at, &target) else {
            return Ok(Err(target));
        };
        let Ok(entry) = tree.get_path(std::path::Path::new(&format!("{prefix}{resolved}"))) else {
            return Ok(Err(target));
        };
        if entry.filemode() != LINK_MODE {
            return Ok(Ok(entry.id()));
        }
        (at, id) = (resolved, entry.id());
    }
    Ok(Err(at))
}

/// The registry-relative path a link at `link` to `target` names, or `None` when it leaves the
/// registry (absolute, or too many `..`).
fn join_inside(link: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = link.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::join_inside;

    #[test]
    fn links_stay_inside_or_not() {
        assert_eq!(
            join_inside("servers/a/x.yaml", "y.yaml").as_deref(),
            Some("servers/a/y.yaml")
        );
        assert_eq!(
            join_inside("servers/a/x.yaml", "../b/y.yaml").as_deref(),
            Some("servers/b/y.yaml")
        );
        assert_eq!(join_inside("servers/a/x.yaml", "../../../etc/passwd"), None);
        assert_eq!(join_inside("servers/a/x.yaml", "/etc/passwd"), None);
    }
}
