//! `labels:` at the top of a server file: words that registry.yaml's views select servers by
//! (`views: {production: {labels: [approved]}}`). Part of the repository's format, not of
//! server.json: never served inside `server` (clients in strict modes reject unknown fields), but
//! under our own `_meta` key.

use crate::check::diagnostic::{Findings, Rule};
use crate::check::model::Located;
use crate::check::node::Node;

/// The key in a server file.
pub const KEY: &str = "labels";

/// The longest label.
pub const MAX_LEN: usize = 63;

/// `^[a-z0-9][a-z0-9._-]*$`, at most 63 characters: a label reads the same in a URL, a YAML
/// list and a metric.
pub const PATTERN: &str = "^[a-z0-9][a-z0-9._-]{0,62}$";

pub fn is_label(s: &str) -> bool {
    let mut bytes = s.bytes();
    s.len() <= MAX_LEN
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// Reads `labels:`: a list of labels. What is wrong goes to `out` and is left out.
pub fn parse(node: &Node, out: &mut Findings) -> Vec<Located> {
    let Some(items) = node.as_seq() else {
        out.push(
            Rule::SchemaType,
            node.pos,
            format!(
                "`labels` must be a list of labels, found {}",
                node.type_name()
            ),
        );
        return Vec::new();
    };
    let mut labels: Vec<Located> = Vec::new();
    for item in items {
        match item.as_str() {
            Some(s) if is_label(s) => {
                if labels.iter().any(|l| l.text == s) {
                    out.push(
                        Rule::FileForm,
                        item.pos,
                        format!("the label `{s}` is listed twice"),
                    );
                } else {
                    labels.push(Located {
                        text: s.to_string(),
                        pos: item.pos,
                    });
                }
            }
            Some(s) => out.push(
                Rule::SchemaPattern,
                item.pos,
                format!(
                    "the label `{}` must be lowercase letters, digits, `.`, `_` and `-`, \
                     starting with a letter or digit, at most {MAX_LEN} characters",
                    s.escape_debug()
                ),
            ),
            None => out.push(
                Rule::SchemaType,
                item.pos,
                format!("each label must be a string, found {}", item.type_name()),
            ),
        }
    }
    labels
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels() {
        assert!(super::is_label("approved"));
        assert!(super::is_label("team-data.eu_1"));
        assert!(!super::is_label("Approved"));
        assert!(!super::is_label("-x"));
        assert!(!super::is_label(""));
        assert!(!super::is_label(&"a".repeat(64)));
    }
}
