//! The constraints of the official server.json JSON Schema (2025-12-11), written as Rust over
//! the `Node` tree so that each failure points at the node at fault and says what was expected.
//! One function per schema definition; the schema's few patterns are matched by hand. A field
//! the schema does not define is only a warning: the schema allows extra fields, but here they
//! are most often typos.

use crate::check::diagnostic::{Findings, Rule};
use crate::check::node::{MapEntry, Node, Pos, Value};
use std::fmt;

/// The dates of the official server.json schemas, oldest first; the last is the one checked.
pub const SCHEMA_DATES: [&str; 6] = [
    "2025-07-09",
    "2025-09-16",
    "2025-09-29",
    "2025-10-11",
    "2025-10-17",
    "2025-12-11",
];
pub(crate) const SCHEMA_URL_PREFIX: &str = "https://static.modelcontextprotocol.io/schemas/";
pub(crate) const SCHEMA_URL_SUFFIX: &str = "/server.schema.json";

/// The draft server.json schema, not yet released under a date, named by its own `$id`. Its
/// additions (`postInstallInstructions` on packages, transport URLs that start with a template
/// variable) are accepted only in documents whose `$schema` names it; the dated schemas do not
/// have them.
pub const DRAFT_SCHEMA_URL: &str = "https://raw.githubusercontent.com/modelcontextprotocol/\
     registry/main/docs/reference/server-json/draft/server.schema.json";

/// Which schema a document's rules come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// The current dated schema (also for files that name an older date or none).
    Dated,
    /// The draft schema, named in `$schema`.
    Draft,
}

impl Dialect {
    pub fn of(doc: &Node) -> Dialect {
        match doc.get_str("$schema") {
            Some(DRAFT_SCHEMA_URL) => Dialect::Draft,
            _ => Dialect::Dated,
        }
    }
}

/// The `_meta` key whose content belongs to the publisher, not to the schema.
pub(crate) const PUBLISHER_PROVIDED: &str = "io.modelcontextprotocol.registry/publisher-provided";

pub(crate) const SERVER_FIELDS: &[&str] = &[
    "$schema",
    "name",
    "title",
    "description",
    "version",
    "websiteUrl",
    "repository",
    "icons",
    "packages",
    "remotes",
    "_meta",
];
const REPOSITORY_FIELDS: &[&str] = &["url", "source", "id", "subfolder"];
const ICON_FIELDS: &[&str] = &["src", "mimeType", "sizes", "theme"];
const PACKAGE_FIELDS: &[&str] = &[
    "registryType",
    "registryBaseUrl",
    "identifier",
    "version",
    "fileSha256",
    "runtimeHint",
    "transport",
    "runtimeArguments",
    "packageArguments",
    "environmentVariables",
];
const INPUT_FIELDS: &[&str] = &[
    "description",
    "isRequired",
    "format",
    "value",
    "isSecret",
    "default",
    "placeholder",
    "choices",
];
const STDIO_FIELDS: &[&str] = &["type"];
const HTTP_FIELDS: &[&str] = &["type", "url", "headers"];

/// Lengths in characters: (least, most).
pub(crate) const NAME_LEN: (usize, usize) = (3, 200);
/// `title` and `description`.
pub(crate) const TEXT_LEN: (usize, usize) = (1, 100);
/// A server's or a package's `version`.
pub(crate) const VERSION_MAX: usize = 255;
pub(crate) const ICON_SRC_MAX: usize = 255;

pub(crate) const MIME_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/jpg",
    "image/svg+xml",
    "image/webp",
];
pub(crate) const THEMES: &[&str] = &["light", "dark"];
pub(crate) const INPUT_FORMATS: &[&str] = &["string", "number", "boolean", "filepath"];
pub(crate) const LOCAL_TRANSPORTS: &[&str] = &["stdio", "streamable-http", "sse"];
pub(crate) const REMOTE_TRANSPORTS: &[&str] = &["streamable-http", "sse"];
pub(crate) const ARGUMENT_TYPES: &[&str] = &["positional", "named"];

