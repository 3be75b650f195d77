//! The git side of `serve`: a bare mirror of the registry repository in a cache dir, fetched
//! with force refspecs so the served ref goes wherever the remote says (forwards, backwards, to
//! unrelated history). Blocking code: callers run `GitSource::fetch` on a blocking thread.
//! Secrets are read from their files at every fetch and never reach logs, errors or `Debug`.

use git2::cert::Cert;
use git2::{
    AutotagOption, CertificateCheckStatus, Cred, CredentialType, Direction, ErrorClass, ErrorCode,
    FetchOptions, FetchPrune, Oid, ProxyOptions, RemoteCallbacks, Repository,
};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

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
const SSH_USERNAME: &str = "git";

/// libgit2 has no `gc`: each fetch that brings objects adds a pack. Past this many packs the
/// mirror is dropped and fetched anew, which keeps object lookups quick on a long-lived server.
const MAX_PACKS: usize = 256;

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

/// Network time limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP connection. Process-wide in libgit2: the first `GitSource` sets it.
    /// Zero leaves it to the operating system.
    pub connect: Duration,
    /// Waiting for any one read or write on the socket (a silent server). Process-wide too.
    /// Zero: no limit.
    pub io: Duration,
    /// The whole fetch, from connecting to the last byte; enforced whenever data arrives.
    pub transfer: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(15),
            io: Duration::from_secs(60),
            transfer: Duration::from_secs(300),
        }
    }
}

/// The result of a fetch: the commit to serve, in the mirror's object database.
pub struct Fetched {
    /// The mirror, opened: read the tree with `git_tree::read`, history with `History`.
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
    message: String,
    code: ErrorCode,
    class: ErrorClass,
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
        })
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
        let (want, stats) = self.download(&repo, &session)?;
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
            Some(r) => format!(
                "refs/mcp-gitops/served/ref-{}",
                crate::index::hex(r.as_bytes())
            ),
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

    /// Opens the mirror, creating it when absent and recreating it when unusable or when it
    /// has gathered too many packs.
    fn open_cache(&self) -> Result<Repository, FetchError> {
        let io_error = |source| FetchError::Cache {
            path: self.repo_path.clone(),
            source,
        };
        let cache_error = |e: git2::Error| {
            io_error(std::io::Error::other(GitCause::from_git(
                &e,
                str::to_string,
            )))
        };
        std::fs::create_dir_all(&self.config.cache_dir).map_err(io_error)?;
        if self.repo_path.exists() {
            match Repository::open_bare(&self.repo_path) {
                Ok(repo) => {
                    let packs = count_packs(&self.repo_path);
                    if packs <= MAX_PACKS {
                        return Ok(repo);
                    }
                    tracing::info!(
                        path = %self.repo_path.display(),
                        packs,
                        "the cache repository has many packs; fetching it anew"
                    );
                }
                Err(e) => tracing::warn!(
                    path = %self.repo_path.display(),
                    error = %e,
                    "the cache repository is unusable; fetching it anew"
                ),
            }
            std::fs::remove_dir_all(&self.repo_path).map_err(io_error)?;
        }
        Repository::init_bare(&self.repo_path).map_err(cache_error)
    }
}

enum Want {
    /// A ref the remote advertised, with the object it points at.
    Ref { name: String, id: Oid },
    /// A commit id, looked up after fetching every branch and tag.
    Commit(Oid),
}

#[derive(Clone, Copy)]
enum Step {
    Connect,
    Fetch,
}

/// A secret read from a file; `Debug` never shows it.
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

fn read_secret(what: &'static str, path: &Path) -> Result<Secret, FetchError> {
    let file_error = |source| FetchError::File {
        what,
        path: path.to_path_buf(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(file_error)?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(file_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file is empty",
        )));
    }
    Ok(Secret(trimmed.to_string()))
}

/// The state of one fetch: the secrets read for it, its deadline, and why a callback refused
/// (libgit2 only carries a message back; this keeps the precise error).
struct Session<'a> {
    source: &'a GitSource,
    token: Option<Secret>,
    password: Option<Secret>,
    ssh_key: Option<Secret>,
    known_hosts: Option<KnownHosts>,
    /// `None` when the limit is too far away to count.
    deadline: Option<Instant>,
    refusal: RefCell<Option<FetchError>>,
}

