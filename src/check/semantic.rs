//! The official MCP registry's semantic rules beyond the JSON Schema, in our own code: what
//! modelcontextprotocol/registry checks in `internal/validators` (validators.go, utils.go) and
//! the offline part of its per-registry package checks (`registries/*.go`). Checks that need the
//! network (package ownership, reachability) are left out, and a value of the wrong type is
//! skipped: schema.rs reports it.

use crate::check::diagnostic::{Findings, Rule};
use crate::check::node::{Node, Pos};
use serde_json::Value as Json;
use std::net::Ipv4Addr;
use url::{Host, Url};

/// Checks one merged server.json document.
pub fn check(doc: &Node, out: &mut Findings) {
    check_name(doc, out);
    if let Some(version) = doc.get("version") {
        check_version(version, "version", out);
    }
    check_repository(doc, out);
    check_website(doc, out);
    check_title(doc, out);
    for icon in list(doc, "icons") {
        if let Some(src) = icon.get("src") {
            check_https_url(src, Rule::IconUrl, "icon src", out);
        }
    }
    for package in list(doc, "packages") {
        check_package(package, out);
    }
    for remote in list(doc, "remotes") {
        check_remote(remote, out);
    }
    check_meta(doc, out);
}

/// The items of the list under `key`; none when it is absent or not a list.
fn list<'a>(node: &'a Node, key: &str) -> &'a [Node] {
    node.get(key).and_then(Node::as_seq).unwrap_or_default()
}

/// The string under `key` with its node, when there is one.
fn string<'a>(node: &'a Node, key: &str) -> Option<(&'a str, &'a Node)> {
    let value = node.get(key)?;
    Some((value.as_str()?, value))
}

// ---------------------------------------------------------------------------------------------
// Name and version

/// Mirrors `parseServerName`.
fn check_name(doc: &Node, out: &mut Findings) {
    // An empty name is the schema's to report (minLength).
    let Some((name, node)) = string(doc, "name").filter(|(n, _)| !n.is_empty()) else {
        return;
    };
    if let Some(problem) = name_problem(name) {
        let msg = format!("server name `{name}` {problem}");
        out.push(Rule::NameFormat, node.pos, msg);
    }
}

fn name_problem(name: &str) -> Option<String> {
    const FORM: &str = "`<namespace>/<name>`, like `com.example/weather`";
    let Some((namespace, server)) = name.split_once('/') else {
        return Some(format!("has no `/`; write it as {FORM}"));
    };
    if server.contains('/') {
        return Some(format!("has more than one `/`; write it as {FORM}"));
    }
    if namespace.is_empty() || server.is_empty() {
        return Some(format!(
            "needs text on both sides of `/`; write it as {FORM}"
        ));
    }
    if !is_name_part(namespace, ".-") {
        return Some(format!(
            "has an invalid namespace `{namespace}`: it must be at least two characters, start \
             and end with a letter or digit, and otherwise use only letters, digits, `.` and `-`"
        ));
    }
    if !is_name_part(server, "._-") {
        return Some(format!(
            "has an invalid name part `{server}`: it must be at least two characters, start and \
             end with a letter or digit, and otherwise use only letters, digits, `.`, `_` and `-`"
        ));
    }
    None
}

/// `[a-zA-Z0-9][a-zA-Z0-9<inner>]*[a-zA-Z0-9]`, the official pattern for either part of a name.
fn is_name_part(part: &str, inner: &str) -> bool {
    let bytes = part.as_bytes();
    bytes.len() >= 2
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || inner.contains(c))
}

/// Mirrors `validateVersion`, for the server's version and each package's.
fn check_version(node: &Node, what: &str, out: &mut Findings) {
    let Some(version) = node.as_str() else {
        return;
    };
    if version == "latest" {
        let msg = format!(
            "{what} `latest` is reserved (it names whichever version is newest); use a specific \
             version, like `1.0.0`"
        );
        out.push(Rule::VersionReserved, node.pos, msg);
    } else if looks_like_range(version) {
        let msg = format!(
            "{what} `{version}` is a version range; use one specific version, like `1.2.3`"
        );
        out.push(Rule::VersionRange, node.pos, msg);
    }
}

/// Mirrors `looksLikeVersionRange`, whose four regular expressions are written out by hand here
/// (the crate has no regex engine): `^1.2`, `>= 1.0`, `1.0 - 2.0`, `1.2 || 1.3`, `1.x`, `1.2.*`.
fn looks_like_range(version: &str) -> bool {
    let v = version.trim();
    if v.is_empty() {
        return false;
    }
    let is = |pattern: fn(&mut Cursor) -> bool| {
        let mut cursor = Cursor {
            s: v.as_bytes(),
            i: 0,
        };
        pattern(&mut cursor) && cursor.at_end()
    };
    is(comparator_range)
        || is(hyphen_range)
        || is(or_range)
        // A dotted version is a range only when some part is a wildcard. The official check
        // looks for x, X or * anywhere, so `1.0.0-linux` counts as a range too.
        || (is(dotted_version) && v.contains(['x', 'X', '*']))
}

