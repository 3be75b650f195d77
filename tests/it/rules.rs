//! A fixture per rule: `tests/fixtures/rules/<rule-id>/` is a small repository, and its
//! `expected.txt` lists `file:line:col: severity[rule-id]` lines that lint must report.
//! When the fixture has `base/` and `head/` folders, `base/` is committed to a real git
//! repository, `head/` replaces it in the work tree, and lint runs with `--base HEAD`.
//! A few fixtures are built at test time instead (see `generated`).

use crate::common::{copy_dir, git, lint, write_files};
use mcp_gitops::check::diagnostic::Rule;
use mcp_gitops::check::validate::Checked;
use std::os::unix::fs::symlink;
use std::path::Path;

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// A fixture that is not committed but written into a temp dir by `build`: a file over 1 MiB
/// has no place in the repository, and a dangling or escaping symbolic link would break
/// `cargo package` or point somewhere different in every checkout.
struct Generated {
    rule: &'static str,
    /// Writes the repository into the given empty folder; its parent is free for files
    /// "outside the repository".
    build: fn(&Path),
    expected: &'static str,
}

const SERVER: &str = "name: com.example/weather\ndescription: Weather forecasts\nversion: 1.0.0\n";

fn generated() -> Vec<Generated> {
    vec![
        Generated {
            rule: "file-too-large",
            build: |repo| {
                let padding = "# padding\n".repeat(110_000);
                write_files(
                    repo,
                    &[(
                        "servers/com.example/weather.yaml",
                        &format!("{SERVER}{padding}"),
                    )],
                );
            },
            expected: "servers/com.example/weather.yaml: error[file-too-large]",
        },
        Generated {
            rule: "file-read",
            build: |repo| {
                std::fs::create_dir_all(repo.join("servers/com.example")).unwrap();
                symlink(
                    "missing.yaml",
                    repo.join("servers/com.example/weather.yaml"),
                )
                .unwrap();
            },
            expected: "servers/com.example/weather.yaml: error[file-read]: symbolic link to `missing.yaml` points at nothing",
        },
        Generated {
            rule: "symlink-escape",
            build: |repo| {
                write_files(repo.parent().unwrap(), &[("outside/weather.yaml", SERVER)]);
                std::fs::create_dir_all(repo.join("servers/com.example")).unwrap();
                let target = "../../../outside/weather.yaml";
                symlink(target, repo.join("servers/com.example/weather.yaml")).unwrap();
            },
            expected: "servers/com.example/weather.yaml: error[symlink-escape]",
        },
        Generated {
            rule: "symlink-loop",
            build: |repo| {
                std::fs::create_dir_all(repo.join("servers/com.example")).unwrap();
                symlink("b.yaml", repo.join("servers/com.example/a.yaml")).unwrap();
                symlink("a.yaml", repo.join("servers/com.example/b.yaml")).unwrap();
                symlink("..", repo.join("servers/com.example/up")).unwrap();
            },
            expected: "servers/com.example/a.yaml: error[symlink-loop]: loop\n\
                       servers/com.example/b.yaml: error[symlink-loop]\n\
                       servers/com.example/up: error[symlink-loop]: a folder that holds the link",
        },
        Generated {
            rule: "file-kind",
            build: |repo| {
                std::fs::create_dir_all(repo.join("servers/com.example")).unwrap();
                let fifo = repo.join("servers/com.example/weather.yaml");
                let made = std::process::Command::new("mkfifo").arg(&fifo).status();
                assert!(made.unwrap().success(), "mkfifo");
            },
            expected: "servers/com.example/weather.yaml: error[file-kind]: a named pipe (FIFO)",
        },
        Generated {
            rule: "file-name",
            build: |repo| {
                use std::os::unix::ffi::OsStrExt;
                let dir = repo.join("servers/com.example");
                std::fs::create_dir_all(&dir).unwrap();
                let name = std::ffi::OsStr::from_bytes(b"weather\xff.yaml");
                std::fs::write(dir.join(name), SERVER).unwrap();
            },
            expected: "servers/com.example/weather\\xff.yaml: error[file-name]: not UTF-8",
        },
        Generated {
            rule: "tree-limits",
            build: |repo| {
                let mut deep = repo.join("servers");
                for _ in 0..40 {
                    deep.push("d");
                }
                std::fs::create_dir_all(&deep).unwrap();
                std::fs::write(deep.join("x.yaml"), SERVER).unwrap();
            },
            expected: "servers/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d: error[tree-limits]: deeper than 32 levels",
        },
    ]
}

#[test]
fn every_rule_has_a_fixture() {
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .map(|r| r.id())
        .filter(|id| !fixtures().join(id).join("expected.txt").is_file())
        .filter(|id| !generated().iter().any(|g| g.rule == *id))
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
        compare(&rule, &expected, &checked, &mut failures);
    }
    for fixture in generated() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        std::fs::create_dir(&repo).unwrap();
        (fixture.build)(&repo);
        let checked = lint(&repo, None);
        compare(fixture.rule, fixture.expected, &checked, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Notes in `failures` each expected line that lint did not report. A line is
/// `location: severity[rule-id]`, optionally followed by `: text` that the message must contain.
fn compare(rule: &str, expected: &str, checked: &Checked, failures: &mut Vec<String>) {
    let got: Vec<String> = checked.diagnostics.iter().map(|d| d.to_string()).collect();
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
        let (head, text) = match line.split_once("]: ") {
            Some((head, text)) => (format!("{head}]"), text),
            None => (line.to_string(), ""),
        };
        let reported = |g: &&String| {
            g.strip_prefix(head.as_str())
                .is_some_and(|rest| rest.starts_with(": ") && rest.contains(text))
        };
        if !got.iter().any(|g| reported(&g)) {
            failures.push(format!(
                "{rule}: missing `{line}`; lint reported:\n    {}",
                got.join("\n    ")
            ));
        }
    }
}

/// Versions of one file share their top-level fields; a fault there is reported once, not once
/// per version.
#[test]
fn a_fault_in_a_shared_field_is_reported_once() {
    let tmp = tempfile::tempdir().unwrap();
    crate::common::write_files(
        tmp.path(),
        &[(
            "servers/com.example/x.yaml",
            "name: com.example/x\ndescription: Shared\nwebsiteUrl: http://example.com\nversions:\n  - version: \"1.0.0\"\n  - version: \"1.1.0\"\n",
        )],
    );
    let checked = lint(tmp.path(), None);
    let found: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.rule == Rule::WebsiteUrl)
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", checked.diagnostics);
}
