//! JSON values written as block YAML for people to review: mappings and lists indented, a
//! string plain when it cannot be read as anything else, double-quoted (with escapes) when it
//! could. The YAML crate we read with only reads, so this writes; the caller reads the text
//! back with `check::load` and keeps it only when it gives the same value.

use serde_json::{Map, Value as Json};
use std::fmt::Write;

/// `value` (a mapping) as a YAML document.
pub fn document(value: &Map<String, Json>) -> String {
    let mut out = String::with_capacity(4096);
    mapping(&mut out, value, 0);
    out
}

fn mapping(out: &mut String, map: &Map<String, Json>, indent: usize) {
    for (key, value) in map {
        pad(out, indent);
        scalar_text(out, key);
        out.push(':');
        block_value(out, value, indent);
    }
}

fn list(out: &mut String, items: &[Json], indent: usize) {
    for item in items {
        pad(out, indent);
        out.push('-');
        match item {
            Json::Object(map) if !map.is_empty() => {
                // The first key on the dash's line, the others under it.
                let mut inner = String::new();
                mapping(&mut inner, map, indent + 2);
                out.push(' ');
                out.push_str(&inner[indent + 2..]);
            }
            _ => block_value(out, item, indent),
        }
    }
}

/// What follows `key:` or `-`: a scalar on the same line, or a block on the next lines.
fn block_value(out: &mut String, value: &Json, indent: usize) {
    match value {
        Json::Object(map) if !map.is_empty() => {
            out.push('\n');
            mapping(out, map, indent + 2);
        }
        Json::Array(items) if !items.is_empty() => {
            out.push('\n');
            list(out, items, indent + 2);
        }
        Json::Object(_) => out.push_str(" {}\n"),
        Json::Array(_) => out.push_str(" []\n"),
        scalar => {
            out.push(' ');
            match scalar {
                Json::String(s) => scalar_text(out, s),
                other => {
                    let _ = write!(out, "{other}");
                }
            }
            out.push('\n');
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A string as a plain scalar when that reads back as the same string, else double-quoted.
fn scalar_text(out: &mut String, s: &str) {
    if plain_is_safe(s) {
        out.push_str(s);
    } else {
        quoted(out, s);
    }
}

/// Conservative: a few characters only, no indicator first, nothing YAML 1.1 or 1.2 would
/// read as a number, boolean, null or date, no `: ` or ` #`.
fn plain_is_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let allowed = |c: char| c.is_alphanumeric() || " -_./:@+,()'&=%~$!?;*^".contains(c);
    if !(first.is_ascii_alphabetic() || "_$/".contains(first))
        || !s.chars().all(allowed)
        || s.ends_with([' ', ':'])
        || s.contains(": ")
        || s.contains(" #")
    {
        return false;
    }
    // Words some YAML reader takes for something else (YAML 1.1 booleans included).
    const WORDS: [&str; 12] = [
        "null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan", "inf", "infinity",
    ];
    !WORDS.contains(&s.to_ascii_lowercase().as_str())
}

/// A double-quoted scalar: `"` and `\` escaped, and every character YAML does not allow
/// printed as it is (controls, DEL, C1 controls, the BOM, surrogates cannot occur in `str`).
fn quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{feff}' | '\u{fffe}' | '\u{ffff}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::files::SourceFile;
    use crate::check::load;
    use serde_json::json;

    fn round_trip(value: &Json) -> Json {
        let text = document(value.as_object().unwrap());
        let node = load::parse(&SourceFile {
            path: "t.yaml".into(),
            bytes: text.clone().into_bytes(),
        })
        .unwrap_or_else(|d| panic!("{d}\n{text}"));
        node.to_json()
    }

    #[test]
    fn values_read_back_the_same() {
        let tricky = [
            "",
            " lead",
            "trail ",
            "1.0.0",
            "0.1",
            "1e3",
            ".5",
            ".inf",
            "-1",
            "+1",
            "0x1f",
            "yes",
            "No",
            "on",
            "null",
            "~",
            "true",
            "2025-01-01",
            "a: b",
            "a #b",
            "#x",
            "- x",
            "? x",
            "x:",
            "@x",
            "`x`",
            "'x'",
            "\"x\"",
            "a\nb",
            "tab\there",
            "\u{7f}",
            "\u{85}",
            "\u{feff}",
            "é ünïcode",
            "{x}",
            "[x]",
            "*x",
            "&x",
            "!x",
            "|x",
            ">x",
            "%x",
            "a, b",
            "ok text",
            "https://example.com/a?b=c&d",
            "$schema",
            "_meta",
            "1:20",
            "0o17",
            "12_000",
        ];
        let map: Map<String, Json> = tricky
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("k{i}"), json!(s)))
            .collect();
        let mut value = Json::Object(map);
        for s in tricky.iter().filter(|s| !s.is_empty()) {
            value[*s] = json!(1);
        }
        assert_eq!(round_trip(&value), value);
        let nested = json!({
            "name": "io.github.a/b",
            "empty": {}, "none": [], "n": null, "t": true, "int": 3, "neg": -2, "float": 1.5,
            "packages": [
                {"registryType": "npm", "transport": {"type": "stdio"}, "args": [["x"], []]},
                {"list": [{"a": 1, "b": [1, 2]}, {}]},
                "scalar", 7
            ],
        });
        assert_eq!(round_trip(&nested), nested);
    }
}
