//! The files of a registry, read but not parsed, and what was met on the way: a directory
//! (`check::dir`) and a git tree (`git::tree`) fill the same `RepoFiles`, under the same limits,
//! and report what they could not read with the same findings. Nothing under `servers/` is
//! skipped without a finding.

use crate::check::diagnostic::{Diagnostic, Rule};
use crate::check::node::Pos;

/// Files larger than this are refused without being read.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Folder levels below the registry's root a walk descends (a server file sits 3 deep). Walks
/// are iterative, so this bounds time and memory, not a stack.
pub const MAX_DEPTH: usize = 32;
/// Entries (files, folders, links) one walk visits in all.
pub const MAX_ENTRIES: usize = 250_000;
/// Links followed in a row at most, as Linux does (`MAXSYMLINKS`): a checkout and its commit
/// resolve the same chains.
pub const MAX_LINK_HOPS: usize = 40;

/// One file of the repository, read but not parsed. `path` is relative to the repository root,
/// with `/` separators.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// What a path is to us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A YAML file under `servers/`.
    Server,
    /// `registry.yaml` at the top.
    Config,
    /// A YAML or JSON file elsewhere, read only to warn when it looks like a server definition.
    Other,
    Ignored,
}

pub fn role(path: &str) -> Role {
    let yaml = path.ends_with(".yaml") || path.ends_with(".yml");
    if path.split('/').any(|part| part == ".git") {
        Role::Ignored
    } else if path == "registry.yaml" || path == "registry.yml" {
        Role::Config
    } else if path.starts_with("servers/") {
        if yaml { Role::Server } else { Role::Ignored }
    } else if yaml || path.ends_with(".json") {
        Role::Other
    } else {
        Role::Ignored
    }
}

/// Whether an entry at `path` is the registry's business: under `servers/`, or a file we read.
fn ours(path: &str) -> bool {
    path.starts_with("servers/") || matches!(role(path), Role::Server | Role::Config)
}

/// An entry that is neither a regular file nor a folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    Fifo,
    Device,
    Socket,
    Submodule,
}

impl Special {
    fn describe(self) -> &'static str {
        match self {
            Special::Fifo => "a named pipe (FIFO), not a regular file",
            Special::Device => "a device file, not a regular file",
            Special::Socket => "a socket, not a regular file",
            Special::Submodule => {
                "a git submodule: its files live in another repository, which is not read"
            }
        }
    }
}

/// Why a symbolic link was not followed.
#[derive(Debug)]
pub enum BadLink {
    /// It leads out of the registry (absolute, or too many `..`).
    Escapes(String),
    /// It names nothing.
    Dangling(String),
    /// It leads back to a link already passed, or through more than `MAX_LINK_HOPS` links.
    Loop,
    /// It names a folder that holds the link itself.
    Ancestor(String),
}

/// The files of a repository that matter to us, and the problems met while reading them.
#[derive(Debug, Default)]
pub struct RepoFiles {
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
    /// Entries visited so far, against `MAX_ENTRIES`.
    visited: usize,
}

impl RepoFiles {
    /// Adds a file, or a finding when it is too large. `Other` files that are too large are
    /// skipped quietly: they are not ours.
    pub fn add(
        &mut self,
        path: String,
        size: u64,
        read: impl FnOnce() -> std::io::Result<Vec<u8>>,
    ) {
        let role = role(&path);
        if role == Role::Ignored {
            return;
        }
        if size > MAX_FILE_BYTES {
            if role != Role::Other {
                let msg = format!("file is {size} bytes; the limit is {MAX_FILE_BYTES} (1 MiB)");
                self.finding(Rule::FileTooLarge, path, msg);
            }
            return;
        }
        match read() {
            Ok(bytes) => self.files.push(SourceFile { path, bytes }),
            Err(e) => self.unreadable(path, &e),
        }
    }

    /// A file or folder that could not be read, when it is ours.
    pub fn unreadable(&mut self, path: String, e: &dyn std::fmt::Display) {
        if ours(&path) {
            self.finding(Rule::FileRead, path, format!("cannot read it: {e}"));
        }
    }

    /// A symbolic link that is not followed, when its path is ours.
    pub fn bad_link(&mut self, path: String, why: BadLink) {
        if !ours(&path) {
            return;
        }
        let (rule, msg) = match why {
            BadLink::Escapes(target) => (
                Rule::SymlinkEscape,
                format!("symbolic link to `{target}` points outside the repository"),
            ),
            BadLink::Dangling(target) => (
                Rule::FileRead,
                format!("symbolic link to `{target}` points at nothing"),
            ),
            BadLink::Loop => (
                Rule::SymlinkLoop,
                format!(
                    "symbolic links loop, or chain through more than {MAX_LINK_HOPS} links; not followed"
                ),
            ),
            BadLink::Ancestor(target) => (
                Rule::SymlinkLoop,
                format!("symbolic link to `{target}`, a folder that holds the link; not followed"),
            ),
        };
        self.finding(rule, path, msg);
    }

    /// An entry that is not a file or folder, when it is under `servers/`.
    pub fn special(&mut self, path: String, kind: Special) {
        if ours(&path) {
            let msg = format!("{}; not read", kind.describe());
            self.finding(Rule::FileKind, path, msg);
        }
    }

    /// A name that is not UTF-8 in the folder `dir` (`""` or ending in `/`), when under
    /// `servers/`. The name is shown with its bytes escaped.
    pub fn name_not_utf8(&mut self, dir: &str, name: &[u8], is_dir: bool) {
        let path = format!("{dir}{}", name.escape_ascii());
        if ours(&path) {
            let what = if is_dir { "folder" } else { "file" };
            let msg = format!("the {what}'s name is not UTF-8; it is not read");
            self.finding(Rule::FileName, path, msg);
        }
    }

    /// Counts one entry; false once the walk has visited `MAX_ENTRIES` (said once, at `path`).
    pub fn visit(&mut self, path: &str) -> bool {
        self.visited += 1;
        if self.visited == MAX_ENTRIES + 1 {
            let msg = format!(
                "the repository holds more than {MAX_ENTRIES} files and folders; the rest is not read"
            );
            self.finding(Rule::TreeLimits, path.to_string(), msg);
        }
        self.visited <= MAX_ENTRIES
    }

    /// Whether a folder at `depth` (1 for a top folder) may be read; a finding when not.
    pub fn may_descend(&mut self, path: &str, depth: usize) -> bool {
        if depth <= MAX_DEPTH {
            return true;
        }
        let msg =
            format!("folders nest deeper than {MAX_DEPTH} levels here; nothing below is read");
        self.finding(Rule::TreeLimits, path.to_string(), msg);
        false
    }

    /// Sorts the files by path, as every reader leaves them.
    pub fn finish(mut self) -> RepoFiles {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        self
    }

    fn finding(&mut self, rule: Rule, path: String, message: String) {
        self.diagnostics
            .push(Diagnostic::new(rule, path, Pos::default(), message));
    }
}

/// The registry-relative path a link at `link` to `target` names, or `None` when it leaves the
/// registry (absolute, or too many `..`).
pub fn join_inside(link: &str, target: &str) -> Option<String> {
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
