//! Where the registry comes from: a directory or a git remote, and how `/status`, the logs and
//! the web page name it.

use crate::git::fetch::GitSource;
use crate::git::remote::{RepoHost, redact_url};
use std::path::PathBuf;
use std::sync::Arc;

/// Where the registry comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A local directory (an author's working tree, or one kept by a git-sync sidecar).
    Directory(PathBuf),
    /// A git remote, fetched into a local mirror.
    Git(Arc<GitSource>),
}

impl Source {
    pub fn info(&self) -> SourceInfo {
        match self {
            Source::Directory(dir) => SourceInfo::directory(dir.display().to_string()),
            Source::Git(git) => SourceInfo::git(git.url()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Directory,
    Git,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Directory => "directory",
            SourceKind::Git => "git",
        }
    }
}

/// What is being served from, as it may be shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceInfo {
    pub kind: SourceKind,
    /// The directory, or the remote URL with any credentials taken out.
    pub location: String,
    /// Where the repository can be browsed (a git remote on a known forge).
    pub host: Option<RepoHost>,
}

impl SourceInfo {
    pub fn directory(location: impl Into<String>) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Directory,
            location: location.into(),
            host: None,
        }
    }

    pub fn git(url: &str) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Git,
            location: redact_url(url),
            host: RepoHost::from_url(url),
        }
    }
}
