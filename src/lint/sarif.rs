//! The sarif format: SARIF 2.1.0, every rule in the driver, for code-scanning uploads.

use super::workspace_prefix;
use crate::check::diagnostic::{Rule, Severity};
use crate::check::validate::Checked;
use serde_json::{Value as Json, json};
use std::path::Path;

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where SARIF viewers send users to learn about the tool: the crate's `repository`, when
/// Cargo.toml names one.
fn information_uri() -> Option<&'static str> {
    Some(env!("CARGO_PKG_REPOSITORY")).filter(|uri| !uri.is_empty())
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The findings as a SARIF 2.1.0 log that GitHub code scanning accepts. Artifact paths are
/// relative to the repository root (`%SRCROOT%`), so `lint registry` reports
/// `registry/servers/...`.
pub fn sarif_report(root: &Path, checked: &Checked) -> Json {
    let rules: Vec<Json> = Rule::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "shortDescription": { "text": r.summary() },
                "defaultConfiguration": { "level": sarif_level(r.severity()) },
            })
        })
        .collect();
    let mut driver = json!({
        "name": "mcp-gitops",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    if let Some(uri) = information_uri() {
        driver["informationUri"] = json!(uri);
    }
    let prefix = workspace_prefix(root);
    let results: Vec<Json> = checked
        .diagnostics
        .iter()
        .map(|d| {
            let mut location = json!({
                "artifactLocation": {
                    "uri": uri_path(&format!("{prefix}{}", d.file)),
                    "uriBaseId": "%SRCROOT%",
                },
            });
            if d.pos.line > 0 {
                let mut region = json!({ "startLine": d.pos.line });
                if d.pos.col > 0 {
                    region["startColumn"] = json!(d.pos.col);
                }
                location["region"] = region;
            }
            json!({
                "ruleId": d.rule.id(),
                "ruleIndex": Rule::ALL.iter().position(|r| *r == d.rule),
                "level": sarif_level(d.severity),
                "message": { "text": d.message },
                "locations": [{ "physicalLocation": location }],
            })
        })
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            // Our columns count characters, not UTF-16 units.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// A relative path as a URI reference: `/`-separated, percent-encoded but for the characters
/// a path segment may hold as they are (`:` too is encoded: in the first segment it would read
/// as a scheme).
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(
            uri_path("servers/io.github.a/b c.yaml"),
            "servers/io.github.a/b%20c.yaml"
        );
        assert_eq!(uri_path("a:b/é"), "a%3Ab/%C3%A9");
    }
}
