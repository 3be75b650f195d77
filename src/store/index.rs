//! The immutable index one revision is served from. Built once per revision from validated
//! servers: entries sorted the way the API lists them, `isLatest` decided, and each entry's
//! JSON serialized here (written straight from the YAML tree, on every core), so a request only
//! picks entries and concatenates their bytes. Side tables make the common filters cheap: the
//! latest entry of each server in order (`version=latest`), and every name lowercased in one
//! string (`search` is one vectorized substring scan, not one per server).

use crate::check::model::{Located, NameVersion, ServerDef, Status, Tombstone, VersionTimes};
use crate::check::node::{Node, Value};
use crate::check::upstream::Upstream;
use crate::check::views::View;
use bytes::Bytes;
use memchr::memmem;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Where the official registry keeps its metadata in an entry's `_meta`.
pub const OFFICIAL_META: &str = "io.modelcontextprotocol.registry/official";
/// Our own `_meta` key: the file (and commit, when there is one) that defines the entry, and
/// the registry it was imported from (`upstream`, when its file records one).
pub const SOURCE_META: &str = "io.github.mcp-gitops/source";

/// Times per (name, version).
pub type Times = HashMap<NameVersion, VersionTimes>;

/// Tombstones per (name, version).
pub type Tombstones = HashMap<NameVersion, Tombstone>;

/// What an index is built from.
pub struct Input<'a> {
    /// Validated servers (a revision with errors is never built).
    pub servers: &'a [ServerDef],
    /// The commit the servers were read from, when they come from git.
    pub commit: Option<&'a str>,
    pub times: &'a Times,
    /// The time of a version `times` does not know.
    pub fallback_time: OffsetDateTime,
    pub tombstones: &'a Tombstones,
    /// Only what this view selects (check/views.rs); every server when `None`.
    pub view: Option<&'a View>,
    /// An index of the same revision (the root's, for a view): an entry serialized the same
    /// there (the same version, and latest or not alike) is shared, not written again, so a
    /// view costs little more than its side tables.
    pub reuse: Option<&'a Index>,
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
pub struct ServerEntry {
    pub name: String,
    pub version: String,
    pub key: VersionKey,
    pub status: Status,
    pub published_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub is_latest: bool,
    /// `name` lowercased, for case-insensitive search.
    pub name_lower: String,
    /// This version's `description` lowercased: `search` matches it too, as the official
    /// registry's does.
    pub description_lower: String,
    /// Where the next server's entries begin: a search that rejects this name skips there.
    pub server_end: usize,
    /// The entry as served: `{"server":…,"_meta":…}`. A slice of a buffer shared by many
    /// entries: one allocation per thread of the build instead of one per entry, and a clone
    /// is a reference count, so a one-version response copies nothing.
    pub json: Bytes,
}

impl ServerEntry {
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
    entries: Vec<ServerEntry>,
    /// Sorted by name, like `entries`.
    servers: Vec<ServerRange>,
    /// The latest entry of each server that has one, in listing order.
    latest: Vec<u32>,
    names: Names,
    /// Every entry's description lowercased, in entry order, each followed by `\n` (which a
    /// description may hold: a hit that spans one is checked against the entry).
    descriptions: Names,
    digest: String,
}

