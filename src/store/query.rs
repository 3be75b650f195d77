//! The query of `GET /servers` and its cursor. The cursor is opaque to clients: base64url
//! (no padding) of a small JSON object holding the last position served (name + version, so it
//! survives index swaps) and the filters, because VS Code drops `search` on later pages.

use crate::store::index::{Index, ServerEntry, VersionKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use memchr::memmem;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

pub const DEFAULT_LIMIT: usize = 30;
pub const MAX_LIMIT: usize = 100;

/// A parameter was wrong; the message says which and why (it becomes a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

fn bad(msg: impl Into<String>) -> QueryError {
    QueryError(msg.into())
}

/// The filters of a listing, as the client gave them; a cursor carries them to later pages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// RFC 3339, as normalized by us.
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub updated_since: Option<String>,
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub include_deleted: Option<bool>,
    /// The view the listing is of (none: the root registry). Never taken from the request's
    /// parameters: a cursor of one view is refused by every other.
    #[serde(rename = "w", default, skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct CursorData {
    #[serde(rename = "n")]
    name: String,
    #[serde(rename = "v")]
    version: String,
    /// `publishedAt` in microseconds, for a version that is not semver (it orders by it).
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    published_micros: Option<i64>,
    #[serde(rename = "f", default)]
    filters: Filters,
}

/// A parsed, validated `GET /servers` query.
#[derive(Debug)]
pub struct ListQuery {
    pub limit: usize,
    /// The filters in force: the request's, else the cursor's.
    pub filters: Filters,
    /// Start after this position.
    pub after: Option<(String, VersionKey)>,
    search_lower: Option<String>,
    updated_since: Option<OffsetDateTime>,
    include_deleted: bool,
}

impl ListQuery {
    /// Parses the raw query string. A parameter given in the request wins over the cursor's;
    /// one left out is taken from the cursor. Empty values count as absent.
    pub fn parse(raw: Option<&str>) -> Result<ListQuery, QueryError> {
        ListQuery::parse_in(raw, None)
    }

    /// As `parse`, for the listing of `view` (none: the root registry).
    pub fn parse_in(raw: Option<&str>, view: Option<&str>) -> Result<ListQuery, QueryError> {
        let params = Params::parse(raw);
        let limit = match params.get("limit") {
            None => DEFAULT_LIMIT,
            Some(s) => parse_limit(s)?,
        };
        let (after, mut filters) = match params.get("cursor") {
            None => (None, Filters::default()),
            Some(c) => {
                let data = decode_cursor(c)?;
                let micros = data.published_micros.unwrap_or(i64::MIN);
                let published =
                    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
                        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
                let key = VersionKey::new(&data.version, published);
                if data.filters.view.as_deref() != view {
                    let of = |v: Option<&str>| {
                        v.map_or("the root registry".to_string(), |v| {
                            format!("the view `{v}`")
                        })
                    };
                    return Err(bad(format!(
                        "this cursor is of {}, not of {}: pass back the metadata.nextCursor of a \
                         listing of this registry",
                        of(data.filters.view.as_deref()),
                        of(view)
                    )));
                }
                (Some((data.name, key)), data.filters)
            }
        };
        filters.view = view.map(str::to_string);
        if let Some(s) = params.get("search") {
            filters.search = Some(s.to_string());
        }
        if let Some(s) = params.get("updated_since") {
            filters.updated_since = Some(crate::store::index::rfc3339(parse_time(s)?));
        }
        if let Some(s) = params.get("version") {
            filters.version = Some(s.to_string());
        }
        if let Some(s) = params.get("include_deleted") {
            filters.include_deleted = Some(parse_bool("include_deleted", s)?);
        }
        let updated_since = filters
            .updated_since
            .as_deref()
            .map(parse_time)
            .transpose()?;
        if updated_since.is_some() && filters.include_deleted == Some(false) {
            return Err(bad(
                "include_deleted=false contradicts updated_since: an incremental listing always \
                 includes deleted entries, so consumers learn of them",
            ));
        }
        Ok(ListQuery {
            limit,
            search_lower: filters.search.as_ref().map(|s| s.to_lowercase()),
            include_deleted: updated_since.is_some() || filters.include_deleted == Some(true),
            updated_since,
            after,
            filters,
        })
    }

    /// Whether `search` keeps `e`: its server's name or its own description holds the text,
    /// case-insensitively (as the official registry searches).
    pub fn search_matches(&self, e: &ServerEntry) -> bool {
        self.search_lower.as_ref().is_none_or(|s| {
            e.name_lower.contains(s.as_str()) || e.description_lower.contains(s.as_str())
        })
    }