/// `\s*(\^|~|>=|<=|>|<|=)\s*VERSION\s*`
fn comparator_range(c: &mut Cursor) -> bool {
    c.spaces();
    if ![">=", "<=", ">", "<", "=", "^", "~"]
        .iter()
        .any(|op| c.eat(op))
    {
        return false;
    }
    c.spaces();
    let found = c.version();
    c.spaces();
    found
}

/// `\s*VERSION\s-\s*VERSION\s*`: exactly one space before the hyphen.
fn hyphen_range(c: &mut Cursor) -> bool {
    c.spaces();
    if !(c.version() && c.space() && c.eat("-")) {
        return false;
    }
    c.spaces();
    let found = c.version();
    c.spaces();
    found
}

/// `\s*VERSION\s*(\|\|\s*VERSION\s*)+`
fn or_range(c: &mut Cursor) -> bool {
    c.spaces();
    if !c.version() {
        return false;
    }
    c.spaces();
    let mut alternatives = 0;
    while c.eat("||") {
        c.spaces();
        if !c.version() {
            return false;
        }
        c.spaces();
        alternatives += 1;
    }
    alternatives > 0
}

/// `\s*(v?\d+|x|X|\*)(\.(\d+|x|X|\*)){1,2}(-PRERELEASE)?\s*`
fn dotted_version(c: &mut Cursor) -> bool {
    c.spaces();
    if !(c.wildcard() || c.v_digits()) {
        return false;
    }
    let mut parts = 0;
    while parts < 2 && c.try_step(|ahead| ahead.eat(".") && (ahead.digits() || ahead.wildcard())) {
        parts += 1;
    }
    c.prerelease();
    c.spaces();
    parts > 0
}

/// A scanner over a version string. Each pattern above is anchored and its repetitions never
/// need to give characters back, so a greedy scan decides exactly what the regex would.
#[derive(Clone, Copy)]
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.s.get(self.i + ahead).copied()
    }

    /// Advances past what `step` matches, or not at all when it does not match.
    fn try_step(&mut self, step: impl FnOnce(&mut Self) -> bool) -> bool {
        let mut ahead = *self;
        let matched = step(&mut ahead);
        if matched {
            *self = ahead;
        }
        matched
    }

    fn at_end(&self) -> bool {
        self.i == self.s.len()
    }

    fn eat(&mut self, literal: &str) -> bool {
        let found = self.s[self.i..].starts_with(literal.as_bytes());
        if found {
            self.i += literal.len();
        }
        found
    }

    /// Go's `\s`: ASCII space, tab, newline, form feed, carriage return.
    fn is_space(b: u8) -> bool {
        matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
    }

    /// `\s`
    fn space(&mut self) -> bool {
        let found = self.peek_at(0).is_some_and(Self::is_space);
        self.i += usize::from(found);
        found
    }

    /// `\s*`
    fn spaces(&mut self) {
        while self.space() {}
    }

    /// `\d+`
    fn digits(&mut self) -> bool {
        let start = self.i;
        while self.peek_at(0).is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        self.i > start
    }

    /// `x|X|\*`
    fn wildcard(&mut self) -> bool {
        let found = matches!(self.peek_at(0), Some(b'x' | b'X' | b'*'));
        self.i += usize::from(found);
        found
    }

    /// `(-[0-9A-Za-z.-]+)?`
    fn prerelease(&mut self) {
        let is_part = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
        if self.peek_at(0) == Some(b'-') && self.peek_at(1).is_some_and(is_part) {
            self.i += 1;
            while self.peek_at(0).is_some_and(is_part) {
                self.i += 1;
            }
        }
    }

    /// `v?\d+`
    fn v_digits(&mut self) -> bool {
        self.eat("v");
        self.digits()
    }

    /// VERSION: `v?\d+(\.\d+){0,3}(-[0-9A-Za-z.-]+)?`
    fn version(&mut self) -> bool {
        if !self.v_digits() {
            return false;
        }
        for _ in 0..3 {
            if !self.try_step(|ahead| ahead.eat(".") && ahead.digits()) {
                break;
            }
        }
        self.prerelease();
        true
    }
}

// ---------------------------------------------------------------------------------------------
// Repository, website, icons

/// Mirrors `validateRepository`.
fn check_repository(doc: &Node, out: &mut Findings) {
    let Some(repo) = doc.get("repository") else {
        return;
    };
    check_repository_url(repo, out);
    if let Some((subfolder, node)) = string(repo, "subfolder")
        && let Some(problem) = subfolder_problem(subfolder)
    {
        let msg = format!(
            "repository subfolder `{subfolder}` {problem}; write a clean path relative to the \
             repository root, like `servers/weather`"
        );
        out.push(Rule::RepositorySubfolder, node.pos, msg);
    }
}