/// Checks one merged server.json document (`ServerDetail`).
pub fn check(doc: &Node, out: &mut Findings) {
    let root = Path::default();
    let draft = Dialect::of(doc) == Dialect::Draft;
    let shape = Shape {
        noun: "server.json",
        required: &["name", "description", "version"],
        fields: &[SERVER_FIELDS],
    };
    object(doc, &root, shape, out, |e, at, out| {
        let v = &e.value;
        match e.key.as_str() {
            "$schema" => schema_url(v, at, out),
            "name" => {
                if let Some(name) = string_len(v, at, NAME_LEN.0, NAME_LEN.1, out) {
                    let expected = "`namespace/name`: letters, digits, `.` and `-`, one `/`, \
                                    then letters, digits, `.`, `_` and `-`";
                    pattern(name, v, at, is_server_name, expected, out);
                }
            }
            "title" | "description" => {
                string_len(v, at, TEXT_LEN.0, TEXT_LEN.1, out);
            }
            "version" => {
                string_len(v, at, 0, VERSION_MAX, out);
            }
            "websiteUrl" => uri(v, at, out),
            "repository" => repository(v, at, out),
            "icons" => each(v, at, out, icon),
            "packages" if draft => each(v, at, out, draft_package),
            "packages" => each(v, at, out, package),
            "remotes" if draft => each(v, at, out, draft_remote_transport),
            "remotes" => each(v, at, out, remote_transport),
            "_meta" => meta(v, at, out),
            // The registry's own keys, misplaced; `model` reports them.
            "latest" | "versions" => {}
            _ => return false,
        }
        true
    });
}

/// `$schema`: which server.json schema the document follows. `model` puts in the current one
/// (at `Pos::default()`) when the file names none; that one is never reported.
fn schema_url(node: &Node, at: &Path, out: &mut Findings) {
    if node.pos == Pos::default() {
        return;
    }
    let Some(url) = string(node, at, out) else {
        return;
    };
    if !is_uri(url) {
        uri(node, at, out);
        return;
    }
    let current = SCHEMA_DATES[SCHEMA_DATES.len() - 1];
    if url == DRAFT_SCHEMA_URL {
        return;
    }
    match schema_date(url) {
        Some(date) if date == current => {}
        Some(date) => out.push(
            Rule::SchemaVersionOld,
            node.pos,
            format!(
                "`$schema` names the {date} server.json schema; lint checks against {current}, \
                 the current one: {SCHEMA_URL_PREFIX}{current}{SCHEMA_URL_SUFFIX}"
            ),
        ),
        None => out.push(
            Rule::SchemaVersionUnknown,
            node.pos,
            format!(
                "`$schema` must be an official server.json schema URL, \
                 {SCHEMA_URL_PREFIX}<date>{SCHEMA_URL_SUFFIX} with <date> one of {}, or the \
                 draft schema {DRAFT_SCHEMA_URL}; found `{url}`",
                SCHEMA_DATES.join(", ")
            ),
        ),
    }
}

/// The date of a known official schema URL.
fn schema_date(url: &str) -> Option<&'static str> {
    let date = url
        .strip_prefix(SCHEMA_URL_PREFIX)?
        .strip_suffix(SCHEMA_URL_SUFFIX)?;
    SCHEMA_DATES.into_iter().find(|d| *d == date)
}

/// `_meta`: extension metadata under reverse-DNS keys. Its keys are free, and so is the content
/// of the publisher-provided object; only their JSON types are checked.
fn meta(node: &Node, at: &Path, out: &mut Findings) {
    if mapping(node, at, out).is_some()
        && let Some(e) = node.entry(PUBLISHER_PROVIDED)
    {
        mapping(&e.value, &at.key(&e.key), out);
    }
}

fn repository(node: &Node, at: &Path, out: &mut Findings) {
    let shape = Shape {
        noun: "a repository",
        required: &["url", "source"],
        fields: &[REPOSITORY_FIELDS],
    };
    object(node, at, shape, out, |e, at, out| {
        match e.key.as_str() {
            "url" => uri(&e.value, at, out),
            "source" | "id" | "subfolder" => {
                string(&e.value, at, out);
            }
            _ => return false,
        }
        true
    });
}

