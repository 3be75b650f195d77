//! The `lint` command as CI runs it: the real binary on repositories written to a temp dir,
//! checking exit codes and the shape of each output format.

use crate::common::write_files;
use mcp_gitops::check::diagnostic::Rule;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const CLEAN: &str = "name: com.example/weather\ndescription: Weather forecasts\nversion: 1.0.0\n";

/// A duplicate key is an error (`yaml-duplicate-key` at 4:1); the key holds `%` and `|`, which
/// annotations and the step summary's table must escape.
const BROKEN: &str =
    "name: com.example/climate\ndescription: Climate data\n\"50%|off\": 1\n\"50%|off\": 2\n";

/// A valid server for a misplaced file (`file-layout` at 0:0).
const LOOSE: &str = "name: com.example/loose\ndescription: Misplaced\nversion: 1.0.0\n";

/// A server definition outside `servers/` is a warning (`stray-server-file` at 1:1).
const STRAY: &str = "name: com.example/draft\ndescription: A draft\nversion: 0.1.0\n";

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `mcp-gitops lint <args>` in `cwd`, with none of GitHub's variables unless given.
fn mcp_lint(cwd: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_mcp-gitops"))
        .arg("lint")
        .args(args)
        .current_dir(cwd)
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_WORKSPACE")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs");
    Output {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// A temp dir holding a repository at `registry/` with `files`, so outputs show the prefix.
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write_files(&tmp.path().join("registry"), files);
    tmp
}

/// One error and one warning, besides a clean server.
fn mixed() -> tempfile::TempDir {
    repo(&[
        ("servers/com.example/weather.yaml", CLEAN),
        ("servers/com.example/climate.yaml", BROKEN),
        ("drafts/draft.yaml", STRAY),
    ])
}

#[test]
fn exit_codes() {
    let clean = repo(&[("servers/com.example/weather.yaml", CLEAN)]);
    let out = mcp_lint(clean.path(), &["registry"], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout.trim(),
        "no problems in 1 file (1 server, 1 version)"
    );

    let broken = repo(&[
        ("servers/com.example/weather.yaml", CLEAN),
        ("servers/com.example/climate.yaml", BROKEN),
    ]);
    assert_eq!(mcp_lint(broken.path(), &["registry"], &[]).code, 1);

    let warned = repo(&[
        ("servers/com.example/weather.yaml", CLEAN),
        ("drafts/draft.yaml", STRAY),
    ]);
    let out = mcp_lint(warned.path(), &["registry"], &[]);
    assert_eq!(out.code, 0, "warnings alone pass:\n{}", out.stdout);
    let out = mcp_lint(warned.path(), &["registry", "--deny-warnings"], &[]);
    assert_eq!(
        out.code, 1,
        "--deny-warnings fails on warnings:\n{}",
        out.stdout
    );
}

#[test]
fn a_missing_path_cannot_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = mcp_lint(tmp.path(), &["no-such-registry"], &[]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty(), "nothing on stdout: {}", out.stdout);
    assert!(
        out.stderr
            .contains("no-such-registry: no such file or folder"),
        "stderr says what failed: {}",
        out.stderr
    );
}

#[test]
fn the_wrong_place_cannot_run_and_says_where_it_looked() {
    // The project's own root: YAML files about, but no servers/.
    let tmp = repo(&[("servers/com.example/weather.yaml", CLEAN)]);
    write_files(
        tmp.path(),
        &[("docs/example.yaml", CLEAN), ("ci.yaml", "a: 1\n")],
    );
    let out = mcp_lint(tmp.path(), &[], &[]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("no servers/ folder in .: lint checks a registry"),
        "{}",
        out.stderr
    );
    // --path names the registry's folder inside it.
    let out = mcp_lint(tmp.path(), &["--path", "registry"], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("in 1 file (1 server"), "{}", out.stdout);
    let out = mcp_lint(tmp.path(), &["docs/example.yaml"], &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("neither under a servers/ folder nor a registry.yaml"),
        "{}",
        out.stderr
    );
}

