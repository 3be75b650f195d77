//! Reads a registry from a directory (a checkout, a git-sync volume, an author's working tree):
//! one folder at a time from a list, not by recursion, under the limits of `check::files`,
//! following symbolic links that stay inside it. Only links are resolved (`canonicalize` per
//! folder made a deep tree cost time quadratic in its depth).

use crate::check::files::{BadLink, RepoFiles, Role, Special, role};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// Reading the directory itself failed: lint exits 2, a reload keeps the last good index.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the repository at {path}")]
pub struct ReadError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// A folder still to read: where it really is, its registry-relative path (`""` or ending in
/// `/`) and how deep it is.
struct Folder {
    real: PathBuf,
    prefix: String,
    depth: usize,
}

/// Reads every file of interest below `root`.
pub fn read_dir(root: &Path) -> Result<RepoFiles, ReadError> {
    let err = |source| ReadError {
        path: root.to_path_buf(),
        source,
    };
    let root = root.canonicalize().map_err(err)?;
    let top = std::fs::read_dir(&root).map_err(err)?;
    let mut out = RepoFiles::default();
    let mut todo = Vec::new();
    read_folder(&root, top, Folder::top(&root), &mut out, &mut todo);
    while let Some(folder) = todo.pop() {
        match std::fs::read_dir(&folder.real) {
            Ok(entries) => {
                if !read_folder(&root, entries, folder, &mut out, &mut todo) {
                    break;
                }
            }
            Err(e) => out.unreadable(folder.path(), &e),
        }
    }
    Ok(out.finish())
}

impl Folder {
    fn top(root: &Path) -> Folder {
        Folder {
            real: root.to_path_buf(),
            prefix: String::new(),
            depth: 0,
        }
    }

    fn path(&self) -> String {
        self.prefix.trim_end_matches('/').to_string()
    }
}

/// Reads one folder's entries: files into `out`, folders onto `todo`. False once the walk has
/// visited as many entries as it may.
fn read_folder(
    root: &Path,
    entries: std::fs::ReadDir,
    folder: Folder,
    out: &mut RepoFiles,
    todo: &mut Vec<Folder>,
) -> bool {
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                out.unreadable(folder.path(), &e);
                break;
            }
        };
        let file_name = entry.file_name();
        let kind = entry.file_type();
        let Some(name) = file_name.to_str() else {
            let is_dir = kind.as_ref().is_ok_and(|k| k.is_dir());
            out.name_not_utf8(&folder.prefix, file_name.as_bytes(), is_dir);
            continue;
        };
        if name == ".git" {
            continue;
        }
        let rel = format!("{}{name}", folder.prefix);
        if !out.visit(&rel) {
            return false;
        }
        let mut kind = match kind {
            Ok(kind) => kind,
            Err(e) => {
                out.unreadable(rel, &e);
                continue;
            }
        };
        let mut real = entry.path();
        if kind.is_symlink() {
            match follow(root, &real) {
                Ok(Ok((resolved, resolved_kind))) => {
                    if resolved_kind.is_dir() && folder.real.starts_with(&resolved) {
                        let target = link_text(&real);
                        out.bad_link(rel, BadLink::Ancestor(target));
                        continue;
                    }
                    (real, kind) = (resolved, resolved_kind);
                }
                Ok(Err(bad)) => {
                    out.bad_link(rel, bad);
                    continue;
                }
                Err(e) => {
                    out.unreadable(rel, &e);
                    continue;
                }
            }
        }
        if kind.is_dir() {
            let depth = folder.depth + 1;
            if out.may_descend(&rel, depth) {
                let prefix = format!("{rel}/");
                todo.push(Folder {
                    real,
                    prefix,
                    depth,
                });
            }
        } else if kind.is_file() {
            // Most files of a checkout are not ours: no `stat` for them.
            if role(&rel) != Role::Ignored {
                match std::fs::metadata(&real) {
                    Ok(meta) => out.add(rel, meta.len(), || std::fs::read(&real)),
                    Err(e) => out.unreadable(rel, &e),
                }
            }
        } else if let Some(special) = special(kind) {
            out.special(rel, special);
        }
    }
    true
}

/// Where the link at `path` leads, with what is there: `Ok(Err(_))` when it is not followed.
fn follow(
    root: &Path,
    path: &Path,
) -> std::io::Result<Result<(PathBuf, std::fs::FileType), BadLink>> {
    let resolved = match path.canonicalize() {
        Ok(resolved) => resolved,
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Ok(Err(BadLink::Loop));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Err(BadLink::Dangling(link_text(path))));
        }
        Err(e) => return Err(e),
    };
    if !resolved.starts_with(root) {
        return Ok(Err(BadLink::Escapes(link_text(path))));
    }
    let kind = std::fs::metadata(&resolved)?.file_type();
    Ok(Ok((resolved, kind)))
}

/// What a link says, as written.
fn link_text(path: &Path) -> String {
    std::fs::read_link(path)
        .map(|t| t.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn special(kind: std::fs::FileType) -> Option<Special> {
    if kind.is_fifo() {
        Some(Special::Fifo)
    } else if kind.is_block_device() || kind.is_char_device() {
        Some(Special::Device)
    } else if kind.is_socket() {
        Some(Special::Socket)
    } else {
        None
    }
}
