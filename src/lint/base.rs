//! `lint --base`: published versions are immutable. Compares the repository with an earlier
//! revision (a pull request's target): a version that existed there may change only its
//! `status`/`statusMessage`; it may not be removed, and a server may not be renamed.

use crate::check::diagnostic::{Diagnostic, Rule};
use crate::check::model::ServerDef;
use crate::check::node::Pos;
use crate::check::validate::{self, Checked};
use crate::git::tree;
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum BaseError {
    #[error("--base needs the linted path to be inside a git repository")]
    NotARepository(#[source] git2::Error),
    #[error("--base: cannot resolve revision `{rev}`")]
    UnknownRevision { rev: String, source: git2::Error },
    #[error("--base: cannot read the repository")]
    Git(#[from] git2::Error),
    #[error("--base: cannot locate {path} in the git work tree")]
    OutsideWorkTree { path: String },
}

/// Findings for everything published at `rev` that the current tree changed, removed or renamed.
pub fn compare(path: &Path, rev: &str, current: &Checked) -> Result<Vec<Diagnostic>, BaseError> {
    let repo = git2::Repository::discover(path).map_err(BaseError::NotARepository)?;
    let prefix = prefix_in_repo(&repo, path)?;
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|source| BaseError::UnknownRevision {
            rev: rev.to_string(),
            source,
        })?;
    let base = validate::check(tree::read(&repo, &commit.tree()?, &prefix)?);
    Ok(changes(&base.servers, &current.servers, rev))
}

/// The linted folder as a prefix inside the repository: `""` or `"a/b/"`.
fn prefix_in_repo(repo: &git2::Repository, path: &Path) -> Result<String, BaseError> {
    let outside = || BaseError::OutsideWorkTree {
        path: path.display().to_string(),
    };
    let workdir = repo
        .workdir()
        .ok_or_else(outside)?
        .canonicalize()
        .map_err(|_| outside())?;
    let here = path.canonicalize().map_err(|_| outside())?;
    let rel = here.strip_prefix(&workdir).map_err(|_| outside())?;
    let rel = rel.to_string_lossy().replace('\\', "/");
    Ok(if rel.is_empty() {
        rel
    } else {
        format!("{rel}/")
    })
}

/// Pure comparison of the servers at the base with the current ones.
pub fn changes(base: &[ServerDef], current: &[ServerDef], rev: &str) -> Vec<Diagnostic> {
    let now: HashMap<&str, &ServerDef> = current
        .iter()
        .filter_map(|s| Some((s.name()?, s)))
        .collect();
    let mut out = Vec::new();
    for old in base {
        let Some(name) = old.name() else { continue };
        let Some(new) = now.get(name) else {
            out.push(missing_server(old, name, current, rev));
            continue;
        };
        let name_pos = new.name.as_ref().map_or(Pos::default(), |n| n.pos);
        for old_v in &old.versions {
            let Some(version) = old_v.version() else {
                continue;
            };
            match new.versions.iter().find(|v| v.version() == Some(version)) {
                None => {
                    let msg = format!(
                        "version `{version}` of `{name}` is published at {rev} and was removed; keep it and set `status: deleted` instead"
                    );
                    out.push(Diagnostic::new(
                        Rule::PublishedVersionRemoved,
                        &new.file,
                        name_pos,
                        msg,
                    ));
                }
                Some(new_v) if new_v.doc.to_json() != old_v.doc.to_json() => {
                    let fields = changed_fields(&old_v.doc.to_json(), &new_v.doc.to_json());
                    let msg = format!(
                        "version `{version}` of `{name}` is published at {rev} and cannot change ({}); publish a new version, or change only `status`/`statusMessage`",
                        fields.join(", ")
                    );
                    let pos = new_v.version.as_ref().map_or(new_v.pos, |v| v.pos);
                    out.push(Diagnostic::new(
                        Rule::PublishedVersionChanged,
                        &new.file,
                        pos,
                        msg,
                    ));
                }
                Some(_) => {}
            }
        }
    }
    out
}

fn missing_server(old: &ServerDef, name: &str, current: &[ServerDef], rev: &str) -> Diagnostic {
    // Most renames keep the file; point at the new name there.
    if let Some(same_file) = current.iter().find(|s| s.file == old.file) {
        let pos = same_file.name.as_ref().map_or(Pos::default(), |n| n.pos);
        let new_name = same_file.name().unwrap_or("?");
        let msg = format!(
            "server `{name}` (published at {rev}) is renamed to `{new_name}`; names are permanent: add `{new_name}` as a new file and mark `{name}`'s versions deleted"
        );
        return Diagnostic::new(Rule::ServerRenamed, &same_file.file, pos, msg);
    }
    let msg = format!(
        "server `{name}` (published at {rev}) was removed or renamed; keep its file and set `status: deleted` on its versions instead"
    );
    Diagnostic::new(Rule::ServerRenamed, &old.file, Pos::default(), msg)
}

/// The top-level fields whose values differ, for the message.
fn changed_fields(old: &serde_json::Value, new: &serde_json::Value) -> Vec<String> {
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return vec!["document".to_string()];
    };
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|k| old.get(k.as_str()) != new.get(k.as_str()))
        .map(|k| format!("`{k}`"))
        .collect()
}
