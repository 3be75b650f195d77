//! The git side of `serve`: a bare mirror of the registry repository in a cache dir, fetched
//! with force refspecs so the served ref goes wherever the remote says (forwards, backwards, to
//! unrelated history). Blocking code: callers run `GitSource::fetch` on a blocking thread.
//! Secrets are read from their files at every fetch and never reach logs, errors or `Debug`.

use git2::{AutotagOption, Direction, FetchOptions, FetchPrune, Oid, Repository};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// Branches go to remote-tracking refs and tags to tags, both forced and pruned: the mirror
/// holds exactly what the remote advertises.
const REFSPECS: [&str; 2] = [
    "+refs/heads/*:refs/remotes/origin/*",
    "+refs/tags/*:refs/tags/*",
];

/// The HTTPS user name sent with a token when none is configured (GitHub's convention; GitLab,
/// Gitea and Bitbucket accept any user name with a token).
pub const TOKEN_USERNAME: &str = "x-access-token";

/// The SSH user name when neither the URL nor the configuration names one.
pub(super) const SSH_USERNAME: &str = "git";

/// Where to fetch from, what to serve, and how to authenticate.
#[derive(Clone, Debug)]
pub struct GitConfig {
    /// `https://`, `http://`, `ssh://`, scp-style `git@host:org/repo.git`, `file://` (or an
    /// absolute path), `git://`.
    pub url: String,
    /// A branch, a tag, a full ref name (`refs/...`) or a full 40-hex commit id; `None` for
    /// the remote's default branch (its HEAD). A name that is both a branch and a tag means
    /// the branch: write `refs/tags/<name>` for the tag.
    pub reference: Option<String>,
    /// The bare mirror lives at `<cache_dir>/<short hash of the URL>.git`; created when absent
    /// and reused across restarts.
    pub cache_dir: PathBuf,
    pub credentials: Credentials,
    pub timeouts: Timeouts,
}

/// Credentials, as paths to the files that hold the secrets: each file is read at every fetch,
/// so a rotated secret is picked up; surrounding whitespace and a trailing newline are trimmed.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    /// The user name for HTTPS (default with a token: `x-access-token`; with a password it is
    /// required unless the URL names one) and for SSH (default: the URL's, else `git`).
    pub username: Option<String>,
    /// `--git-token-file`: an HTTPS access token.
    pub token_file: Option<PathBuf>,
    /// `--git-password-file`: an HTTPS password, with `username`.
    pub password_file: Option<PathBuf>,
    /// `--ssh-key-file`: an unencrypted private key (OpenSSH or PEM format).
    pub ssh_key_file: Option<PathBuf>,
    /// `--ssh-known-hosts-file`: the host keys SSH servers are checked against. Without it,
    /// libgit2 checks `~/.ssh/known_hosts`; an unknown host is refused either way.
    pub ssh_known_hosts_file: Option<PathBuf>,
}

/// The result of a fetch: the commit to serve, in the mirror's object database.
pub struct Fetched {
    /// The mirror, opened: read the tree with `git::tree::read`, history with `History`.
    pub repo: Repository,
    pub commit: Oid,
    /// The commit time, in seconds since the Unix epoch.
    pub time: i64,
    /// What the ref resolved through: a full ref name (`refs/heads/main`) or the commit id.
    pub resolved: String,
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched")
            .field("repo", &self.repo.path())
            .field("commit", &self.commit)
            .field("time", &self.time)
            .field("resolved", &self.resolved)
            .finish()
    }
}

/// A git repository to serve from: a URL, a ref, a cache dir and credentials. `fetch` blocks;
/// concurrent calls on one source wait for each other.
pub struct GitSource {
    config: GitConfig,
    remote: RemoteUrl,
    /// The URL as shown anywhere: userinfo redacted.
    shown_url: String,
    repo_path: PathBuf,
    /// One fetch at a time: two would race for the mirror's ref locks.
    fetching: Mutex<()>,
    /// Mirrors fetched anew because the old one was damaged.
    rebuilds: std::sync::atomic::AtomicU64,
    /// Where the registry is inside the repository: `""` or `"a/b/"`.
    prefix: String,
}