#[test]
fn files_are_checked_as_part_of_their_registry() {
    let tmp = repo(&[
        ("servers/com.example/weather.yaml", CLEAN),
        ("servers/com.example/climate.yaml", BROKEN),
    ]);
    let registry = tmp.path().join("registry");
    // Only the named file is reported: the broken one is not named.
    let out = mcp_lint(&registry, &["servers/com.example/weather.yaml"], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = mcp_lint(
        tmp.path(),
        &["registry/servers/com.example/climate.yaml"],
        &[],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .starts_with("registry/servers/com.example/climate.yaml:"),
        "{}",
        out.stdout
    );
    // Repository rules still hold: a copy under another name is a duplicate of a file not named.
    write_files(
        &registry,
        &[("servers/com.example/weather-copy.yaml", CLEAN)],
    );
    let out = mcp_lint(&registry, &["servers/com.example/weather-copy.yaml"], &[]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("error[duplicate-server]"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .filter(|l| l.contains("error["))
            .all(|l| l.starts_with("servers/com.example/weather-copy.yaml")),
        "{}",
        out.stdout
    );
}

#[test]
fn a_bad_format_cannot_run() {
    let tmp = mixed();
    assert_eq!(
        mcp_lint(tmp.path(), &["registry", "--format", "xml"], &[]).code,
        2
    );
}

#[test]
fn human_shows_the_line_a_caret_and_a_summary() {
    let tmp = mixed();
    let out = mcp_lint(tmp.path(), &["registry"], &[]);
    assert_eq!(out.code, 1);
    let want = "\
registry/servers/com.example/climate.yaml:4:1: error[yaml-duplicate-key]: duplicate mapping key: 50%|off
  |
4 | \"50%|off\": 2
  | ^
";
    assert!(out.stdout.contains(want), "got:\n{}", out.stdout);
    let want = "\
registry/drafts/draft.yaml:1:1: warning[stray-server-file]: ";
    assert!(out.stdout.contains(want), "got:\n{}", out.stdout);
    assert_eq!(
        out.stdout.lines().last(),
        Some("1 error, 1 warning in 2 files (1 server, 1 version)")
    );
}

#[test]
fn names_cannot_write_to_the_terminal() {
    // A file name holding an escape sequence and a newline, as a pull request may bring.
    let tmp = repo(&[("servers/com.example/weather.yaml", CLEAN)]);
    let bad = tmp
        .path()
        .join("registry/servers/com.example/\u{1b}[2Jx\ny.yaml");
    std::fs::write(&bad, CLEAN).unwrap();
    let out = mcp_lint(tmp.path(), &["registry"], &[]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(!out.stdout.contains('\u{1b}'), "{:?}", out.stdout);
    assert!(
        out.stdout
            .contains("registry/servers/com.example/\\u{1b}[2Jx\\ny.yaml:1:7: error["),
        "{}",
        out.stdout
    );
}

#[test]
fn an_unreadable_folder_is_a_finding_that_names_it() {
    // Nested folders whose path is longer than the system allows (PATH_MAX, 4096 bytes):
    // made one `cd` at a time, read as far as they can be.
    let tmp = repo(&[("servers/com.example/weather.yaml", CLEAN)]);
    let name = "n".repeat(250);
    let made = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "cd registry/servers && for i in $(seq 20); do mkdir {name} && cd {name}; done"
        ))
        .current_dir(tmp.path())
        .status()
        .unwrap();
    assert!(made.success());
    let out = mcp_lint(tmp.path(), &["registry"], &[]);
    assert_eq!(
        out.code, 1,
        "a finding, not a failure to run: {}{}",
        out.stdout, out.stderr
    );
    let finding = out
        .stdout
        .lines()
        .find(|l| l.contains("error[file-read]"))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(
        finding.starts_with(&format!("registry/servers/{name}/")),
        "{finding}"
    );
    assert!(finding.contains("File name too long"), "{finding}");
}

#[test]
fn human_skips_the_snippet_for_a_whole_file() {
    // A file outside servers/<namespace>/ is a finding about the whole file: its path alone,
    // and no line to show.
    let tmp = repo(&[("servers/loose.yaml", LOOSE)]);
    let out = mcp_lint(tmp.path(), &["registry"], &[]);
    let mut lines = out.stdout.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("registry/servers/loose.yaml: error[file-layout]: ")
    );
    assert_eq!(lines.next(), Some(""), "no snippet:\n{}", out.stdout);
}

#[test]
fn json_has_exactly_the_documented_keys() {
    let tmp = mixed();
    let out = mcp_lint(tmp.path(), &["registry", "--format", "json"], &[]);
    assert_eq!(out.code, 1);
    let report: Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&report), ["diagnostics", "summary"]);
    assert_eq!(
        report["summary"],
        serde_json::json!({"errors": 1, "warnings": 1, "files": 2, "servers": 1, "versions": 1})
    );
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 2);
    for d in diagnostics {
        assert_eq!(
            keys(d),
            ["file", "line", "column", "severity", "rule", "message"]
        );
    }
    assert_eq!(
        diagnostics[1],
        serde_json::json!({
            "file": "servers/com.example/climate.yaml",
            "line": 4,
            "column": 1,
            "severity": "error",
            "rule": "yaml-duplicate-key",
            "message": "duplicate mapping key: 50%|off",
        }),
        "paths are relative to the linted directory"
    );
}