impl<'a> Session<'a> {
    fn new(source: &'a GitSource, deadline: Option<Instant>) -> Result<Session<'a>, FetchError> {
        let c = &source.config.credentials;
        let read = |what, path: &Option<PathBuf>| path.as_deref().map(|p| read_secret(what, p));
        let known_hosts = match &c.ssh_known_hosts_file {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| FetchError::File {
                    what: "the --ssh-known-hosts-file",
                    path: path.clone(),
                    source: e,
                })?;
                Some(KnownHosts::parse(&text, path.clone()))
            }
        };
        Ok(Session {
            source,
            token: read("the --git-token-file", &c.token_file).transpose()?,
            password: read("the --git-password-file", &c.password_file).transpose()?,
            ssh_key: read("the --ssh-key-file", &c.ssh_key_file).transpose()?,
            known_hosts,
            deadline,
            refusal: RefCell::new(None),
        })
    }

    fn callbacks(&self) -> RemoteCallbacks<'_> {
        let mut callbacks = RemoteCallbacks::new();
        // Each kind of credential is offered once per connection: asked again means refused.
        let mut offered = CredentialType::empty();
        callbacks.credentials(move |url, url_user, allowed| {
            self.credential(&mut offered, url, url_user, allowed)
        });
        callbacks.certificate_check(|cert, host| self.check_certificate(cert, host));
        callbacks.transfer_progress(|_| self.in_time());
        callbacks.sideband_progress(|_| self.in_time());
        callbacks
    }

    /// False (abort) once the transfer deadline has passed.
    fn in_time(&self) -> bool {
        if self.deadline.is_none_or(|d| Instant::now() <= d) {
            return true;
        }
        let limit = self.source.config.timeouts.transfer;
        self.refusal
            .borrow_mut()
            .get_or_insert(FetchError::Timeout {
                url: self.source.shown_url.clone(),
                reason: format!("the transfer took longer than {limit:?}"),
            });
        false
    }

    /// The error `in_time` recorded.
    fn timed_out(&self) -> FetchError {
        self.refusal
            .borrow_mut()
            .take()
            .unwrap_or(FetchError::Timeout {
                url: self.source.shown_url.clone(),
                reason: "the deadline passed".into(),
            })
    }

    /// Records why a callback refused and returns the error libgit2 carries back.
    fn refuse(&self, error: FetchError) -> git2::Error {
        let message = error.to_string();
        self.refusal.borrow_mut().get_or_insert(error);
        git2::Error::from_str(&message)
    }

    fn auth_refused(&self, reason: &str) -> git2::Error {
        self.refuse(FetchError::Auth {
            url: self.source.shown_url.clone(),
            reason: reason.to_string(),
            source: None,
        })
    }

    fn credential(
        &self,
        offered: &mut CredentialType,
        url: &str,
        url_user: Option<&str>,
        allowed: CredentialType,
    ) -> Result<Cred, git2::Error> {
        // After a redirect to another host, the secrets stay home.
        let host = RemoteUrl::parse(url).map(|u| u.host).unwrap_or_default();
        if !host.eq_ignore_ascii_case(&self.source.remote.host) {
            return Err(self.auth_refused(&format!(
                "refusing to send credentials to {}, where the server redirected",
                redact_url(url)
            )));
        }
        let c = &self.source.config.credentials;
        let user = c.username.as_deref().or(url_user);
        if allowed.intersects(CredentialType::SSH_KEY | CredentialType::SSH_MEMORY)
            && let Some(key) = &self.ssh_key
        {
            if offered.contains(CredentialType::SSH_MEMORY) {
                return Err(self.auth_refused("the server refused the key of --ssh-key-file"));
            }
            offered.insert(CredentialType::SSH_MEMORY);
            let mut pem = key.0.clone();
            pem.push('\n');
            let user = user.unwrap_or(SSH_USERNAME);
            return Cred::ssh_key_from_memory(user, None, &pem, None);
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            let pair = match (&self.token, &self.password) {
                (Some(token), _) => {
                    Some((user.unwrap_or(TOKEN_USERNAME), token, "--git-token-file"))
                }
                (None, Some(password)) => user.map(|u| (u, password, "--git-password-file")),
                (None, None) => None,
            };
            if let Some((user, secret, flag)) = pair {
                if offered.contains(CredentialType::USER_PASS_PLAINTEXT) {
                    return Err(
                        self.auth_refused(&format!("the server refused the credentials of {flag}"))
                    );
                }
                offered.insert(CredentialType::USER_PASS_PLAINTEXT);
                return Cred::userpass_plaintext(user, &secret.0);
            }
        }
        if allowed.contains(CredentialType::USERNAME) && !offered.contains(CredentialType::USERNAME)
        {
            offered.insert(CredentialType::USERNAME);
            return Cred::username(user.unwrap_or(SSH_USERNAME));
        }
        if self.source.remote.password.is_some() {
            return Err(self.auth_refused("the server refused the user and password in the URL"));
        }
        Err(self.auth_refused(
            "the server asks for credentials and none that it accepts are configured \
             (--git-token-file, --git-username with --git-password-file, or --ssh-key-file)",
        ))
    }

    fn check_certificate(
        &self,
        cert: &Cert<'_>,
        host: &str,
    ) -> Result<CertificateCheckStatus, git2::Error> {
        // TLS: OpenSSL's verdict against the system's CAs stands.
        let Some(hostkey) = cert.as_hostkey() else {
            return Ok(CertificateCheckStatus::CertificatePassthrough);
        };
        // No known_hosts file of ours: libgit2 checks ~/.ssh/known_hosts and refuses unknowns.
        let Some(known) = &self.known_hosts else {
            return Ok(CertificateCheckStatus::CertificatePassthrough);
        };
        let refuse = |reason: String| {
            self.refuse(FetchError::HostKey {
                url: self.source.shown_url.clone(),
                reason,
            })
        };
        let Some(key) = hostkey.hostkey() else {
            return Err(refuse("the ssh library did not show the host key".into()));
        };
        let name = known_hosts_name(host, self.source.remote.port.unwrap_or(22));
        let offered = format!("{} {}", key_type(key).unwrap_or("?"), fingerprint(key));
        let file = known.path.display();
        match known.check(&name, key) {
            HostCheck::Match => Ok(CertificateCheckStatus::CertificateOk),
            HostCheck::Revoked => Err(refuse(format!(
                "its host key {offered} is marked @revoked in {file}"
            ))),
            HostCheck::Mismatch => Err(refuse(format!(
                "its host key {offered} does NOT match the key {file} lists for {name}: the \
                 host key changed, or something is in between; update {file} only after \
                 checking the new key"
            ))),
            HostCheck::Unknown { known_types } if known_types.is_empty() => Err(refuse(format!(
                "{name} is not in {file} (it offered {offered}); add its key, e.g. from \
                 `ssh-keyscan`, after checking it"
            ))),
            HostCheck::Unknown { known_types } => Err(refuse(format!(
                "it offered a {offered} host key, but {file} lists only {} keys for {name}; \
                 add its key of that type after checking it",
                known_types.join(", ")
            ))),
        }
    }

    /// The error for a failed libgit2 call: a callback's own refusal when there was one,
    /// else the libgit2 error, scrubbed of secrets.
    fn error(&self, e: git2::Error, step: Step) -> FetchError {
        if let Some(refusal) = self.refusal.borrow_mut().take() {
            return refusal;
        }
        let source = GitCause::from_git(&e, |m| self.scrub(m));
        let url = self.source.shown_url.clone();
        let timed_out = e.code() == ErrorCode::Timeout
            || e.message().to_ascii_lowercase().contains("timed out");
        match e.code() {
            _ if timed_out => FetchError::Timeout {
                url,
                reason: source.message,
            },
            ErrorCode::Auth => FetchError::Auth {
                url,
                reason: "the server refused the credentials".into(),
                source: Some(source),
            },
            // libgit2's own check against ~/.ssh/known_hosts, when we have no file of ours.
            ErrorCode::Certificate if self.source.remote.transport == Transport::Ssh => {
                FetchError::HostKey {
                    url,
                    reason: format!(
                        "its host key is not in ~/.ssh/known_hosts and no --ssh-known-hosts-file \
                         is set ({source})"
                    ),
                }
            }
            ErrorCode::Certificate => FetchError::Certificate { url, source },
            _ => match step {
                Step::Connect => FetchError::Connect { url, source },
                Step::Fetch => FetchError::Fetch {
                    reference: self.source.reference_label(),
                    url,
                    source,
                },
            },
        }
    }

    /// Removes the secrets of this fetch and the URL's userinfo from a message.
    fn scrub(&self, message: &str) -> String {
        let mut out = message.replace(&self.source.config.url, &self.source.shown_url);
        let secrets = [&self.token, &self.password, &self.ssh_key];
        for secret in secrets.into_iter().flatten() {
            out = out.replace(&secret.0, "***");
        }
        if let Some(password) = &self.source.remote.password {
            out = out.replace(password.as_str(), "***");
        }
        out
    }
}

