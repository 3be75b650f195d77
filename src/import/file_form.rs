//! A server's versions as a server file of the repository: the one-version form (the
//! server.json with `status` beside it), or the many-versions form (the fields every version
//! shares at the top, what differs in each `versions:` item). Read back by `check::model`, the
//! merge of top and item is each version's server.json, value for value; `render` proves it
//! before it returns the text.

use super::yaml;
use crate::check::files::SourceFile;
use crate::check::labels;
use crate::check::load;
use crate::check::model::{DEFAULT_SCHEMA, ServerDef, Status, VersionDef};
use crate::check::node::Pos;
use crate::check::upstream::{self, Upstream};
use serde_json::{Map, Value as Json};

/// One version: its server.json and the registry's fields.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionForm {
    pub doc: Map<String, Json>,
    pub status: Status,
    pub status_message: Option<String>,
}

impl VersionForm {
    pub fn version(&self) -> &str {
        self.doc.get("version").and_then(Json::as_str).unwrap_or("")
    }
}

/// A whole server file.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerForm {
    pub name: String,
    pub latest: Option<String>,
    pub upstream: Option<Upstream>,
    /// `labels:` of an existing file, kept: views select servers by them.
    pub labels: Vec<String>,
    pub versions: Vec<VersionForm>,
}

/// What the registry itself manages and an import leaves out of a server.json: the official
/// registry's metadata, which registries before v0.1 put inside `server._meta`.
pub fn registry_managed_removed(mut doc: Map<String, Json>) -> Map<String, Json> {
    if let Some(Json::Object(meta)) = doc.get_mut("_meta") {
        let had = meta.remove(crate::remote::shape::OFFICIAL_META).is_some();
        if had && meta.is_empty() {
            doc.remove("_meta");
        }
    }
    doc
}

/// Two server.json documents the same once served: `$schema` defaults when absent.
pub fn same_content(a: &Map<String, Json>, b: &Map<String, Json>) -> bool {
    let with_default = |doc: &Map<String, Json>| {
        let mut doc = doc.clone();
        doc.entry("$schema")
            .or_insert_with(|| Json::String(DEFAULT_SCHEMA.to_string()));
        doc
    };
    with_default(a) == with_default(b)
}

/// A server file as read by `check::model` (a file without errors), back in this form.
pub fn from_def(def: &ServerDef) -> Option<ServerForm> {
    let versions = def
        .versions
        .iter()
        .map(version_form)
        .collect::<Option<_>>()?;
    Some(ServerForm {
        name: def.name()?.to_string(),
        latest: def.latest.as_ref().map(|l| l.text.clone()),
        upstream: def.upstream.clone(),
        labels: def.labels.iter().map(|l| l.text.clone()).collect(),
        versions,
    })
}

fn version_form(v: &VersionDef) -> Option<VersionForm> {
    let mut doc = match v.doc.to_json() {
        Json::Object(doc) => doc,
        _ => return None,
    };
    // `$schema` the reader put in (it has no position) is not the file's.
    let defaulted = v
        .doc
        .entry("$schema")
        .is_some_and(|e| e.key_pos == Pos::default());
    if defaulted {
        doc.shift_remove("$schema");
    }
    Some(VersionForm {
        doc,
        status: v.status,
        status_message: v.status_message.as_ref().map(|m| m.text.clone()),
    })
}

/// The file's value: one version as a server.json with its registry fields; several as shared
/// fields and `versions:`.
pub fn file_value(form: &ServerForm) -> Map<String, Json> {
    let mut top = Map::new();
    match form.versions.as_slice() {
        [one] => {
            top.extend(one.doc.clone());
            registry_fields(&mut top, one);
        }
        all => {
            let empty = Map::new();
            let first = all.first().map_or(&empty, |v| &v.doc);
            let shared = |key: &str| {
                key != "version"
                    && first.contains_key(key)
                    && all.iter().all(|v| v.doc.get(key) == first.get(key))
            };
            if !first.contains_key("name") {
                top.insert("name".to_string(), Json::String(form.name.clone()));
            }
            for (key, value) in first {
                if key == "name" {
                    top.insert("name".to_string(), Json::String(form.name.clone()));
                } else if shared(key) {
                    top.insert(key.clone(), value.clone());
                }
            }
            let items = all
                .iter()
                .map(|v| {
                    let mut item = Map::new();
                    for (key, value) in &v.doc {
                        if key != "name" && !shared(key) {
                            item.insert(key.clone(), value.clone());
                        }
                    }
                    registry_fields(&mut item, v);
                    Json::Object(item)
                })
                .collect();
            if let Some(latest) = &form.latest {
                top.insert("latest".to_string(), Json::String(latest.clone()));
            }
            upstream_field(&mut top, form);
            top.insert("versions".to_string(), Json::Array(items));
            return top;
        }
    }
    if let Some(latest) = &form.latest {
        top.insert("latest".to_string(), Json::String(latest.clone()));
    }
    upstream_field(&mut top, form);
    top
}

fn registry_fields(map: &mut Map<String, Json>, v: &VersionForm) {
    if v.status != Status::Active {
        map.insert("status".to_string(), Json::String(v.status.as_str().into()));
        if let Some(m) = &v.status_message {
            map.insert("statusMessage".to_string(), Json::String(m.clone()));
        }
    }
}

