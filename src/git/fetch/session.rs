//! One fetch's connection to the remote: credentials read from their files for this fetch,
//! the host key checked against known_hosts, the transfer deadline, and libgit2's messages
//! scrubbed of secrets.

use super::known_hosts::{HostCheck, KnownHosts, fingerprint, key_type, known_hosts_name};
use super::{FetchError, GitCause, GitSource, SSH_USERNAME, Step, TOKEN_USERNAME};
use crate::git::remote::{RemoteUrl, Transport, redact_url};
use git2::cert::Cert;
use git2::{
    CertificateCheckStatus, Cred, CredentialType, ErrorCode, ProxyOptions, RemoteCallbacks,
};
use std::cell::RefCell;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

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
    crate::secret_file::read(path)
        .map(Secret)
        .map_err(file_error)
}

/// The state of one fetch: the secrets read for it, its deadline, and why a callback refused
/// (libgit2 only carries a message back; this keeps the precise error).
pub(super) struct Session<'a> {
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
    pub(super) fn new(
        source: &'a GitSource,
        deadline: Option<Instant>,
    ) -> Result<Session<'a>, FetchError> {
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

    pub(super) fn callbacks(&self) -> RemoteCallbacks<'_> {
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
    pub(super) fn in_time(&self) -> bool {
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
    pub(super) fn timed_out(&self) -> FetchError {
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
    pub(super) fn error(&self, e: git2::Error, step: Step) -> FetchError {
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
    pub(super) fn scrub(&self, message: &str) -> String {
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

pub(super) fn proxy_options() -> ProxyOptions<'static> {
    // http.proxy from git config, else the https_proxy / http_proxy / no_proxy variables.
    let mut proxy = ProxyOptions::new();
    proxy.auto();
    proxy
}
