//! Helpers used by more than one test module (test modules never borrow from each other): where
//! the official spec lives and small builders here, the rest by topic in the files below.

pub mod client;
pub mod example;
pub mod exposition;
pub mod fixture;
pub mod process;
pub mod seed;
pub mod service;
pub mod upstream;
pub mod vscode;

use std::io::Write;
use std::path::{Path, PathBuf};

/// libgit2's socket timeouts are process-wide and set by the first git source made: every
/// in-process git source in this test binary must ask for these, or the tests that time a
/// silent server would wait for whichever values came first.
pub const GIT_TIMEOUTS: mcp_gitops::git::fetch::Timeouts = mcp_gitops::git::fetch::Timeouts {
    connect: std::time::Duration::from_secs(5),
    io: std::time::Duration::from_secs(5),
    transfer: std::time::Duration::from_secs(60),
};

/// `../shared/spec/` beside the checkout: the official OpenAPI, server.json schemas and seed
/// data. They are references written elsewhere and are never copied into this repository, so
/// a fresh clone has none: the tests that need them then print one line and pass, unless
/// `MCP_GITOPS_REQUIRE_SPEC` is set (`.ci/run` sets it), when a missing spec fails them.
pub fn spec_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("MCP_GITOPS_REQUIRE_SPEC").is_none(),
        "{} is absent and MCP_GITOPS_REQUIRE_SPEC is set: these tests read the official MCP \
         registry spec (schemas, OpenAPI, seed data) from the shared/ folder beside the checkout",
        dir.display()
    );
    // Written to stderr itself, not through `eprintln!`, which the test harness captures and
    // hides for a passing test: the skip must be seen.
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {} is absent (the official spec; set MCP_GITOPS_REQUIRE_SPEC to require it)",
        dir.display()
    );
    None
}

/// The spec folder, or the calling test returns early (skipped, with one line said).
#[macro_export]
macro_rules! spec_or_skip {
    () => {
        match $crate::common::spec_dir() {
            Some(dir) => dir,
            None => return,
        }
    };
}

/// Writes `files` (path, text) below `root`, creating folders.
pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Copies a directory tree (regular files and folders).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs git in `dir`, panicking with its output when it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_with(dir, args, &[])
}

/// Runs git with commits dated at `unix_time` (author and committer).
pub fn git_dated(dir: &Path, unix_time: i64, args: &[&str]) -> String {
    let date = format!("@{unix_time} +0000");
    git_with(
        dir,
        args,
        &[("GIT_COMMITTER_DATE", &date), ("GIT_AUTHOR_DATE", &date)],
    )
}

fn git_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(["-c", "init.defaultBranch=main"])
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Lints a directory in-process, with an optional base revision.
pub fn lint(path: &Path, base: Option<&str>) -> mcp_gitops::check::validate::Checked {
    let args = mcp_gitops::cli::LintArgs {
        paths: vec![path.to_path_buf()],
        path: None,
        format: mcp_gitops::cli::Format::Human,
        base: base.map(str::to_string),
        deny_warnings: false,
    };
    mcp_gitops::lint::lint(&args)
        .unwrap_or_else(|e| panic!("lint {} failed to run: {e}", path.display()))
        .1
}

/// `mcp-gitops check` (the binary, as an operator runs it after a deployment) against a served
/// registry: no findings, exit 0.
pub async fn assert_check_clean(base: &str) {
    let base = base.to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_mcp-gitops"))
            .args(["check", &base, "--time-budget", "60s"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "mcp-gitops check:\n{text}");
    assert!(text.contains("no findings"), "{text}");
}