/// Mirrors `IsValidRepositoryURL`: the official registry knows GitHub and GitLab only.
fn check_repository_url(repo: &Node, out: &mut Findings) {
    // A missing url or source is the schema's to report.
    let (Some((url, url_node)), Some((source, source_node))) =
        (string(repo, "url"), string(repo, "source"))
    else {
        return;
    };
    if url.is_empty() && source.is_empty() {
        return; // The official registry reads this as "no repository".
    }
    let (fits, expected) = match source {
        "github" => (
            forge_path(url, "github.com").is_some_and(|p| p.len() == 2),
            "https://github.com/<owner>/<repo>",
        ),
        "gitlab" => (
            forge_path(url, "gitlab.com").is_some_and(|p| p.len() >= 2),
            "https://gitlab.com/<group>/<project> (subgroups allowed)",
        ),
        _ => {
            let msg = format!(
                "repository source `{source}` is not one the official registry accepts; use \
                 `github` or `gitlab` with the matching repository URL"
            );
            out.push(Rule::RepositoryUrl, source_node.pos, msg);
            return;
        }
    };
    if !fits {
        let msg =
            format!("repository URL `{url}` does not fit source `{source}`; expected {expected}");
        out.push(Rule::RepositoryUrl, url_node.pos, msg);
    }
}

/// The path segments of `http(s)://[www.]<host>/<seg>/<seg>.../` when each segment is made of
/// `[A-Za-z0-9_.-]`, as the official patterns require (case-sensitively).
fn forge_path<'a>(url: &'a str, host: &str) -> Option<Vec<&'a str>> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    let path = rest.strip_prefix(host)?.strip_prefix('/')?;
    let path = path.strip_suffix('/').unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    let word = |s: &&str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    };
    segments.iter().all(word).then_some(segments)
}

/// Mirrors `IsValidSubfolderPath`; says what is wrong, or nothing.
fn subfolder_problem(path: &str) -> Option<&'static str> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/');
    if path.is_empty() {
        None
    } else if path.starts_with('/') {
        Some("starts with `/`")
    } else if path.ends_with('/') {
        Some("ends with `/`")
    } else if !path.chars().all(allowed) {
        Some("has characters other than letters, digits, `-`, `_`, `.` and `/`")
    } else if path
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        Some("has an empty, `.` or `..` segment")
    } else {
        None
    }
}

/// Mirrors `validateWebsiteURL`, which lets an empty websiteUrl pass as absent.
fn check_website(doc: &Node, out: &mut Findings) {
    if let Some(node) = doc.get("websiteUrl")
        && node.as_str() != Some("")
    {
        check_https_url(node, Rule::WebsiteUrl, "websiteUrl", out);
    }
}

/// Mirrors `validateTitle`: an empty title passes as absent, a whitespace-only one does not
/// (clients would show a blank name).
fn check_title(doc: &Node, out: &mut Findings) {
    if let Some((title, node)) = string(doc, "title")
        && !title.is_empty()
        && title.trim().is_empty()
    {
        out.push(
            Rule::TitleBlank,
            node.pos,
            "title is only whitespace".to_string(),
        );
    }
}

/// Mirrors `validateWebsiteURL` and `validateIcon`: an absolute URL with the https scheme.
fn check_https_url(node: &Node, rule: Rule, what: &str, out: &mut Findings) {
    let Some(url) = node.as_str() else {
        return;
    };
    let problem = match scheme_of(url) {
        None => "is not an absolute URL; include the scheme, like `https://example.com/...`",
        Some(_) if Url::parse(url).is_err() => "is not a valid URL",
        Some(scheme) if !scheme.eq_ignore_ascii_case("https") => {
            "must use https, like `https://example.com/...`"
        }
        Some(_) => return,
    };
    out.push(rule, node.pos, format!("{what} `{url}` {problem}"));
}

/// The scheme of a URL as Go's `url.Parse` finds it: letters, digits, `+`, `-`, `.` before the
/// first `:`, starting with a letter.
fn scheme_of(url: &str) -> Option<&str> {
    let (head, _) = url.split_once(':')?;
    let mut chars = head.chars();
    let valid = chars.next()?.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(head)
}

// ---------------------------------------------------------------------------------------------
// Packages

/// Mirrors `validatePackageField` and the offline part of `ValidatePackage`.
fn check_package(package: &Node, out: &mut Findings) {
    if let Some(version) = package.get("version") {
        check_version(version, "package version", out);
    }
    for key in ["runtimeArguments", "packageArguments"] {
        for argument in list(package, key) {
            check_argument(argument, out);
        }
    }
    check_registry_fields(package, out);
    check_package_transport(package, out);
}