fn icon(node: &Node, at: &Path, out: &mut Findings) {
    let shape = Shape {
        noun: "an icon",
        required: &["src"],
        fields: &[ICON_FIELDS],
    };
    object(node, at, shape, out, |e, at, out| {
        let v = &e.value;
        match e.key.as_str() {
            "src" => {
                if string_len(v, at, 0, ICON_SRC_MAX, out).is_some() {
                    uri(v, at, out);
                }
            }
            "mimeType" => one_of(v, at, MIME_TYPES, out),
            "theme" => one_of(v, at, THEMES, out),
            "sizes" => each(v, at, out, |size, at, out| {
                if let Some(s) = string(size, at, out) {
                    let expected = "`<width>x<height>` (such as `48x48`) or `any`";
                    pattern(s, size, at, is_icon_size, expected, out);
                }
            }),
            _ => return false,
        }
        true
    });
}

fn package(node: &Node, at: &Path, out: &mut Findings) {
    package_in(node, at, Dialect::Dated, out);
}

fn draft_package(node: &Node, at: &Path, out: &mut Findings) {
    package_in(node, at, Dialect::Draft, out);
}

fn package_in(node: &Node, at: &Path, dialect: Dialect, out: &mut Findings) {
    let shape = Shape {
        noun: "a package",
        required: &["registryType", "identifier", "transport"],
        fields: &[PACKAGE_FIELDS],
    };
    object(node, at, shape, out, |e, at, out| {
        let v = &e.value;
        match e.key.as_str() {
            "registryType" | "identifier" | "runtimeHint" => {
                string(v, at, out);
            }
            "registryBaseUrl" => uri(v, at, out),
            "version" => {
                if string_len(v, at, 1, VERSION_MAX, out) == Some("latest") {
                    let msg = format!(
                        "{at} must be a specific package version, not `latest` (pin the version \
                         the server was published with)"
                    );
                    out.push(Rule::SchemaEnum, v.pos, msg);
                }
            }
            "fileSha256" => {
                if let Some(s) = string(v, at, out) {
                    let expected = "a SHA-256 digest: 64 lowercase hexadecimal digits";
                    pattern(s, v, at, is_sha256, expected, out);
                }
            }
            "transport" => transport(v, at, LOCAL_TRANSPORTS, false, dialect, out),
            "postInstallInstructions" if dialect == Dialect::Draft => {
                each(v, at, out, post_install_instruction);
            }
            "postInstallInstructions" => {
                let msg = format!(
                    "{at} is part of the draft server.json schema only: name it in `$schema` \
                     ({DRAFT_SCHEMA_URL}) to use it, or remove it"
                );
                out.push(Rule::UnknownField, e.key_pos, msg);
            }
            "runtimeArguments" | "packageArguments" => each(v, at, out, argument),
            "environmentVariables" => each(v, at, out, key_value_input),
            _ => return false,
        }
        true
    });
}

/// The draft's `PostInstallInstruction`: a step shown to the user after installing a package
/// (never run by clients).
fn post_install_instruction(node: &Node, at: &Path, out: &mut Findings) {
    let shape = Shape {
        noun: "a post-install instruction",
        required: &["description"],
        fields: &[POST_INSTALL_FIELDS],
    };
    object(node, at, shape, out, |e, at, out| {
        let v = &e.value;
        match e.key.as_str() {
            "description" | "command" => {
                string(v, at, out);
            }
            "documentation" => uri(v, at, out),
            "optional" => boolean(v, at, out),
            _ => return false,
        }
        true
    });
}

pub(crate) const POST_INSTALL_FIELDS: &[&str] =
    &["description", "command", "documentation", "optional"];

/// `RemoteTransport`: a streamable-http or sse endpoint, with `variables` for its URL template.
fn remote_transport(node: &Node, at: &Path, out: &mut Findings) {
    transport(node, at, REMOTE_TRANSPORTS, true, Dialect::Dated, out);
}

fn draft_remote_transport(node: &Node, at: &Path, out: &mut Findings) {
    transport(node, at, REMOTE_TRANSPORTS, true, Dialect::Draft, out);
}

