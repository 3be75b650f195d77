//! `registry.yaml`: the few repository-wide settings. Unknown keys are errors, because a
//! misspelt setting that silently does nothing is worse than a failed lint.

use crate::check::diagnostic::{Findings, Rule};
use crate::check::node::Node;
use crate::check::views::{self, View};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryConfig {
    /// Globs (`*`, `?`) a server must match: against its namespace, or against the whole name
    /// when the glob has a `/`. Empty: every namespace is allowed.
    pub allowed_namespaces: Vec<String>,
    /// Set when the registry's servers are enforced by client allowlists (`allowlist:`).
    pub allowlist: Option<AllowlistConfig>,
    /// `views:`, each served at `/{view}/v0.1/…` (check/views.rs).
    pub views: Vec<View>,
    /// `rootRegistry: false` turns off the registry of every server at `/v0.1/…` (and its web
    /// page), leaving the views.
    pub root_off: bool,
}

/// `allowlist:` in registry.yaml: entries for `mcp-gitops allowlist` that are not servers of
/// the registry (a client's built-in servers an organization also wants to name).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowlistConfig {
    pub allowed: Vec<Entry>,
    pub denied: Vec<Entry>,
}

/// One allowlist entry, with exactly one matcher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    ServerName(String),
    ServerUrl(String),
    ServerCommand(Vec<String>),
}

const ENTRY_KEYS: [&str; 3] = ["serverName", "serverUrl", "serverCommand"];

impl RegistryConfig {
    pub fn from_node(root: &Node, out: &mut Findings) -> RegistryConfig {
        let mut config = RegistryConfig::default();
        if root.value == crate::check::node::Value::Null {
            return config;
        }
        let Some(entries) = root.as_map() else {
            out.push(
                Rule::RegistryConfig,
                root.pos,
                format!(
                    "registry.yaml must be a mapping, found {}",
                    root.type_name()
                ),
            );
            return config;
        };
        for e in entries {
            match e.key.as_str() {
                "allowedNamespaces" => {
                    match e.value.as_seq() {
                        Some(items) => {
                            for item in items {
                                match item.as_str() {
                                Some(glob) if !glob.is_empty() => config.allowed_namespaces.push(glob.to_string()),
                                _ => out.push(Rule::RegistryConfig, item.pos, "each allowedNamespaces entry must be a non-empty glob string"),
                            }
                            }
                        }
                        None => out.push(
                            Rule::RegistryConfig,
                            e.value.pos,
                            "allowedNamespaces must be a list of globs",
                        ),
                    }
                }
                "allowlist" => config.allowlist = Some(allowlist(&e.value, out)),
                "views" => config.views = views::parse(&e.value, out),
                "rootRegistry" => match e.value.value {
                    crate::check::node::Value::Bool(on) => config.root_off = !on,
                    _ => out.push(
                        Rule::RegistryConfig,
                        e.value.pos,
                        "rootRegistry must be true or false",
                    ),
                },
                other => out.push(
                    Rule::RegistryConfig,
                    e.key_pos,
                    format!(
                        "unknown setting `{other}`; registry.yaml knows allowedNamespaces, allowlist, views and rootRegistry"
                    ),
                ),
            }
        }
        config
    }

    pub fn allows(&self, name: &str) -> bool {
        self.allowed_namespaces.is_empty()
            || self
                .allowed_namespaces
                .iter()
                .any(|g| namespace_match(g, name))
    }
}

/// A glob on a server's namespace, or on its whole name when the glob has a `/`: how
/// allowedNamespaces and a view's `namespaces` read.
pub fn namespace_match(glob: &str, name: &str) -> bool {
    if glob.contains('/') {
        glob_match(glob, name)
    } else {
        glob_match(glob, name.split('/').next().unwrap_or(name))
    }
}

