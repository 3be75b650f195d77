//! Git remote URLs, parsed in this one place: whether a `--repo` value is one, the transport,
//! host, port, user and path of `https://`, `ssh://`, scp-style and `file://` URLs (for the
//! fetch layer), where a known forge shows the repository in a browser (for the web page), and
//! redaction (userinfo never leaves this process: logs, errors and `/status` see
//! `https://***@host/...`).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    Https,
    Http,
    Ssh,
    File,
    Git,
}

/// What this module needs to know of a URL.
#[derive(Clone, Debug)]
pub(crate) struct RemoteUrl {
    pub(crate) transport: Transport,
    pub(crate) host: String,
    pub(crate) port: Option<u16>,
    pub(crate) user: Option<String>,
    /// The URL's password, kept only to scrub it from libgit2's messages.
    pub(crate) password: Option<String>,
    /// The repository's path on the host (`owner/repo.git`), as written.
    pub(crate) path: String,
}

impl RemoteUrl {
    pub(crate) fn parse(raw: &str) -> Result<RemoteUrl, String> {
        if raw.trim() != raw || raw.is_empty() {
            return Err("the URL is empty or has surrounding whitespace".into());
        }
        if raw.starts_with('/') {
            return Ok(RemoteUrl::local());
        }
        if !raw.contains("://") {
            return parse_scp(raw);
        }
        let url = url::Url::parse(raw).map_err(|e| format!("not a URL ({e})"))?;
        let transport = match url.scheme() {
            "https" => Transport::Https,
            "http" => Transport::Http,
            "ssh" | "git+ssh" | "ssh+git" => Transport::Ssh,
            "file" => return Ok(RemoteUrl::local()),
            "git" => Transport::Git,
            other => {
                return Err(format!(
                    "unsupported scheme `{other}` (use https, http, ssh, scp-style \
                     user@host:path, file or git)"
                ));
            }
        };
        let host = url.host_str().unwrap_or_default();
        if host.is_empty() {
            return Err("the URL names no host".into());
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        Ok(RemoteUrl {
            transport,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port: url.port(),
            user: Some(decode(url.username())).filter(|u| !u.is_empty()),
            password: url.password().map(decode),
            path: url.path().to_string(),
        })
    }

    pub(crate) fn local() -> RemoteUrl {
        RemoteUrl {
            transport: Transport::File,
            host: String::new(),
            port: None,
            user: None,
            password: None,
            path: String::new(),
        }
    }
}

/// scp-style `[user@]host:path`.
pub(crate) fn parse_scp(raw: &str) -> Result<RemoteUrl, String> {
    let invalid = || "neither a URL (`scheme://...`) nor scp-style `user@host:path`".to_string();
    let (authority, path) = raw.split_once(':').ok_or_else(invalid)?;
    if authority.contains('/') || path.is_empty() {
        return Err(invalid());
    }
    let (user, host) = match authority.rsplit_once('@') {
        Some((user, host)) => (Some(user.to_string()), host),
        None => (None, authority),
    };
    if host.is_empty() {
        return Err(invalid());
    }
    Ok(RemoteUrl {
        transport: Transport::Ssh,
        host: host.to_string(),
        port: None,
        user,
        password: None,
        path: path.to_string(),
    })
}

pub(crate) fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether a `--repo` value names a git remote rather than a local directory.
pub fn is_git_url(repo: &str) -> bool {
    let scp_like = repo.split_once(':').is_some_and(|(head, _)| {
        head.contains('@') && !head.contains('/') && !head.starts_with('@')
    });
    repo.contains("://") || scp_like
}

/// The URL as it may be shown: userinfo becomes `***` (`https://***@host/org/repo.git`),
/// except a lone ssh user name (`git@host:org/repo.git`, `ssh://git@host/...`), which is no
/// secret and helps to debug.
pub fn redact_url(url: &str) -> String {
    let Some((start, end)) = userinfo_span(url) else {
        return url.to_string();
    };
    let userinfo = &url[start..end];
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    let ssh = scheme.as_deref().is_none_or(|s| s.contains("ssh"));
    if ssh && !userinfo.contains(':') {
        return url.to_string();
    }
    format!("{}***{}", &url[..start], &url[end..])
}

/// The URL without its userinfo.
pub(crate) fn strip_userinfo(url: &str) -> String {
    match userinfo_span(url) {
        Some((start, end)) => format!("{}{}", &url[..start], &url[end + 1..]),
        None => url.to_string(),
    }
}

/// The byte range of the userinfo (before its `@`), if the URL has one.
pub(crate) fn userinfo_span(url: &str) -> Option<(usize, usize)> {
    match url.find("://") {
        Some(i) => {
            let start = i + 3;
            let rest = &url[start..];
            let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let at = rest[..authority_end].rfind('@')?;
            Some((start, start + at))
        }
        None => {
            // scp-style: the user is before an `@` that comes before the first `:` and `/`.
            let at = url.find('@')?;
            let colon = url.find(':')?;
            let slash = url.find('/').unwrap_or(url.len());
            (at < slash && (at < colon || url[..at].contains(':'))).then_some((0, at))
        }
    }
}

/// A git remote on a forge whose web pages we know how to address: links to a file, a commit
/// and a tree at a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoHost {
    forge: Forge,
    /// `https://host/owner/repo`, no `.git`, no credentials.
    base: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Forge {
    GitHub,
    GitLab,
    Bitbucket,
    Gitea,
    AzureDevOps,
}

impl RepoHost {
    /// From the source URL (`https://`, `ssh://`, or scp-style `git@host:owner/repo.git`);
    /// `None` for a host we do not know, a local path or `file://`.
    pub fn from_url(url: &str) -> Option<RepoHost> {
        let remote = RemoteUrl::parse(url).ok()?;
        if remote.transport == Transport::File {
            return None;
        }
        let host = remote.host.to_ascii_lowercase();
        let path = remote.path.trim_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        if host.is_empty() || path.is_empty() || path.contains(['?', '#']) {
            return None;
        }
        let kind = if host == "github.com" || host.starts_with("github.") {
            Forge::GitHub
        } else if host == "gitlab.com" || host.starts_with("gitlab.") {
            Forge::GitLab
        } else if host == "bitbucket.org" {
            Forge::Bitbucket
        } else if host == "codeberg.org" || host.starts_with("gitea.") {
            Forge::Gitea
        } else if host == "dev.azure.com" || host == "ssh.dev.azure.com" {
            Forge::AzureDevOps
        } else {
            return None;
        };
        let base = match kind {
            Forge::AzureDevOps => {
                // https://dev.azure.com/org/project/_git/repo, or ssh v3/org/project/repo
                let parts: Vec<&str> = path.split('/').collect();
                match parts.as_slice() {
                    ["v3", org, project, repo] | [org, project, "_git", repo] => {
                        format!("https://dev.azure.com/{org}/{project}/_git/{repo}")
                    }
                    _ => return None,
                }
            }
            _ => format!("https://{host}/{path}"),
        };
        Some(RepoHost { forge: kind, base })
    }