/// `StdioTransport`, `StreamableHttpTransport` or `SseTransport`, picked by `type` from `kinds`
/// (`LocalTransport` in a package, `RemoteTransport` in `remotes`).
fn transport(
    node: &Node,
    at: &Path,
    kinds: &[&str],
    remote: bool,
    dialect: Dialect,
    out: &mut Findings,
) {
    let Some(kind) = variant(node, at, kinds, out) else {
        return;
    };
    if kind == "stdio" {
        let shape = Shape {
            noun: "a stdio transport",
            required: &["type"],
            fields: &[STDIO_FIELDS],
        };
        return object(node, at, shape, out, |e, _, _| e.key == "type");
    }
    let noun = if kind == "sse" {
        "an sse transport"
    } else {
        "a streamable-http transport"
    };
    let fields: &[&[&str]] = if remote {
        &[HTTP_FIELDS, &["variables"]]
    } else {
        &[HTTP_FIELDS]
    };
    let shape = Shape {
        noun,
        required: &["type", "url"],
        fields,
    };
    object(node, at, shape, out, |e, at, out| {
        let v = &e.value;
        match e.key.as_str() {
            "type" => {}
            "url" => {
                let Some(url) = string(v, at, out) else {
                    return true;
                };
                match dialect {
                    Dialect::Draft => {
                        let expected = "an http:// or https:// URL, or a URL that starts with a \
                                        template variable like `{baseUrl}/mcp`, without spaces";
                        pattern(url, v, at, is_draft_transport_url, expected, out);
                    }
                    Dialect::Dated if url.starts_with('{') => {
                        let expected = format!(
                            "an http:// or https:// URL without spaces (a URL that starts with \
                             a template variable is allowed by the draft schema only: name it \
                             in `$schema`, {DRAFT_SCHEMA_URL})"
                        );
                        pattern(url, v, at, is_transport_url, &expected, out);
                    }
                    Dialect::Dated => {
                        let expected = "an http:// or https:// URL without spaces";
                        pattern(url, v, at, is_transport_url, expected, out);
                    }
                }
            }
            "headers" => each(v, at, out, key_value_input),
            "variables" if remote => variables(v, at, out),
            _ => return false,
        }
        true
    });
}

/// `Argument`: a `PositionalArgument` or a `NamedArgument`, picked by `type`.
fn argument(node: &Node, at: &Path, out: &mut Findings) {
    let Some(kind) = variant(node, at, ARGUMENT_TYPES, out) else {
        return;
    };
    let positional = kind == "positional";
    // `valueHint` labels a named argument's value too: the official registry's model has it on
    // every argument, and most published named arguments carry one.
    let shape = if positional {
        Shape {
            noun: "a positional argument",
            required: &["type"],
            fields: &[
                INPUT_FIELDS,
                &["type", "variables", "valueHint", "isRepeated"],
            ],
        }
    } else {
        Shape {
            noun: "a named argument",
            required: &["type", "name"],
            fields: &[
                INPUT_FIELDS,
                &["type", "variables", "name", "valueHint", "isRepeated"],
            ],
        }
    };
    object(node, at, shape, out, |e, at, out| {
        let v = &e.value;
        match e.key.as_str() {
            "type" => {}
            "isRepeated" => boolean(v, at, out),
            "valueHint" => {
                string(v, at, out);
            }
            "name" if !positional => {
                string(v, at, out);
            }
            "variables" => variables(v, at, out),
            _ => return input_field(e, at, out),
        }
        true
    });
    if positional && node.get("valueHint").is_none() && node.get("value").is_none() {
        let msg = format!(
            "{} is a positional argument and needs `valueHint` (a label for the value the user \
             supplies) or `value` (a fixed value); it has neither",
            at.subject()
        );
        out.push(Rule::SchemaVariant, node.pos, msg);
    }
}

/// `KeyValueInput`: an environment variable or header, an `InputWithVariables` with a `name`.
fn key_value_input(node: &Node, at: &Path, out: &mut Findings) {
    let shape = Shape {
        noun: "an environment variable or header",
        required: &["name"],
        fields: &[INPUT_FIELDS, &["variables", "name"]],
    };
    object(node, at, shape, out, |e, at, out| {
        match e.key.as_str() {
            "name" => {
                string(&e.value, at, out);
            }
            "variables" => variables(&e.value, at, out),
            _ => return input_field(e, at, out),
        }
        true
    });
}