    /// Whether the filters keep `e`.
    pub fn matches(&self, e: &ServerEntry) -> bool {
        self.matches_besides_name(e) && self.search_matches(e)
    }

    /// Whether the filters other than `search` keep `e`.
    fn matches_besides_name(&self, e: &ServerEntry) -> bool {
        if !self.include_deleted && e.status == crate::check::model::Status::Deleted {
            return false;
        }
        match self.filters.version.as_deref() {
            Some("latest") if !e.is_latest => return false,
            Some(v) if v != "latest" && v != e.version => return false,
            _ => {}
        }
        if let Some(since) = self.updated_since
            && e.updated_at <= since
        {
            return false;
        }
        true
    }

    /// The page this query asks for: at most `limit` entries after the cursor's position that
    /// the filters keep, and whether more remain. Only candidates are visited: the servers
    /// whose names hold `search` and the entries whose descriptions do (one scan of all names, one
    /// of all descriptions), or with `version=latest`
    /// the latest entry of each server.
    pub fn page<'a>(&self, index: &'a Index) -> (Vec<&'a ServerEntry>, bool) {
        let entries = index.entries();
        let start = self
            .after
            .as_ref()
            .map_or(0, |(name, key)| index.after(name, key));
        let mut page = Vec::with_capacity(self.limit.min(entries.len()));
        let more = match &self.search_lower {
            Some(needle) => {
                let finder = memmem::Finder::new(needle.as_bytes());
                // Two forward scans merged in listing order: servers whose name holds the
                // needle, and single entries whose description does. Each scan moves only
                // forward, so a page costs one pass over each text at most.
                let mut by_name = index.next_name_match(&finder, start);
                let mut by_description = index.next_description_match(&finder, start);
                let ranges = std::iter::from_fn(|| {
                    let range = match (&by_name, &by_description) {
                        (Some(n), Some(d)) if d.start < n.start => d.clone(),
                        (Some(n), _) => n.clone(),
                        (None, Some(d)) => d.clone(),
                        (None, None) => return None,
                    };
                    let from = range.end;
                    if by_name.as_ref().is_some_and(|n| n.start < from) {
                        by_name = index.next_name_match(&finder, from);
                    }
                    if by_description.as_ref().is_some_and(|d| d.start < from) {
                        by_description = index.next_description_match(&finder, from);
                    }
                    Some(range)
                });
                self.fill(ranges.flat_map(|r| &entries[r]), &mut page)
            }
            None if self.filters.version.as_deref() == Some("latest") => {
                let ids = index.latest_ids();
                let first = ids.partition_point(|&id| (id as usize) < start);
                let latest = ids[first..].iter().map(|&id| &entries[id as usize]);
                self.fill(latest, &mut page)
            }
            None => self.fill(entries[start.min(entries.len())..].iter(), &mut page),
        };
        (page, more)
    }

    /// Adds the candidates the filters keep to `page` until it is full; true when one more
    /// remained.
    fn fill<'a>(
        &self,
        candidates: impl Iterator<Item = &'a ServerEntry>,
        page: &mut Vec<&'a ServerEntry>,
    ) -> bool {
        for e in candidates.filter(|e| self.matches_besides_name(e)) {
            if page.len() == self.limit {
                return true;
            }
            page.push(e);
        }
        false
    }

    /// The cursor of the page that starts after `last`.
    pub fn cursor_after(&self, last: &ServerEntry) -> String {
        let data = CursorData {
            name: last.name.clone(),
            version: last.version.clone(),
            published_micros: (!last.key.is_semver())
                .then(|| (last.published_at.unix_timestamp_nanos() / 1000) as i64),
            filters: self.filters.clone(),
        };
        let json = serde_json::to_vec(&data).expect("a cursor always serializes");
        URL_SAFE_NO_PAD.encode(json)
    }
}

/// What a listing asks, as one string: the parameters `ListQuery::parse` reads, in a fixed
/// order, each as it reads it (the first non-empty value). Unknown parameters, the order and the
/// encoding of the URL make no difference, so they cannot grow a cache keyed by it.
pub fn list_key(raw: Option<&str>) -> String {
    const KNOWN: [&str; 6] = [
        "cursor",
        "limit",
        "search",
        "updated_since",
        "version",
        "include_deleted",
    ];
    // The first non-empty value of each, borrowed from the query where nothing needs decoding.
    let mut values: [Option<std::borrow::Cow<str>>; KNOWN.len()] = Default::default();
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if let Some(i) = KNOWN.iter().position(|k| *k == name)
            && values[i].is_none()
        {
            values[i] = Some(value);
        }
    }
    let mut key = String::from("list");
    for (name, value) in KNOWN.iter().zip(&values) {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            // Length-prefixed: no value can pass for another parameter.
            key.push_str(&format!("\n{name}:{}:{value}", value.len()));
        }
    }
    key
}