impl fmt::Debug for GitSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only paths and names: the secrets are in files, read at fetch time.
        f.debug_struct("GitSource")
            .field("url", &self.shown_url)
            .field("reference", &self.config.reference)
            .field("repo_path", &self.repo_path)
            .field("credentials", &self.config.credentials)
            .field("timeouts", &self.config.timeouts)
            .finish()
    }
}

impl GitSource {
    /// Checks the configuration; touches neither the network nor the disk (except for setting
    /// libgit2's process-wide socket timeouts the first time).
    pub fn new(config: GitConfig) -> Result<GitSource, FetchError> {
        let shown_url = redact_url(&config.url);
        let invalid = |reason: &str| FetchError::Config {
            url: shown_url.clone(),
            reason: reason.to_string(),
        };
        let remote = RemoteUrl::parse(&config.url).map_err(|r| invalid(&r))?;
        let c = &config.credentials;
        if c.token_file.is_some() && c.password_file.is_some() {
            return Err(invalid(
                "give either a token file or a password file, not both",
            ));
        }
        if c.password_file.is_some() && c.username.is_none() && remote.user.is_none() {
            return Err(invalid("a password file needs a user name"));
        }
        let http_secret = c.token_file.is_some() || c.password_file.is_some();
        if remote.transport == Transport::Http
            && (http_secret || remote.password.is_some())
            && !is_loopback(&remote.host)
        {
            return Err(invalid(
                "refusing to send credentials over plain http:// to a host other than this \
                 machine; use https://",
            ));
        }
        match remote.transport {
            Transport::Ssh if http_secret => {
                return Err(invalid(
                    "token and password files are for https URLs; ssh uses --ssh-key-file",
                ));
            }
            Transport::Http | Transport::Https | Transport::File | Transport::Git
                if c.ssh_key_file.is_some() || c.ssh_known_hosts_file.is_some() =>
            {
                return Err(invalid("ssh key and known_hosts files are for ssh URLs"));
            }
            Transport::File | Transport::Git if http_secret => {
                return Err(invalid("this kind of URL takes no credentials"));
            }
            _ => {}
        }
        let repo_path = config
            .cache_dir
            .join(format!("{}.git", cache_name(&config.url)));
        socket_timeouts(config.timeouts);
        Ok(GitSource {
            config,
            remote,
            shown_url,
            repo_path,
            fetching: Mutex::new(()),
            rebuilds: std::sync::atomic::AtomicU64::new(0),
            prefix: String::new(),
        })
    }

    /// The registry is in the folder `path` (`""`, `"registry"`, `"a/b"`) of the repository.
    pub fn with_path(mut self, path: &str) -> GitSource {
        let path = path.trim_matches('/');
        self.prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        self
    }

    /// Where the registry is inside the repository: `""` or `"a/b/"`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The URL with its userinfo redacted, for `/status` and logs.
    pub fn url(&self) -> &str {
        &self.shown_url
    }

    /// The configured ref; `None` for the remote's default branch.
    pub fn reference(&self) -> Option<&str> {
        self.config.reference.as_deref()
    }

    /// The bare mirror's path.
    pub fn repo_path(&self) -> &Path {
        &self.repo_path
    }

    /// Fetches every branch and tag (forced, pruned) and resolves the ref to a commit.
    #[tracing::instrument(skip_all, fields(url = %self.shown_url, reference = self.reference_label()))]
    pub fn fetch(&self) -> Result<Fetched, FetchError> {
        // A fetch that panicked left nothing the next one cannot redo.
        let _one_at_a_time = self.fetching.lock().unwrap_or_else(|p| p.into_inner());
        let started = Instant::now();
        let deadline = started.checked_add(self.config.timeouts.transfer);
        let session = Session::new(self, deadline)?;
        let repo = self.open_cache()?;
        let fetched = self
            .download(&repo, &session)
            .and_then(|(want, stats)| self.resolve(repo, want, stats, &session, started));
        match fetched {
            // The mirror's own objects are damaged (a truncated pack, a lost object): fetch
            // it anew beside the old one, and swap.
            Err(e) if e.is_damaged_mirror() => {
                tracing::warn!(error = %crate::error_chain::error_chain(&e), "the mirror is damaged; fetching it anew");
                let (repo, want, stats) = self.fetch_fresh(&session)?;
                self.resolve(repo, want, stats, &session, started)
            }
            other => other,
        }
    }

