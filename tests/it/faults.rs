//! Faults from outside, each against real git repositories and the real service on 127.0.0.1:
//! history rewritten under the registry, a commit nesting 100,000 folders, deep directories,
//! a huge blob in history. Each wait is bounded (see `Service::wait_for`).
//!
//! Elsewhere, in the module of the part at fault: a damaged mirror while serving and at restart,
//! a deleted branch restored at the served commit (`git_sync`); `rm -rf` and copy-back of a large
//! directory, a failed read retried without other changes (`directory_mode`).

use crate::common::service::Service;
use crate::git_sync::{T0, Upstream, V1, WEATHER, rfc3339, status, wait_for_commit};
use git2::{Oid, Repository};
use serde_json::Value as Json;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(200);
const CLOCK: &str = "servers/io.github.acme/clock.yaml";
const CLOCK_V1: &str =
    "name: io.github.acme/clock\ndescription: Time\nversions:\n  - version: \"1.0.0\"\n";
const NEWS: &str = "servers/io.github.acme/news.yaml";
const NEWS_V1: &str =
    "name: io.github.acme/news\ndescription: News\nversions:\n  - version: \"1.0.0\"\n";

fn weather_two_versions() -> String {
    format!("{V1}  - version: \"1.1.0\"\n")
}

/// What an incremental client learns since a time after every commit of these tests: the
/// versions the registry saw vanish, as (name, version), each checked to be `deleted`.
async fn deleted_since_the_commits(service: &Service) -> Vec<(String, String)> {
    let since = rfc3339(1000).replace('+', "%2B");
    let (code, j) = service
        .get(&format!("/v0.1/servers?updated_since={since}&limit=100"))
        .await;
    assert_eq!(code, 200, "{j}");
    let mut found: Vec<(String, String)> = j["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let meta = &e["_meta"]["io.modelcontextprotocol.registry/official"];
            assert_eq!(meta["status"], "deleted", "{e}");
            (
                e["server"]["name"].as_str().unwrap().to_string(),
                e["server"]["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn versions_a_force_push_drops_are_tombstones_for_incremental_clients() {
    let up = Upstream::new();
    let base = up.commit(0, &[(WEATHER, V1)]);
    let head = up.commit(1, &[(WEATHER, &weather_two_versions()), (CLOCK, CLOCK_V1)]);
    let service = up.serve(POLL, None).await;
    wait_for_commit(&service, &head).await;
    assert!(deleted_since_the_commits(&service).await.is_empty());

    // History rewritten: back to the first commit, then another on top. No commit removes
    // anything; the clock server and weather 1.1.0 are simply not there any more.
    up.git_at(2, &["reset", "-q", "--hard", &base]);
    let rewritten = up.commit(2, &[("README.md", "rewritten\n")]);
    wait_for_commit(&service, &rewritten).await;
    let gone = pairs(&[
        ("io.github.acme/clock", "1.0.0"),
        ("io.github.acme/weather", "1.1.0"),
    ]);
    assert_eq!(deleted_since_the_commits(&service).await, gone);
    let (code, j) = service
        .get("/v0.1/servers/io.github.acme%2Fclock/versions/1.0.0?include_deleted=true")
        .await;
    assert_eq!(code, 200, "{j}");
    assert_eq!(j["server"]["description"], "Time", "its last document: {j}");
    let meta = &j["_meta"]["io.modelcontextprotocol.registry/official"];
    assert_eq!(meta["publishedAt"], rfc3339(1), "published when it was");
    let (code, _) = service
        .get("/v0.1/servers/io.github.acme%2Fclock/versions/1.0.0")
        .await;
    assert_eq!(code, 404, "hidden without include_deleted");

    // A restart remembers them.
    service.stop().await;
    let service = up.serve(POLL, None).await;
    wait_for_commit(&service, &rewritten).await;
    assert_eq!(deleted_since_the_commits(&service).await, gone);

    // Rewritten again while the registry is down: a history with nothing in common.
    service.stop().await;
    up.git_at(3, &["checkout", "-q", "--orphan", "fresh"]);
    up.git_at(3, &["rm", "-rqf", "."]);
    let unrelated = up.commit(3, &[(NEWS, NEWS_V1), (CLOCK, CLOCK_V1)]);
    let service = up.serve(POLL, None).await;
    wait_for_commit(&service, &unrelated).await;
    let gone = pairs(&[
        ("io.github.acme/weather", "1.0.0"),
        ("io.github.acme/weather", "1.1.0"),
    ]);
    assert_eq!(
        deleted_since_the_commits(&service).await,
        gone,
        "the clock is back, weather went while the registry was down"
    );
    service.stop().await;
}

/// Writes into `repo` a commit on top of `parent` that adds a server file `depth` folders below
/// `servers/deep/`, and points `reference` at it. Built bottom-up with git2: git's own tools
/// refuse trees this deep.
fn deep_commit(repo: &Path, parent: &str, depth: usize, reference: &str) -> Oid {
    let repo = Repository::open(repo).unwrap();
    let blob = repo.blob(V1.as_bytes()).unwrap();
    let mut builder = repo.treebuilder(None).unwrap();
    builder.insert("weather.yaml", blob, 0o100644).unwrap();
    let mut tree = builder.write().unwrap();
    for _ in 0..depth {
        let mut builder = repo.treebuilder(None).unwrap();
        builder.insert("d", tree, 0o040000).unwrap();
        tree = builder.write().unwrap();
    }
    let parent = repo.find_commit(Oid::from_str(parent).unwrap()).unwrap();
    let servers = parent.tree().unwrap().get_name("servers").unwrap().id();
    let mut builder = repo
        .treebuilder(Some(&repo.find_tree(servers).unwrap()))
        .unwrap();
    builder.insert("deep", tree, 0o040000).unwrap();
    let servers = builder.write().unwrap();
    let mut builder = repo.treebuilder(Some(&parent.tree().unwrap())).unwrap();
    builder.insert("servers", servers, 0o040000).unwrap();
    let root = repo.find_tree(builder.write().unwrap()).unwrap();
    let who = git2::Signature::new("t", "t@example.com", &git2::Time::new(T0 + 7200, 0)).unwrap();
    repo.commit(Some(reference), &who, &who, "deep", &root, &[&parent])
        .unwrap()
}

#[tokio::test]
async fn a_commit_nesting_100000_folders_is_a_finding_and_the_last_good_commit_stays() {
    let up = Upstream::new();
    let good = up.commit(0, &[(WEATHER, V1)]);
    let service = up.serve(POLL, None).await;
    wait_for_commit(&service, &good).await;

    let started = Instant::now();
    let deep = deep_commit(&up.bare, &good, 100_000, "refs/heads/main").to_string();
    eprintln!("a 100,000-level tree written in {:?}", started.elapsed());
    let s = service
        .wait_for("the deep commit to be tried", async |s: &Service| {
            let j = status(s).await;
            (j["lastAttempt"]["revision"] == deep.as_str()).then_some(j)
        })
        .await;
    assert_eq!(s["lastAttempt"]["outcome"], "invalid", "{s}");
    let errors = s["lastAttempt"]["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["rule"] == "tree-limits"
            && e["file"].as_str().unwrap().starts_with("servers/deep/d/d/")),
        "{s}"
    );
    assert_eq!(s["served"]["revision"], good.as_str());
    let (code, _) = service
        .get("/v0.1/servers/io.github.acme%2Fweather/versions/latest")
        .await;
    assert_eq!(code, 200, "still serving");

    // A revert on top is served: the registry did not stop following, and history walked
    // through the deep commit.
    let fix = {
        let repo = Repository::open(&up.bare).unwrap();
        let deep = repo.find_commit(Oid::from_str(&deep).unwrap()).unwrap();
        let tree = repo
            .find_commit(Oid::from_str(&good).unwrap())
            .unwrap()
            .tree()
            .unwrap();
        let who =
            git2::Signature::new("t", "t@example.com", &git2::Time::new(T0 + 10800, 0)).unwrap();
        repo.commit(
            Some("refs/heads/main"),
            &who,
            &who,
            "revert",
            &tree,
            &[&deep],
        )
        .unwrap()
        .to_string()
    };
    wait_for_commit(&service, &fix).await;
    service.stop().await;

    // `lint --base` reading that commit as the base ends normally, not by a signal: the work
    // tree is clean, and what the base could not read published nothing.
    let work = &up.work;
    let deep_here = deep_commit(work, &good, 100_000, "refs/heads/deep").to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_mcp-gitops"))
        .current_dir(work)
        .args(["lint", "--base", &deep_here, "."])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "lint --base: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A path `depth` folders of `d` below `root`.
fn deep_path(root: &Path, depth: usize) -> std::path::PathBuf {
    let mut path = root.to_path_buf();
    for _ in 0..depth {
        path.push("d");
    }
    path
}

/// Deletes a deep chain of `d` folders from the bottom up (a recursive delete of a deep tree
/// can overflow a stack).
fn remove_deep(root: &Path, depth: usize) {
    let mut path = deep_path(root, depth);
    let _ = std::fs::remove_file(path.join("x.yaml"));
    for _ in 0..depth {
        std::fs::remove_dir(&path).unwrap();
        path.pop();
    }
}

#[test]
fn lint_on_1500_nested_folders_ends_with_a_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    crate::common::write_files(repo, &[(WEATHER, V1)]);
    let servers = repo.join("servers");
    let bottom = deep_path(&servers, 1500);
    std::fs::create_dir_all(&bottom).unwrap();
    std::fs::write(bottom.join("x.yaml"), V1).unwrap();

    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_mcp-gitops"))
        .args(["lint", "--format", "json"])
        .arg(repo)
        .output()
        .unwrap();
    eprintln!("lint on 1,500 nested folders: {:?}", started.elapsed());
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Json = serde_json::from_slice(&out.stdout).unwrap();
    let limits: Vec<&Json> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "tree-limits")
        .collect();
    assert_eq!(limits.len(), 1, "{report}");
    remove_deep(&servers, 1500);
}

/// The peak resident memory of a process (`VmHWM`), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    kib * 1024
}