/// `Input`: a value the user may be asked for.
fn input(node: &Node, at: &Path, out: &mut Findings) {
    let shape = Shape {
        noun: "a variable",
        required: &[],
        fields: &[INPUT_FIELDS],
    };
    object(node, at, shape, out, input_field);
}

/// One field of `Input`, when `e` is one; false for any other key.
fn input_field(e: &MapEntry, at: &Path, out: &mut Findings) -> bool {
    let v = &e.value;
    match e.key.as_str() {
        "description" | "value" | "default" | "placeholder" => {
            string(v, at, out);
        }
        "isRequired" | "isSecret" => boolean(v, at, out),
        "format" => one_of(v, at, INPUT_FORMATS, out),
        "choices" => each(v, at, out, |c, at, out| {
            string(c, at, out);
        }),
        _ => return false,
    }
    true
}

/// The `variables` of an `InputWithVariables` or a remote: names of the author's choosing, each
/// an `Input`.
fn variables(node: &Node, at: &Path, out: &mut Findings) {
    for e in mapping(node, at, out).unwrap_or_default() {
        input(&e.value, &at.key(&e.key), out);
    }
}

// ---- The building blocks: one JSON Schema keyword each. ----

/// What an object definition requires and allows.
struct Shape<'a> {
    /// What the object is, for messages: "a package".
    noun: &'a str,
    required: &'a [&'a str],
    /// The fields the schema defines, in groups.
    fields: &'a [&'a [&'a str]],
}

/// Checks that `node` is an object with the required fields, hands each field to `field` (at
/// its own path), and warns about the fields `field` does not know (it returns false for them).
fn object(
    node: &Node,
    at: &Path,
    shape: Shape,
    out: &mut Findings,
    mut field: impl FnMut(&MapEntry, &Path, &mut Findings) -> bool,
) {
    let Some(entries) = mapping(node, at, out) else {
        return;
    };
    for key in shape.required {
        if node.entry(key).is_none() {
            let msg = format!("{} is missing the required field `{key}`", at.subject());
            out.push(Rule::SchemaRequired, node.pos, msg);
        }
    }
    for e in entries {
        let field_at = at.key(&e.key);
        if !field(e, &field_at, out) {
            unknown_field(e, &field_at, &shape, out);
        }
    }
}

fn unknown_field(e: &MapEntry, at: &Path, shape: &Shape, out: &mut Findings) {
    let known = shape.fields.iter().flat_map(|group| group.iter().copied());
    let hint = match closest(&e.key, known.clone()) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!(
            "the fields of {} are {}",
            shape.noun,
            known.collect::<Vec<_>>().join(", ")
        ),
    };
    let msg = format!("{at} is not a field of {}; {hint}", shape.noun);
    out.push(Rule::UnknownField, e.key_pos, msg);
}

/// The known field a misspelt key most likely meant: the same but for case and `_`/`-`, or a
/// couple of edits away.
fn closest<'k>(key: &str, known: impl Iterator<Item = &'k str>) -> Option<&'k str> {
    let plain = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect()
    };
    known
        .filter_map(|k| {
            let d = if plain(k) == plain(key) {
                0
            } else {
                edit_distance(k, key)
            };
            (d <= 2 && k.len() > 3).then_some((d, k))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// The `type` of an object whose shape it picks (an `anyOf` keyed by `type`), one of `kinds`.
fn variant<'n>(node: &'n Node, at: &Path, kinds: &[&str], out: &mut Findings) -> Option<&'n str> {
    mapping(node, at, out)?;
    let allowed = kinds.join(", ");
    let Some(e) = node.entry("type") else {
        let msg = format!(
            "{} is missing the required field `type` (one of {allowed})",
            at.subject()
        );
        out.push(Rule::SchemaRequired, node.pos, msg);
        return None;
    };
    let type_at = at.key("type");
    let kind = string(&e.value, &type_at, out)?;
    if !kinds.contains(&kind) {
        let msg = format!("{type_at} must be one of {allowed}; found `{kind}`");
        out.push(Rule::SchemaVariant, e.value.pos, msg);
        return None;
    }
    Some(kind)
}