    /// Fetches into a new mirror beside the current one and swaps it in, for a mirror whose
    /// objects cannot be read (a reader found it damaged). The last good index stays served
    /// meanwhile; if this fetch fails, the old mirror is kept as it was.
    pub fn rebuild(&self) -> Result<Fetched, FetchError> {
        let _one_at_a_time = self.fetching.lock().unwrap_or_else(|p| p.into_inner());
        let started = Instant::now();
        let deadline = started.checked_add(self.config.timeouts.transfer);
        let session = Session::new(self, deadline)?;
        let (repo, want, stats) = self.fetch_fresh(&session)?;
        self.resolve(repo, want, stats, &session, started)
    }

    /// The commit `want` names, in `repo`.
    fn resolve(
        &self,
        repo: Repository,
        want: Want,
        stats: (usize, usize),
        session: &Session<'_>,
        started: Instant,
    ) -> Result<Fetched, FetchError> {
        let (commit, resolved) = match want {
            Want::Ref { name, id } => {
                let object = repo
                    .find_object(id, None)
                    .map_err(|e| session.error(e, Step::Fetch))?;
                let commit = object
                    .peel_to_commit()
                    .map_err(|_| FetchError::NotACommit {
                        reference: name.clone(),
                        url: self.shown_url.clone(),
                        id,
                    })?;
                (commit, name)
            }
            Want::Commit(id) => {
                let commit = repo.find_commit(id).map_err(|_| FetchError::RefNotFound {
                    reference: id.to_string(),
                    url: self.shown_url.clone(),
                })?;
                (commit, id.to_string())
            }
        };
        let (id, time) = (commit.id(), commit.time().seconds());
        drop(commit);
        tracing::debug!(
            commit = %id,
            resolved = %resolved,
            received_objects = stats.0,
            received_bytes = stats.1,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "fetched"
        );
        Ok(Fetched {
            repo,
            commit: id,
            time,
            resolved,
        })
    }

    /// Records in the mirror that `commit` was served for the configured ref, so that a restart
    /// while the remote is unreachable can serve it again (`last_served`).
    pub fn mark_served(&self, repo: &Repository, commit: Oid) -> Result<(), git2::Error> {
        repo.reference(&self.served_ref(), commit, true, "mcp-gitops served")
            .map(|_| ())
    }

    /// The commit last served for the configured ref, read from the mirror without touching the
    /// network; `None` when there is no usable mirror or it never served this ref.
    pub fn last_served(&self) -> Option<Fetched> {
        let repo = Repository::open_bare(&self.repo_path).ok()?;
        let name = self.served_ref();
        let commit = repo.find_reference(&name).ok()?.peel_to_commit().ok()?;
        let (id, time) = (commit.id(), commit.time().seconds());
        drop(commit);
        Some(Fetched {
            repo,
            commit: id,
            time,
            resolved: name,
        })
    }

    /// Where the mirror keeps the served commit: one ref per configured ref (serving `main`
    /// must not fall back to what `release` served), outside `refs/heads` and `refs/tags`, so
    /// that fetches never prune it and the commit's objects are kept.
    fn served_ref(&self) -> String {
        match &self.config.reference {
            None => "refs/mcp-gitops/served/default".to_string(),
            Some(r) => format!("refs/mcp-gitops/served/ref-{}", hex::encode(r.as_bytes())),
        }
    }

    /// `` `main` ``, or `the default branch`.
    fn reference_label(&self) -> String {
        match &self.config.reference {
            Some(r) => format!("`{r}`"),
            None => "the default branch".to_string(),
        }
    }