/// Mirrors `validateArgument`: a named argument's `name` is the flag alone, and its `value` and
/// `default` do not repeat it (clients put the flag in front of them).
fn check_argument(argument: &Node, out: &mut Findings) {
    if argument.get_str("type") != Some("named") {
        return;
    }
    let Some((name, name_node)) = string(argument, "name") else {
        return;
    };
    if name.is_empty() {
        let msg = "a named argument needs a `name`, the flag itself, like `--port`".to_string();
        out.push(Rule::ArgumentName, name_node.pos, msg);
        return;
    }
    let embedded = ['<', '>', ' ', '$'];
    if name.contains(embedded) {
        let flag = name.split(embedded).next().unwrap_or_default();
        let flag = if flag.is_empty() { "--port" } else { flag };
        let msg = format!(
            "named argument name `{name}` must be the flag alone, like `{flag}`; put its value \
             in `value`, `default` or `valueHint`"
        );
        out.push(Rule::ArgumentName, name_node.pos, msg);
    }
    for key in ["value", "default"] {
        let Some((text, node)) = string(argument, key) else {
            continue;
        };
        if let Some(rest) = text.strip_prefix(name) {
            let rest = rest.trim_start_matches(['=', ' ']);
            let hint = if rest.is_empty() {
                String::new()
            } else {
                format!(" (here `{rest}`)")
            };
            let msg = format!(
                "`{key}` `{text}` starts with the argument name `{name}`; clients add the flag \
                 themselves, so write only the value{hint}"
            );
            out.push(Rule::ArgumentName, node.pos, msg);
        }
    }
}

/// Whether a registry type needs a field, forbids it, or leaves it to the author.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    Forbidden,
    Optional,
}

/// What the official registry demands of a package of one registry type before it asks that
/// registry anything (the first lines of each `registries/<type>.go`).
struct RegistryType {
    name: &'static str,
    /// The one `registryBaseUrl` accepted; `None`: the field must be absent.
    base_url: Option<&'static str>,
    version: Need,
    file_sha256: Need,
    /// What `identifier` holds, for messages.
    identifier: &'static str,
}

const REGISTRY_TYPES: &[RegistryType] = &[
    RegistryType {
        name: "npm",
        base_url: Some("https://registry.npmjs.org"),
        version: Need::Required,
        file_sha256: Need::Forbidden,
        identifier: "the package name",
    },
    RegistryType {
        name: "pypi",
        base_url: Some("https://pypi.org"),
        version: Need::Required,
        file_sha256: Need::Forbidden,
        identifier: "the package name",
    },
    RegistryType {
        name: "nuget",
        base_url: Some("https://api.nuget.org/v3/index.json"),
        version: Need::Required,
        file_sha256: Need::Forbidden,
        identifier: "the package ID",
    },
    RegistryType {
        name: "cargo",
        base_url: Some("https://crates.io"),
        version: Need::Required,
        file_sha256: Need::Forbidden,
        identifier: "the crate name",
    },
    RegistryType {
        name: "oci",
        base_url: None,
        version: Need::Forbidden,
        file_sha256: Need::Forbidden,
        identifier: "the full image reference, like `ghcr.io/owner/image:1.0.0`",
    },
    RegistryType {
        name: "mcpb",
        base_url: None,
        version: Need::Optional,
        file_sha256: Need::Required,
        identifier: "the https download URL of the .mcpb file",
    },
];

/// Mirrors the identifier check of `validatePackageField` and the field rules of
/// `registries/{npm,pypi,nuget,cargo,oci,mcpb}.go`. Types the official code does not list are
/// left alone: the schema allows any `registryType`.
fn check_registry_fields(package: &Node, out: &mut Findings) {
    let identifier = string(package, "identifier");
    if let Some((id, node)) = identifier
        && id.contains(' ')
    {
        let msg = format!(
            "package identifier `{id}` contains spaces; no package name, image or URL has them"
        );
        out.push(Rule::PackageTransport, node.pos, msg);
    }
    let Some(kind) = package
        .get_str("registryType")
        .and_then(|t| REGISTRY_TYPES.iter().find(|k| k.name == t))
    else {
        return;
    };
    let name = kind.name;
    if let Some((id, node)) = identifier {
        if id.is_empty() {
            let msg = format!(
                "`identifier` is empty; for {name} packages it is {}",
                kind.identifier
            );
            out.push(Rule::PackageTransport, node.pos, msg);
        } else if name == "mcpb" && !scheme_of(id).is_some_and(|s| s.eq_ignore_ascii_case("https"))
        {
            let msg = format!("mcpb identifier `{id}` must be an https download URL");
            out.push(Rule::PackageTransport, node.pos, msg);
        }
    }
    check_need(package, "version", kind.version, name, out);
    check_need(package, "fileSha256", kind.file_sha256, name, out);
    check_base_url(package, kind, out);
}

/// Reports a field a registry type requires but is absent, or forbids but is present.
fn check_need(package: &Node, field: &str, need: Need, kind: &str, out: &mut Findings) {
    let why = match (field, kind) {
        ("version", "oci") => {
            "put the tag in `identifier` instead, like `ghcr.io/owner/image:1.0.0`"
        }
        ("version", _) => "it names the exact release to install",
        ("fileSha256", "mcpb") => {
            "the SHA-256 of the .mcpb file, so clients can verify the download"
        }
        _ => "it is only for mcpb packages",
    };
    match (need, package.get(field)) {
        (Need::Required, None) => {
            let msg = format!("{kind} packages need `{field}`: {why}");
            out.push(Rule::PackageTransport, package.pos, msg);
        }
        (Need::Forbidden, Some(node)) => {
            let msg = format!("{kind} packages must not have `{field}`: {why}");
            out.push(Rule::PackageTransport, node.pos, msg);
        }
        _ => {}
    }
}

