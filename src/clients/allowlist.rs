//! Allowlists for the managed settings MCP clients enforce (`allowedMcpServers` and
//! `deniedMcpServers`), built from the same install configurations the web page's links and
//! `mcp.json` snippets carry, so what is installed from the page is allowed by construction.
//!
//! The rules relied on (GitHub's managed settings and Claude Code's, which share the keys): an
//! entry has exactly one matcher: `serverName` (exact, the name the server was configured
//! under), `serverUrl` (a remote; `*` matches within the host or within a path segment, never
//! across; scheme and host compared lowercased, a default port dropped, no fragment) or
//! `serverCommand` (a local server: the exact argv, no wildcards). Deny wins over allow.
//!
//! Active versions (and deprecated ones, unless left out) are allowed; deleted versions are
//! denied, except where the same matcher still serves an allowed version (a deleted version
//! often shares its remote URL with the next one, and deny would win).

use crate::check::config::{AllowlistConfig, Entry};
use crate::check::model::{ServerDef, Status, VersionDef};
use crate::clients::install::{self, InstallOption};
use serde_json::{Value as Json, json};
use std::collections::BTreeSet;

/// How a client recognizes a server.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Matcher {
    ServerCommand(Vec<String>),
    ServerUrl(String),
    ServerName(String),
}

impl Matcher {
    pub fn to_json(&self) -> Json {
        match self {
            Matcher::ServerCommand(argv) => json!({ "serverCommand": argv }),
            Matcher::ServerUrl(url) => json!({ "serverUrl": url }),
            Matcher::ServerName(name) => json!({ "serverName": name }),
        }
    }
}

/// A configuration that could not be pinned, allowed by its name instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fallback {
    pub server: String,
    pub version: String,
    /// The package or remote, as the web page labels it.
    pub label: String,
    pub why: String,
}

#[derive(Debug, Default)]
pub struct Allowlist {
    pub allowed: BTreeSet<Matcher>,
    pub denied: BTreeSet<Matcher>,
    /// Allowed by `serverName`, the weaker matcher: any configuration under that name runs.
    pub fallbacks: Vec<Fallback>,
}

/// What one version contributes to an allowlist: a matcher for each way to run it (or why
/// there is none). Made once per revision; an allowlist of any selection of versions is
/// assembled from these (`assemble`), so views do not compute them again.
#[derive(Debug)]
pub struct Contribution<'a> {
    pub server: &'a ServerDef,
    pub name: &'a str,
    pub version: &'a VersionDef,
    matchers: Vec<(String, Result<Matcher, String>)>,
}

/// Every version's contribution, in file and version order.
pub fn contributions(servers: &[ServerDef]) -> Vec<Contribution<'_>> {
    let mut out = Vec::new();
    for server in servers {
        let Some(name) = server.name() else { continue };
        for version in &server.versions {
            let (options, _) = install::options(&version.doc.to_json());
            let matchers = options
                .iter()
                .map(|option| (option.label.clone(), matcher(option)))
                .collect();
            out.push(Contribution {
                server,
                name,
                version,
                matchers,
            });
        }
    }
    out
}

/// The allowlist of validated `servers`, plus registry.yaml's own entries (`extra`);
/// `deprecated`: whether deprecated versions are allowed.
pub fn build(
    servers: &[ServerDef],
    extra: Option<&AllowlistConfig>,
    deprecated: bool,
) -> Allowlist {
    assemble(&contributions(servers), extra, deprecated)
}