/// `allowlist: { allowed: [entry…], denied: [entry…] }`, both optional.
fn allowlist(node: &Node, out: &mut Findings) -> AllowlistConfig {
    let mut config = AllowlistConfig::default();
    if node.value == crate::check::node::Value::Null {
        return config;
    }
    let Some(entries) = node.as_map() else {
        out.push(
            Rule::RegistryConfig,
            node.pos,
            "allowlist must be a mapping with `allowed` and `denied` lists",
        );
        return config;
    };
    for e in entries {
        let list = match e.key.as_str() {
            "allowed" => &mut config.allowed,
            "denied" => &mut config.denied,
            other => {
                out.push(
                    Rule::RegistryConfig,
                    e.key_pos,
                    format!(
                        "unknown setting `allowlist.{other}`; allowlist knows allowed and denied"
                    ),
                );
                continue;
            }
        };
        let Some(items) = e.value.as_seq() else {
            out.push(
                Rule::RegistryConfig,
                e.value.pos,
                format!("allowlist.{} must be a list of entries", e.key),
            );
            continue;
        };
        list.extend(items.iter().filter_map(|item| entry(item, out)));
    }
    config
}

/// One entry: a mapping with exactly one of `serverName`, `serverUrl` (http or https) and
/// `serverCommand` (a non-empty list of strings).
fn entry(node: &Node, out: &mut Findings) -> Option<Entry> {
    let bad = |out: &mut Findings, message: &str| {
        out.push(
            Rule::RegistryConfig,
            node.pos,
            format!("an allowlist entry {message}"),
        );
        None
    };
    let Some(fields) = node.as_map() else {
        return bad(
            out,
            "must be a mapping with one of serverName, serverUrl or serverCommand",
        );
    };
    if fields.len() != 1 || !ENTRY_KEYS.contains(&fields[0].key.as_str()) {
        return bad(
            out,
            "must have exactly one of serverName, serverUrl or serverCommand",
        );
    }
    let value = &fields[0].value;
    match fields[0].key.as_str() {
        "serverName" => match value.as_str() {
            Some(name) if !name.is_empty() => Some(Entry::ServerName(name.to_string())),
            _ => bad(out, "`serverName` must be a non-empty string"),
        },
        "serverUrl" => match value.as_str() {
            Some(url)
                if ["https://", "http://"].iter().any(|s| {
                    url.get(..s.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(s))
                }) =>
            {
                Some(Entry::ServerUrl(url.to_string()))
            }
            _ => bad(
                out,
                "`serverUrl` must be an http:// or https:// URL (`*` for wildcards)",
            ),
        },
        _ => {
            let argv: Option<Vec<String>> = value
                .as_seq()
                .map(|items| {
                    items
                        .iter()
                        .map(|a| a.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or(None);
            match argv {
                Some(argv) if !argv.is_empty() => Some(Entry::ServerCommand(argv)),
                _ => bad(
                    out,
                    "`serverCommand` must be a non-empty list of strings (the exact argv)",
                ),
            }
        }
    }
}

/// `*` matches any run of characters (including none), `?` exactly one.
pub fn glob_match(glob: &str, text: &str) -> bool {
    let (g, t): (Vec<char>, Vec<char>) = (glob.chars().collect(), text.chars().collect());
    // Iterative matching with one backtrack point: linear in practice, no recursion.
    let (mut gi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if gi < g.len() && (g[gi] == '?' || g[gi] == t[ti]) {
            gi += 1;
            ti += 1;
        } else if gi < g.len() && g[gi] == '*' {
            star = Some(gi);
            mark = ti;
            gi += 1;
        } else if let Some(s) = star {
            gi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("com.acme.*", "com.acme.tools"));
        assert!(glob_match("com.acme*", "com.acme"));
        assert!(!glob_match("com.acme.*", "com.acme"));
        assert!(glob_match("io.github.acme-?", "io.github.acme-x"));
        assert!(!glob_match("io.github.acme-?", "io.github.acme-xy"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
    }
}