/// Checks each item of an array with `item`, at `at[i]`.
fn each(node: &Node, at: &Path, out: &mut Findings, item: fn(&Node, &Path, &mut Findings)) {
    match &node.value {
        Value::Seq(items) => {
            for (i, n) in items.iter().enumerate() {
                item(n, &at.index(i), out);
            }
        }
        _ => wrong_type(node, at, "a list", out),
    }
}

fn mapping<'n>(node: &'n Node, at: &Path, out: &mut Findings) -> Option<&'n [MapEntry]> {
    let entries = node.as_map();
    if entries.is_none() {
        wrong_type(node, at, "a mapping (an object)", out);
    }
    entries
}

fn string<'n>(node: &'n Node, at: &Path, out: &mut Findings) -> Option<&'n str> {
    let s = node.as_str();
    if s.is_none() {
        wrong_type(node, at, "a string", out);
    }
    s
}

fn boolean(node: &Node, at: &Path, out: &mut Findings) {
    if node.as_bool().is_none() {
        wrong_type(node, at, "`true` or `false`", out);
    }
}

fn wrong_type(node: &Node, at: &Path, expected: &str, out: &mut Findings) {
    let found = node.type_name();
    let msg = match &node.value {
        // YAML's plain scalars: `version: 1.0` is a number, `value: true` a boolean.
        Value::Number(n) if expected == "a string" => format!(
            "{at} must be a string, found {found} `{n}`: YAML reads an unquoted {n} as a \
             number; put the value in quotes, e.g. \"{n}\""
        ),
        Value::Bool(b) if expected == "a string" => format!(
            "{at} must be a string, found boolean `{b}`: YAML reads an unquoted {b} as a \
             boolean; put the value in quotes, e.g. \"{b}\""
        ),
        Value::Null => format!("{at} must be {expected}, found nothing (null)"),
        _ => format!("{at} must be {expected}, found {found}"),
    };
    out.push(Rule::SchemaType, node.pos, msg);
}

/// A string whose length in characters is within `min..=max`.
fn string_len<'n>(
    node: &'n Node,
    at: &Path,
    min: usize,
    max: usize,
    out: &mut Findings,
) -> Option<&'n str> {
    let s = string(node, at, out)?;
    let n = s.chars().count();
    let msg = if n < min && n == 0 {
        format!("{at} must not be empty")
    } else if n < min {
        format!("{at} must be at least {min} characters, found {n}")
    } else if n > max {
        format!("{at} must be at most {max} characters, found {n}")
    } else {
        return Some(s);
    };
    out.push(Rule::SchemaLength, node.pos, msg);
    Some(s)
}

/// A string that is one of `allowed`.
fn one_of(node: &Node, at: &Path, allowed: &[&str], out: &mut Findings) {
    if let Some(s) = string(node, at, out)
        && !allowed.contains(&s)
    {
        let msg = format!("{at} must be one of {}; found `{s}`", allowed.join(", "));
        out.push(Rule::SchemaEnum, node.pos, msg);
    }
}

fn pattern(
    s: &str,
    node: &Node,
    at: &Path,
    matches: fn(&str) -> bool,
    expected: &str,
    out: &mut Findings,
) {
    if !matches(s) {
        let msg = format!("{at} must be {expected}; found `{s}`");
        out.push(Rule::SchemaPattern, node.pos, msg);
    }
}

/// `format: uri`: an absolute URI.
fn uri(node: &Node, at: &Path, out: &mut Findings) {
    if let Some(s) = string(node, at, out)
        && !is_uri(s)
    {
        let msg = format!(
            "{at} must be an absolute URI with a scheme, such as https://example.com/path; \
             found `{s}`"
        );
        out.push(Rule::SchemaFormat, node.pos, msg);
    }
}

// ---- The schema's patterns and formats, by hand. ----

/// `^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$`
/// What `is_server_name` accepts, as a JSON Schema pattern (for `mcp-gitops schema`).
pub(crate) const SERVER_NAME_PATTERN: &str = "^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$";