/// Every server name lowercased, each followed by `\n` (which no valid name holds), in
/// listing order: a search runs one SIMD substring scan over it and maps each hit back to its
/// server, instead of testing 10,000 names one by one.
#[derive(Debug, Default)]
struct Names {
    text: String,
    /// Where each server's name starts in `text`.
    starts: Vec<u32>,
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
                .unwrap_or(VersionTimes::all(input.fallback_time))
        };
        let selects =
            |name: &str, labels: &[Located]| input.view.is_none_or(|v| v.selects(name, labels));
        let keeps = |status: Status| input.view.is_none_or(|v| v.keeps(status));
        let mut labels_of: HashMap<&str, &[Located]> = HashMap::new();
        for server in input.servers {
            let Some(name) = server.name() else { continue };
            labels_of.insert(name, &server.labels);
            if !selects(name, &server.labels) {
                continue;
            }
            if let Some(pin) = &server.latest {
                pins.insert(name, &pin.text);
            }
            for v in server.versions.iter().filter(|v| keeps(v.status)) {
                let Some(version) = v.version() else { continue };
                by_name.entry(name).or_default().push(Draft {
                    version,
                    status: v.status,
                    status_message: v.status_message.as_ref().map(|m| m.text.as_str()),
                    doc: Doc::Node(&v.doc),
                    file: &server.file,
                    upstream: server.upstream.as_ref(),
                    labels: &server.labels,
                    times: truncate(time_of(name, version)),
                });
            }
        }
        // In key order: equal sort keys then keep one order whatever the map's.
        let mut tombstones: Vec<_> = input.tombstones.iter().collect();
        tombstones.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for ((name, version), t) in tombstones {
            let labels = labels_of.get(name.as_str()).copied().unwrap_or_default();
            if !keeps(Status::Deleted) || !selects(name, labels) {
                continue;
            }
            let versions = by_name.entry(name).or_default();
            if versions.iter().any(|d| d.version == version) {
                continue;
            }
            versions.push(Draft {
                version,
                status: Status::Deleted,
                status_message: None,
                doc: Doc::Json(&t.doc),
                file: &t.file,
                upstream: None,
                labels: &[],
                times: truncate(time_of(name, version)),
            });
        }

        // Listing order and `isLatest`, then every entry's JSON on every core.
        let mut planned: Vec<Planned> = Vec::new();
        let mut servers = Vec::with_capacity(by_name.len());
        let mut latest = Vec::with_capacity(by_name.len());
        for (name, drafts) in by_name {
            let mut keyed: Vec<(VersionKey, Draft)> = drafts
                .into_iter()
                .map(|d| (VersionKey::new(d.version, d.times.published_at), d))
                .collect();
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            let latest_at = latest_of(&keyed, pins.get(name).copied());
            let start = planned.len();
            if let Some(i) = latest_at {
                latest.push((start + i) as u32);
            }
            for (i, (key, draft)) in keyed.into_iter().enumerate() {
                let is_latest = latest_at == Some(i);
                let json = input
                    .reuse
                    .and_then(|r| r.version(name, draft.version))
                    .filter(|e| e.is_latest == is_latest)
                    .map(|e| e.json.clone());
                planned.push(Planned {
                    key,
                    draft,
                    is_latest,
                    json,
                });
            }
            servers.push(ServerRange {
                name: name.to_string(),
                start,
                end: planned.len(),
            });
        }
        let to_write: Vec<&Planned> = planned.iter().filter(|p| p.json.is_none()).collect();
        let mut written = serialize(&to_write, input.commit).into_iter();

        let mut entries = Vec::with_capacity(planned.len());
        let mut planned = planned.into_iter();
        for server in &servers {
            let name_lower = server.name.to_lowercase();
            for p in planned.by_ref().take(server.end - server.start) {
                let description_lower = p.draft.doc.description().to_lowercase();
                entries.push(ServerEntry {
                    name: server.name.clone(),
                    version: p.draft.version.to_string(),
                    key: p.key,
                    status: p.draft.status,
                    published_at: p.draft.times.published_at,
                    updated_at: p.draft.times.updated_at,
                    is_latest: p.is_latest,
                    name_lower: name_lower.clone(),
                    description_lower,
                    server_end: server.end,
                    json: p.json.or_else(|| written.next()).unwrap_or_default(),
                });
            }
        }

        let mut names = Names::default();
        for s in &servers {
            names.starts.push(names.text.len() as u32);
            names.text.push_str(&s.name.to_lowercase());
            names.text.push('\n');
        }
        let mut descriptions = Names::default();
        for e in &entries {
            descriptions.starts.push(descriptions.text.len() as u32);
            descriptions.text.push_str(&e.description_lower);
            descriptions.text.push('\n');
        }

        let mut hasher = Sha256::new();
        for e in &entries {
            hasher.update((e.json.len() as u64).to_le_bytes());
            hasher.update(&e.json);
        }
        let digest = hex::encode(hasher.finalize())[..40].to_string();
        Index {
            entries,
            servers,
            latest,
            names,
            descriptions,
            digest,
        }
    }

    /// Every entry, in listing order.
    pub fn entries(&self) -> &[ServerEntry] {
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
    pub fn server(&self, name: &str) -> Option<&[ServerEntry]> {
        let i = self
            .servers
            .binary_search_by(|s| s.name.as_str().cmp(name))
            .ok()?;
        let s = &self.servers[i];
        Some(&self.entries[s.start..s.end])
    }

    /// One version of a server; `latest` names the latest one.
    pub fn version(&self, name: &str, version: &str) -> Option<&ServerEntry> {
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

    /// The indices (into `entries`) of the latest entry of each server, in listing order.
    pub fn latest_ids(&self) -> &[u32] {
        &self.latest
    }

    /// The first entry at or after `from` whose lowercased description holds the needle.
    pub fn next_description_match(
        &self,
        finder: &memmem::Finder,
        from: usize,
    ) -> Option<Range<usize>> {
        let text = self.descriptions.text.as_bytes();
        let mut offset = *self.descriptions.starts.get(from)? as usize;
        loop {
            let hit = offset + finder.find(&text[offset..])?;
            let entry = self
                .descriptions
                .starts
                .partition_point(|&s| s as usize <= hit)
                - 1;
            // A hit across the separator spans two descriptions: check the entry's own.
            let needle = std::str::from_utf8(finder.needle()).unwrap_or("\n");
            if self.entries[entry].description_lower.contains(needle) {
                return Some(entry..entry + 1);
            }
            offset = hit + 1;
        }
    }

    /// The entry indices of the first server at or after entry `from` whose lowercased name
    /// contains the (already lowercased) needle of `finder`, or `None` when no later server's
    /// does.
    pub fn next_name_match(&self, finder: &memmem::Finder, from: usize) -> Option<Range<usize>> {
        let server = self.servers.partition_point(|s| s.end <= from);
        let offset = *self.names.starts.get(server)? as usize;
        if finder.needle().contains(&b'\n') {
            // No name holds a newline; a needle with one matches nothing.
            return None;
        }
        let hit = offset + finder.find(&self.names.text.as_bytes()[offset..])?;
        // The server whose name holds the hit: the last one starting at or before it.
        let found = self.names.starts.partition_point(|&s| s as usize <= hit) - 1;
        let s = &self.servers[found];
        Some(s.start.max(from)..s.end)
    }
}

/// A server.json as it was read: a YAML tree, or (a tombstone's) JSON.
enum Doc<'a> {
    Node(&'a Node),
    Json(&'a Json),
}

impl Doc<'_> {
    /// Its `description`, or nothing.
    fn description(&self) -> &str {
        match self {
            Doc::Node(node) => node.get("description").and_then(Node::as_str),
            Doc::Json(json) => json.get("description").and_then(Json::as_str),
        }
        .unwrap_or_default()
    }
}

struct Draft<'a> {
    version: &'a str,
    status: Status,
    status_message: Option<&'a str>,
    doc: Doc<'a>,
    file: &'a str,
    /// Where the server was imported from, shown beside the file.
    upstream: Option<&'a Upstream>,
    /// The server's labels, served under our own `_meta` key (never inside `server`).
    labels: &'a [Located],
    times: VersionTimes,
}