/// Each registry type has one base URL on the official registry (or none at all).
fn check_base_url(package: &Node, kind: &RegistryType, out: &mut Findings) {
    let Some((url, node)) = string(package, "registryBaseUrl") else {
        return;
    };
    let msg = match kind.base_url {
        None => format!(
            "{} packages must not have `registryBaseUrl`: {} goes in `identifier`",
            kind.name,
            if kind.name == "oci" {
                "the registry"
            } else {
                "the full download URL"
            }
        ),
        Some(expected) if url != expected => format!(
            "registryBaseUrl `{url}` does not match registry type `{}`; use `{expected}` or \
             leave it out",
            kind.name
        ),
        Some(_) => return,
    };
    out.push(Rule::PackageTransport, node.pos, msg);
}

/// Mirrors `validatePackageTransport`: stdio has no URL; streamable-http and sse have an http(s)
/// URL whose `{variables}` name this package's arguments or environment variables.
fn check_package_transport(package: &Node, out: &mut Findings) {
    let Some(transport) = package.get("transport") else {
        return;
    };
    let Some((url, node)) = string(transport, "url").filter(|(u, _)| !u.is_empty()) else {
        return; // A missing URL is the schema's to report.
    };
    match transport.get_str("type") {
        Some("stdio") => {
            let msg = format!(
                "a stdio transport has no URL, but `url` is `{url}`; remove it, or use type \
                 `streamable-http` or `sse`"
            );
            out.push(Rule::PackageTransport, node.pos, msg);
        }
        Some("streamable-http" | "sse") => {
            if !templated_origin(url) && http_parts(&with_placeholders(url)).is_none() {
                let msg = format!(
                    "transport URL `{url}` is not an http(s) URL; write it like \
                     `http://localhost:{{port}}/mcp`"
                );
                out.push(Rule::PackageTransport, node.pos, msg);
            }
            if let Some(defined) = package_variables(package) {
                let place = "as an argument `valueHint`, an argument `name` or an environment \
                             variable of this package";
                check_url_variables(url, node.pos, &defined, place, out);
            }
        }
        _ => {} // An unknown type is the schema's to report.
    }
}

/// Mirrors `collectAvailableVariables`: environment variable names, and the names and
/// valueHints of runtime and package arguments. `None` when one of those lists is not a list.
fn package_variables(package: &Node) -> Option<Vec<&str>> {
    let sources: [(&str, &[&str]); 3] = [
        ("environmentVariables", &["name"]),
        ("runtimeArguments", &["name", "valueHint"]),
        ("packageArguments", &["name", "valueHint"]),
    ];
    let mut names = Vec::new();
    for (key, fields) in sources {
        let Some(items) = package.get(key) else {
            continue;
        };
        for item in items.as_seq()? {
            names.extend(fields.iter().filter_map(|f| item.get_str(f)));
        }
    }
    names.retain(|n| !n.is_empty());
    Some(names)
}

// ---------------------------------------------------------------------------------------------
// Remotes and URL templates

/// Mirrors `validateRemoteTransport`: an https URL clients can reach, whose `{variables}` are
/// defined in the remote's `variables`.
fn check_remote(remote: &Node, out: &mut Findings) {
    if !matches!(remote.get_str("type"), Some("streamable-http" | "sse")) {
        return; // Remotes take no other type; the schema reports it.
    }
    let Some((url, node)) = string(remote, "url").filter(|(u, _)| !u.is_empty()) else {
        return;
    };
    if let Some(problem) = remote_url_problem(url).filter(|_| !templated_origin(url)) {
        out.push(
            Rule::RemoteUrl,
            node.pos,
            format!("remote URL `{url}` {problem}"),
        );
    }
    let defined: Vec<&str> = match remote.get("variables") {
        None => Vec::new(),
        Some(variables) => match variables.as_map() {
            Some(entries) => entries.iter().map(|e| e.key.as_str()).collect(),
            None => return,
        },
    };
    check_url_variables(url, node.pos, &defined, "in this remote's `variables`", out);
}

/// A URL that starts with a template variable (`{baseUrl}/mcp`) takes its scheme and host from
/// the user, so they cannot be judged here (its variables still are). Whether a URL may start so
/// is the schema pattern's to say: the draft schema's allows it, the dated ones' do not.
fn templated_origin(url: &str) -> bool {
    url.starts_with('{')
}

/// Mirrors `IsValidRemoteURL`, with one deliberate difference: addresses in private ranges
/// (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10) are allowed, because a remote inside the
/// organization's own network is what a private registry is for.
fn remote_url_problem(url: &str) -> Option<String> {
    let Some((scheme, host)) = http_parts(&with_placeholders(url)) else {
        return Some("is not an https URL; write it like `https://mcp.example.com/mcp`".into());
    };
    if is_local_host(&host) {
        return Some(format!(
            "points at `{host}`, a local address that means a different machine to each \
             client; a remote needs an address every client can reach"
        ));
    }
    (scheme != "https").then(|| format!("must use https, not {scheme}"))
}