impl GitCause {
    fn from_git(e: &git2::Error, scrub: impl Fn(&str) -> String) -> GitCause {
        GitCause {
            message: scrub(e.message()),
            code: e.code(),
            class: e.class(),
        }
    }
}

fn proxy_options() -> ProxyOptions<'static> {
    // http.proxy from git config, else the https_proxy / http_proxy / no_proxy variables.
    let mut proxy = ProxyOptions::new();
    proxy.auto();
    proxy
}

fn count_packs(repo: &Path) -> usize {
    std::fs::read_dir(repo.join("objects/pack"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".pack"))
                .count()
        })
        .unwrap_or(0)
}

/// The mirror's folder name: a short hash of the URL, userinfo left out (so a credential in
/// the URL does not reach the file system, and rotating it keeps the cache).
fn cache_name(url: &str) -> String {
    let digest = Sha256::digest(strip_userinfo(url).as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// libgit2's socket timeouts

/// The timeouts libgit2 was given (it has one pair for the whole process).
static SOCKET_TIMEOUTS: OnceLock<(Duration, Duration)> = OnceLock::new();

/// Sets libgit2's connect and socket timeouts the first time a `GitSource` is made; a later
/// source asking for others is told in the log that the first ones stand.
fn socket_timeouts(timeouts: Timeouts) {
    let wanted = (timeouts.connect, timeouts.io);
    let set = SOCKET_TIMEOUTS.get_or_init(|| {
        set_libgit2_timeouts(millis(wanted.0), millis(wanted.1));
        wanted
    });
    if *set != wanted {
        tracing::warn!(
            connect = ?set.0,
            io = ?set.1,
            "libgit2's socket timeouts are process-wide; keeping the first ones set"
        );
    }
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

/// The one unsafe call of the crate.
#[allow(unsafe_code)]
fn set_libgit2_timeouts(connect_ms: i32, io_ms: i32) {
    // SAFETY: these write two plain `int` globals of libgit2 without synchronization, which is
    // a data race only if another thread reads them at the same time. libgit2 reads them only
    // when it opens a network stream or an ssh session, and in this crate that happens only in
    // `GitSource::fetch`, which needs a `GitSource`, which `GitSource::new` makes only after
    // this has returned: `OnceLock::get_or_init` runs it once, and every later caller
    // synchronizes with its completion. Both calls only assign an int (they cannot fail).
    unsafe {
        let _ = git2::opts::set_server_connect_timeout_in_milliseconds(connect_ms);
        let _ = git2::opts::set_server_timeout_in_milliseconds(io_ms);
    }
}

mod known_hosts;
mod remote_url;

use known_hosts::{HostCheck, KnownHosts, fingerprint, key_type, known_hosts_name};
pub use remote_url::redact_url;
use remote_url::{RemoteUrl, Transport, is_loopback, strip_userinfo};

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
