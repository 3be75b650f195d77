//! Files → trees. Reads the files of a registry repository (from a directory here; a git tree
//! supplies the same `SourceFile`s) and parses YAML into `Node` trees with a position on every
//! node. This is the only module that names the YAML crate: limits on size, aliases and
//! duplicate keys are enforced here, and every failure becomes a `Diagnostic`, never a panic.

use crate::check::diagnostic::{Diagnostic, Rule};
use crate::check::node::{MapEntry, Node, Pos, Value};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// Files larger than this are refused without being read.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// One file of the repository, read but not parsed. `path` is relative to the repository root,
/// with `/` separators.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// What a path is to us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A YAML file under `servers/`.
    Server,
    /// `registry.yaml` at the top.
    Config,
    /// A YAML or JSON file elsewhere, read only to warn when it looks like a server definition.
    Other,
    Ignored,
}

pub fn role(path: &str) -> Role {
    let yaml = path.ends_with(".yaml") || path.ends_with(".yml");
    if path.split('/').any(|part| part == ".git") {
        Role::Ignored
    } else if path == "registry.yaml" || path == "registry.yml" {
        Role::Config
    } else if path.starts_with("servers/") {
        if yaml { Role::Server } else { Role::Ignored }
    } else if yaml || path.ends_with(".json") {
        Role::Other
    } else {
        Role::Ignored
    }
}

/// The files of a repository that matter to us, and the problems met while reading them.
#[derive(Debug, Default)]
pub struct RepoFiles {
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
}

impl RepoFiles {
    /// Adds a file, or a finding when it is too large. `Other` files that are too large are
    /// skipped quietly: they are not ours.
    pub fn add(
        &mut self,
        path: String,
        size: u64,
        read: impl FnOnce() -> std::io::Result<Vec<u8>>,
    ) {
        let role = role(&path);
        if role == Role::Ignored {
            return;
        }
        if size > MAX_FILE_BYTES {
            if role != Role::Other {
                let msg = format!("file is {size} bytes; the limit is {MAX_FILE_BYTES} (1 MiB)");
                self.diagnostics.push(Diagnostic::new(
                    Rule::FileTooLarge,
                    path,
                    Pos::default(),
                    msg,
                ));
            }
            return;
        }
        match read() {
            Ok(bytes) => self.files.push(SourceFile { path, bytes }),
            Err(e) if role != Role::Other => {
                let msg = format!("cannot read the file: {e}");
                self.diagnostics
                    .push(Diagnostic::new(Rule::FileRead, path, Pos::default(), msg));
            }
            Err(_) => {}
        }
    }

    /// Reports a symbolic link that leaves the repository, when its path is one we read.
    pub fn escaping_link(&mut self, path: String, target: &str) {
        if role(&path) != Role::Other {
            let msg = format!("symbolic link to `{target}` points outside the repository");
            self.diagnostics.push(Diagnostic::new(
                Rule::SymlinkEscape,
                path,
                Pos::default(),
                msg,
            ));
        }
    }
}

/// Reading the directory itself failed: lint exits 2, a reload keeps the last good index.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the repository at {path}")]
pub struct ReadError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Reads every file of interest below `root`, following symbolic links that stay inside it.
pub fn read_dir(root: &Path) -> Result<RepoFiles, ReadError> {
    let err = |source| ReadError {
        path: root.to_path_buf(),
        source,
    };
    let canonical_root = root.canonicalize().map_err(err)?;
    if !canonical_root.is_dir() {
        return Err(err(std::io::Error::other("not a directory")));
    }
    let mut tree = RepoFiles::default();
    let mut seen = HashSet::from([canonical_root.clone()]);
    walk(&canonical_root, &canonical_root, "", &mut tree, &mut seen).map_err(err)?;
    tree.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(tree)
}

fn walk(
    root: &Path,
    dir: &Path,
    prefix: &str,
    tree: &mut RepoFiles,
    seen: &mut HashSet<PathBuf>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == ".git" {
            continue;
        }
        let rel = format!("{prefix}{name}");
        let path = entry.path();
        let mut meta = std::fs::symlink_metadata(&path)?;
        let mut real = path.clone();
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path)?.to_string_lossy().into_owned();
            match path.canonicalize() {
                Ok(resolved) if resolved.starts_with(root) => {
                    meta = std::fs::metadata(&resolved)?;
                    real = resolved;
                }
                Ok(_) => {
                    tree.escaping_link(rel, &target);
                    continue;
                }
                // A dangling link: say so where it matters, as an unreadable file.
                Err(e) => {
                    tree.add(rel, 0, || Err(e));
                    continue;
                }
            }
        }
        if meta.is_dir() {
            // A link back up the tree would loop forever; each real directory is read once.
            if seen.insert(real.canonicalize()?) {
                walk(root, &real, &format!("{rel}/"), tree, seen)?;
            }
        } else if meta.is_file() {
            tree.add(rel, meta.len(), || std::fs::read(&real));
        }
    }
    Ok(())
}

/// Parses one file into a tree, or says what and where is wrong with it.
pub fn parse(file: &SourceFile) -> Result<Node, Diagnostic> {
    let fail = |rule, pos, msg: String| Diagnostic::new(rule, &file.path, pos, msg);
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
    let rule = match e {
        E::DuplicateMappingKey { .. } => Rule::YamlDuplicateKey,
        E::Budget { .. }
        | E::AliasError { .. }
        | E::AliasReplayCounterOverflow { .. }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => Rule::YamlLimits,
        _ => Rule::YamlSyntax,
    };
    let text = e.to_string();
    // The crate's text carries positions ("line L column C: …", "… at line L, column C (defined
    // at …)"); we print the position ourselves, so keep only the sentence.
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    let text = match text.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") => rest,
        _ => text,
    };
    let text = text.split(" at line ").next().unwrap_or(text);
    let text = text
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(text)
        .trim();
    let message = match rule {
        Rule::YamlLimits => format!(
            "the document expands beyond the parser's limits ({text}); aliases that multiply like this are an alias bomb"
        ),
        _ => text.to_string(),
    };
    (rule, message)
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
