//! Why a fetch failed, in words that name the URL (redacted) and the ref, never a secret.

use git2::{ErrorClass, ErrorCode, Oid};
use std::fmt;
use std::path::PathBuf;

/// Why a fetch failed. Every message names the URL (redacted) and, where it matters, the ref;
/// none holds a secret. The caller keeps serving its last good index.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid git source {url}: {reason}")]
    Config { url: String, reason: String },
    #[error("cannot read {what} {path}")]
    File {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot use the cache repository {path}")]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to {url}")]
    Connect {
        url: String,
        #[source]
        source: GitCause,
    },
    #[error("authentication to {url} failed: {reason}")]
    Auth {
        url: String,
        reason: String,
        #[source]
        source: Option<GitCause>,
    },
    #[error("refusing the ssh server of {url}: {reason}")]
    HostKey { url: String, reason: String },
    #[error("the TLS certificate of {url} is not trusted")]
    Certificate {
        url: String,
        #[source]
        source: GitCause,
    },
    #[error("fetching {url} timed out: {reason}")]
    Timeout { url: String, reason: String },
    #[error("ref `{reference}` not found at {url}")]
    RefNotFound { reference: String, url: String },
    #[error(
        "{url} has no default branch (its HEAD names no branch, or it has none); set the ref to serve"
    )]
    NoDefaultBranch { url: String },
    #[error("ref `{reference}` at {url} points at {id}, which is not a commit")]
    NotACommit {
        reference: String,
        url: String,
        id: Oid,
    },
    #[error("fetching {reference} from {url} failed")]
    Fetch {
        /// `` `main` `` or `the default branch`.
        reference: String,
        url: String,
        #[source]
        source: GitCause,
    },
}

/// A libgit2 error with secrets and the URL's userinfo scrubbed from its message.
#[derive(Debug)]
pub struct GitCause {
    pub(super) message: String,
    pub(super) code: ErrorCode,
    pub(super) class: ErrorClass,
}

impl GitCause {
    pub fn code(&self) -> ErrorCode {
        self.code
    }
    pub fn class(&self) -> ErrorClass {
        self.class
    }
}

impl fmt::Display for GitCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GitCause {}

impl GitCause {
    pub(super) fn from_git(e: &git2::Error, scrub: impl Fn(&str) -> String) -> GitCause {
        GitCause {
            message: scrub(e.message()),
            code: e.code(),
            class: e.class(),
        }
    }
}

/// Whether a git error says the local object database is damaged (a truncated pack, a lost
/// object, bad compressed data) rather than anything about the remote.
pub fn is_damaged_odb(e: &git2::Error) -> bool {
    matches!(
        e.class(),
        ErrorClass::Odb | ErrorClass::Zlib | ErrorClass::Object | ErrorClass::Indexer
    )
}

impl FetchError {
    /// The fetch failed on the mirror's own objects, not on the remote.
    pub fn is_damaged_mirror(&self) -> bool {
        match self {
            FetchError::Fetch { source, .. } | FetchError::Connect { source, .. } => matches!(
                source.class,
                ErrorClass::Odb | ErrorClass::Zlib | ErrorClass::Object | ErrorClass::Indexer
            ),
            _ => false,
        }
    }
}