/// localhost and loopback, and addresses that never name one shared server: unspecified,
/// link-local (cloud metadata lives there), multicast and broadcast.
fn is_local_host(host: &Host) -> bool {
    let local_v4 = |ip: Ipv4Addr| {
        ip.is_loopback()
            || ip.is_unspecified()
            || ip.is_link_local()
            || ip.is_multicast()
            || ip.is_broadcast()
    };
    match host {
        Host::Domain(domain) => {
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            domain == "localhost" || domain.ends_with(".localhost")
        }
        Host::Ipv4(ip) => local_v4(*ip),
        Host::Ipv6(ip) => ip.to_ipv4_mapped().map_or_else(
            || {
                ip.is_loopback()
                    || ip.is_unspecified()
                    || ip.is_unicast_link_local()
                    || ip.is_multicast()
            },
            local_v4,
        ),
    }
}

/// The lowercase scheme and the host of an http or https URL, as Go's `url.Parse` sees them:
/// `None` for other schemes and for URLs without a host (`http:/x`, `http:///x`, which the URL
/// standard would repair).
fn http_parts(url: &str) -> Option<(String, Host)> {
    let parsed = Url::parse(url).ok()?;
    let scheme = parsed.scheme().to_string();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    // Url::parse forgives leading spaces and missing slashes; Go's parser does not.
    let (head, rest) = url.split_once(':')?;
    let authority = rest.strip_prefix("//")?;
    if !head.eq_ignore_ascii_case(&scheme) || authority.is_empty() || authority.starts_with('/') {
        return None;
    }
    Some((scheme, parsed.host()?.to_owned()))
}

/// Mirrors `replaceTemplateVariables`: each `{variable}` becomes a stand-in that keeps the URL
/// parseable (`{host}` a host name, a variable after `:` a port, any other a word), so the
/// URL's form can be judged before the variables are known.
fn with_placeholders(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open + 1..].find('}').filter(|&len| len > 0) else {
            out.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
            continue;
        };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..open + 1 + len];
        rest = &rest[open + 2 + len..];
        let port = out.ends_with(':') && (rest.is_empty() || rest.starts_with('/'));
        out.push_str(match name {
            "host" => "example.com",
            "port" => "8080",
            "path" => "api",
            "protocol" | "scheme" => "http",
            _ if port => "8080",
            _ => "placeholder",
        });
    }
    out.push_str(rest);
    out
}

/// Mirrors `extractTemplateVariables`: the text of every `{...}` with something inside.
fn template_variables(url: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = url;
    while let Some(open) = rest.find('{') {
        match rest[open + 1..].find('}') {
            Some(len) if len > 0 => {
                names.push(&rest[open + 1..open + 1 + len]);
                rest = &rest[open + 2 + len..];
            }
            _ => rest = &rest[open + 1..],
        }
    }
    names
}

/// Mirrors `IsValidTemplatedURL`'s variable check; reports the variables `defined` lacks.
fn check_url_variables(url: &str, pos: Pos, defined: &[&str], place: &str, out: &mut Findings) {
    let mut undefined: Vec<&str> = Vec::new();
    for name in template_variables(url) {
        if !defined.contains(&name) && !undefined.contains(&name) {
            undefined.push(name);
        }
    }
    if undefined.is_empty() {
        return;
    }
    let names: Vec<String> = undefined.iter().map(|n| format!("`{{{n}}}`")).collect();
    let known = if defined.is_empty() {
        "none is defined".to_string()
    } else {
        format!("defined: {}", defined.join(", "))
    };
    let (verb, it) = if undefined.len() == 1 {
        ("is", "it")
    } else {
        ("are", "them")
    };
    let msg = format!(
        "{} in URL `{url}` {verb} not defined; define {it} {place} ({known})",
        names.join(", ")
    );
    out.push(Rule::UrlVariableUndefined, pos, msg);
}

// ---------------------------------------------------------------------------------------------
// _meta

const PUBLISHER_PROVIDED: &str = "io.modelcontextprotocol.registry/publisher-provided";
const META_LIMIT: usize = 4 * 1024;

/// Mirrors `validatePublisherExtensions`: the publisher-provided `_meta` is at most 4 KiB as JSON.
fn check_meta(doc: &Node, out: &mut Findings) {
    let Some(node) = doc.get("_meta").and_then(|m| m.get(PUBLISHER_PROVIDED)) else {
        return;
    };
    if node.as_map().is_none() {
        return;
    }
    let size = go_json_len(&node.to_json());
    if size > META_LIMIT {
        let msg = format!(
            "`_meta` → `{PUBLISHER_PROVIDED}` is {size} bytes as JSON, over the limit of \
             {META_LIMIT} bytes; keep it small and link to larger data instead"
        );
        out.push(Rule::MetaTooLarge, node.pos, msg);
    }
}