fn is_server_name(s: &str) -> bool {
    let Some((namespace, name)) = s.split_once('/') else {
        return false;
    };
    let ns_char = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
    let name_char = |b: u8| ns_char(b) || b == b'_';
    !namespace.is_empty()
        && !name.is_empty()
        && namespace.bytes().all(ns_char)
        && name.bytes().all(name_char)
}

/// `^[a-f0-9]{64}$`
/// What `is_sha256` accepts, as a JSON Schema pattern.
pub(crate) const SHA256_PATTERN: &str = "^[0-9a-f]{64}$";

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `^https?://[^\s]+$`. `\s` is JavaScript's: Unicode white space and the byte-order mark.
/// What `is_transport_url` accepts, as a JSON Schema pattern.
pub(crate) const TRANSPORT_URL_PATTERN: &str = "^https?://\\S+$";

fn is_transport_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.chars().any(|c| c.is_whitespace() || c == '\u{feff}'))
}

/// The draft's `^(https?://[^\s]+|\{[a-zA-Z_][a-zA-Z0-9_]*\}[^\s]*)$`: the dated form, or a
/// template variable then anything without white space.
/// What `is_draft_transport_url` accepts, as a JSON Schema pattern.
pub(crate) const DRAFT_TRANSPORT_URL_PATTERN: &str =
    "^(https?://\\S+|\\{[a-zA-Z_][a-zA-Z0-9_]*\\}\\S*)$";

fn is_draft_transport_url(s: &str) -> bool {
    if is_transport_url(s) {
        return true;
    }
    let Some((name, rest)) = s.strip_prefix('{').and_then(|r| r.split_once('}')) else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !rest.chars().any(|c| c.is_whitespace() || c == '\u{feff}')
}

/// What `is_icon_size` accepts, as a JSON Schema pattern.
pub(crate) const ICON_SIZE_PATTERN: &str = "^([0-9]+x[0-9]+|any)$";

fn is_icon_size(s: &str) -> bool {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    s == "any"
        || s.split_once('x')
            .is_some_and(|(w, h)| digits(w) && digits(h))
}

/// An absolute URI: RFC 3986 syntax (which JSON Schema's `format: uri` means, and which the
/// url crate alone does not enforce: it would quietly percent-encode a space) that the url
/// crate also parses.
fn is_uri(s: &str) -> bool {
    rfc3986_uri(s) && url::Url::parse(s).is_ok()
}

/// `URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ]`, RFC 3986 §3.
fn rfc3986_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find('/').unwrap_or(after.len());
            if !authority(&after[..end]) {
                return false;
            }
            &after[end..]
        }
        None => rest,
    };
    let pchar = |b| matches!(b, b':' | b'@');
    scheme_ok
        && uri_chars(path, |b| pchar(b) || b == b'/')
        && uri_chars(query, |b| pchar(b) || b == b'/' || b == b'?')
        && uri_chars(fragment, |b| pchar(b) || b == b'/' || b == b'?')
}

/// `authority = [ userinfo "@" ] host [ ":" port ]`
fn authority(s: &str) -> bool {
    let (userinfo, host_port) = s.split_once('@').unwrap_or(("", s));
    let (host, port) = if let Some(literal) = host_port.strip_prefix('[') {
        // An IP literal: IPv6 or IPvFuture; the url crate checks it in full.
        let Some((inside, after)) = literal.split_once(']') else {
            return false;
        };
        let ip_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b':' | b'.');
        if inside.is_empty() || !inside.bytes().all(ip_char) {
            return false;
        }
        match after.strip_prefix(':') {
            Some(port) => ("", port),
            None if after.is_empty() => ("", ""),
            None => return false,
        }
    } else {
        host_port.split_once(':').unwrap_or((host_port, ""))
    };
    uri_chars(userinfo, |b| b == b':')
        && uri_chars(host, |_| false)
        && port.bytes().all(|b| b.is_ascii_digit())
}

/// Every character is unreserved, a sub-delimiter, a `%XX` escape, or allowed by `extra`.
fn uri_chars(s: &str, extra: impl Fn(u8) -> bool) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        let sub_delim = matches!(
            b,
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
        );
        if !(unreserved || sub_delim || extra(b)) {
            return false;
        }
        i += 1;
    }
    true
}

