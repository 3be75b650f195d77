//! Reading servers from an upstream registry through `remote/`: one version, every version of
//! a server, or everything updated after a time (paged). Every answer is held to the v0.1
//! shape before anything is done with it, and every loop is bounded in pages and time.

use crate::check::model::Status;
use crate::remote::shape::{self, OFFICIAL_META};
use crate::remote::{FetchError, Remote};
use crate::uri_component::encode;
use serde_json::{Map, Value as Json};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Pages of one listing at most: 100 entries a page, a million entries.
pub const MAX_PAGES: usize = 10_000;

/// How long one listing may take in all, whatever each page's timeout.
pub const MAX_LISTING_TIME: Duration = Duration::from_secs(600);

/// One version of a server as the upstream serves it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub name: String,
    pub version: String,
    /// The `server` object, exactly as sent (what the registry manages is taken out later).
    pub server: Map<String, Json>,
    pub status: Status,
    pub status_message: Option<String>,
    /// `updatedAt` as sent, when sent (RFC 3339).
    pub updated_at: Option<String>,
    /// `publishedAt` as sent, when sent (RFC 3339).
    pub published_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchFailed {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{url}: the registry has no such server or version (404)")]
    NotFound { url: String },
    #[error("{url}: the registry answered {status}{detail}")]
    Status {
        url: String,
        status: u16,
        detail: String,
    },
    #[error("{url}: not a v0.1 registry answer: {why}")]
    Shape { url: String, why: String },
    #[error(
        "{url}: the cursor came back a second time, so its pages would never end; the registry's paging is broken"
    )]
    CursorLoop { url: String },
    #[error("{url}: more than {MAX_PAGES} pages; stopped")]
    TooManyPages { url: String },
    #[error(
        "{url}: the listing took longer than {}; stopped",
        humantime::format_duration(MAX_LISTING_TIME)
    )]
    TooSlow { url: String },
}

/// `/v0.1/servers/{name}/versions/{version}` (`latest` for the latest).
pub async fn one(remote: &Remote, name: &str, version: &str) -> Result<Entry, FetchFailed> {
    let path = format!(
        "/v0.1/servers/{}/versions/{}",
        encode(name),
        encode(version)
    );
    let (url, body) = get_json(remote, &path).await?;
    let entry = entry(&body).map_err(|why| FetchFailed::Shape {
        url: url.clone(),
        why,
    })?;
    let asked = entry.name == name && (version == "latest" || entry.version == version);
    if !asked {
        let why = format!(
            "asked for `{name}` {version}, got `{}` {}",
            entry.name, entry.version
        );
        return Err(FetchFailed::Shape { url, why });
    }
    Ok(entry)
}

/// `/v0.1/servers/{name}/versions`: every version, the deleted ones too when asked.
pub async fn versions(
    remote: &Remote,
    name: &str,
    include_deleted: bool,
) -> Result<Vec<Entry>, FetchFailed> {
    let mut path = format!("/v0.1/servers/{}/versions", encode(name));
    if include_deleted {
        path.push_str("?include_deleted=true");
    }
    let (url, body) = get_json(remote, &path).await?;
    let (entries, _) = list(&body).map_err(|why| FetchFailed::Shape {
        url: url.clone(),
        why,
    })?;
    if let Some(other) = entries.iter().find(|e| e.name != name) {
        let why = format!("the versions of `{name}` include `{}`", other.name);
        return Err(FetchFailed::Shape { url, why });
    }
    Ok(entries)
}

/// `/v0.1/servers?updated_since=…&include_deleted=true`, every page: what changed after `since`
/// (RFC 3339), deleted entries included.
pub async fn updated_since(remote: &Remote, since: &str) -> Result<Vec<Entry>, FetchFailed> {
    let since = encode(since);
    let first = format!("/v0.1/servers?limit=100&include_deleted=true&updated_since={since}");
    let started = Instant::now();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut path = first.clone();
    for _ in 0..MAX_PAGES {
        if started.elapsed() > MAX_LISTING_TIME {
            return Err(FetchFailed::TooSlow {
                url: remote.url(&first),
            });
        }
        let (url, body) = get_json(remote, &path).await?;
        let (entries, next) = list(&body).map_err(|why| FetchFailed::Shape {
            url: url.clone(),
            why,
        })?;
        out.extend(entries);
        let Some(cursor) = next else {
            return Ok(out);
        };
        if !seen.insert(cursor.clone()) {
            return Err(FetchFailed::CursorLoop { url });
        }
        let cursor = encode(&cursor);
        path = format!("{first}&cursor={cursor}");
    }
    Err(FetchFailed::TooManyPages {
        url: remote.url(&first),
    })
}