    pub fn file(&self, commit: &str, file: &str) -> String {
        let file = file.trim_start_matches('/');
        match self.forge {
            Forge::GitHub => format!("{}/blob/{commit}/{file}", self.base),
            Forge::GitLab => format!("{}/-/blob/{commit}/{file}", self.base),
            Forge::Bitbucket => format!("{}/src/{commit}/{file}", self.base),
            Forge::Gitea => format!("{}/src/commit/{commit}/{file}", self.base),
            Forge::AzureDevOps => format!("{}?path=/{file}&version=GC{commit}", self.base),
        }
    }

    pub fn commit(&self, commit: &str) -> String {
        match self.forge {
            Forge::GitHub | Forge::Gitea => format!("{}/commit/{commit}", self.base),
            Forge::GitLab => format!("{}/-/commit/{commit}", self.base),
            Forge::Bitbucket => format!("{}/commits/{commit}", self.base),
            Forge::AzureDevOps => format!("{}/commit/{commit}", self.base),
        }
    }

    pub fn tree(&self, commit: &str) -> String {
        match self.forge {
            Forge::GitHub => format!("{}/tree/{commit}", self.base),
            Forge::GitLab => format!("{}/-/tree/{commit}", self.base),
            Forge::Bitbucket => format!("{}/src/{commit}", self.base),
            Forge::Gitea => format!("{}/src/commit/{commit}", self.base),
            Forge::AzureDevOps => format!("{}?version=GC{commit}", self.base),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted_where_they_may_hold_a_secret() {
        for (url, shown) in [
            (
                "https://x-access-token:s3cret@github.com/acme/registry.git",
                "https://***@github.com/acme/registry.git",
            ),
            (
                "https://ghp_token@github.com/acme/r.git",
                "https://***@github.com/acme/r.git",
            ),
            (
                "https://github.com/acme/r.git",
                "https://github.com/acme/r.git",
            ),
            ("https://host/path@with-at", "https://host/path@with-at"),
            ("ssh://git@host:2222/r.git", "ssh://git@host:2222/r.git"),
            ("ssh://git:pw@host/r.git", "ssh://***@host/r.git"),
            ("git@github.com:acme/r.git", "git@github.com:acme/r.git"),
            ("file:///srv/r.git", "file:///srv/r.git"),
            ("/srv/r.git", "/srv/r.git"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn urls_parse_into_transport_host_port_and_user() {
        let u = RemoteUrl::parse("git@github.com:acme/r.git").unwrap();
        assert_eq!(
            (u.transport, u.host.as_str(), u.port, u.user.as_deref()),
            (Transport::Ssh, "github.com", None, Some("git"))
        );
        let u = RemoteUrl::parse("ssh://git@[::1]:2222/r.git").unwrap();
        assert_eq!(
            (u.transport, u.host.as_str(), u.port),
            (Transport::Ssh, "::1", Some(2222))
        );
        let u = RemoteUrl::parse("https://x:p%40ss@host/r.git").unwrap();
        assert_eq!(u.password.as_deref(), Some("p@ss"));
        assert_eq!(
            RemoteUrl::parse("file:///x").unwrap().transport,
            Transport::File
        );
        assert!(RemoteUrl::parse("ftp://host/r").is_err());
        assert!(RemoteUrl::parse("not a url").is_err());
        assert!(RemoteUrl::parse("").is_err());
    }

    #[test]
    fn git_urls_are_recognized() {
        for url in [
            "https://github.com/acme/registry.git",
            "ssh://git@github.com/acme/registry.git",
            "git@github.com:acme/registry.git",
            "file:///srv/registry.git",
        ] {
            assert!(is_git_url(url), "{url}");
        }
        for dir in ["example-repo", "/srv/registry", "./a:b", "c:d"] {
            assert!(!is_git_url(dir), "{dir}");
        }
    }

    #[test]
    fn repository_hosts() {
        let b = |u: &str| RepoHost::from_url(u);
        let gh = b("https://x-access-token:***@github.com/acme/registry.git").unwrap();
        assert_eq!(
            gh.file("abc", "servers/a/b.yaml"),
            "https://github.com/acme/registry/blob/abc/servers/a/b.yaml"
        );
        assert_eq!(
            b("git@github.com:acme/registry.git").unwrap().commit("abc"),
            "https://github.com/acme/registry/commit/abc"
        );
        assert_eq!(
            b("ssh://git@gitlab.com:22/g/sub/registry.git")
                .unwrap()
                .file("abc", "s/x.yaml"),
            "https://gitlab.com/g/sub/registry/-/blob/abc/s/x.yaml"
        );
        assert_eq!(
            b("https://dev.azure.com/org/proj/_git/reg")
                .unwrap()
                .file("abc", "s/x.yaml"),
            "https://dev.azure.com/org/proj/_git/reg?path=/s/x.yaml&version=GCabc"
        );
        assert_eq!(b("file:///srv/registry.git"), None);
        assert_eq!(b("/srv/registry"), None);
        assert_eq!(b("https://git.internal.example/acme/registry.git"), None);
    }
}