/// `upstream:` and `labels:`, the keys of our format beside the server.json fields.
fn upstream_field(top: &mut Map<String, Json>, form: &ServerForm) {
    if !form.labels.is_empty() {
        let labels = form.labels.iter().map(|l| Json::String(l.clone()));
        top.insert(labels::KEY.to_string(), Json::Array(labels.collect()));
    }
    if let Some(up) = &form.upstream {
        let mut record = Map::new();
        record.insert("registry".into(), Json::String(up.registry.clone()));
        record.insert("name".into(), Json::String(up.name.clone()));
        if let Some(at) = &up.updated_at {
            record.insert("updatedAt".into(), Json::String(at.clone()));
        }
        top.insert(upstream::KEY.to_string(), Json::Object(record));
    }
}

/// The file's text: YAML when it reads back as the same value, else JSON (which is YAML too).
pub fn render(form: &ServerForm) -> String {
    let value = file_value(form);
    let yaml = yaml::document(&value);
    if reads_back(&yaml, &value) {
        return yaml;
    }
    let mut json = serde_json::to_string_pretty(&value).unwrap_or_default();
    json.push('\n');
    json
}

fn reads_back(text: &str, value: &Map<String, Json>) -> bool {
    let file = SourceFile {
        path: "servers/x/y.yaml".to_string(),
        bytes: text.as_bytes().to_vec(),
    };
    matches!(load::parse(&file).map(|n| n.to_json()), Ok(Json::Object(read)) if read == *value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::model;
    use serde_json::json;

    fn doc(v: Json) -> Map<String, Json> {
        v.as_object().unwrap().clone()
    }

    /// The form, rendered and read back by the model, gives each version's document.
    fn assert_reads_back(form: &ServerForm) -> String {
        let text = render(form);
        let def = model::from_file(&SourceFile {
            path: "servers/io.github.a/b.yaml".into(),
            bytes: text.clone().into_bytes(),
        })
        .unwrap();
        let back = from_def(&def).unwrap();
        assert_eq!(back.versions.len(), form.versions.len(), "{text}");
        for (a, b) in back.versions.iter().zip(&form.versions) {
            assert!(
                same_content(&a.doc, &b.doc),
                "{text}\n{:?}\n{:?}",
                a.doc,
                b.doc
            );
            assert_eq!((a.status, &a.status_message), (b.status, &b.status_message));
        }
        let fields = |u: &Option<Upstream>| u.clone().map(|u| (u.registry, u.name, u.updated_at));
        assert_eq!(fields(&back.upstream), fields(&form.upstream));
        assert_eq!(back.latest, form.latest);
        assert_eq!(back.labels, form.labels);
        text
    }

    #[test]
    fn one_and_many_versions_read_back() {
        let v1 = doc(json!({"$schema": DEFAULT_SCHEMA, "name": "io.github.a/b",
            "description": "B", "version": "1.0.0",
            "packages": [{"registryType": "npm", "identifier": "b", "version": "1.0.0",
                          "transport": {"type": "stdio"}}]}));
        let mut v2 = v1.clone();
        v2["version"] = json!("2.0.0");
        v2["description"] = json!("B, again");
        v2.remove("packages");
        let up = Upstream {
            registry: "https://registry.example.com".into(),
            name: "io.github.a/b".into(),
            updated_at: Some("2025-01-01T00:00:00Z".into()),
            pos: Pos { line: 0, col: 0 },
        };
        let one = ServerForm {
            name: "io.github.a/b".into(),
            latest: None,
            upstream: Some(up.clone()),
            labels: vec!["approved".into()],
            versions: vec![VersionForm {
                doc: v1.clone(),
                status: Status::Deprecated,
                status_message: Some("use 2".into()),
            }],
        };
        let text = assert_reads_back(&one);
        assert!(
            text.contains("status: deprecated\nstatusMessage: use 2\n"),
            "{text}"
        );
        let many = ServerForm {
            versions: vec![
                one.versions[0].clone(),
                VersionForm {
                    doc: v2,
                    status: Status::Active,
                    status_message: None,
                },
            ],
            latest: Some("1.0.0".into()),
            ..one
        };
        let text = assert_reads_back(&many);
        assert!(text.starts_with("$schema: https://"), "{text}");
        assert!(text.contains("\nname: io.github.a/b\n"), "{text}");
        assert!(
            text.contains("versions:\n  - description: B\n    version: \"1.0.0\""),
            "{text}"
        );
    }

    #[test]
    fn only_what_the_registry_manages_is_removed() {
        let d = doc(json!({"name": "a/b", "_meta": {
            "io.modelcontextprotocol.registry/official": {"status": "active"}}}));
        assert_eq!(registry_managed_removed(d), doc(json!({"name": "a/b"})));
        let publisher = json!({"io.modelcontextprotocol.registry/publisher-provided": {"x": 1}});
        let d = doc(json!({"name": "a/b", "_meta": publisher.clone()}));
        assert_eq!(registry_managed_removed(d.clone()), d);
    }
}
