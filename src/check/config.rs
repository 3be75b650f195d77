//! `registry.yaml`: the few repository-wide settings. Unknown keys are errors, because a
//! misspelt setting that silently does nothing is worse than a failed lint.

use crate::check::diagnostic::{Findings, Rule};
use crate::check::node::Node;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryConfig {
    /// Globs (`*`, `?`) a server must match: against its namespace, or against the whole name
    /// when the glob has a `/`. Empty: every namespace is allowed.
    pub allowed_namespaces: Vec<String>,
}

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
                other => out.push(
                    Rule::RegistryConfig,
                    e.key_pos,
                    format!("unknown setting `{other}`; registry.yaml knows allowedNamespaces"),
                ),
            }
        }
        config
    }

    pub fn allows(&self, name: &str) -> bool {
        let namespace = name.split('/').next().unwrap_or(name);
        self.allowed_namespaces.is_empty()
            || self.allowed_namespaces.iter().any(|g| {
                if g.contains('/') {
                    glob_match(g, name)
                } else {
                    glob_match(g, namespace)
                }
            })
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
