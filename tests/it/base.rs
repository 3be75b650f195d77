//! `lint --base` against real git repositories: published versions are immutable.

use crate::common::{git, lint, write_files};
use mcp_gitops::check::diagnostic::Rule;
use mcp_gitops::cli::{Format, LintArgs};

const PUBLISHED: &str = "name: com.example/search
description: Search the intranet
versions:
  - version: \"1.0.0\"
    packages:
      - registryType: npm
        identifier: \"@example/search-mcp\"
        version: \"1.0.0\"
        transport:
          type: stdio
";

/// A monorepo whose registry lives in `registry/`, with `main` holding a published version and
/// a pull-request branch that edits it.
#[test]
fn an_edited_published_version_in_a_subfolder_registry_is_caught() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    write_files(
        repo,
        &[
            ("registry/servers/com.example/search.yaml", PUBLISHED),
            ("README.md", "monorepo\n"),
        ],
    );
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", "publish 1.0.0"]);
    git(repo, &["checkout", "-qb", "pr"]);
    let edited = PUBLISHED.replace(
        "version: \"1.0.0\"\n        transport",
        "version: \"1.0.1\"\n        transport",
    );
    let added = format!("{edited}  - version: \"1.1.0\"\n");
    write_files(
        repo,
        &[("registry/servers/com.example/search.yaml", &added)],
    );
    git(repo, &["commit", "-qam", "edit 1.0.0 in place"]);

    let checked = lint(&repo.join("registry"), Some("main"));
    let found: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.rule == Rule::PublishedVersionChanged)
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", checked.diagnostics);
    assert_eq!(found[0].file, "servers/com.example/search.yaml");
    assert_eq!((found[0].pos.line, found[0].pos.col), (4, 14));
    assert!(
        found[0].message.contains("`packages`"),
        "{}",
        found[0].message
    );
    assert_eq!(
        checked.errors(),
        1,
        "the new version 1.1.0 is fine: {:#?}",
        checked.diagnostics
    );

    // Without --base the same tree is clean: the rule is about history, not content.
    assert_eq!(lint(&repo.join("registry"), None).errors(), 0);
}

#[test]
fn changing_only_status_is_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    write_files(repo, &[("servers/com.example/search.yaml", PUBLISHED)]);
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", "publish"]);
    let deprecated = PUBLISHED.replace(
        "  - version: \"1.0.0\"\n",
        "  - version: \"1.0.0\"\n    status: deprecated\n    statusMessage: Use 2.0.0\n",
    ) + "  - version: \"2.0.0\"\n";
    write_files(repo, &[("servers/com.example/search.yaml", &deprecated)]);
    let checked = lint(repo, Some("main"));
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
}

#[test]
fn base_outside_git_or_unknown_revision_cannot_run() {
    let tmp = tempfile::tempdir().unwrap();
    write_files(
        tmp.path(),
        &[("servers/com.example/search.yaml", PUBLISHED)],
    );
    let args = |base: &str| LintArgs {
        paths: vec![tmp.path().to_path_buf()],
        path: None,
        format: Format::Human,
        base: Some(base.to_string()),
        deny_warnings: false,
    };
    let err = mcp_gitops::lint::lint(&args("main"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("inside a git repository"), "{err}");

    git(tmp.path(), &["init", "-q", "-b", "main"]);
    git(tmp.path(), &["add", "-A"]);
    git(tmp.path(), &["commit", "-qm", "publish"]);
    let err = mcp_gitops::lint::lint(&args("no-such-branch"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no-such-branch"), "{err}");
}
