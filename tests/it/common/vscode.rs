//! What VS Code accepts as an install link's configuration.

use serde_json::Value as Json;
use std::collections::BTreeSet;

/// Checks one install link's JSON as VS Code reads it (`{name, ...config, inputs?}`, see VS
/// Code's `mcpUrlHandler.ts` and the mcp.json reference): the server shape for its `type`,
/// string-only `args`/`env`/`headers`, and every `${input:id}` backed by exactly one input.
pub fn assert_vscode_config(j: &Json) {
    let obj = j.as_object().expect("an object");
    assert!(obj["name"].as_str().is_some_and(|n| !n.is_empty()), "{j}");
    let strings = |v: &Json| match v {
        Json::Array(a) => a.iter().all(Json::is_string),
        Json::Object(o) => o.values().all(Json::is_string),
        _ => false,
    };
    match obj["type"].as_str() {
        Some("stdio") => {
            assert!(
                obj["command"].as_str().is_some_and(|c| !c.is_empty()),
                "{j}"
            );
            assert!(strings(&obj["args"]), "args are strings: {j}");
            if let Some(env) = obj.get("env") {
                assert!(strings(env), "env values are strings: {j}");
            }
            assert!(!obj.contains_key("url"), "{j}");
        }
        Some("http" | "sse") => {
            let url = obj["url"].as_str().unwrap();
            assert!(
                url.starts_with("https://") || url.starts_with("http://"),
                "{url}"
            );
            if let Some(h) = obj.get("headers") {
                assert!(strings(h), "header values are strings: {j}");
            }
            assert!(!obj.contains_key("command"), "{j}");
        }
        other => panic!("unknown server type {other:?}: {j}"),
    }
    let known = [
        "name", "type", "command", "args", "env", "url", "headers", "inputs",
    ];
    for k in obj.keys() {
        assert!(known.contains(&k.as_str()), "unexpected key {k}: {j}");
    }
    let inputs: Vec<&Json> = obj
        .get("inputs")
        .map(|i| i.as_array().expect("inputs is an array").iter().collect())
        .unwrap_or_default();
    let mut ids = BTreeSet::new();
    for i in &inputs {
        let id = i["id"].as_str().expect("an input id");
        assert!(ids.insert(id.to_string()), "input {id} twice: {j}");
        assert!(i["description"].is_string(), "{i}");
        match i["type"].as_str() {
            Some("promptString") => assert!(i["password"].is_boolean(), "{i}"),
            Some("pickString") => assert!(strings(&i["options"]), "{i}"),
            other => panic!("unknown input type {other:?}"),
        }
    }
    let text = j.to_string();
    let mut used = BTreeSet::new();
    for part in text.split("${input:").skip(1) {
        used.insert(part.split('}').next().unwrap().to_string());
    }
    assert_eq!(
        used, ids,
        "every input used and every reference defined: {j}"
    );
}