/// `include_deleted` of the single-server endpoints.
pub fn include_deleted(raw: Option<&str>) -> Result<bool, QueryError> {
    match Params::parse(raw).get("include_deleted") {
        None => Ok(false),
        Some(s) => parse_bool("include_deleted", s),
    }
}

fn parse_limit(s: &str) -> Result<usize, QueryError> {
    let msg = || {
        bad(format!(
            "limit must be a whole number of at least 1 (at most {MAX_LIMIT} are served); got `{s}`"
        ))
    };
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(msg());
    }
    // All digits: a number too large for u64 is still an integer, clamped like any other.
    let n = digits.parse::<u64>().unwrap_or(u64::MAX);
    if n == 0 {
        return Err(msg());
    }
    Ok(n.min(MAX_LIMIT as u64) as usize)
}

fn parse_bool(name: &str, s: &str) -> Result<bool, QueryError> {
    match s {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(bad(format!(
            "{name} must be true, false, 1 or 0; got `{s}`"
        ))),
    }
}

/// RFC 3339 with an offset. A `+` sent unencoded arrives as a space (form decoding); a space
/// is never valid after the time, so it is read back as the `+` it was.
fn parse_time(s: &str) -> Result<OffsetDateTime, QueryError> {
    let fixed;
    let s = match s.find('T') {
        Some(t) if s[t..].contains(' ') => {
            fixed = format!("{}{}", &s[..t], s[t..].replace(' ', "+"));
            fixed.as_str()
        }
        _ => s,
    };
    let parsed = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        bad(format!(
            "updated_since must be an RFC 3339 time with an offset, like 2025-08-07T13:15:04Z or \
             2025-08-07T15:15:04+02:00; got `{s}`"
        ))
    })?;
    // An offset can carry a valid local time out of the range the registry can state in UTC
    // (9999-12-31T23:00:00-02:00 is in year 10000).
    parsed
        .checked_to_offset(UtcOffset::UTC)
        .filter(|utc| (0..=9999).contains(&utc.year()))
        .ok_or_else(|| {
        bad(format!(
            "updated_since is out of range: in UTC it falls outside the years 0000 to 9999; got `{s}`"
        ))
    })
}

fn decode_cursor(c: &str) -> Result<CursorData, QueryError> {
    let invalid = || bad("invalid cursor: pass back the exact metadata.nextCursor of a listing");
    let bytes = URL_SAFE_NO_PAD
        .decode(c.trim_end_matches('='))
        .map_err(|_| invalid())?;
    let data: CursorData = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if data.name.is_empty() {
        return Err(invalid());
    }
    Ok(data)
}

/// Query parameters, form-decoded. The first of repeated parameters wins; empty ones are
/// dropped.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: Option<&str>) -> Params {
        Params(
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(parse_limit("1"), Ok(1));
        assert_eq!(parse_limit("100"), Ok(100));
        assert_eq!(parse_limit("1000"), Ok(100));
        assert_eq!(parse_limit("99999999999999999999999"), Ok(100));
        for s in ["0", "-1", "abc", "1.5", "", "1e3"] {
            assert!(parse_limit(s).is_err(), "{s}");
        }
    }

    #[test]
    fn times_with_an_unencoded_plus() {
        let a = parse_time("2025-01-01T10:00:00+02:00").unwrap();
        let b = parse_time("2025-01-01T10:00:00 02:00").unwrap();
        assert_eq!(a, b);
        assert!(parse_time("2025-01-01T10:00:00").is_err());
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn cursor_round_trip_carries_filters() {
        let q = ListQuery::parse(Some("search=Weather&version=latest")).unwrap();
        assert_eq!(q.filters.search.as_deref(), Some("Weather"));
        let data = CursorData {
            name: "a/b".into(),
            version: "1.0.0".into(),
            published_micros: None,
            filters: q.filters.clone(),
        };
        let c = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&data).unwrap());
        let next = ListQuery::parse(Some(&format!("cursor={c}"))).unwrap();
        assert_eq!(next.filters, q.filters);
        assert_eq!(next.after.unwrap().0, "a/b");
        assert!(ListQuery::parse(Some("cursor=%%%")).is_err());
        assert!(ListQuery::parse(Some("cursor=bm90IGpzb24")).is_err());
    }
}
