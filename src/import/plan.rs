//! What an import or an update does to one server file, decided in memory: versions upstream
//! that the file lacks are added, status changes of versions it has are mirrored, and a
//! version whose content differs from the file's is a conflict, reported and left as it is.
//! A published version is never edited in place (the rule `lint --base` enforces).

use super::fetch::Entry;
use super::file_form::{ServerForm, VersionForm, registry_managed_removed, same_content};
use crate::check::model::Status;
use crate::check::upstream::Upstream;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Keys of a server file that are not server.json's.
const RESERVED: [&str; 6] = [
    "status",
    "statusMessage",
    "latest",
    "versions",
    "upstream",
    "labels",
];

/// Which upstream versions the file lacks are added.
#[derive(Clone, Copy, Debug)]
pub enum Adding {
    /// Every one given (they were named, or read from files).
    All,
    /// Those published after the file's `upstream.updatedAt` (all when it has none): an
    /// older version whose status changed upstream is not one the file chose to carry.
    PublishedAfter(Option<OffsetDateTime>),
}

/// One change to a server file, as the summary tells it.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Added {
        version: String,
        status: Status,
    },
    Status {
        version: String,
        from: Status,
        to: Status,
        message: Option<String>,
    },
    /// The file now records where it comes from.
    Recorded {
        registry: String,
    },
    /// Only `upstream.updatedAt` moved: upstream changed something this file does not carry.
    Followed {
        updated_at: String,
    },
}

/// A version upstream whose content is not the file's.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub version: String,
    pub why: String,
}

/// The new state of one server file.
#[derive(Clone, Debug)]
pub struct Planned {
    pub name: String,
    /// Repository-relative path.
    pub path: String,
    pub form: ServerForm,
    pub created: bool,
    pub changes: Vec<Change>,
    pub conflicts: Vec<Conflict>,
}

impl Planned {
    /// Whether the file must be written.
    pub fn changed(&self) -> bool {
        !self.changes.is_empty()
    }
}

/// Merges `entries` (of the server `name`, from upstream or files) into the file's current
/// form (`None`: a new file at `path`); `record` is what the file should say it follows.
pub fn merge(
    name: &str,
    path: &str,
    existing: Option<ServerForm>,
    mut entries: Vec<Entry>,
    record: Option<Upstream>,
    adding: Adding,
) -> Planned {
    let created = existing.is_none();
    let mut form = existing.unwrap_or_else(|| ServerForm {
        name: name.to_string(),
        latest: None,
        upstream: None,
        labels: Vec::new(),
        versions: Vec::new(),
    });
    let mut changes = Vec::new();
    let mut conflicts = Vec::new();
    // Oldest first in the file: by semantic version, the others by when they were published.
    entries.sort_by_cached_key(|e| match semver::Version::parse(&e.version) {
        Ok(v) => (0, Some(v), None),
        Err(_) => (1, None, e.published_at.as_deref().and_then(parse_time)),
    });
    // The file's mark counts only while it follows the same server at the same registry.
    fn same(u: &Upstream) -> (&str, &str) {
        (u.registry.as_str(), u.name.as_str())
    }
    let before_mark = match (&form.upstream, &record) {
        (Some(before), Some(now)) if same(before) == same(now) => before.updated_at.clone(),
        _ => None,
    };
    // The times of the entries settled here, and of those in conflict.
    let mut settled: Vec<(OffsetDateTime, String)> = Vec::new();
    let mut conflicted: Vec<OffsetDateTime> = Vec::new();
    for entry in entries {
        let conflicts_before = conflicts.len();
        let updated_at = entry.updated_at.clone();
        let message = entry
            .status_message
            .clone()
            .filter(|_| entry.status != Status::Active);
        let doc = registry_managed_removed(entry.server);
        // A key the file form gives a meaning of its own would not be served back as sent.
        if let Some(key) = RESERVED.iter().find(|k| doc.contains_key(**k)) {
            conflicts.push(Conflict {
                version: entry.version.clone(),
                why: format!(
                    "upstream's server.json holds the key {key}, which this registry's files use for their own fields; not imported"
                ),
            });
            if let Some(at) = entry.updated_at.as_deref().and_then(parse_time) {
                conflicted.push(at);
            }
            continue;
        }
        match form
            .versions
            .iter_mut()
            .find(|v| v.version() == entry.version)
        {
            Some(local) => {
                if !same_content(&local.doc, &doc) {
                    conflicts.push(Conflict {
                        version: entry.version.clone(),
                        why: format!(
                            "upstream's server.json of {} differs from this file's; a published version is never edited in place, so it is left as it is",
                            entry.version
                        ),
                    });
                } else if (local.status, &local.status_message) != (entry.status, &message) {
                    changes.push(Change::Status {
                        version: entry.version.clone(),
                        from: local.status,
                        to: entry.status,
                        message: message.clone(),
                    });
                    local.status = entry.status;
                    local.status_message = message;
                }
            }
            None => {
                let wanted = match adding {
                    Adding::All => true,
                    Adding::PublishedAfter(None) => true,
                    Adding::PublishedAfter(Some(marker)) => entry
                        .published_at
                        .as_deref()
                        .and_then(parse_time)
                        .is_none_or(|p| p > marker),
                };
                // A version deleted upstream before this file carried it stays out.
                if wanted && entry.status != Status::Deleted {
                    changes.push(Change::Added {
                        version: entry.version.clone(),
                        status: entry.status,
                    });
                    form.versions.push(VersionForm {
                        doc,
                        status: entry.status,
                        status_message: message,
                    });
                }
            }
        }
        if let Some((at, text)) = updated_at.and_then(|t| Some((parse_time(&t)?, t))) {
            if conflicts.len() == conflicts_before {
                settled.push((at, text));
            } else {
                conflicted.push(at);
            }
        }
    }
    // The mark moves to the newest settled change, but never past a conflict: the next
    // update asks again from before it and reports it again, until a person settles it.
    let cap = conflicted.into_iter().min();
    let newest = settled
        .into_iter()
        .filter(|(at, _)| cap.is_none_or(|c| *at < c))
        .chain(before_mark.and_then(|t| Some((parse_time(&t)?, t))))
        .max_by_key(|(at, _)| *at)
        .map(|(_, text)| text);
    if let Some(mut record) = record {
        record.updated_at = newest;
        let before = form.upstream.take();
        if before.as_ref().map(same) != Some(same(&record)) {
            changes.push(Change::Recorded {
                registry: record.registry.clone(),
            });
        } else if before.as_ref().and_then(|u| u.updated_at.as_ref()) != record.updated_at.as_ref()
            && changes.is_empty()
            && let Some(at) = &record.updated_at
        {
            changes.push(Change::Followed {
                updated_at: at.clone(),
            });
        }
        form.upstream = Some(record);
    }
    Planned {
        name: name.to_string(),
        path: path.to_string(),
        form,
        created,
        changes,
        conflicts,
    }
}

pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::node::Pos;
    use serde_json::json;

    fn entry(version: &str, status: Status, description: &str, at: &str) -> Entry {
        Entry {
            name: "io.github.a/b".into(),
            version: version.into(),
            server:
                json!({"name": "io.github.a/b", "description": description, "version": version})
                    .as_object()
                    .unwrap()
                    .clone(),
            status,
            status_message: (status != Status::Active).then(|| "why".to_string()),
            updated_at: Some(at.into()),
            published_at: Some(at.into()),
        }
    }

    fn record() -> Upstream {
        Upstream {
            registry: "https://r.example".into(),
            name: "io.github.a/b".into(),
            updated_at: None,
            pos: Pos::default(),
        }
    }

    #[test]
    fn adds_mirrors_and_reports_conflicts() {
        let first = merge(
            "io.github.a/b",
            "servers/io.github.a/b.yaml",
            None,
            vec![
                entry("2.0.0", Status::Active, "B", "2025-02-01T00:00:00Z"),
                entry("1.0.0", Status::Active, "B", "2025-01-01T00:00:00Z"),
                entry("0.1.0", Status::Deleted, "B", "2024-01-01T00:00:00Z"),
            ],
            Some(record()),
            Adding::All,
        );
        let versions: Vec<&str> = first.form.versions.iter().map(|v| v.version()).collect();
        assert_eq!(versions, ["1.0.0", "2.0.0"]);
        let marker = first.form.upstream.as_ref().unwrap().updated_at.clone();
        assert_eq!(marker.as_deref(), Some("2025-02-01T00:00:00Z"));
        assert!(
            first.created
                && first.changes.contains(&Change::Recorded {
                    registry: "https://r.example".into()
                })
        );

        let update = merge(
            "io.github.a/b",
            "servers/io.github.a/b.yaml",
            Some(first.form.clone()),
            vec![
                entry("1.0.0", Status::Deprecated, "B", "2025-03-01T00:00:00Z"),
                entry("2.0.0", Status::Active, "B, edited", "2025-03-01T00:00:00Z"),
                entry("3.0.0", Status::Active, "B", "2025-03-02T00:00:00Z"),
                // Published before the marker: not one this file chose to carry.
                entry("0.9.0", Status::Active, "B", "2024-06-01T00:00:00Z"),
            ],
            Some(record()),
            Adding::PublishedAfter(marker.as_deref().and_then(parse_time)),
        );
        assert_eq!(
            update.changes[..2],
            [
                Change::Status {
                    version: "1.0.0".into(),
                    from: Status::Active,
                    to: Status::Deprecated,
                    message: Some("why".into())
                },
                Change::Added {
                    version: "3.0.0".into(),
                    status: Status::Active
                },
            ]
        );
        assert_eq!(update.conflicts.len(), 1);
        assert_eq!(update.form.versions[1].doc["description"], "B");
        assert_eq!(update.form.versions.len(), 3);
        let mut odd = entry("4.0.0", Status::Active, "B", "2025-03-03T00:00:00Z");
        odd.server.insert("latest".into(), json!("4.0.0"));
        let refused = merge(
            "io.github.a/b",
            "servers/io.github.a/b.yaml",
            Some(update.form.clone()),
            vec![odd],
            Some(record()),
            Adding::All,
        );
        assert!(!refused.changed() && refused.conflicts[0].why.contains("key latest"));
        // The conflict (at 03-01) holds the mark before it, so the next update sees it again.
        let mark = |p: &Planned| p.form.upstream.as_ref().unwrap().updated_at.clone();
        assert_eq!(mark(&update).as_deref(), Some("2025-02-01T00:00:00Z"));

        // Settled upstream: the mark moves on, and then there is nothing to write.
        let settled = vec![entry("3.0.0", Status::Active, "B", "2025-03-02T00:00:00Z")];
        let again = merge(
            "io.github.a/b",
            "servers/io.github.a/b.yaml",
            Some(update.form.clone()),
            settled.clone(),
            Some(record()),
            Adding::PublishedAfter(None),
        );
        assert_eq!(
            again.changes,
            [Change::Followed {
                updated_at: "2025-03-02T00:00:00Z".into()
            }]
        );
        let still = merge(
            "io.github.a/b",
            "servers/io.github.a/b.yaml",
            Some(again.form.clone()),
            settled,
            Some(record()),
            Adding::PublishedAfter(None),
        );
        assert!(!still.changed(), "{:?}", still.changes);
    }
}
