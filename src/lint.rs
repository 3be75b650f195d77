//! `mcp-gitops lint`: check a repository and print the findings in the chosen format: human
//! (with the source line), GitHub Actions annotations (plus a step summary), JSON or SARIF.
//! Exit codes: 0 clean, 1 findings (errors, or warnings with `--deny-warnings`), 2 could not run.

use crate::cli::{Format, LintArgs};
use crate::diagnostic::{Diagnostic, Rule, Severity};
use crate::validate::{self, Checked};
use crate::{base, load};
use serde_json::{Value as Json, json};
use std::io::Write;
use std::path::{Component, Path};
use std::process::ExitCode;

pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_CANNOT_RUN: u8 = 2;

pub fn run(args: &LintArgs) -> ExitCode {
    match lint(args) {
        Ok(checked) => {
            let mut stdout = std::io::stdout().lock();
            let failed = checked.errors() > 0 || (args.deny_warnings && checked.warnings() > 0);
            let status = ExitCode::from(if failed { EXIT_FINDINGS } else { EXIT_CLEAN });
            match render(args.format, &args.path, &checked, &mut stdout) {
                // The reader stopped listening (`| head`): the verdict still stands.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return status,
                Err(e) => {
                    eprintln!("mcp-gitops lint: cannot write the report: {e}");
                    return ExitCode::from(EXIT_CANNOT_RUN);
                }
                Ok(()) => {}
            }
            if args.format == Format::Github
                && let Some(file) =
                    std::env::var_os("GITHUB_STEP_SUMMARY").filter(|f| !f.is_empty())
                && let Err(e) = append_step_summary(Path::new(&file), &args.path, &checked)
            {
                // The annotations are out; a missing summary is worth a word, not a failure.
                eprintln!(
                    "mcp-gitops lint: cannot append the step summary to {}: {e}",
                    Path::new(&file).display()
                );
            }
            status
        }
        Err(e) => {
            eprint!("mcp-gitops lint: {e}");
            let mut cause = std::error::Error::source(&*e);
            while let Some(c) = cause {
                eprint!(": {c}");
                cause = c.source();
            }
            eprintln!();
            ExitCode::from(EXIT_CANNOT_RUN)
        }
    }
}

/// Loads and checks the repository, and compares it with `--base` when asked.
pub fn lint(args: &LintArgs) -> Result<Checked, Box<dyn std::error::Error>> {
    let tree = load::read_dir(&args.path)?;
    let mut checked = validate::check(tree);
    if let Some(rev) = &args.base {
        let found = base::compare(&args.path, rev, &checked)?;
        checked.diagnostics.extend(found);
        crate::diagnostic::sort(&mut checked.diagnostics);
    }
    Ok(checked)
}

/// Prints the findings of `checked`, a check of the repository at `root`, in `format`.
pub fn render(
    format: Format,
    root: &Path,
    checked: &Checked,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Human => human(root, checked, w),
        Format::Github => github(root, checked, w),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, &json_report(checked))?;
            writeln!(w)
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *w, &sarif_report(root, checked))?;
            writeln!(w)
        }
    }
}

/// `2 errors, 1 warning in 14 files (12 servers, 20 versions)`, or `no problems in ...`.
pub fn summary_line(checked: &Checked) -> String {
    let counted =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut found = Vec::new();
    if checked.errors() > 0 {
        found.push(counted(checked.errors(), "error", "errors"));
    }
    if checked.warnings() > 0 {
        found.push(counted(checked.warnings(), "warning", "warnings"));
    }
    let found = if found.is_empty() {
        "no problems".to_string()
    } else {
        found.join(", ")
    };
    format!(
        "{found} in {} ({}, {})",
        counted(checked.files, "file", "files"),
        counted(checked.servers.len(), "server", "servers"),
        counted(checked.versions(), "version", "versions"),
    )
}

// --- human -------------------------------------------------------------------------------------

/// Lines longer than this are shown as a window around the column.
const SNIPPET_WIDTH: usize = 120;

