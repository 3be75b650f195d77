//! A parsed server file expanded into its versions. Both file forms end here: a single
//! server.json document is one version; shared fields plus `versions:` become one merged
//! document per item (a key in the item replaces the top-level key). The registry's own fields
//! (`status`, `statusMessage`, `latest`, `upstream`) are taken out, so `doc` is exactly the
//! server.json.

use crate::check::diagnostic::{Findings, Rule};
use crate::check::files::SourceFile;
use crate::check::load;
use crate::check::node::{MapEntry, Node, Pos, Value};
use crate::check::upstream::{self, Upstream};
use time::OffsetDateTime;

/// The server.json schema a document follows when it names none.
pub const DEFAULT_SCHEMA: &str =
    "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Status {
    #[default]
    Active,
    Deprecated,
    Deleted,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Active, Status::Deprecated, Status::Deleted];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Deprecated => "deprecated",
            Status::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A name and a version: how times and tombstones are keyed.
pub type NameVersion = (String, String);

/// The three dates of a version. From git history when the registry is a git repository; in a
/// plain directory the file's modification time stands in for all three.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionTimes {
    pub published_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub status_changed_at: OffsetDateTime,
}

impl VersionTimes {
    /// All three set to `at`.
    pub fn all(at: OffsetDateTime) -> VersionTimes {
        VersionTimes {
            published_at: at,
            updated_at: at,
            status_changed_at: at,
        }
    }
}

/// Unix seconds (a git commit time) as a date; the epoch for a time out of range.
pub fn from_unix(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A version that was served and is no longer defined by any file: served as `deleted`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tombstone {
    /// The file that last defined it.
    pub file: String,
    /// Its last server.json.
    pub doc: serde_json::Value,
}

/// A string from the file and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub text: String,
    pub pos: Pos,
}

/// One server file, expanded.
#[derive(Clone, Debug)]
pub struct ServerDef {
    pub file: String,
    /// The top-level `name`, when it is a string.
    pub name: Option<Located>,
    /// The `latest:` pin.
    pub latest: Option<Located>,
    /// `upstream:`, where the server was imported from (when it is valid).
    pub upstream: Option<Upstream>,
    pub versions: Vec<VersionDef>,
}

/// One version of a server: the merged server.json and its registry fields.
#[derive(Clone, Debug)]
pub struct VersionDef {
    /// Where the version is defined: its `versions:` item, or the document.
    pub pos: Pos,
    /// The `version` string, when there is one.
    pub version: Option<Located>,
    pub status: Status,
    /// Where `status` was written (the version's position when it was not).
    pub status_pos: Pos,
    pub status_message: Option<Located>,
    /// The server.json document: a mapping, `$schema` first (defaulted when absent).
    pub doc: Node,
}

impl ServerDef {
    pub fn name(&self) -> Option<&str> {
        self.name.as_ref().map(|n| n.text.as_str())
    }
}

impl VersionDef {
    pub fn version(&self) -> Option<&str> {
        self.version.as_ref().map(|v| v.text.as_str())
    }
}

/// Keys that belong to the registry, not to server.json.
const SERVER_KEYS: [&str; 3] = ["latest", "versions", upstream::KEY];
const VERSION_KEYS: [&str; 2] = ["status", "statusMessage"];

/// What a server file defines, when it parses and has the form of one; its findings are
/// dropped (reporting them is validation's work; history and tests only need the servers).
pub fn from_file(file: &SourceFile) -> Option<ServerDef> {
    let root = load::parse(file).ok()?;
    let mut dropped = Vec::new();
    expand(
        &root,
        &mut Findings {
            file: &file.path,
            list: &mut dropped,
        },
    )
}

