//! Views: several registries served from one repository, declared in registry.yaml. A view
//! selects servers (by namespace or name glob, by label, or by name in `include`), takes away
//! those in `exclude`, and may keep only some version statuses; it is served as a complete
//! registry at `/{view}/v0.1/…`. Here: reading `views:`, the selection itself (the store builds
//! each view's index with it), and the findings that keep selections honest (a view or a selector
//! that selects nothing, a label no view uses).

use crate::check::config::{glob_match, namespace_match};
use crate::check::diagnostic::{Diagnostic, Findings, Rule};
use crate::check::model::{Located, ServerDef, Status};
use crate::check::node::Node;
use std::collections::BTreeSet;

/// A view's name is the first segment of its URLs: `^[a-z0-9][a-z0-9-]{0,62}$`, and none of the
/// segments the root registry's own routes take.
pub const NAME_PATTERN: &str = "^[a-z0-9][a-z0-9-]{0,62}$";
pub const RESERVED: [&str; 11] = [
    "v0",
    "v01",
    "servers",
    "assets",
    "allowlists",
    "healthz",
    "readyz",
    "status",
    "metrics",
    "webhook",
    "search",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub name: Located,
    /// Shown on the view's web page.
    pub description: Option<String>,
    /// Globs on the namespace, or on the whole name when the glob has a `/`.
    pub namespaces: Vec<Located>,
    /// A server with any of these labels.
    pub labels: Vec<Located>,
    /// The version statuses kept (all when empty).
    pub status: Vec<Status>,
    /// Names (or globs) selected whatever the above say.
    pub include: Vec<Located>,
    /// Names (or globs) taken away, last.
    pub exclude: Vec<Located>,
    /// A file on the serving host holding a token that this view's API also accepts.
    pub read_token_file: Option<String>,
}

impl View {
    /// Whether the view selects the server named `name` with these labels.
    pub fn selects(&self, name: &str, labels: &[Located]) -> bool {
        let by_name = self.namespaces.is_empty()
            || self
                .namespaces
                .iter()
                .any(|g| namespace_match(&g.text, name));
        let by_label = self.labels.is_empty()
            || self
                .labels
                .iter()
                .any(|l| labels.iter().any(|s| s.text == l.text));
        let chosen =
            (by_name && by_label) || self.include.iter().any(|g| glob_match(&g.text, name));
        chosen && !self.exclude.iter().any(|g| glob_match(&g.text, name))
    }

    /// Whether a version with this status is kept.
    pub fn keeps(&self, status: Status) -> bool {
        self.status.is_empty() || self.status.contains(&status)
    }
}

const FIELDS: [&str; 7] = [
    "description",
    "namespaces",
    "labels",
    "status",
    "include",
    "exclude",
    "readTokenFile",
];

/// `views:` in registry.yaml: a mapping of view name to view.
pub fn parse(node: &Node, out: &mut Findings) -> Vec<View> {
    let Some(entries) = node.as_map() else {
        out.push(
            Rule::RegistryConfig,
            node.pos,
            format!(
                "views must be a mapping of view names to views, found {}",
                node.type_name()
            ),
        );
        return Vec::new();
    };
    let mut views = Vec::new();
    for e in entries {
        if !is_name(&e.key) {
            out.push(
                Rule::RegistryConfig,
                e.key_pos,
                format!(
                    "the view name `{}` must be lowercase letters, digits and `-`, starting with a \
                     letter or digit, at most 63 characters, and none of {} (its URLs start \
                     with it)",
                    e.key.escape_debug(),
                    RESERVED.join(", ")
                ),
            );
            continue;
        }
        let mut view = View {
            name: Located {
                text: e.key.clone(),
                pos: e.key_pos,
            },
            description: None,
            namespaces: Vec::new(),
            labels: Vec::new(),
            status: Vec::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            read_token_file: None,
        };
        let Some(fields) = e.value.as_map() else {
            out.push(
                Rule::RegistryConfig,
                e.value.pos,
                format!(
                    "the view `{}` must be a mapping of {}",
                    e.key,
                    FIELDS.join(", ")
                ),
            );
            continue;
        };
        for f in fields {
            let at = format!("views.{}.{}", e.key, f.key);
            match f.key.as_str() {
                "description" => view.description = text(&f.value, &at, out),
                "readTokenFile" => view.read_token_file = text(&f.value, &at, out),
                "namespaces" => view.namespaces = words(&f.value, &at, out),
                "include" => view.include = words(&f.value, &at, out),
                "exclude" => view.exclude = words(&f.value, &at, out),
                "labels" => {
                    view.labels = words(&f.value, &at, out);
                    for l in &view.labels {
                        if !crate::check::labels::is_label(&l.text) {
                            out.push(
                                Rule::RegistryConfig,
                                l.pos,
                                format!("`{}` in {at} is not a label (lowercase letters, digits, `.`, `_`, `-`)", l.text),
                            );
                        }
                    }
                }
                "status" => {
                    for s in words(&f.value, &at, out) {
                        match Status::parse(&s.text) {
                            Some(status) => view.status.push(status),
                            None => out.push(
                                Rule::RegistryConfig,
                                s.pos,
                                format!(
                                    "{at} takes active, deprecated and deleted; found `{}`",
                                    s.text
                                ),
                            ),
                        }
                    }
                }
                other => out.push(
                    Rule::RegistryConfig,
                    f.key_pos,
                    format!(
                        "unknown setting `{at}` (`{other}`); a view knows {}",
                        FIELDS.join(", ")
                    ),
                ),
            }
        }
        views.push(view);
    }
    views
}

