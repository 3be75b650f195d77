//! History benchmark (issue: GitOps sync). Builds real git repositories in a temp dir with
//! git2, then times `History::build` over 2,000 commits touching 500 servers, and
//! `History::advance` by one commit on a 10,000-server repository.
//!
//! cargo bench --bench history

use git2::{Oid, Repository};
use mcp_gitops::git::history::History;
use mcp_gitops::synth::{Rng, add_version, write_git_registry};
use std::path::Path;
use std::time::{Duration, Instant};

/// A repository with `servers` generated servers in its first commit; returns it and their paths.
fn seeded_repo(dir: &Path, servers: usize) -> (Repository, Vec<String>) {
    write_git_registry(dir, servers, 3, 7, 1).unwrap()
}

/// Appends a new version to one server file and commits it.
fn touch(repo: &Repository, dir: &Path, paths: &[String], rng: &mut Rng, step: i64) -> Oid {
    add_version(repo, dir, paths, rng, step).unwrap()
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