/// Where a value sits in the document, for messages: `packages[0].transport.url`.
#[derive(Clone, Debug, Default)]
struct Path(String);

impl Path {
    fn key(&self, key: &str) -> Path {
        let plain = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '-'));
        match (self.0.is_empty(), plain) {
            (true, true) => Path(key.to_string()),
            (false, true) => Path(format!("{}.{key}", self.0)),
            (_, false) => Path(format!("{}[{key:?}]", self.0)),
        }
    }

    fn index(&self, i: usize) -> Path {
        Path(format!("{}[{i}]", self.0))
    }

    /// The value as the subject of a sentence: "the server" at the top, else `its.path`.
    fn subject(&self) -> String {
        if self.0.is_empty() {
            "the server".to_string()
        } else {
            self.to_string()
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(is_server_name("io.github.acme/weather_2.0-x"));
        assert!(!is_server_name("io.github.acme/a/b"));
        assert!(!is_server_name("io_github/x"));
        assert!(!is_server_name("/x"));
        assert!(!is_server_name("x/"));
        assert!(is_sha256(&"0a".repeat(32)));
        assert!(!is_sha256(&"0A".repeat(32)));
        assert!(!is_sha256("0a"));
        assert!(is_transport_url("https://a.example/{tenant}/mcp"));
        assert!(is_transport_url("http://localhost:8080"));
        assert!(!is_transport_url("https://"));
        assert!(!is_transport_url("https://a b"));
        assert!(!is_transport_url("{base}/mcp"));
        assert!(is_draft_transport_url("{baseUrl}/mcp"));
        assert!(is_draft_transport_url("{_b}"));
        assert!(is_draft_transport_url("https://a.example/mcp"));
        assert!(!is_draft_transport_url("{1b}/mcp"));
        assert!(!is_draft_transport_url("{}/mcp"));
        assert!(!is_draft_transport_url("{b}/a b"));
        assert!(!is_draft_transport_url("ftp://a"));
        assert!(is_icon_size("48x48") && is_icon_size("any"));
        assert!(!is_icon_size("48") && !is_icon_size("x48") && !is_icon_size("48x"));
    }

    #[test]
    fn uris() {
        for ok in [
            "https://example.com",
            "https://example.com:8443/a/b?q=1&r=%20#frag",
            "https://user:pw@example.com/",
            "http://[::1]:80/",
            "urn:isbn:0451450523",
            "mailto:someone@example.com",
        ] {
            assert!(is_uri(ok), "{ok}");
        }
        for bad in [
            "example.com/path",
            "/relative",
            "https://exa mple.com",
            "https://example.com/a b",
            "https://example.com/%zz",
            "https://a@b@c/",
            "https://example.com:80a/",
            "https://example.com/é",
            "1http://example.com",
            "",
        ] {
            assert!(!is_uri(bad), "{bad}");
        }
    }

    #[test]
    fn schema_dates() {
        let current = SCHEMA_DATES[SCHEMA_DATES.len() - 1];
        assert_eq!(
            schema_date(crate::check::model::DEFAULT_SCHEMA),
            Some(current)
        );
        assert_eq!(
            schema_date(
                "https://static.modelcontextprotocol.io/schemas/2025-01-01/server.schema.json"
            ),
            None
        );
    }

    #[test]
    fn suggestions() {
        let known = || SERVER_FIELDS.iter().copied();
        assert_eq!(closest("website_url", known()), Some("websiteUrl"));
        assert_eq!(closest("descripton", known()), Some("description"));
        assert_eq!(closest("Version", known()), Some("version"));
        assert_eq!(closest("flavour", known()), None);
    }

    #[test]
    fn paths() {
        let p = Path::default().key("packages").index(0).key("transport");
        assert_eq!(p.to_string(), "`packages[0].transport`");
        assert_eq!(
            Path::default()
                .key("_meta")
                .key(PUBLISHER_PROVIDED)
                .to_string(),
            "`_meta[\"io.modelcontextprotocol.registry/publisher-provided\"]`"
        );
        assert_eq!(Path::default().subject(), "the server");
    }
}
