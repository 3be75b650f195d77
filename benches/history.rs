//! History benchmark (issue: GitOps sync). Builds real git repositories in a temp dir with
//! git2, then times `History::build` over 2,000 commits touching 500 servers, and
//! `History::advance` by one commit on a 10,000-server repository.
//!
//! cargo bench --bench history

use git2::{Oid, Repository, Signature, Time};
use mcp_gitops::history::History;
use mcp_gitops::synth::{Rng, write_registry};
use std::path::Path;
use std::time::{Duration, Instant};

/// Commits the listed work-tree paths (relative) on top of HEAD.
fn commit(repo: &Repository, paths: &[String], step: i64) -> Oid {
    let mut index = repo.index().unwrap();
    for p in paths {
        index.add_path(Path::new(p)).unwrap();
    }
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::new(
        "Bench",
        "bench@example.com",
        &Time::new(1_700_000_000 + step * 60, 0),
    )
    .unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, "change", &tree, &parents)
        .unwrap()
}

/// A repository with `servers` generated servers in its first commit; returns it and their paths.
fn seeded_repo(dir: &Path, servers: usize) -> (Repository, Vec<String>) {
    let repo = Repository::init(dir).unwrap();
    write_registry(dir, servers, 3, 7).unwrap();
    let mut paths = Vec::new();
    for ns in std::fs::read_dir(dir.join("servers")).unwrap() {
        for file in std::fs::read_dir(ns.unwrap().path()).unwrap() {
            let p = file.unwrap().path();
            paths.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
        }
    }
    paths.sort();
    commit(&repo, &paths, 0);
    (repo, paths)
}

/// Appends a new version to one server file and commits it.
fn touch(repo: &Repository, dir: &Path, paths: &[String], rng: &mut Rng, step: i64) -> Oid {
    let path = &paths[rng.below(paths.len() as u64) as usize];
    let mut text = std::fs::read_to_string(dir.join(path)).unwrap();
    text.push_str(&format!("  - version: \"9.{step}.0\"\n"));
    std::fs::write(dir.join(path), text).unwrap();
    commit(repo, std::slice::from_ref(path), step)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    // 2,000 commits touching 500 servers.
    let tmp = tempfile::tempdir().unwrap();
    let (repo, paths) = seeded_repo(tmp.path(), 500);
    let mut rng = Rng(11);
    let head = (1..2000)
        .map(|step| touch(&repo, tmp.path(), &paths, &mut rng, step))
        .last()
        .unwrap();
    let runs: Vec<Duration> = (0..3)
        .map(|_| {
            let start = Instant::now();
            let h = History::build(&repo, head, "").unwrap();
            assert!(h.times.len() >= 500 * 3);
            start.elapsed()
        })
        .collect();
    println!(
        "history build, 2000 commits x 500 servers: median {:?} of {runs:?} (target < 5 s)",
        median(runs.clone())
    );

    // One new commit on a 10,000-server repository.
    let tmp = tempfile::tempdir().unwrap();
    let (repo, paths) = seeded_repo(tmp.path(), 10_000);
    let first = repo.head().unwrap().peel_to_commit().unwrap().id();
    let start = Instant::now();
    let mut h = History::build(&repo, first, "").unwrap();
    println!(
        "history build, 1 commit x 10000 servers (30000 versions): {:?}",
        start.elapsed()
    );
    let mut rng = Rng(5);
    let runs: Vec<Duration> = (1..=10)
        .map(|step| {
            let oid = touch(&repo, tmp.path(), &paths, &mut rng, step);
            let start = Instant::now();
            h.advance(&repo, oid).unwrap();
            start.elapsed()
        })
        .collect();
    println!(
        "history advance by one commit on 10000 servers: median {:?} of {runs:?} (target < 100 ms)",
        median(runs.clone())
    );
}