/// A GET whose answer must be 200 with a JSON body.
async fn get_json(remote: &Remote, path: &str) -> Result<(String, Json), FetchFailed> {
    let answer = remote.get(path).await?;
    let url = answer.url.clone();
    match answer.status {
        200 => {}
        404 => return Err(FetchFailed::NotFound { url }),
        status => {
            // The official error shape says why in `detail` or `error`; a word of it helps.
            let detail = answer
                .json()
                .ok()
                .and_then(|j| {
                    j.get("detail")
                        .or_else(|| j.get("error"))
                        .and_then(Json::as_str)
                        .map(|s| format!(": {}", s.chars().take(200).collect::<String>()))
                })
                .unwrap_or_default();
            return Err(FetchFailed::Status {
                url,
                status,
                detail,
            });
        }
    }
    let body = answer.json().map_err(|why| FetchFailed::Shape {
        url: url.clone(),
        why,
    })?;
    Ok((url, body))
}

/// `{"servers":[entry…],"metadata":{"nextCursor"?}}`: the entries and the next cursor.
fn list(body: &Json) -> Result<(Vec<Entry>, Option<String>), String> {
    let page = shape::page(body)?;
    let entries = page
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| entry(e).map_err(|why| format!("servers[{i}]: {why}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((entries, page.next_cursor.map(str::to_string)))
}

/// `{"server":{…},"_meta":{"io.modelcontextprotocol.registry/official":{…}}}`.
pub(super) fn entry(body: &Json) -> Result<Entry, String> {
    let server = body
        .get("server")
        .and_then(Json::as_object)
        .ok_or("expected an entry with a `server` object")?;
    let text = |key: &str| {
        server
            .get(key)
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or(format!("`server.{key}` is not a non-empty string"))
    };
    let (name, version) = (text("name")?, text("version")?);
    let official = match body.get("_meta").map(|m| m.get(OFFICIAL_META)) {
        None | Some(None) => None,
        Some(Some(Json::Object(o))) => Some(o),
        Some(Some(_)) => return Err(format!("`_meta.{OFFICIAL_META}` is not an object")),
    };
    let field = |key: &str| -> Result<Option<String>, String> {
        match official.and_then(|o| o.get(key)) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("`_meta.{OFFICIAL_META}.{key}` is not a string")),
        }
    };
    let status = match field("status")? {
        None => Status::Active,
        Some(s) => Status::parse(&s).ok_or(format!(
            "`{name}` {version}: status `{s}` is not active, deprecated or deleted"
        ))?,
    };
    let time = |key: &str| -> Result<Option<String>, String> {
        let at = field(key)?;
        match &at {
            Some(text) if super::plan::parse_time(text).is_none() => Err(format!(
                "`{name}` {version}: {key} `{text}` is not an RFC 3339 time"
            )),
            _ => Ok(at),
        }
    };
    let (updated_at, published_at) = (time("updatedAt")?, time("publishedAt")?);
    Ok(Entry {
        name,
        version,
        server: server.clone(),
        status,
        status_message: field("statusMessage")?,
        updated_at,
        published_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_are_read_and_bad_shapes_named() {
        let e = entry(&json!({
            "server": {"name": "a.b/c", "version": "1.0.0", "description": "d"},
            "_meta": {OFFICIAL_META: {"status": "deprecated", "statusMessage": "old",
                      "updatedAt": "2025-01-01T00:00:00Z"}}
        }))
        .unwrap();
        assert_eq!(
            (e.status, e.status_message.as_deref()),
            (Status::Deprecated, Some("old"))
        );
        // No `_meta` at all: active, no time.
        let e = entry(&json!({"server": {"name": "a.b/c", "version": "1"}})).unwrap();
        assert_eq!((e.status, e.updated_at), (Status::Active, None));
        for bad in [
            json!([]),
            json!({"server": "x"}),
            json!({"server": {"name": "a.b/c"}}),
            json!({"server": {"name": "a.b/c", "version": "1"}, "_meta": {OFFICIAL_META: {"status": "gone"}}}),
            json!({"server": {"name": "a.b/c", "version": "1"}, "_meta": {OFFICIAL_META: {"updatedAt": "soon"}}}),
        ] {
            assert!(entry(&bad).is_err(), "{bad}");
        }
        assert!(list(&json!({"servers": {}})).is_err());
        assert!(list(&json!({"servers": [], "metadata": {"nextCursor": 3}})).is_err());
        assert_eq!(
            list(&json!({"servers": [], "metadata": {"nextCursor": ""}}))
                .unwrap()
                .1,
            None
        );
    }

    #[test]
    fn names_are_one_path_segment() {
        assert_eq!(encode("io.github.a/b"), "io.github.a%2Fb");
        assert_eq!(encode("1.0.0+build"), "1.0.0%2Bbuild");
    }
}
