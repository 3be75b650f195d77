//! The v0.1 response shapes, as clients read them (`check` judges answers by them, `import`
//! reads its upstream's with them): a list is `{"servers": [entry…],
//! "metadata": {"nextCursor"?, "count"?}}`, an entry is `{"server": {server.json},
//! "_meta": {…}}`. Written from the API's definition and what clients require of an entry (a
//! non-empty name, description and version; `_meta` present), not copied from its OpenAPI.

use serde_json::Value as Json;

/// A list page that has the v0.1 shape.
pub struct Page<'a> {
    pub entries: &'a [Json],
    /// `metadata.nextCursor` when it is a non-empty string (null, absent or empty ends paging).
    pub next_cursor: Option<&'a str>,
    pub count: Option<u64>,
}

/// `value` as a list page, or why it is not one.
pub fn page(value: &Json) -> Result<Page<'_>, String> {
    let Some(object) = value.as_object() else {
        return Err(format!("the body is {}, not a list object", kind(value)));
    };
    let entries = match object.get("servers") {
        Some(Json::Array(entries)) => entries,
        Some(other) => return Err(format!("`servers` is {}, not an array", kind(other))),
        None => return Err("the body has no `servers` array".to_string()),
    };
    let (next_cursor, count) = match object.get("metadata") {
        None | Some(Json::Null) => (None, None),
        Some(Json::Object(metadata)) => {
            let cursor = match metadata.get("nextCursor") {
                None | Some(Json::Null) => None,
                Some(Json::String(s)) => (!s.is_empty()).then_some(s.as_str()),
                Some(other) => {
                    return Err(format!(
                        "`metadata.nextCursor` is {}, not a string",
                        kind(other)
                    ));
                }
            };
            let count = match metadata.get("count") {
                None | Some(Json::Null) => None,
                Some(c) => Some(
                    c.as_u64()
                        .ok_or_else(|| format!("`metadata.count` is {}, not a count", kind(c)))?,
                ),
            };
            (cursor, count)
        }
        Some(other) => return Err(format!("`metadata` is {}, not an object", kind(other))),
    };
    Ok(Page {
        entries,
        next_cursor,
        count,
    })
}

/// The name and version of an entry that clients can read.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub name: String,
    pub version: String,
}

/// What is wrong with an entry; an entry with no errors has a key.
pub struct Checked {
    pub key: Option<Key>,
    pub description: String,
    /// Clients cannot use the entry.
    pub errors: Vec<String>,
    /// The entry is usable but something in `_meta` is off.
    pub warnings: Vec<String>,
    /// `_meta.…official.isLatest`, when present.
    pub is_latest: Option<bool>,
}

/// Where the official registry keeps its metadata in an entry's `_meta`.
pub const OFFICIAL_META: &str = "io.modelcontextprotocol.registry/official";

pub fn entry(value: &Json) -> Checked {
    let mut checked = Checked {
        key: None,
        description: String::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        is_latest: None,
    };
    let Some(object) = value.as_object() else {
        checked
            .errors
            .push(format!("the entry is {}, not an object", kind(value)));
        return checked;
    };
    match object.get("server") {
        Some(Json::Object(server)) => {
            let mut text = |field: &str| match server.get(field) {
                Some(Json::String(s)) if !s.trim().is_empty() => Some(s.clone()),
                Some(Json::String(_)) => {
                    checked.errors.push(format!("`server.{field}` is empty"));
                    None
                }
                Some(other) => {
                    checked
                        .errors
                        .push(format!("`server.{field}` is {}, not a string", kind(other)));
                    None
                }
                None => {
                    checked.errors.push(format!("`server.{field}` is missing"));
                    None
                }
            };
            let name = text("name");
            let description = text("description");
            let version = text("version");
            checked.description = description.unwrap_or_default();
            if let (Some(name), Some(version)) = (name, version) {
                checked.key = Some(Key { name, version });
            }
        }
        Some(other) => checked
            .errors
            .push(format!("`server` is {}, not an object", kind(other))),
        None => checked.errors.push("`server` is missing".to_string()),
    }
    match object.get("_meta") {
        Some(Json::Object(meta)) => match meta.get(OFFICIAL_META) {
            Some(Json::Object(official)) => official_meta(official, &mut checked),
            Some(other) => checked.warnings.push(format!(
                "`_meta.{OFFICIAL_META}` is {}, not an object",
                kind(other)
            )),
            None => checked.warnings.push(format!(
                "`_meta.{OFFICIAL_META}` is missing: clients read the status, dates and isLatest there"
            )),
        },
        Some(other) => checked
            .errors
            .push(format!("`_meta` is {}, not an object", kind(other))),
        None => checked.errors.push("`_meta` is missing".to_string()),
    }
    if !checked.errors.is_empty() {
        checked.key = None;
    }
    checked
}

