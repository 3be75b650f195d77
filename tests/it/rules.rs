//! A fixture per rule: `tests/fixtures/rules/<rule-id>/` is a small repository, and its
//! `expected.txt` lists `file:line:col: severity[rule-id]` lines that lint must report.
//! When the fixture has `base/` and `head/` folders, `base/` is committed to a real git
//! repository, `head/` replaces it in the work tree, and lint runs with `--base HEAD`.

use crate::common::{copy_dir, git, lint};
use mcp_gitops::diagnostic::Rule;
use std::path::Path;

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

#[test]
fn every_rule_has_a_fixture() {
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .map(|r| r.id())
        .filter(|id| !fixtures().join(id).join("expected.txt").is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a fixture in tests/fixtures/rules/: {missing:?}"
    );
}

#[test]
fn each_fixture_reports_its_rule_where_expected() {
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let dir = entry.unwrap().path();
        let rule = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expected = std::fs::read_to_string(dir.join("expected.txt")).unwrap_or_default();
        let tmp = tempfile::tempdir().unwrap();
        let checked = if dir.join("base").is_dir() {
            let repo = tmp.path();
            copy_dir(&dir.join("base"), repo);
            git(repo, &["init", "-q"]);
            git(repo, &["add", "-A"]);
            git(repo, &["commit", "-qm", "base"]);
            git(repo, &["rm", "-rq", "."]);
            copy_dir(&dir.join("head"), repo);
            lint(repo, Some("HEAD"))
        } else {
            lint(&dir, None)
        };
        let got: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| {
                format!(
                    "{}:{}:{}: {}[{}]",
                    d.file,
                    d.pos.line,
                    d.pos.col,
                    d.severity.as_str(),
                    d.rule
                )
            })
            .collect();
        let wanted: Vec<&str> = expected
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if wanted.is_empty() {
            failures.push(format!("{rule}: expected.txt lists nothing"));
        }
        for line in wanted {
            if !line.contains(&format!("[{rule}]")) {
                failures.push(format!(
                    "{rule}: expected line `{line}` is for another rule"
                ));
            }
            if !got.iter().any(|g| g == line) {
                failures.push(format!(
                    "{rule}: missing `{line}`; lint reported:\n    {}",
                    got.join("\n    ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
