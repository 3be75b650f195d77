//! `mcp-gitops allowlist`: the managed-settings allowlist of a registry, for the clients that
//! enforce one. The registry is read and checked exactly as by `lint`: with any error, the
//! findings go to stderr and nothing to stdout (exit 1), never a partial list.

use super::args::{AllowlistArgs, Format, LintArgs};
use super::{EXIT_CANNOT_RUN, EXIT_CLEAN, EXIT_FINDINGS, human};
use crate::check::diagnostic::{Diagnostic, Rule};
use crate::check::model::Status;
use crate::check::validate;
use crate::clients::allowlist;
use std::process::ExitCode;

pub fn run(args: &AllowlistArgs) -> ExitCode {
    let as_lint = LintArgs {
        paths: vec![args.path.clone()],
        path: args.registry.clone(),
        format: Format::Human,
        base: None,
        deny_warnings: false,
    };
    let (root, checked) = match super::lint(&as_lint) {
        Ok(linted) => linted,
        Err(e) => {
            eprintln!(
                "mcp-gitops allowlist: {}",
                crate::error_chain::error_chain(&*e)
            );
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    };
    if checked.errors() > 0 {
        let _ = human::human(&root, &checked, &mut std::io::stderr().lock());
        eprintln!("mcp-gitops allowlist: the registry has errors; no allowlist is written");
        return ExitCode::from(EXIT_FINDINGS);
    }
    let list = allowlist::build(
        &checked.servers,
        checked.config.allowlist.as_ref(),
        !args.no_deprecated,
    );
    for f in &list.fallbacks {
        eprintln!(
            "warning: {} {} ({}): allowed by serverName, the weaker matcher: {}",
            f.server, f.version, f.label, f.why
        );
    }
    let text = serde_json::to_string_pretty(&list.to_json()).unwrap_or_default();
    println!("{text}");
    ExitCode::from(EXIT_CLEAN)
}

/// The `allowlist-unpinned` warnings of a registry that enforces allowlists (registry.yaml has
/// `allowlist:`): each package of a version clients may run whose command takes a value each
/// user supplies, so the allowlist can only name the server.
pub fn unpinned_warnings(checked: &validate::Checked) -> Vec<Diagnostic> {
    if checked.config.allowlist.is_none() {
        return Vec::new();
    }
    let mut found = Vec::new();
    for server in &checked.servers {
        for v in server
            .versions
            .iter()
            .filter(|v| v.status != Status::Deleted)
        {
            let packages = v
                .doc
                .get("packages")
                .and_then(|p| p.as_seq())
                .unwrap_or_default();
            for (i, why) in allowlist::unpinned(&v.doc.to_json()) {
                let pos = packages.get(i).map_or(v.pos, |p| p.pos);
                let message = format!(
                    "version {}: {why}; client allowlists fall back to `serverName`, which allows any command under that name",
                    v.version().unwrap_or_default()
                );
                found.push(Diagnostic::new(
                    Rule::AllowlistUnpinned,
                    &server.file,
                    pos,
                    message,
                ));
            }
        }
    }
    found
}
