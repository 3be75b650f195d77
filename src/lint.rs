//! `mcp-gitops lint`: check a repository and print the findings in the chosen format.
//! Exit codes: 0 clean, 1 findings (errors, or warnings with `--deny-warnings`), 2 could not run.

use crate::cli::{Format, LintArgs};
use crate::validate::{self, Checked};
use crate::{base, load};
use std::io::Write;
use std::process::ExitCode;

pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_CANNOT_RUN: u8 = 2;

pub fn run(args: &LintArgs) -> ExitCode {
    match lint(args) {
        Ok(checked) => {
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = render(args.format, &args.path, &checked, &mut stdout) {
                eprintln!("mcp-gitops lint: cannot write the report: {e}");
                return ExitCode::from(EXIT_CANNOT_RUN);
            }
            let failed = checked.errors() > 0 || (args.deny_warnings && checked.warnings() > 0);
            ExitCode::from(if failed { EXIT_FINDINGS } else { EXIT_CLEAN })
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

pub fn render(
    _format: Format,
    _root: &std::path::Path,
    checked: &Checked,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    for d in &checked.diagnostics {
        writeln!(w, "{d}")?;
    }
    writeln!(
        w,
        "{} errors, {} warnings in {} files ({} servers, {} versions)",
        checked.errors(),
        checked.warnings(),
        checked.files,
        checked.servers.len(),
        checked.versions()
    )
}