fn human(root: &Path, checked: &Checked, w: &mut dyn Write) -> std::io::Result<()> {
    // Paths as the user can open them from here: `lint registry` prints `registry/servers/...`.
    let prefix = path_prefix(root);
    let mut source = SourceCache::default();
    for d in &checked.diagnostics {
        writeln!(
            w,
            "{prefix}{}:{}:{}: {}[{}]: {}",
            d.file,
            d.pos.line,
            d.pos.col,
            d.severity.as_str(),
            d.rule,
            d.message
        )?;
        if let Some(line) = source.line(root, d) {
            let (shown, col) = window(line, d.pos.col as usize);
            let number = d.pos.line.to_string();
            let gutter = " ".repeat(number.len());
            // Tabs before the column stay tabs so the caret lines up under the character.
            let pad: String = shown
                .chars()
                .take(col - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(w, "{gutter} |")?;
            writeln!(w, "{number} | {shown}")?;
            writeln!(w, "{gutter} | {pad}^")?;
        }
        writeln!(w)?;
    }
    writeln!(w, "{}", summary_line(checked))
}

/// The text of a finding's line, read from the file under the linted directory: one file at a
/// time, since findings come sorted by file.
#[derive(Default)]
struct SourceCache {
    file: Option<String>,
    lines: Vec<String>,
}

impl SourceCache {
    fn line(&mut self, root: &Path, d: &Diagnostic) -> Option<&str> {
        if d.pos.line == 0 || d.pos.col == 0 {
            return None;
        }
        if self.file.as_deref() != Some(d.file.as_str()) {
            self.file = Some(d.file.clone());
            self.lines = read_lines(&root.join(&d.file)).unwrap_or_default();
        }
        self.lines.get(d.pos.line as usize - 1).map(String::as_str)
    }
}

/// The lines of a file, or nothing when it is gone (a finding of `--base`), not a regular file
/// or too large to have been parsed.
fn read_lines(path: &Path) -> Option<Vec<String>> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > load::MAX_FILE_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    Some(
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect(),
    )
}

/// A long line cut to a window around `col` (1-based, in characters), and the column within it.
fn window(line: &str, col: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    let col = col.clamp(1, chars.len() + 1);
    if chars.len() <= SNIPPET_WIDTH {
        return (line.to_string(), col);
    }
    let start = (col - 1).saturating_sub(SNIPPET_WIDTH / 2);
    let end = (start + SNIPPET_WIDTH).min(chars.len());
    let mut shown: String = chars[start..end].iter().collect();
    let mut col = col - start;
    if start > 0 {
        shown.insert(0, '…');
        col += 1;
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, col)
}

// --- github ------------------------------------------------------------------------------------

/// GitHub shows this many annotations of each kind per step; the rest are only in the log.
const GITHUB_ANNOTATION_LIMIT: usize = 10;

fn github(root: &Path, checked: &Checked, w: &mut dyn Write) -> std::io::Result<()> {
    let prefix = workspace_prefix(root);
    for severity in [Severity::Error, Severity::Warning] {
        for d in checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == severity)
        {
            let mut props = format!("file={}", escape_property(&format!("{prefix}{}", d.file)));
            if d.pos.line > 0 {
                props.push_str(&format!(",line={}", d.pos.line));
                if d.pos.col > 0 {
                    props.push_str(&format!(",col={}", d.pos.col));
                }
            }
            props.push_str(&format!(",title={}", escape_property(d.rule.id())));
            writeln!(
                w,
                "::{} {props}::{}",
                severity.as_str(),
                escape_data(&d.message)
            )?;
        }
    }
    let (errors, warnings) = (checked.errors(), checked.warnings());
    if errors > GITHUB_ANNOTATION_LIMIT || warnings > GITHUB_ANNOTATION_LIMIT {
        writeln!(
            w,
            "GitHub shows the first {GITHUB_ANNOTATION_LIMIT} errors and {GITHUB_ANNOTATION_LIMIT} \
             warnings as annotations; all {} findings are listed above",
            errors + warnings
        )?;
    }
    writeln!(w, "{}", summary_line(checked))
}

