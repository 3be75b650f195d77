//! Files → trees: parses the YAML of a `SourceFile` (read by `check::dir` or `git::tree`) into
//! a `Node` tree with a position on every node. This is the only module that names the YAML
//! crate: limits on size, aliases and duplicate keys are enforced here, and every failure
//! becomes a `Diagnostic`, never a panic.

use crate::check::diagnostic::{Diagnostic, Rule};
use crate::check::files::SourceFile;
use crate::check::node::{MapEntry, Node, Pos, Value};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// How every Git LFS pointer file begins (the LFS specification).
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/v1";

/// Parses one file into a tree, or says what and where is wrong with it.
pub fn parse(file: &SourceFile) -> Result<Node, Diagnostic> {
    let fail = |rule, pos, msg: String| Diagnostic::new(rule, &file.path, pos, msg);
    if file.bytes.starts_with(LFS_POINTER) {
        return Err(fail(
            Rule::FileLfsPointer,
            Pos { line: 1, col: 1 },
            "this is a Git LFS pointer, not the file: its content lives outside git, where mcp-gitops does not read; commit the YAML itself (exclude servers/ from LFS in .gitattributes)".to_string(),
        ));
    }
    let text = std::str::from_utf8(&file.bytes).map_err(|e| {
        let pos = pos_of_byte(&file.bytes, e.valid_up_to());
        fail(
            Rule::FileNotUtf8,
            pos,
            format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        )
    })?;
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    // YAML 1.2: only `true`/`false` are booleans, so `on`/`yes` stay strings.
    options.strict_booleans = true;
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|e| {
        let pos = e
            .location()
            .map(|l| Pos {
                line: l.line() as u32,
                col: l.column() as u32,
            })
            .unwrap_or(Pos { line: 1, col: 1 });
        let (rule, message) = describe(e.without_snippet());
        fail(rule, pos, message)
    })
}

fn describe(e: &serde_saphyr::Error) -> (Rule, String) {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    let alias_bomb = |what: &str| {
        format!(
            "{what}; aliases that multiply like this are an alias bomb, refused before they expand"
        )
    };
    match e {
        E::DuplicateMappingKey { .. } => (Rule::YamlDuplicateKey, sentence(e)),
        E::MultipleDocuments { .. } => (
            Rule::YamlSyntax,
            "the file holds more than one YAML document (a `---` line starts another); a server file is one document".to_string(),
        ),
        E::Budget { breach, .. } => {
            let limits = serde_saphyr::Budget::default();
            let message = match breach {
                B::Depth { .. } => format!(
                    "lists and mappings nest deeper than {} levels",
                    limits.max_depth
                ),
                B::Nodes { .. } => format!(
                    "the document holds more than {} values (lists, mappings and scalars)",
                    limits.max_nodes
                ),
                B::Aliases { aliases } => alias_bomb(&format!("{aliases} aliases")),
                B::Anchors { anchors } => alias_bomb(&format!("{anchors} anchors")),
                B::AliasAnchorRatio { aliases, anchors } => {
                    alias_bomb(&format!("{aliases} aliases of {anchors} anchors"))
                }
                B::MergeKeys { merge_keys } => alias_bomb(&format!("{merge_keys} merge keys")),
                other => format!("the document exceeds the parser's limits ({other:?})"),
            };
            (Rule::YamlLimits, message)
        }
        E::AliasError { .. }
        | E::AliasReplayCounterOverflow { .. }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => {
            (Rule::YamlLimits, alias_bomb("aliases expand beyond the parser's limits"))
        }
        _ => (Rule::YamlSyntax, sentence(e)),
    }
}

/// The crate's text carries positions ("line L column C: …", "… at line L, column C (defined
/// at …)"); we print the position ourselves, so keep only the sentence.
fn sentence(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    let text = match text.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") => rest,
        _ => text,
    };
    let text = text.split(" at line ").next().unwrap_or(text);
    text.split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(text)
        .trim()
        .to_string()
}

/// The 1-based line and column of a byte offset (columns count characters).
pub fn pos_of_byte(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u32
        + 1;
    Pos { line, col }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(d)?;
        let at = spanned.referenced;
        let pos = Pos {
            line: at.line() as u32,
            col: at.column() as u32,
        };
        Ok(Node::new(pos, spanned.value))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("numbers must be finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            let name = match key.value {
                Value::Str(s) => s,
                Value::Null => "null".to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                Value::Seq(_) | Value::Map(_) => {
                    return Err(de::Error::custom("mapping keys must be plain scalars"));
                }
            };
            entries.push(MapEntry {
                key: name,
                key_pos: key.pos,
                value,
            });
        }
        Ok(Value::Map(entries))
    }
}
