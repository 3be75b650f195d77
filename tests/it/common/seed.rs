//! A seed file of the official registry (a JSON array of server.json documents) written out as
//! a registry repository.

use serde_json::{Map, Value as Json};
use std::path::Path;

/// Writes a seed file (a JSON array of server.json documents) as a registry repository:
/// `servers/<namespace>/<server>.yaml`, a server.json as is (JSON is YAML), or the many-versions
/// form when a name comes more than once.
pub fn seed_repo(seed: &Path) -> tempfile::TempDir {
    let text = std::fs::read_to_string(seed).unwrap();
    let entries: Vec<Json> = serde_json::from_str(&text).unwrap();
    let mut by_name: Vec<(String, Vec<Map<String, Json>>)> = Vec::new();
    for entry in entries {
        let Json::Object(doc) = entry else {
            panic!("{}: every entry is an object", seed.display())
        };
        let name = doc["name"].as_str().unwrap().to_string();
        match by_name.iter_mut().find(|(n, _)| *n == name) {
            Some((_, docs)) => docs.push(doc),
            None => by_name.push((name, vec![doc])),
        }
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, mut docs) in by_name {
        let file = if docs.len() == 1 {
            Json::Object(docs.remove(0))
        } else {
            for doc in &mut docs {
                doc.remove("name");
            }
            let versions = docs.into_iter().map(Json::Object).collect();
            serde_json::json!({ "name": name, "versions": Json::Array(versions) })
        };
        let path = dir.path().join(format!("servers/{name}.yaml"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
    }
    dir
}
