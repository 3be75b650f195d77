//! `mcp-gitops lint`: check a repository and print the findings in the chosen format: human
//! (with the source line), GitHub Actions annotations (plus a step summary), JSON or SARIF.
//! Exit codes: 0 clean, 1 findings (errors, or warnings with `--deny-warnings`), 2 could not run.

pub mod allowlist;
pub mod args;
pub mod base;
mod github;
mod human;
mod json;
mod sarif;
pub mod target;

pub use json::json_report;
pub use sarif::sarif_report;

use crate::check::dir;
use crate::check::validate::{self, Checked};
use args::{Format, LintArgs};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_CANNOT_RUN: u8 = 2;

pub fn run(args: &LintArgs) -> ExitCode {
    match lint(args) {
        Ok((root, checked)) => {
            let mut stdout = std::io::stdout().lock();
            let failed = checked.errors() > 0 || (args.deny_warnings && checked.warnings() > 0);
            let status = ExitCode::from(if failed { EXIT_FINDINGS } else { EXIT_CLEAN });
            match render(args.format, &root, &checked, &mut stdout) {
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
                && let Err(e) = github::append_step_summary(Path::new(&file), &root, &checked)
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
            eprintln!("mcp-gitops lint: {}", crate::error_chain::error_chain(&*e));
            ExitCode::from(EXIT_CANNOT_RUN)
        }
    }
}

/// Loads and checks the registry, compares it with `--base` when asked, and keeps the findings
/// of the files named, when files were named. Returns the registry's folder with the findings.
pub fn lint(args: &LintArgs) -> Result<(PathBuf, Checked), Box<dyn std::error::Error>> {
    let target = target::resolve(&args.paths, args.path.as_deref())?;
    let tree = dir::read_dir(&target.root)?;
    let mut checked = validate::check(tree);
    checked
        .diagnostics
        .extend(allowlist::unpinned_warnings(&checked));
    if let Some(rev) = &args.base {
        let found = base::compare(&target.root, rev, &checked)?;
        checked.diagnostics.extend(found);
    }
    crate::check::diagnostic::sort(&mut checked.diagnostics);
    if let Some(only) = &target.only {
        checked.diagnostics.retain(|d| only.contains(&d.file));
    }
    Ok((target.root, checked))
}

/// Prints the findings of `checked`, a check of the repository at `root`, in `format`.
pub fn render(
    format: Format,
    root: &Path,
    checked: &Checked,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Human => human::human(root, checked, w),
        Format::Github => github::github(root, checked, w),
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

/// The linted directory as a prefix for the repository-relative paths of the findings:
/// empty for `.`, `registry/` for `registry` or `./registry/`.
pub(super) fn path_prefix(root: &Path) -> String {
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
pub(super) fn workspace_prefix(root: &Path) -> String {
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
}