/// The allowlist of these versions' contributions, plus `extra`.
pub fn assemble<'a>(
    versions: impl IntoIterator<Item = &'a Contribution<'a>>,
    extra: Option<&AllowlistConfig>,
    deprecated: bool,
) -> Allowlist {
    let mut list = Allowlist::default();
    let mut deleted = BTreeSet::new();
    for c in versions {
        let allow = match c.version.status {
            Status::Active => true,
            Status::Deprecated if deprecated => true,
            Status::Deprecated => continue,
            Status::Deleted => false,
        };
        for (label, m) in &c.matchers {
            match m {
                Ok(m) if allow => {
                    list.allowed.insert(m.clone());
                }
                Ok(m) => {
                    deleted.insert(m.clone());
                }
                // A name cannot be denied for one version without denying them all.
                Err(why) if allow => {
                    list.allowed.insert(Matcher::ServerName(c.name.to_string()));
                    list.fallbacks.push(Fallback {
                        server: c.name.to_string(),
                        version: c.version.version().unwrap_or_default().to_string(),
                        label: label.clone(),
                        why: why.clone(),
                    });
                }
                Err(_) => {}
            }
        }
    }
    list.denied = deleted.difference(&list.allowed).cloned().collect();
    if let Some(extra) = extra {
        list.allowed.extend(extra.allowed.iter().map(Matcher::from));
        // Denied on purpose: deny wins, whatever else allows it.
        list.denied.extend(extra.denied.iter().map(Matcher::from));
    }
    list
}

impl From<&Entry> for Matcher {
    fn from(entry: &Entry) -> Matcher {
        match entry {
            Entry::ServerName(name) => Matcher::ServerName(name.clone()),
            Entry::ServerUrl(url) => {
                Matcher::ServerUrl(canonical(url).unwrap_or_else(|| url.clone()))
            }
            Entry::ServerCommand(argv) => Matcher::ServerCommand(argv.clone()),
        }
    }
}

/// Why each package of a version that clients would run has no exact matcher, with the
/// package's index: the lint warning `allowlist-unpinned`.
pub fn unpinned(doc: &Json) -> Vec<(usize, String)> {
    let packages = doc.get("packages").and_then(Json::as_array);
    packages
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, p)| {
            let (options, _) = install::options(&json!({ "packages": [p] }));
            let option = options.first()?;
            matcher(option).err().map(|why| (i, why))
        })
        .collect()
}

impl Allowlist {
    /// The managed-settings document: both lists, sorted, so a diff shows what changed.
    pub fn to_json(&self) -> Json {
        json!({
            "allowedMcpServers": self.allowed.iter().map(Matcher::to_json).collect::<Vec<_>>(),
            "deniedMcpServers": self.denied.iter().map(Matcher::to_json).collect::<Vec<_>>(),
        })
    }
}

/// The exact matcher of a configuration, or why it has none: a value the user supplies
/// (`${input:…}`) has no fixed argv.
pub fn matcher(option: &InstallOption) -> Result<Matcher, String> {
    if let Some(url) = option.config.get("url").and_then(Json::as_str) {
        return url_pattern(url).map(Matcher::ServerUrl);
    }
    let command = option
        .config
        .get("command")
        .and_then(Json::as_str)
        .ok_or_else(|| "the configuration has neither a command nor a URL".to_string())?;
    let mut argv = vec![command.to_string()];
    for arg in option.config["args"].as_array().into_iter().flatten() {
        let arg = arg.as_str().unwrap_or_default();
        if arg.contains("${input:") {
            return Err(format!(
                "the argument `{arg}` is a value each user supplies, so no exact command can be allowed; give the argument a fixed `value` to pin it"
            ));
        }
        argv.push(arg.to_string());
    }
    Ok(Matcher::ServerCommand(argv))
}

/// A remote's URL as a `serverUrl` pattern: each `${input:…}` (a URL template variable) becomes
/// `*`, which clients match within one host label run or path segment; scheme and host
/// lowercased, a default port and any fragment dropped.
pub fn url_pattern(url: &str) -> Result<String, String> {
    let mut pattern = String::new();
    let mut rest = url;
    while let Some(start) = rest.find("${input:") {
        pattern.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            return Err(format!("`{url}` has an unclosed variable"));
        };
        pattern.push('*');
        rest = &rest[start + end + 1..];
    }
    pattern.push_str(rest);
    canonical(&pattern).ok_or_else(|| format!("`{url}` is not an http(s) URL"))
}

/// `scheme://host[:port]/path?query`, scheme and host lowercased, the scheme's default port
/// and the fragment dropped.
pub fn canonical(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let rest = rest.split('#').next().unwrap_or_default();
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    let authority = authority.to_ascii_lowercase();
    let authority = match authority.rsplit_once(':') {
        Some((host, port)) if port == default_port => host.to_string(),
        _ => authority,
    };
    if authority.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{authority}{tail}"))
}
