//! The immutable index one revision is served from. Built once per revision from validated
//! servers: entries sorted the way the API lists them, `isLatest` decided, and each entry's
//! JSON serialized here, so a request only picks entries and concatenates their bytes.

use crate::model::{ServerDef, Status};
use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Where the official registry keeps its metadata in an entry's `_meta`.
pub const OFFICIAL_META: &str = "io.modelcontextprotocol.registry/official";
/// Our own `_meta` key: the file (and commit, when there is one) that defines the entry.
pub const SOURCE_META: &str = "io.github.mcp-gitops/source";

/// The three times of a version. In git mode they come from history; in a plain directory the
/// file's modification time stands in for all three.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryTimes {
    pub published_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub status_changed_at: OffsetDateTime,
}

impl EntryTimes {
    /// From Unix seconds, as git commit times come (see `history::VersionTimes`).
    pub fn from_unix(published_at: i64, updated_at: i64, status_changed_at: i64) -> EntryTimes {
        let at =
            |s: i64| OffsetDateTime::from_unix_timestamp(s).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        EntryTimes {
            published_at: at(published_at),
            updated_at: at(updated_at),
            status_changed_at: at(status_changed_at),
        }
    }

    /// All three set to `at`.
    pub fn all(at: OffsetDateTime) -> EntryTimes {
        EntryTimes {
            published_at: at,
            updated_at: at,
            status_changed_at: at,
        }
    }
}

/// Times per (name, version).
pub type Times = HashMap<(String, String), EntryTimes>;

/// A version that history knows but no file defines any more: served as `deleted`.
#[derive(Clone, Debug)]
pub struct Tombstone {
    pub name: String,
    pub version: String,
    /// The file that last defined it.
    pub file: String,
    /// Its last server.json.
    pub doc: Json,
}

/// What an index is built from.
pub struct Input<'a> {
    /// Validated servers (a revision with errors is never built).
    pub servers: &'a [ServerDef],
    /// The commit the servers were read from, when they come from git.
    pub commit: Option<&'a str>,
    pub times: &'a Times,
    /// The time of a version `times` does not know.
    pub fallback_time: OffsetDateTime,
    pub tombstones: &'a [Tombstone],
}

/// The sort key of a version within its server: semver versions ascending by precedence, then
/// the others by `publishedAt`. The version text breaks the remaining ties, so the order is total
/// and a cursor can name a position even after the version it names is gone.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum VersionKey {
    Semver(semver::Version, String),
    Other {
        published_nanos: i128,
        version: String,
    },
}

impl VersionKey {
    pub fn new(version: &str, published_at: OffsetDateTime) -> VersionKey {
        match semver::Version::parse(version) {
            Ok(v) => VersionKey::Semver(v, version.to_string()),
            Err(_) => VersionKey::Other {
                published_nanos: published_at.unix_timestamp_nanos(),
                version: version.to_string(),
            },
        }
    }

    pub fn is_semver(&self) -> bool {
        matches!(self, VersionKey::Semver(..))
    }
}

/// One name+version as served.
#[derive(Debug)]
pub struct Entry {
    pub name: String,
    pub version: String,
    pub key: VersionKey,
    pub status: Status,
    pub published_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub is_latest: bool,
    /// `name` lowercased, for case-insensitive search.
    pub name_lower: String,
    /// Where the next server's entries begin: a search that rejects this name skips there.
    pub server_end: usize,
    /// The entry as served: `{"server":…,"_meta":…}`.
    pub json: Box<[u8]>,
}

impl Entry {
    /// The position of this entry in the listing order.
    pub fn position(&self) -> (&str, &VersionKey) {
        (&self.name, &self.key)
    }
}

/// One server's entries are `entries[start..end]`.
#[derive(Debug)]
struct ServerRange {
    name: String,
    start: usize,
    end: usize,
}

#[derive(Debug)]
pub struct Index {
    entries: Vec<Entry>,
    /// Sorted by name, like `entries`.
    servers: Vec<ServerRange>,
    digest: String,
}