/// Expands a parsed server file; problems with its form go to `out`.
pub fn expand(root: &Node, out: &mut Findings) -> Option<ServerDef> {
    let Some(top) = root.as_map() else {
        let found = if root.value == Value::Null {
            "an empty file"
        } else {
            root.type_name()
        };
        out.push(
            Rule::FileForm,
            root.pos,
            format!("expected a mapping (a server.json document), found {found}"),
        );
        return None;
    };
    let name = root.entry("name").and_then(located);
    let latest = match root.entry("latest") {
        Some(e) => {
            let l = located(e);
            if l.is_none() {
                out.push(
                    Rule::SchemaType,
                    e.value.pos,
                    format!(
                        "`latest` must be a version string, found {}",
                        e.value.type_name()
                    ),
                );
            }
            l
        }
        None => None,
    };
    let upstream = root
        .entry(upstream::KEY)
        .and_then(|e| upstream::parse(&e.value, out));
    let shared: Vec<&MapEntry> = top
        .iter()
        .filter(|e| !SERVER_KEYS.contains(&e.key.as_str()))
        .collect();

    let versions = match root.entry("versions") {
        None => vec![version_def(root.pos, &shared, &[], out)],
        Some(list) => {
            if let Some(v) = root.entry("version") {
                out.push(Rule::FileForm, v.key_pos, "`version` cannot stand at the top beside a `versions:` list; put it in each item");
            }
            let Some(items) = list.value.as_seq() else {
                out.push(
                    Rule::FileForm,
                    list.value.pos,
                    format!(
                        "`versions` must be a list, found {}",
                        list.value.type_name()
                    ),
                );
                return Some(ServerDef {
                    file: out.file.to_string(),
                    name,
                    latest,
                    upstream,
                    versions: vec![],
                });
            };
            if items.is_empty() {
                out.push(
                    Rule::FileForm,
                    list.value.pos,
                    "`versions` is empty; a server needs at least one version",
                );
            }
            items
                .iter()
                .filter_map(|item| {
                    let Some(own) = item.as_map() else {
                        out.push(
                            Rule::FileForm,
                            item.pos,
                            format!(
                                "each `versions` item must be a mapping, found {}",
                                item.type_name()
                            ),
                        );
                        return None;
                    };
                    for e in own.iter().filter(|e| {
                        ["name", "latest", "versions", upstream::KEY].contains(&e.key.as_str())
                    }) {
                        out.push(
                            Rule::FileForm,
                            e.key_pos,
                            format!(
                                "`{}` belongs at the top of the file, not in a `versions` item",
                                e.key
                            ),
                        );
                    }
                    Some(version_def(item.pos, &shared, own, out))
                })
                .collect()
        }
    };
    Some(ServerDef {
        file: out.file.to_string(),
        name,
        latest,
        upstream,
        versions,
    })
}

/// Merges the shared entries with one item's (the item's key wins) and takes out the registry's
/// fields.
fn version_def(pos: Pos, shared: &[&MapEntry], own: &[MapEntry], out: &mut Findings) -> VersionDef {
    let mut merged: Vec<MapEntry> = shared
        .iter()
        .map(|e| own.iter().find(|o| o.key == e.key).unwrap_or(e).clone())
        .collect();
    merged.extend(
        own.iter()
            .filter(|o| !shared.iter().any(|e| e.key == o.key))
            .cloned(),
    );

    let (mut status, mut status_pos, mut status_message) = (Status::Active, pos, None);
    for e in merged
        .iter()
        .filter(|e| VERSION_KEYS.contains(&e.key.as_str()))
    {
        let Some(text) = e.value.as_str() else {
            out.push(
                Rule::SchemaType,
                e.value.pos,
                format!(
                    "`{}` must be a string, found {}",
                    e.key,
                    e.value.type_name()
                ),
            );
            continue;
        };
        if e.key == "statusMessage" {
            status_message = Some(Located {
                text: text.to_string(),
                pos: e.value.pos,
            });
        } else if let Some(s) = Status::parse(text) {
            (status, status_pos) = (s, e.value.pos);
        } else {
            out.push(
                Rule::SchemaEnum,
                e.value.pos,
                format!("`status` must be one of active, deprecated, deleted; found `{text}`"),
            );
        }
    }
    merged.retain(|e| !VERSION_KEYS.contains(&e.key.as_str()));
    if !merged.iter().any(|e| e.key == "$schema") {
        let value = Node::new(Pos::default(), Value::Str(DEFAULT_SCHEMA.to_string()));
        merged.insert(
            0,
            MapEntry {
                key: "$schema".to_string(),
                key_pos: Pos::default(),
                value,
            },
        );
    }
    let doc = Node::new(pos, Value::Map(merged));
    let version = doc.entry("version").and_then(located);
    VersionDef {
        pos,
        version,
        status,
        status_pos,
        status_message,
        doc,
    }
}

fn located(e: &MapEntry) -> Option<Located> {
    e.value.as_str().map(|s| Located {
        text: s.to_string(),
        pos: e.value.pos,
    })
}