#[test]
fn sarif_is_what_code_scanning_reads() {
    let tmp = mixed();
    write_files(
        &tmp.path().join("registry"),
        &[("servers/loose.yaml", LOOSE)],
    );
    let out = mcp_lint(tmp.path(), &["registry", "--format", "sarif"], &[]);
    assert_eq!(out.code, 1);
    let log: Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "mcp-gitops");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), Rule::ALL.len());
    for (rule, described) in Rule::ALL.iter().zip(rules) {
        assert_eq!(described["id"], rule.id());
        assert_eq!(described["shortDescription"]["text"], rule.summary());
        assert_eq!(
            described["defaultConfiguration"]["level"],
            rule.severity().as_str()
        );
    }

    let results = runs[0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(result["ruleId"], rules[index]["id"], "{result}");
        assert!(["error", "warning"].contains(&result["level"].as_str().unwrap()));
        assert!(result["message"]["text"].is_string());
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            uri.starts_with("registry/"),
            "relative to the repository root: {uri}"
        );
        match location.get("region") {
            Some(region) => assert!(region["startLine"].as_u64().unwrap() >= 1),
            None => assert_eq!(result["ruleId"], "file-layout", "{result}"),
        }
    }
    let duplicate = results
        .iter()
        .find(|r| r["ruleId"] == "yaml-duplicate-key")
        .unwrap();
    assert_eq!(duplicate["level"], "error");
    assert_eq!(
        duplicate["locations"][0]["physicalLocation"],
        serde_json::json!({
            "artifactLocation": {
                "uri": "registry/servers/com.example/climate.yaml",
                "uriBaseId": "%SRCROOT%",
            },
            "region": {"startLine": 4, "startColumn": 1},
        })
    );
}

#[test]
fn github_annotations_errors_first_and_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    // A folder name with `:` and `,`, which annotation properties must escape.
    let root = tmp.path().join("reg:1,2");
    write_files(
        &root,
        &[
            ("drafts/draft.yaml", STRAY),
            ("servers/com.example/weather.yaml", CLEAN),
            ("servers/com.example/climate.yaml", BROKEN),
            ("servers/loose.yaml", LOOSE),
        ],
    );
    let out = mcp_lint(tmp.path(), &["reg:1,2", "--format", "github"], &[]);
    assert_eq!(out.code, 1);
    let annotations: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(
        annotations,
        [
            "::error file=reg%3A1%2C2/servers/com.example/climate.yaml,line=4,col=1,\
             title=yaml-duplicate-key::duplicate mapping key: 50%25|off",
            "::error file=reg%3A1%2C2/servers/loose.yaml,title=file-layout::\
             server files live at servers/<namespace>/<server>.yaml",
            "::warning file=reg%3A1%2C2/drafts/draft.yaml,line=1,col=1,\
             title=stray-server-file::this looks like the server `com.example/draft`, \
             but only files under servers/<namespace>/ are served",
        ],
        "errors before warnings, even when the warning's file sorts first"
    );
    assert_eq!(
        out.stdout.lines().last(),
        Some("2 errors, 1 warning in 3 files (2 servers, 2 versions)")
    );
}

#[test]
fn github_step_summary_gets_a_table() {
    let tmp = mixed();
    let summary = tmp.path().join("summary.md");
    std::fs::write(&summary, "# Earlier step\n\n").unwrap();
    let out = mcp_lint(
        tmp.path(),
        &["registry", "--format", "github"],
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("# Earlier step\n\n"),
        "appended, not replaced"
    );
    assert!(md.contains("\n## mcp-gitops lint\n"), "{md}");
    assert!(
        md.contains("\n1 error, 1 warning in 2 files (1 server, 1 version)\n"),
        "{md}"
    );
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(
        rows,
        [
            "| severity | rule | location | message |",
            "| --- | --- | --- | --- |",
            "| error | `yaml-duplicate-key` | registry/servers/com.example/climate.yaml:4:1 \
             | duplicate mapping key: 50%\\|off |",
            "| warning | `stray-server-file` | registry/drafts/draft.yaml:1:1 \
             | this looks like the server `com.example/draft`, but only files under \
             servers/<namespace>/ are served |",
        ]
    );

    // Other formats leave the step summary alone.
    let before = std::fs::read_to_string(&summary).unwrap();
    mcp_lint(
        tmp.path(),
        &["registry"],
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), before);
}

/// The bundled registry is what newcomers copy: it must lint clean, warnings included.
#[test]
fn example_repo_lints_clean_with_warnings_denied() {
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/example-repo");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-gitops"))
        .args(["lint", "--deny-warnings", repo])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("no problems in 15 files (15 servers, 25 versions)"),
        "{stdout}"
    );
}