impl Index {
    #[tracing::instrument(skip_all, fields(servers = input.servers.len()))]
    pub fn build(input: &Input) -> Index {
        let mut by_name: BTreeMap<&str, Vec<Draft>> = BTreeMap::new();
        let mut pins: HashMap<&str, &str> = HashMap::new();
        let time_of = |name: &str, version: &str| {
            input
                .times
                .get(&(name.to_string(), version.to_string()))
                .copied()
                .unwrap_or(EntryTimes::all(input.fallback_time))
        };
        for server in input.servers {
            let Some(name) = server.name() else { continue };
            if let Some(pin) = &server.latest {
                pins.insert(name, &pin.text);
            }
            for v in &server.versions {
                let Some(version) = v.version() else { continue };
                by_name.entry(name).or_default().push(Draft {
                    version,
                    status: v.status,
                    status_message: v.status_message.as_ref().map(|m| m.text.as_str()),
                    doc: v.doc.to_json(),
                    file: &server.file,
                    times: truncate(time_of(name, version)),
                });
            }
        }
        for t in input.tombstones {
            let versions = by_name.entry(&t.name).or_default();
            if versions.iter().any(|d| d.version == t.version) {
                continue;
            }
            versions.push(Draft {
                version: &t.version,
                status: Status::Deleted,
                status_message: None,
                doc: t.doc.clone(),
                file: &t.file,
                times: truncate(time_of(&t.name, &t.version)),
            });
        }

        let mut entries = Vec::new();
        let mut servers = Vec::with_capacity(by_name.len());
        for (name, mut drafts) in by_name {
            let mut keyed: Vec<(VersionKey, Draft)> = drafts
                .drain(..)
                .map(|d| (VersionKey::new(d.version, d.times.published_at), d))
                .collect();
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            let latest = latest_of(&keyed, pins.get(name).copied());
            let start = entries.len();
            for (i, (key, draft)) in keyed.into_iter().enumerate() {
                let is_latest = latest == Some(i);
                let json = entry_json(&draft, is_latest, input.commit);
                entries.push(Entry {
                    name: name.to_string(),
                    version: draft.version.to_string(),
                    key,
                    status: draft.status,
                    published_at: draft.times.published_at,
                    updated_at: draft.times.updated_at,
                    is_latest,
                    name_lower: name.to_lowercase(),
                    server_end: 0,
                    json,
                });
            }
            let end = entries.len();
            for e in &mut entries[start..] {
                e.server_end = end;
            }
            servers.push(ServerRange {
                name: name.to_string(),
                start,
                end: entries.len(),
            });
        }

        let mut hasher = Sha256::new();
        for e in &entries {
            hasher.update((e.json.len() as u64).to_le_bytes());
            hasher.update(&e.json);
        }
        let digest = hex(&hasher.finalize())[..40].to_string();
        Index {
            entries,
            servers,
            digest,
        }
    }

    /// Every entry, in listing order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// A 40-hex digest of everything the index serves: the revision of a plain directory.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// How many servers (names) the index holds.
    pub fn server_count(&self) -> usize {
        self.servers.len()
    }

    /// All versions of one server, in listing order.
    pub fn server(&self, name: &str) -> Option<&[Entry]> {
        let i = self
            .servers
            .binary_search_by(|s| s.name.as_str().cmp(name))
            .ok()?;
        let s = &self.servers[i];
        Some(&self.entries[s.start..s.end])
    }

    /// One version of a server; `latest` names the latest one.
    pub fn version(&self, name: &str, version: &str) -> Option<&Entry> {
        let versions = self.server(name)?;
        if version == "latest" {
            versions.iter().find(|e| e.is_latest)
        } else {
            versions.iter().find(|e| e.version == version)
        }
    }

    /// The index of the first entry after `position` in listing order.
    pub fn after(&self, name: &str, key: &VersionKey) -> usize {
        self.entries
            .partition_point(|e| (e.name.as_str(), &e.key).cmp(&(name, key)) != Ordering::Greater)
    }
}

struct Draft<'a> {
    version: &'a str,
    status: Status,
    status_message: Option<&'a str>,
    doc: Json,
    file: &'a str,
    times: EntryTimes,
}

/// The pinned version if set, else the highest semver version that is not deleted; among
/// non-semver versions (only when there is no semver one), the newest `publishedAt`.
fn latest_of(sorted: &[(VersionKey, Draft)], pin: Option<&str>) -> Option<usize> {
    if let Some(pin) = pin
        && let Some(i) = sorted.iter().position(|(_, d)| d.version == pin)
    {
        return Some(i);
    }
    let live = |(_, (_, d)): &(usize, &(VersionKey, Draft))| d.status != Status::Deleted;
    let semver = sorted
        .iter()
        .enumerate()
        .filter(live)
        .rfind(|(_, (k, _))| k.is_semver());
    let found = semver.or_else(|| {
        sorted
            .iter()
            .enumerate()
            .filter(live)
            .max_by_key(|(i, (_, d))| (d.times.published_at, *i))
    });
    found.map(|(i, _)| i)
}

fn entry_json(d: &Draft, is_latest: bool, commit: Option<&str>) -> Box<[u8]> {
    let mut official = Map::new();
    official.insert("status".into(), d.status.as_str().into());
    official.insert(
        "statusChangedAt".into(),
        rfc3339(d.times.status_changed_at).into(),
    );
    if let Some(m) = d.status_message {
        official.insert("statusMessage".into(), m.into());
    }
    official.insert("publishedAt".into(), rfc3339(d.times.published_at).into());
    official.insert("updatedAt".into(), rfc3339(d.times.updated_at).into());
    official.insert("isLatest".into(), is_latest.into());
    let mut source = Map::new();
    source.insert("file".into(), d.file.into());
    if let Some(c) = commit {
        source.insert("commit".into(), c.into());
    }
    let entry = json!({
        "server": d.doc,
        "_meta": { OFFICIAL_META: official, SOURCE_META: source },
    });
    serde_json::to_vec(&entry)
        .expect("a JSON value always serializes")
        .into_boxed_slice()
}

/// Times are served to the microsecond, and compared as served, so that a client passing an
/// `updatedAt` back as `updated_since` gets exactly the entries changed after it.
fn truncate(t: EntryTimes) -> EntryTimes {
    let micro = |at: OffsetDateTime| {
        let at = at.to_offset(time::UtcOffset::UTC);
        at.replace_nanosecond(at.nanosecond() / 1000 * 1000)
            .unwrap_or(at)
    };
    EntryTimes {
        published_at: micro(t.published_at),
        updated_at: micro(t.updated_at),
        status_changed_at: micro(t.status_changed_at),
    }
}

/// RFC 3339 in UTC, e.g. `2025-01-02T03:04:05.123456Z`.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