/// `git daemon` serving the folder holding `up`'s bare repository on 127.0.0.1: a remote that
/// packs in a process of its own, as a git server does (for a `file://` remote libgit2 packs in
/// ours, loading every object it sends).
struct GitDaemon {
    child: std::process::Child,
    url: String,
}

impl GitDaemon {
    fn start(up: &Upstream) -> GitDaemon {
        let port = crate::common::process::free_port();
        let folder = up.bare.parent().unwrap();
        // `git daemon` runs `git-daemon` as a child of its own, which a kill would orphan.
        let exec_path = crate::common::git(folder, &["--exec-path"]);
        let child = Command::new(Path::new(exec_path.trim()).join("git-daemon"))
            .args(["--reuseaddr", "--export-all", "--listen=127.0.0.1"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", folder.display()))
            .arg(folder)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "git daemon did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        GitDaemon {
            child,
            url: format!("git://127.0.0.1:{port}/up.git"),
        }
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` on `url` with `cache`, waits until it serves, and returns its peak memory.
async fn peak_memory_serving(url: &str, cache: &Path) -> u64 {
    use crate::common::process::{Server, free_port};
    let port = free_port();
    std::fs::create_dir_all(cache).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mcp-gitops"));
    cmd.arg("serve")
        .args(["--repo", url])
        .arg("--cache-dir")
        .arg(cache)
        .args(["--listen", &format!("127.0.0.1:{port}")]);
    let mut server = Server::spawn(cmd, port, cache.join("log"));
    server.wait_ready(Duration::from_secs(60)).await;
    let peak = peak_rss(server.server_pid());
    server.stop().await;
    peak
}

#[tokio::test]
async fn a_huge_blob_in_history_costs_no_memory_at_start() {
    const BLOB: usize = 128 * 1024 * 1024;
    let up = Upstream::new();
    let daemon = GitDaemon::start(&up);
    up.commit(0, &[(WEATHER, V1)]);
    let before = peak_memory_serving(&daemon.url, &up.cache.join("before")).await;

    // Pushed once and reverted: it stays in history.
    let huge = format!("name: io.github.acme/huge\n# {}\n", "x".repeat(BLOB));
    up.commit(1, &[("servers/io.github.acme/huge.yaml", &huge)]);
    drop(huge);
    std::fs::remove_file(up.work.join("servers/io.github.acme/huge.yaml")).unwrap();
    up.commit(2, &[]);
    let after = peak_memory_serving(&daemon.url, &up.cache.join("after")).await;
    eprintln!(
        "peak memory serving: {} MiB without the blob in history, {} MiB with it",
        before >> 20,
        after >> 20
    );
    assert!(
        after < before + (BLOB as u64) / 4,
        "the {} MiB blob is loaded: {} MiB before, {} MiB after",
        BLOB >> 20,
        before >> 20,
        after >> 20
    );
}

/// A repository whose `servers/` holds what is easy to skip in silence: a chain of 11 links, a
/// link to a folder, a link to a folder holding it, a name that is not UTF-8, and (in the
/// commit only) a submodule. Its commit (`git::tree`, what `serve` and `lint --base` read) and its
/// checkout (`check::dir`, what `lint` and directory mode read) must agree on every file and
/// every finding.
#[test]
fn a_commit_and_its_checkout_read_the_same_files_and_findings() {
    use mcp_gitops::check::files::RepoFiles;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    crate::common::git(repo, &["init", "-q", "-b", "main"]);
    crate::common::write_files(repo, &[(WEATHER, V1)]);
    let acme = repo.join("servers/io.github.acme");
    let mut previous = "weather.yaml".to_string();
    for i in 0..10 {
        symlink(&previous, acme.join(format!("link{i}"))).unwrap();
        previous = format!("link{i}");
    }
    symlink(&previous, acme.join("chained.yaml")).unwrap();
    symlink("io.github.acme", repo.join("servers/io.github.acme.mirror")).unwrap();
    symlink("..", acme.join("up")).unwrap();
    std::fs::write(acme.join(std::ffi::OsStr::from_bytes(b"bad\xff.yaml")), V1).unwrap();
    crate::common::git(repo, &["add", "-A"]);
    let gitlink = "160000,1111111111111111111111111111111111111111,servers/io.github.acme/sub";
    crate::common::git(repo, &["update-index", "--add", "--cacheinfo", gitlink]);
    crate::common::git(repo, &["commit", "-qm", "tricky"]);

    let summary = |files: RepoFiles| {
        let paths: Vec<String> = files.files.iter().map(|f| f.path.clone()).collect();
        let mut findings: Vec<String> = files
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.location(), d.rule))
            .collect();
        findings.sort();
        (paths, findings)
    };
    let git = Repository::open(repo).unwrap();
    let tree = git.head().unwrap().peel_to_tree().unwrap();
    let (git_paths, mut git_findings) =
        summary(mcp_gitops::git::tree::read(&git, &tree, "").unwrap());
    let (dir_paths, dir_findings) = summary(mcp_gitops::check::dir::read_dir(repo).unwrap());

    assert_eq!(git_paths, dir_paths);
    assert!(git_paths.contains(&"servers/io.github.acme/chained.yaml".to_string()));
    assert!(git_paths.contains(&"servers/io.github.acme.mirror/weather.yaml".to_string()));
    // The submodule is in the commit only (a checkout without `git submodule update` has an
    // empty folder there), seen at its path and through the link to its folder.
    let submodules = [
        "servers/io.github.acme.mirror/sub: file-kind",
        "servers/io.github.acme/sub: file-kind",
    ];
    for s in submodules {
        assert!(git_findings.iter().any(|f| f == s), "{git_findings:?}");
    }
    git_findings.retain(|f| !submodules.contains(&f.as_str()));
    assert_eq!(git_findings, dir_findings);
    assert_eq!(
        dir_findings,
        [
            "servers/io.github.acme.mirror/bad\\xff.yaml: file-name",
            "servers/io.github.acme.mirror/up: symlink-loop",
            "servers/io.github.acme/bad\\xff.yaml: file-name",
            "servers/io.github.acme/up: symlink-loop",
        ]
    );
}