/// The length of Go's `json.Marshal` of a value: compact like serde_json, but `<`, `>` and `&`
/// become `\u003c`-style escapes (5 bytes more) and U+2028/U+2029 `\u2028` (3 bytes more).
fn go_json_len(value: &Json) -> usize {
    let text = value.to_string();
    let escapes: usize = text
        .chars()
        .map(|c| match c {
            '<' | '>' | '&' => 5,
            '\u{2028}' | '\u{2029}' => 3,
            _ => 0,
        })
        .sum();
    text.len() + escapes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::diagnostic::Diagnostic;
    use crate::check::files::SourceFile;
    use crate::check::load;

    /// Rule ids and positions found in a YAML server.json.
    fn findings(yaml: &str) -> Vec<(Rule, u32, u32)> {
        let file = SourceFile {
            path: "servers/com.example/x.yaml".into(),
            bytes: yaml.as_bytes().to_vec(),
        };
        let doc = load::parse(&file).expect("test YAML parses");
        let mut list: Vec<Diagnostic> = Vec::new();
        let mut out = Findings {
            file: &file.path,
            list: &mut list,
        };
        check(&doc, &mut out);
        list.iter()
            .map(|d| (d.rule, d.pos.line, d.pos.col))
            .collect()
    }

    #[test]
    fn version_ranges_follow_the_official_examples() {
        let ranges = [
            "^1.2.3",
            "~1.2.3",
            ">=1.0.0",
            "<= 2",
            "> v1",
            "<1.0.0",
            "=1.0.0",
            "1.2.3 - 2.0.0",
            "1.2 || 1.3",
            "1 ||2||3",
            "1.x",
            "1.2.*",
            "1.2.X",
            "x.1",
            "*.*",
            "1.0.0-linux",
        ];
        for v in ranges {
            assert!(looks_like_range(v), "{v} should be a range");
        }
        let versions = [
            "1.0.0",
            "2.1.0-alpha",
            "v1.2.3",
            "1.2.3.4",
            "latest",
            "",
            "1.0.0-beta.1",
            "1.2.3-2.0.0",
            "1.0  - 2.0",
            "2024.10.01",
            "abc",
            ">=1.0.0.0.0",
            "1.2.3.x",
        ];
        for v in versions {
            assert!(!looks_like_range(v), "{v} should not be a range");
        }
    }

    #[test]
    fn name_parts_need_two_characters_and_alphanumeric_ends() {
        for ok in [
            "io.github.acme/weather",
            "com.example/a_b",
            "ab/cd",
            "A-1.b/x.y-z_0",
        ] {
            assert_eq!(name_problem(ok), None, "{ok}");
        }
        for bad in [
            "weather",
            "a/b/c",
            "/x",
            "com.example/",
            "a/weather",
            "com.example/w",
            "-com.example/weather",
            "com.example./weather",
            "com_example/weather",
            "com.example/weather-",
            "com.example/_weather",
        ] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn repository_urls_fit_their_forge() {
        assert!(
            forge_path("https://github.com/acme/weather", "github.com")
                .is_some_and(|p| p.len() == 2)
        );
        assert!(forge_path("http://www.github.com/acme/weather.js/", "github.com").is_some());
        assert!(forge_path("https://github.com/acme", "github.com").is_some_and(|p| p.len() == 1));
        assert!(
            forge_path("https://github.com/acme/weather/tree/main", "github.com")
                .is_some_and(|p| p.len() != 2)
        );
        assert!(forge_path("https://GitHub.com/acme/weather", "github.com").is_none());
        assert!(forge_path("https://github.com/acme/we ather", "github.com").is_none());
        assert!(
            forge_path("https://gitlab.com/group/sub/project", "gitlab.com")
                .is_some_and(|p| p.len() == 3)
        );
    }

    #[test]
    fn subfolders_are_clean_relative_paths() {
        assert_eq!(subfolder_problem("src/everything"), None);
        assert_eq!(subfolder_problem(".github/x"), None);
        for bad in [
            "/src", "src/", "src//x", "./src", "src/../x", "..", "src\\x", "a b",
        ] {
            assert!(subfolder_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn template_variables_and_placeholders_match_the_official_scan() {
        assert_eq!(
            template_variables("http://{host}:{port}/{a}{}/{b"),
            ["host", "port", "a"]
        );
        assert_eq!(template_variables("https://x/{{a}}"), ["{a"]);
        assert_eq!(
            with_placeholders("{scheme}://{host}:{port}/{path}"),
            "http://example.com:8080/api"
        );
        assert_eq!(
            with_placeholders("https://h:{p}/x/{q}"),
            "https://h:8080/x/placeholder"
        );
        assert_eq!(with_placeholders("{baseUrl}/mcp"), "placeholder/mcp");
    }

    #[test]
    fn remote_urls_are_https_and_not_local() {
        assert_eq!(
            remote_url_problem("https://mcp.example.com/{tenant}/mcp"),
            None
        );
        assert_eq!(remote_url_problem("https://10.1.2.3/mcp"), None);
        assert_eq!(remote_url_problem("HTTPS://MCP.example.com"), None);
        for bad in [
            "http://mcp.example.com",
            "https://localhost:8080/mcp",
            "https://api.localhost",
            "https://LOCALHOST./mcp",
            "https://127.0.0.1/mcp",
            "https://[::1]/mcp",
            "https://[::ffff:127.0.0.1]/",
            "https://0.0.0.0/",
            "https://169.254.169.254/",
            "{baseUrl}/mcp",
            "https:///mcp",
            "ftp://example.com",
            "https://{host}:{port}x",
            " https://mcp.example.com",
            "https:mcp.example.com",
            "HTTPS://localhost",
        ] {
            assert!(remote_url_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn go_json_length_counts_html_escapes() {
        let value = serde_json::json!({"a": "<&>", "b": [1, true]});
        assert_eq!(go_json_len(&value), value.to_string().len() + 15);
    }

    #[test]
    fn package_fields_follow_their_registry_type() {
        let yaml = r#"packages:
  - registryType: npm
    identifier: "@acme/weather server"
    registryBaseUrl: https://npm.example.com
    fileSha256: fe333e598595000ae021bd27117db32ec69af6987f507ba7a63c90638ff633ce
    transport: {type: stdio, url: "http://localhost:1/mcp"}
  - registryType: mcpb
    identifier: http://example.com/weather.mcpb
    registryBaseUrl: https://github.com
    transport: {type: stdio}
  - registryType: internal-artifactory
    identifier: weather
    transport: {type: stdio}
"#;
        let rules = |line| {
            findings(yaml)
                .into_iter()
                .filter(|f| f.1 == line)
                .map(|f| (f.0, f.2))
                .collect::<Vec<_>>()
        };
        let transport = Rule::PackageTransport;
        assert_eq!(rules(2), [(transport, 5)], "npm needs a version");
        assert_eq!(rules(3), [(transport, 17)], "no spaces in identifiers");
        assert_eq!(rules(4), [(transport, 22)], "npm has one base URL");
        assert_eq!(rules(5), [(transport, 17)], "fileSha256 is for mcpb");
        assert_eq!(rules(6), [(transport, 35)], "stdio has no URL");
        assert_eq!(rules(7), [(transport, 5)], "mcpb needs fileSha256");
        assert_eq!(rules(8), [(transport, 17)], "mcpb downloads over https");
        assert_eq!(rules(9), [(transport, 22)], "mcpb has no base URL");
        assert_eq!(rules(11), [], "unknown registry types are left alone");
    }

    #[test]
    fn a_valid_document_has_no_findings() {
        let yaml = r#"name: com.example/weather
description: Forecasts
version: "1.0.0"
websiteUrl: https://example.com
repository: {url: "https://github.com/acme/weather", source: github, subfolder: src/server}
icons: [{src: "https://example.com/icon.png"}]
packages:
  - registryType: npm
    identifier: "@acme/weather"
    version: "1.0.0"
    runtimeArguments: [{type: named, name: --port, valueHint: port}]
    transport: {type: streamable-http, url: "http://localhost:{port}/mcp"}
  - registryType: oci
    identifier: ghcr.io/acme/weather:1.0.0
    transport: {type: stdio}
  - registryType: mcpb
    identifier: https://github.com/acme/weather/releases/download/v1/weather.mcpb
    fileSha256: fe333e598595000ae021bd27117db32ec69af6987f507ba7a63c90638ff633ce
    transport: {type: stdio}
remotes:
  - type: sse
    url: "https://{tenant}.example.com/sse"
    variables: {tenant: {description: Your tenant}}
"#;
        assert_eq!(findings(yaml), []);
    }

    #[test]
    fn each_rule_points_at_the_value_at_fault() {
        let yaml = r#"name: com.example/w
description: Forecasts
version: latest
websiteUrl: http://example.com
repository: {url: "https://gitlab.com/acme", source: gitlab, subfolder: ../x}
icons: [{src: "data:image/png;base64,AAAA"}]
packages:
  - registryType: oci
    identifier: ghcr.io/acme/weather
    version: ^1.0.0
    fileSha256: fe333e598595000ae021bd27117db32ec69af6987f507ba7a63c90638ff633ce
    packageArguments: [{type: named, name: --port 8080, value: --port 8080}]
    transport: {type: sse, url: "http://localhost:{p}/sse"}
remotes:
  - {type: streamable-http, url: "https://localhost/{x}"}
_meta:
  io.modelcontextprotocol.registry/publisher-provided: {blob: "BLOB"}
"#
        .replace("BLOB", &"&".repeat(700));
        assert_eq!(
            findings(&yaml),
            [
                (Rule::NameFormat, 1, 7),
                (Rule::VersionReserved, 3, 10),
                (Rule::RepositoryUrl, 5, 19),
                (Rule::RepositorySubfolder, 5, 73),
                (Rule::WebsiteUrl, 4, 13),
                (Rule::IconUrl, 6, 15),
                (Rule::VersionRange, 10, 14),
                (Rule::ArgumentName, 12, 44),
                (Rule::ArgumentName, 12, 64),
                (Rule::PackageTransport, 10, 14),
                (Rule::PackageTransport, 11, 17),
                (Rule::UrlVariableUndefined, 13, 33),
                (Rule::RemoteUrl, 15, 34),
                (Rule::UrlVariableUndefined, 15, 34),
                (Rule::MetaTooLarge, 17, 56),
            ]
        );
    }
}
