//! The json format: every finding and the counts, for scripts.

use crate::check::validate::Checked;
use serde_json::{Value as Json, json};

/// The findings as one JSON object. Paths are relative to the linted directory; line and column
/// 0 mean the file as a whole.
pub fn json_report(checked: &Checked) -> Json {
    let diagnostics: Vec<Json> = checked
        .diagnostics
        .iter()
        .map(|d| {
            json!({
                "file": d.file,
                "line": d.pos.line,
                "column": d.pos.col,
                "severity": d.severity.as_str(),
                "rule": d.rule.id(),
                "message": d.message,
            })
        })
        .collect();
    json!({
        "diagnostics": diagnostics,
        "summary": {
            "errors": checked.errors(),
            "warnings": checked.warnings(),
            "files": checked.files,
            "servers": checked.servers.len(),
            "versions": checked.versions(),
        },
    })
}
