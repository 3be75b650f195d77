//! What `lint` was pointed at: a registry's folder, or files of one (as pre-commit passes the
//! changed files). Files are checked as part of their registry, so repository rules (duplicate
//! names, `--base`) still hold, and only their findings are reported. Pointed at a place with
//! no `servers/`, lint says where it looked instead of reporting on nothing.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// The registry to check, and the files to report on (`None`: all of it).
#[derive(Debug)]
pub struct Target {
    pub root: PathBuf,
    pub only: Option<BTreeSet<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{0}: no such file or folder")]
    Missing(PathBuf),
    #[error(
        "{0} is neither under a servers/ folder nor a registry.yaml: lint checks a registry's files, or give the registry's folder"
    )]
    NotRegistryFile(PathBuf),
    #[error("{} is not in the registry at {}", file.display(), root.display())]
    Outside { file: PathBuf, root: PathBuf },
    #[error("the files belong to different registries ({} and {}); lint one at a time", a.display(), b.display())]
    SeveralRegistries { a: PathBuf, b: PathBuf },
    #[error(
        "no servers/ folder in {}: lint checks a registry, the folder holding servers/ and registry.yaml; give its path, or --path for a registry in a subfolder",
        shown(.0)
    )]
    NoServers(PathBuf),
}

/// `.` for an empty path, so messages never name nothing.
fn shown(path: &Path) -> String {
    if path.as_os_str().is_empty() {
        ".".to_string()
    } else {
        path.display().to_string()
    }
}

/// Resolves `paths` (one folder, or files) and `--path` (the registry's folder inside the
/// first, or the registry's folder for files) to a target.
pub fn resolve(paths: &[PathBuf], sub: Option<&Path>) -> Result<Target, TargetError> {
    let here = [PathBuf::from(".")];
    let paths = if paths.is_empty() { &here[..] } else { paths };
    for p in paths {
        if !p.exists() {
            return Err(TargetError::Missing(p.clone()));
        }
    }
    let target = match paths {
        [dir] if dir.is_dir() => Target {
            root: sub.map_or_else(|| dir.clone(), |s| dir.join(s)),
            only: None,
        },
        files => files_target(files, sub)?,
    };
    if !target.root.join("servers").is_dir() {
        return Err(TargetError::NoServers(target.root));
    }
    Ok(target)
}

fn files_target(files: &[PathBuf], sub: Option<&Path>) -> Result<Target, TargetError> {
    let mut root: Option<PathBuf> = None;
    let mut only = BTreeSet::new();
    for file in files {
        let cleaned = clean(file);
        let found = match sub {
            Some(sub) => clean(sub),
            None => {
                registry_of(&cleaned).ok_or_else(|| TargetError::NotRegistryFile(file.clone()))?
            }
        };
        if let Some(r) = root.as_ref().filter(|r| **r != found) {
            return Err(TargetError::SeveralRegistries {
                a: r.clone(),
                b: found,
            });
        }
        let rel = cleaned
            .strip_prefix(&found)
            .map_err(|_| TargetError::Outside {
                file: file.clone(),
                root: found.clone(),
            })?;
        only.insert(slash_path(rel));
        root = Some(found);
    }
    let root = root.filter(|r| !r.as_os_str().is_empty());
    Ok(Target {
        root: root.unwrap_or_else(|| PathBuf::from(".")),
        only: Some(only),
    })
}

/// The registry folder a file belongs to: the folder above its nearest `servers/`, or the one
/// holding it when it is `registry.yaml`.
fn registry_of(file: &Path) -> Option<PathBuf> {
    let name = file.file_name()?.to_str()?;
    if name == "registry.yaml" || name == "registry.yml" {
        return Some(file.parent()?.to_path_buf());
    }
    let mut at = file.parent()?;
    loop {
        if at.file_name()? == "servers" {
            return Some(at.parent()?.to_path_buf());
        }
        at = at.parent()?;
    }
}

/// A path without `.` components (`./servers/a.yaml` → `servers/a.yaml`).
fn clean(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| *c != Component::CurDir)
        .collect()
}

fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_find_their_registry() {
        assert_eq!(
            registry_of(Path::new("servers/a/b.yaml")),
            Some(PathBuf::new())
        );
        assert_eq!(
            registry_of(Path::new("reg/servers/a/b.yaml")),
            Some(PathBuf::from("reg"))
        );
        assert_eq!(
            registry_of(Path::new("reg/registry.yaml")),
            Some(PathBuf::from("reg"))
        );
        assert_eq!(registry_of(Path::new("docs/a.yaml")), None);
    }
}