/// An entry in listing order, before its JSON is written.
struct Planned<'a> {
    key: VersionKey,
    draft: Draft<'a>,
    is_latest: bool,
    /// The entry's JSON, when another index of the revision already made it.
    json: Option<Bytes>,
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

/// Every entry's JSON, in order, written on every core: each thread writes its share of the
/// entries into one buffer, and the entries are slices of it.
fn serialize(planned: &[&Planned], commit: Option<&str>) -> Vec<Bytes> {
    crate::parallel::chunks(planned, 256, |part| {
        let mut out = Vec::with_capacity(part.len() * 1024);
        let mut ends = Vec::with_capacity(part.len());
        for p in part {
            write_entry(&mut out, p, commit);
            ends.push(out.len());
        }
        out.shrink_to_fit();
        let buffer = Bytes::from(out);
        let mut start = 0;
        ends.into_iter()
            .map(|end| {
                let json = buffer.slice(start..end);
                start = end;
                json
            })
            .collect::<Vec<Bytes>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// `{"server":<server.json>,"_meta":{<official>,<source>}}`, the keys in the order clients
/// and the official registry show them.
fn write_entry(out: &mut Vec<u8>, p: &Planned, commit: Option<&str>) {
    let d = &p.draft;
    out.extend_from_slice(b"{\"server\":");
    match d.doc {
        Doc::Node(node) => write_node(out, node),
        Doc::Json(json) => write_json(out, json),
    }
    out.extend_from_slice(b",\"_meta\":{");
    write_str(out, OFFICIAL_META);
    out.extend_from_slice(b":{\"status\":");
    write_str(out, d.status.as_str());
    out.extend_from_slice(b",\"statusChangedAt\":");
    write_str(out, &rfc3339(d.times.status_changed_at));
    if let Some(m) = d.status_message {
        out.extend_from_slice(b",\"statusMessage\":");
        write_str(out, m);
    }
    out.extend_from_slice(b",\"publishedAt\":");
    write_str(out, &rfc3339(d.times.published_at));
    out.extend_from_slice(b",\"updatedAt\":");
    write_str(out, &rfc3339(d.times.updated_at));
    out.extend_from_slice(if p.is_latest {
        b",\"isLatest\":true},"
    } else {
        b",\"isLatest\":false},"
    });
    write_str(out, SOURCE_META);
    out.extend_from_slice(b":{\"file\":");
    write_str(out, d.file);
    if let Some(c) = commit {
        out.extend_from_slice(b",\"commit\":");
        write_str(out, c);
    }
    if let Some(up) = d.upstream {
        out.extend_from_slice(b",\"upstream\":{\"registry\":");
        write_str(out, &up.registry);
        out.extend_from_slice(b",\"name\":");
        write_str(out, &up.name);
        out.push(b'}');
    }
    if !d.labels.is_empty() {
        out.extend_from_slice(b",\"labels\":[");
        for (i, label) in d.labels.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, &label.text);
        }
        out.push(b']');
    }
    out.extend_from_slice(b"}}}");
}

/// A YAML tree as JSON, byte for byte what `serde_json` makes of `node.to_json()` (keys in
/// the order written; a repeated key keeps its first place and its last value), without
/// building that intermediate value.
pub fn write_node(out: &mut Vec<u8>, node: &Node) {
    match &node.value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_json(out, n),
        Value::Str(s) => write_str(out, s),
        Value::Seq(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_node(out, item);
            }
            out.push(b']');
        }
        Value::Map(entries) => {
            out.push(b'{');
            let mut first = true;
            for (i, e) in entries.iter().enumerate() {
                if entries[..i].iter().any(|earlier| earlier.key == e.key) {
                    continue;
                }
                let value = entries[i..]
                    .iter()
                    .rfind(|later| later.key == e.key)
                    .map_or(&e.value, |later| &later.value);
                if !first {
                    out.push(b',');
                }
                first = false;
                write_str(out, &e.key);
                out.push(b':');
                write_node(out, value);
            }
            out.push(b'}');
        }
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    write_json(out, s);
}

fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    serde_json::to_writer(&mut *out, value).expect("JSON always writes to memory");
}

/// Times are served to the microsecond, and compared as served, so that a client passing an
/// `updatedAt` back as `updated_since` gets exactly the entries changed after it.
fn truncate(t: VersionTimes) -> VersionTimes {
    let micro = |at: OffsetDateTime| {
        let at = at.to_offset(time::UtcOffset::UTC);
        at.replace_nanosecond(at.nanosecond() / 1000 * 1000)
            .unwrap_or(at)
    };
    VersionTimes {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::files::SourceFile;
    use crate::check::node::{MapEntry, Pos};
    use crate::synth::{Rng, server_yaml};

    /// Server `i` of a synthetic registry, with 1 to 4 versions.
    fn synthetic_server(rng: &mut Rng, i: usize) -> ServerDef {
        let (path, yaml) = server_yaml(rng, i, 1 + i % 4);
        crate::check::model::from_file(&SourceFile {
            path,
            bytes: yaml.into_bytes(),
        })
        .unwrap()
    }

    #[test]
    fn written_json_is_what_serde_json_writes() {
        let mut rng = Rng(3);
        for i in 0..200 {
            let def = synthetic_server(&mut rng, i);
            for v in &def.versions {
                let mut written = Vec::new();
                write_node(&mut written, &v.doc);
                assert_eq!(written, serde_json::to_vec(&v.doc.to_json()).unwrap());
            }
        }
        // Odd corners: escapes, numbers, a repeated key (first place, last value).
        let s = |text: &str| Node::new(Pos::default(), Value::Str(text.into()));
        let entry = |key: &str, value| MapEntry {
            key: key.into(),
            key_pos: Pos::default(),
            value,
        };
        let doc = Node::new(
            Pos::default(),
            Value::Map(vec![
                entry("a", s("quote \" and \\ and \n and \u{1}")),
                entry("n", Node::new(Pos::default(), Value::Number((-3).into()))),
                entry(
                    "f",
                    Node::new(
                        Pos::default(),
                        Value::Number(serde_json::Number::from_f64(1.5).unwrap()),
                    ),
                ),
                entry("a", s("again")),
                entry("z", Node::new(Pos::default(), Value::Seq(vec![]))),
                entry("é", Node::new(Pos::default(), Value::Null)),
            ]),
        );
        let mut written = Vec::new();
        write_node(&mut written, &doc);
        assert_eq!(written, serde_json::to_vec(&doc.to_json()).unwrap());
    }

    /// A view's entries are what it would serve on its own, whether their JSON was made again or
    /// shared with the root's: a view that drops a server's latest version makes another one the
    /// latest, and that entry is written anew.
    #[test]
    fn a_view_shares_the_roots_entries_only_where_they_are_the_same() {
        let mut rng = Rng(9);
        let mut defs: Vec<ServerDef> = (0..40).map(|i| synthetic_server(&mut rng, i)).collect();
        for def in defs.iter_mut().step_by(2) {
            if let Some(last) = def.versions.last_mut() {
                last.status = Status::Deprecated;
            }
        }
        let view = crate::check::views::View {
            name: Located {
                text: "v".into(),
                pos: Default::default(),
            },
            description: None,
            namespaces: vec![Located {
                text: "io.github.*".into(),
                pos: Default::default(),
            }],
            labels: Vec::new(),
            status: vec![Status::Active],
            include: Vec::new(),
            exclude: Vec::new(),
            read_token_file: None,
        };
        let input = Input {
            servers: &defs,
            commit: Some("c0ffee"),
            times: &Times::new(),
            fallback_time: OffsetDateTime::UNIX_EPOCH,
            tombstones: &Default::default(),
            view: None,
            reuse: None,
        };
        let root = Index::build(&input);
        let alone = Index::build(&Input {
            view: Some(&view),
            ..input
        });
        let shared = Index::build(&Input {
            view: Some(&view),
            reuse: Some(&root),
            ..input
        });
        let json = |i: &Index| {
            i.entries()
                .iter()
                .map(|e| e.json.clone())
                .collect::<Vec<_>>()
        };
        assert!(!alone.entries().is_empty() && alone.entries().len() < root.entries().len());
        assert_eq!(json(&alone), json(&shared));
        assert_eq!(alone.digest(), shared.digest());
        // Some entries were shared (the same bytes as the root's), some written anew.
        let from_root = shared
            .entries()
            .iter()
            .filter(|e| {
                root.version(&e.name, &e.version)
                    .is_some_and(|r| r.json.as_ptr() == e.json.as_ptr())
            })
            .count();
        assert!(
            from_root > 0 && from_root < shared.entries().len(),
            "{from_root}"
        );
    }

    /// Every page walk (search, `version=latest`, both, neither; small pages, so cursors land
    /// inside servers) returns exactly the entries a filter over all entries keeps, in order.
    #[test]
    fn pages_match_a_plain_filter() {
        let mut rng = Rng(5);
        let defs: Vec<ServerDef> = (0..60).map(|i| synthetic_server(&mut rng, i)).collect();
        let index = Index::build(&Input {
            servers: &defs,
            commit: None,
            times: &Times::new(),
            fallback_time: OffsetDateTime::UNIX_EPOCH,
            tombstones: &Default::default(),
            view: None,
            reuse: None,
        });
        for filters in [
            "limit=7",
            "limit=7&version=latest",
            "limit=3&search=MCP-1",
            "limit=4&search=weather&version=latest",
            "limit=5&search=-mcp-4",
            "limit=2&search=nothing-like-this",
            "limit=100&search=o",
        ] {
            let first = crate::store::query::ListQuery::parse(Some(filters)).unwrap();
            let expected: Vec<(&str, &str)> = index
                .entries()
                .iter()
                .filter(|e| first.matches(e))
                .map(|e| (e.name.as_str(), e.version.as_str()))
                .collect();
            let (mut got, mut query) = (Vec::new(), first);
            for _ in 0..1000 {
                let (page, more) = query.page(&index);
                got.extend(page.iter().map(|e| (e.name.as_str(), e.version.as_str())));
                let Some(last) = page.last().filter(|_| more) else {
                    break;
                };
                let cursor = query.cursor_after(last);
                query = crate::store::query::ListQuery::parse(Some(&format!(
                    "cursor={cursor}&limit=3"
                )))
                .unwrap();
            }
            assert_eq!(got, expected, "{filters}");
        }
    }
}
