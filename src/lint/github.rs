//! The github format: workflow-command annotations (errors first, capped as GitHub caps them)
//! and a Markdown table appended to the step summary.

use super::{summary_line, workspace_prefix};
use crate::check::diagnostic::Severity;
use crate::check::validate::Checked;
use std::io::Write;
use std::path::Path;

/// GitHub shows this many annotations of each kind per step; the rest are only in the log.
const GITHUB_ANNOTATION_LIMIT: usize = 10;

pub(super) fn github(root: &Path, checked: &Checked, w: &mut dyn Write) -> std::io::Result<()> {
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
pub(super) fn append_step_summary(
    file: &Path,
    root: &Path,
    checked: &Checked,
) -> std::io::Result<()> {
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
                cell(&format!("{prefix}{}", d.location())),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escapes() {
        assert_eq!(escape_data("50% off\r\nnow"), "50%25 off%0D%0Anow");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