/// Escapes an annotation's message as `@actions/core` does.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes an annotation property (`file`, `title`) as `@actions/core` does.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Appends a Markdown section with the counts and every finding to the step summary file.
fn append_step_summary(file: &Path, root: &Path, checked: &Checked) -> std::io::Result<()> {
    let prefix = workspace_prefix(root);
    let cell = |s: &str| {
        s.replace('|', "\\|")
            .replace("\r\n", " ")
            .replace(['\r', '\n'], " ")
    };
    let mut md = String::from("## mcp-gitops lint\n\n");
    md.push_str(&summary_line(checked));
    md.push_str("\n\n");
    if !checked.diagnostics.is_empty() {
        md.push_str("| severity | rule | location | message |\n| --- | --- | --- | --- |\n");
        let ordered = [Severity::Error, Severity::Warning]
            .into_iter()
            .flat_map(|s| checked.diagnostics.iter().filter(move |d| d.severity == s));
        for d in ordered {
            md.push_str(&format!(
                "| {} | `{}` | {} | {} |\n",
                d.severity.as_str(),
                d.rule,
                cell(&format!("{prefix}{}:{}:{}", d.file, d.pos.line, d.pos.col)),
                cell(&d.message)
            ));
        }
        md.push('\n');
    }
    let mut out = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(file)?;
    out.write_all(md.as_bytes())
}

// --- json --------------------------------------------------------------------------------------

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

// --- sarif -------------------------------------------------------------------------------------

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

// --- paths -------------------------------------------------------------------------------------

/// The linted directory as a prefix for the repository-relative paths of the findings:
/// empty for `.`, `registry/` for `registry` or `./registry/`.
fn path_prefix(root: &Path) -> String {
    let parts: Vec<String> = root
        .components()
        .filter(|c| *c != Component::CurDir)
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [] => String::new(),
        // An absolute path starts with `/`, which `join` would double.
        [first, rest @ ..] if first == "/" => format!("/{}/", rest.join("/")),
        _ => format!("{}/", parts.join("/")),
    }
}

/// Like `path_prefix`, but relative to the GitHub workspace (or the current directory) when the
/// linted directory was given as an absolute path, as annotations and code scanning expect.
fn workspace_prefix(root: &Path) -> String {
    if root.is_absolute() {
        let base = std::env::var_os("GITHUB_WORKSPACE")
            .filter(|w| !w.is_empty())
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::current_dir().ok());
        if let Some(base) = base {
            if let Ok(rel) = root.strip_prefix(&base) {
                return path_prefix(rel);
            }
            if let (Ok(root), Ok(base)) = (root.canonicalize(), base.canonicalize())
                && let Ok(rel) = root.strip_prefix(&base)
            {
                return path_prefix(rel);
            }
        }
    }
    path_prefix(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(path_prefix(Path::new(".")), "");
        assert_eq!(path_prefix(Path::new("./")), "");
        assert_eq!(path_prefix(Path::new("registry")), "registry/");
        assert_eq!(path_prefix(Path::new("./a/b/")), "a/b/");
        assert_eq!(path_prefix(Path::new("/srv/reg")), "/srv/reg/");
    }

    #[test]
    fn github_escapes() {
        assert_eq!(escape_data("50% off\r\nnow"), "50%25 off%0D%0Anow");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn long_lines_are_windowed() {
        let line = "x".repeat(300);
        let (shown, col) = window(&line, 200);
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!(shown.chars().nth(col - 1), Some('x'));
        assert_eq!(window("ab", 9), ("ab".to_string(), 3));
    }

    #[test]
    fn uris() {
        assert_eq!(
            uri_path("servers/io.github.a/b c.yaml"),
            "servers/io.github.a/b%20c.yaml"
        );
        assert_eq!(uri_path("a:b/é"), "a%3Ab/%C3%A9");
    }
}