pub fn is_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 63
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !RESERVED.contains(&name)
}

fn text(node: &Node, at: &str, out: &mut Findings) -> Option<String> {
    match node.as_str() {
        Some(s) if !s.trim().is_empty() => Some(s.to_string()),
        _ => {
            out.push(
                Rule::RegistryConfig,
                node.pos,
                format!("{at} must be a non-empty string"),
            );
            None
        }
    }
}

fn words(node: &Node, at: &str, out: &mut Findings) -> Vec<Located> {
    let Some(items) = node.as_seq() else {
        out.push(
            Rule::RegistryConfig,
            node.pos,
            format!("{at} must be a list of strings"),
        );
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match item.as_str() {
            Some(s) if !s.is_empty() => Some(Located {
                text: s.to_string(),
                pos: item.pos,
            }),
            _ => {
                out.push(
                    Rule::RegistryConfig,
                    item.pos,
                    format!("each entry of {at} must be a non-empty string"),
                );
                None
            }
        })
        .collect()
}

/// Whether a selector's entry (the first argument) picks the server named by the second.
type Hits = fn(&str, &str, &ServerDef) -> bool;

/// The findings that keep views honest, once the servers are known: a view that selects no
/// server (an error: it would serve an empty registry), a selector that matches no server (a
/// typo, most often), and a label in a server file that no view selects by.
pub fn check(views: &[View], servers: &[ServerDef], config_file: &str, out: &mut Vec<Diagnostic>) {
    let servers: Vec<(&str, &ServerDef)> = servers
        .iter()
        .filter_map(|s| s.name().map(|n| (n, s)))
        .collect();
    for view in views {
        let selected = servers
            .iter()
            .filter(|(name, s)| view.selects(name, &s.labels))
            .filter(|(_, s)| s.versions.iter().any(|v| view.keeps(v.status)))
            .count();
        if selected == 0 {
            out.push(Diagnostic::new(
                Rule::ViewEmpty,
                config_file,
                view.name.pos,
                format!(
                    "the view `{}` selects no server: it would serve an empty registry",
                    view.name.text
                ),
            ));
        }
        let selectors: [(&str, &[Located], Hits); 4] = [
            ("namespaces", &view.namespaces, |g, name, _| {
                namespace_match(g, name)
            }),
            ("labels", &view.labels, |l, _, s| {
                s.labels.iter().any(|x| x.text == l)
            }),
            ("include", &view.include, |g, name, _| glob_match(g, name)),
            ("exclude", &view.exclude, |g, name, _| glob_match(g, name)),
        ];
        for (what, list, hits) in selectors {
            for item in list {
                if !servers.iter().any(|(name, s)| hits(&item.text, name, s)) {
                    out.push(Diagnostic::new(
                        Rule::ViewUnmatched,
                        config_file,
                        item.pos,
                        format!(
                            "`{}` in views.{}.{what} matches no server",
                            item.text, view.name.text
                        ),
                    ));
                }
            }
        }
    }
    let used: BTreeSet<&str> = views
        .iter()
        .flat_map(|v| v.labels.iter().map(|l| l.text.as_str()))
        .collect();
    for (_, s) in &servers {
        for label in s.labels.iter().filter(|l| !used.contains(l.text.as_str())) {
            out.push(Diagnostic::new(
                Rule::LabelUnused,
                &s.file,
                label.pos,
                format!(
                    "no view in registry.yaml selects by the label `{}`: it changes nothing",
                    label.text
                ),
            ));
        }
    }
}