    /// Connects, picks the ref from the remote's advertisement, downloads and updates the
    /// mirror's refs. Returns what to serve and (objects, bytes) received.
    fn download(
        &self,
        repo: &Repository,
        session: &Session<'_>,
    ) -> Result<(Want, (usize, usize)), FetchError> {
        let mut remote = repo
            .remote_anonymous(&self.config.url)
            .map_err(|e| session.error(e, Step::Connect))?;
        let mut connection = remote
            .connect_auth(
                Direction::Fetch,
                Some(session.callbacks()),
                Some(proxy_options()),
            )
            .map_err(|e| session.error(e, Step::Connect))?;
        let heads: Vec<(String, Oid)> = connection
            .list()
            .map_err(|e| session.error(e, Step::Connect))?
            .iter()
            .map(|h| (h.name().to_string(), h.oid()))
            .collect();
        let default_branch = match self.config.reference {
            Some(_) => None,
            None => connection
                .default_branch()
                .ok()
                .and_then(|b| b.as_str().ok().map(str::to_string)),
        };
        let want = self.want(&heads, default_branch)?;
        if !session.in_time() {
            return Err(session.timed_out());
        }

        let mut options = FetchOptions::new();
        options
            .remote_callbacks(session.callbacks())
            .proxy_options(proxy_options())
            .prune(FetchPrune::On)
            .download_tags(AutotagOption::None)
            .update_fetchhead(false);
        connection
            .remote()
            .fetch(&REFSPECS, Some(&mut options), Some("mcp-gitops fetch"))
            .map_err(|e| session.error(e, Step::Fetch))?;
        let stats = connection.remote().stats();
        Ok((want, (stats.received_objects(), stats.received_bytes())))
    }

    /// What the configured ref names in the remote's advertisement (`heads`).
    fn want(
        &self,
        heads: &[(String, Oid)],
        default_branch: Option<String>,
    ) -> Result<Want, FetchError> {
        let find = |name: &str| {
            heads
                .iter()
                .find(|(n, _)| n == name)
                .map(|(n, id)| Want::Ref {
                    name: n.clone(),
                    id: *id,
                })
        };
        let Some(reference) = self.config.reference.as_deref() else {
            return default_branch
                .filter(|b| b.starts_with("refs/heads/"))
                .and_then(|b| find(&b))
                .ok_or_else(|| FetchError::NoDefaultBranch {
                    url: self.shown_url.clone(),
                });
        };
        if reference.len() == 40
            && reference.bytes().all(|b| b.is_ascii_hexdigit())
            && let Ok(id) = Oid::from_str(reference)
        {
            return Ok(Want::Commit(id));
        }
        let found = if reference.starts_with("refs/") {
            find(reference)
        } else {
            find(&format!("refs/heads/{reference}"))
                .or_else(|| find(&format!("refs/tags/{reference}")))
        };
        found.ok_or_else(|| FetchError::RefNotFound {
            reference: reference.to_string(),
            url: self.shown_url.clone(),
        })
    }
}

enum Want {
    /// A ref the remote advertised, with the object it points at.
    Ref { name: String, id: Oid },
    /// A commit id, looked up after fetching every branch and tag.
    Commit(Oid),
}

#[derive(Clone, Copy)]
pub(super) enum Step {
    Connect,
    Fetch,
}

mod error;
mod known_hosts;
mod mirror;
mod session;
mod timeouts;

pub use error::{FetchError, GitCause, is_damaged_odb};
use mirror::cache_name;
use session::{Session, proxy_options};
pub use timeouts::Timeouts;
use timeouts::socket_timeouts;

pub use crate::git::remote::redact_url;
use crate::git::remote::{RemoteUrl, Transport, is_loopback};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_name_ignores_userinfo() {
        assert_eq!(
            cache_name("https://a:one@host/r.git"),
            cache_name("https://host/r.git")
        );
        assert_ne!(
            cache_name("https://host/r.git"),
            cache_name("https://host/s.git")
        );
        assert_eq!(cache_name("https://host/r.git").len(), 16);
    }
}
