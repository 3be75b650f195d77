//! Only what lints is written: the new texts are checked with lint's own checks, on the
//! repository as it would be with them, and a server whose file would have an error is
//! refused with its findings (the others go ahead). All in memory; nothing is written here.

use super::plan::Planned;
use crate::check::diagnostic::Diagnostic;
use crate::check::files::{RepoFiles, SourceFile};
use crate::check::validate;
use std::collections::HashMap;

/// A planned file with its new text.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub plan: Planned,
    pub text: String,
}

/// A server left out, and why.
#[derive(Clone, Debug)]
pub struct Refused {
    pub name: String,
    pub path: String,
    pub findings: Vec<Diagnostic>,
}

/// Splits `candidates` into those that lint clean beside the repository's `files` and those
/// that do not. Dropping a refused file can only remove findings of the others (a duplicate
/// name), so each pass refuses at least one file or ends: at most one pass per candidate.
pub fn gate(
    files: &[SourceFile],
    mut candidates: Vec<Candidate>,
) -> (Vec<Candidate>, Vec<Refused>) {
    let mut refused = Vec::new();
    for _ in 0..=candidates.len() {
        let errors = errors_of(files, &candidates);
        if errors.is_empty() {
            break;
        }
        let (bad, good): (Vec<Candidate>, Vec<Candidate>) = candidates
            .into_iter()
            .partition(|c| errors.contains_key(&c.plan.path));
        candidates = good;
        let mut errors = errors;
        refused.extend(bad.into_iter().map(|c| Refused {
            findings: errors.remove(&c.plan.path).unwrap_or_default(),
            name: c.plan.name,
            path: c.plan.path,
        }));
    }
    (candidates, refused)
}

/// The errors lint reports in the candidates' files, with the repository around them.
fn errors_of(files: &[SourceFile], candidates: &[Candidate]) -> HashMap<String, Vec<Diagnostic>> {
    let mut tree = RepoFiles::default();
    tree.files = files
        .iter()
        .filter(|f| !candidates.iter().any(|c| c.plan.path == f.path))
        .cloned()
        .chain(candidates.iter().map(|c| SourceFile {
            path: c.plan.path.clone(),
            bytes: c.text.clone().into_bytes(),
        }))
        .collect();
    let tree = tree.finish();
    let checked = validate::check(tree);
    let mut out: HashMap<String, Vec<Diagnostic>> = HashMap::new();
    for d in checked.diagnostics.into_iter().filter(Diagnostic::is_error) {
        if candidates.iter().any(|c| c.plan.path == d.file) {
            out.entry(d.file.clone()).or_default().push(d);
        }
    }
    out
}