fn official_meta(official: &serde_json::Map<String, Json>, checked: &mut Checked) {
    match official.get("status") {
        Some(Json::String(s)) if ["active", "deprecated", "deleted"].contains(&s.as_str()) => {}
        Some(other) => checked.warnings.push(format!(
            "`status` is {other}, not active, deprecated or deleted"
        )),
        None => checked.warnings.push("`status` is missing".to_string()),
    }
    for field in ["publishedAt", "updatedAt", "statusChangedAt"] {
        if let Some(value) = official.get(field) {
            let ok = value.as_str().is_some_and(|s| {
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .is_ok()
            });
            if !ok {
                checked
                    .warnings
                    .push(format!("`{field}` is {value}, not an RFC 3339 time"));
            }
        }
    }
    match official.get("isLatest") {
        Some(Json::Bool(b)) => checked.is_latest = Some(*b),
        Some(other) => checked
            .warnings
            .push(format!("`isLatest` is {other}, not true or false")),
        None => {}
    }
}

/// Whether a cursor can be appended to a URL as it is (VS Code does not encode it): only the
/// characters a URL never changes or splits on (RFC 3986 "unreserved").
pub fn url_safe(cursor: &str) -> Result<(), String> {
    let bad: std::collections::BTreeSet<char> = cursor
        .chars()
        .filter(|c| !(c.is_ascii_alphanumeric() || "-._~".contains(*c)))
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad
            .iter()
            .map(|c| format!("`{}`", c.escape_default()))
            .collect::<Vec<_>>()
            .join(" "))
    }
}

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Json {
        json!({"server": {"name": "a/b", "description": "d", "version": "1.0.0"},
               "_meta": {OFFICIAL_META: {"status": "active", "isLatest": true,
                                     "publishedAt": "2025-01-01T00:00:00Z"}}})
    }

    #[test]
    fn an_entry_clients_read() {
        let c = entry(&good());
        assert!(c.errors.is_empty() && c.warnings.is_empty());
        assert_eq!(c.key.unwrap().name, "a/b");
        assert_eq!(c.is_latest, Some(true));
    }

    #[test]
    fn entries_clients_reject() {
        let mut e = good();
        e["server"]["description"] = json!("");
        assert_eq!(entry(&e).errors, ["`server.description` is empty"]);
        let mut e = good();
        e.as_object_mut().unwrap().remove("_meta");
        assert!(entry(&e).key.is_none());
        let mut e = good();
        e["_meta"][OFFICIAL_META]["publishedAt"] = json!("yesterday");
        assert_eq!(entry(&e).warnings.len(), 1);
    }

    #[test]
    fn pages_and_cursors() {
        let p = json!({"servers": [], "metadata": {"nextCursor": "", "count": 0}});
        assert!(page(&p).unwrap().next_cursor.is_none());
        assert!(page(&json!({"metadata": {}})).is_err());
        assert!(page(&json!({"servers": [], "metadata": {"nextCursor": 3}})).is_err());
        assert!(url_safe("YWJj-_.~").is_ok());
        assert_eq!(url_safe("a+b/c==").unwrap_err(), "`+` `/` `=`");
    }
}
