//! Remote URLs as the fetch layer needs them: the transport, host, port and user of `https://`,
//! `ssh://`, scp-style and `file://` URLs, and their redaction (userinfo never leaves this
//! process: logs, errors and `/status` see `https://***@host/...`).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Transport {
    Https,
    Http,
    Ssh,
    File,
    Git,
}

/// What this module needs to know of a URL.
#[derive(Clone, Debug)]
pub(super) struct RemoteUrl {
    pub(super) transport: Transport,
    pub(super) host: String,
    pub(super) port: Option<u16>,
    pub(super) user: Option<String>,
    /// The URL's password, kept only to scrub it from libgit2's messages.
    pub(super) password: Option<String>,
}

impl RemoteUrl {
    pub(super) fn parse(raw: &str) -> Result<RemoteUrl, String> {
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
        })
    }

    pub(super) fn local() -> RemoteUrl {
        RemoteUrl {
            transport: Transport::File,
            host: String::new(),
            port: None,
            user: None,
            password: None,
        }
    }
}

/// scp-style `[user@]host:path`.
pub(super) fn parse_scp(raw: &str) -> Result<RemoteUrl, String> {
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
    })
}

pub(super) fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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
pub(super) fn strip_userinfo(url: &str) -> String {
    match userinfo_span(url) {
        Some((start, end)) => format!("{}{}", &url[..start], &url[end + 1..]),
        None => url.to_string(),
    }
}

/// The byte range of the userinfo (before its `@`), if the URL has one.
pub(super) fn userinfo_span(url: &str) -> Option<(usize, usize)> {
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
}
