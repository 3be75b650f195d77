//! A finding of lint or of a reload: which rule, how severe, and where (repository-relative
//! file, 1-based line and column). Every rule has a stable id that CI annotations, SARIF and
//! the README table use; the table below is the one list of them.

use crate::check::node::Pos;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! rules {
    ($($variant:ident = $id:literal, $severity:ident, $summary:literal;)*) => {
        /// Every rule lint knows, with its stable id, default severity and a one-line summary.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule { $($variant),* }

        impl Rule {
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id),* }
            }

            pub fn severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$severity),* }
            }

            pub fn summary(self) -> &'static str {
                match self { $(Rule::$variant => $summary),* }
            }
        }
    };
}

rules! {
    // Files and YAML.
    FileRead = "file-read", Error, "a file could not be read";
    FileTooLarge = "file-too-large", Error, "a file is larger than 1 MiB";
    FileNotUtf8 = "file-not-utf8", Error, "a file is not UTF-8 text";
    SymlinkEscape = "symlink-escape", Error, "a symbolic link points outside the repository";
    SymlinkLoop = "symlink-loop", Error, "symbolic links loop, chain through more than 40 links, or lead to a folder holding them";
    FileKind = "file-kind", Error, "an entry under servers/ is a FIFO, device, socket or git submodule, and is not read";
    FileName = "file-name", Error, "a name under servers/ is not UTF-8, and is not read";
    FileLfsPointer = "file-lfs-pointer", Error, "a server file is a Git LFS pointer, not its content";
    TreeLimits = "tree-limits", Error, "folders nest deeper than 32 levels, or the repository holds more than 250,000 entries";
    YamlSyntax = "yaml-syntax", Error, "the file is not valid YAML";
    YamlDuplicateKey = "yaml-duplicate-key", Error, "a mapping has the same key twice";
    YamlLimits = "yaml-limits", Error, "the YAML exceeds the parser's limits: nesting depth, number of values, or aliases that multiply (alias bomb)";
    FileLayout = "file-layout", Error, "a server file is not at servers/<namespace>/<server>.yaml";
    FileForm = "file-form", Error, "the file is neither a server.json document nor shared fields with a `versions:` list";
    StrayServerFile = "stray-server-file", Warning, "a file outside servers/ looks like a server definition and is ignored";
    RegistryConfig = "registry-config", Error, "registry.yaml is invalid";

    // The official server.json JSON Schema.
    SchemaType = "schema-type", Error, "a value has the wrong JSON type";
    SchemaRequired = "schema-required", Error, "a required field is missing";
    SchemaLength = "schema-length", Error, "a string or list is shorter or longer than allowed";
    SchemaPattern = "schema-pattern", Error, "a string does not match the required pattern";
    SchemaEnum = "schema-enum", Error, "a value is not one of the allowed values";
    SchemaFormat = "schema-format", Error, "a string is not a valid URI";
    SchemaVariant = "schema-variant", Error, "an object matches none of the allowed shapes (transport or argument type)";
    SchemaVersionUnknown = "schema-version-unknown", Error, "`$schema` names an unknown server.json schema";
    SchemaVersionOld = "schema-version-old", Warning, "`$schema` names an older server.json schema";
    UnknownField = "unknown-field", Warning, "a field is not part of server.json (a typo?)";

    // The official registry's semantic rules.
    NameFormat = "name-format", Error, "the server name is not `namespace/name` in reverse-DNS form";
    VersionReserved = "version-reserved", Error, "`latest` is reserved and cannot be a version";
    VersionRange = "version-range", Error, "a version is a range, not a specific version";
    RemoteUrl = "remote-url", Error, "a remote URL is not https, or points at localhost";
    UrlVariableUndefined = "url-variable-undefined", Error, "a `{variable}` in a URL is not defined";
    RepositoryUrl = "repository-url", Error, "the repository URL does not fit its source";
    RepositorySubfolder = "repository-subfolder", Error, "the repository subfolder is not a clean relative path";
    WebsiteUrl = "website-url", Error, "websiteUrl is not an absolute https URL";
    TitleBlank = "title-blank", Error, "title is only whitespace";
    IconUrl = "icon-url", Error, "an icon src is not an https URL";
    ArgumentName = "argument-name", Error, "an argument name or value is malformed";
    PackageTransport = "package-transport", Error, "a package's transport or registry fields break the official rules";
    MetaTooLarge = "meta-too-large", Error, "publisher-provided `_meta` is larger than 4 KiB";

    // Rules of the repository as a whole.
    PathNameMismatch = "path-name-mismatch", Error, "the file path does not agree with the server name";
    DuplicateServer = "duplicate-server", Error, "a server name is defined in more than one file";
    DuplicateVersion = "duplicate-version", Error, "a version appears twice for one server";
    LatestPinMissing = "latest-pin-missing", Error, "`latest` names a version that does not exist";
    LatestPinDeleted = "latest-pin-deleted", Error, "`latest` names a deleted version";
    StatusMessageActive = "status-message-active", Error, "`statusMessage` is set on an active version";
    NamespaceNotAllowed = "namespace-not-allowed", Error, "the namespace is not in registry.yaml's allowedNamespaces";
    ViewEmpty = "view-empty", Error, "a view in registry.yaml selects no server";
    ViewUnmatched = "view-unmatched", Warning, "a namespace, label or name in a view's selection matches no server";
    LabelUnused = "label-unused", Warning, "a server's label is not selected by any view";
    AllowlistUnpinned = "allowlist-unpinned", Warning, "with `allowlist:` in registry.yaml: a package's command takes a value each user supplies, so allowlists can only name the server";

    // Comparison with a base revision (`lint --base`).
    PublishedVersionChanged = "published-version-changed", Error, "the content of a published version changed (only status may change)";
    PublishedVersionRemoved = "published-version-removed", Error, "a published version was removed (set `status: deleted` instead)";
    ServerRenamed = "server-renamed", Error, "a published server was renamed or removed";
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Path relative to the repository root, with `/` separators.
    pub file: String,
    pub pos: Pos,
    pub severity: Severity,
    pub rule: Rule,
    pub message: String,
}

impl Diagnostic {
    /// A finding at the rule's default severity.
    pub fn new(rule: Rule, file: impl Into<String>, pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            pos,
            severity: rule.severity(),
            rule,
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col`, or `file` alone for a finding about the file as a whole (line 0).
    /// Control characters in the name are escaped: a file name must not rewrite a terminal.
    pub fn location(&self) -> String {
        let file = printable(&self.file);
        if self.pos.line == 0 {
            file
        } else {
            format!("{file}:{}:{}", self.pos.line, self.pos.col)
        }
    }
}

/// `text` with control characters (newlines, escapes) written as Rust escapes.
pub fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}[{}]: {}",
            self.location(),
            self.severity.as_str(),
            self.rule,
            printable(&self.message)
        )
    }
}

/// Collects findings for one file, so checks can say `out.error(rule, pos, msg)`.
pub struct Findings<'a> {
    pub file: &'a str,
    pub list: &'a mut Vec<Diagnostic>,
}

impl Findings<'_> {
    pub fn push(&mut self, rule: Rule, pos: Pos, message: impl Into<String>) {
        self.list
            .push(Diagnostic::new(rule, self.file, pos, message));
    }
}

/// Sorts findings by file, position, then rule: the order every output format uses.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.file, a.pos, a.rule, &a.message).cmp(&(&b.file, b.pos, b.rule, &b.message))
    });
}
