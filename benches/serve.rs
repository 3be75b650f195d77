//! Serving-side benchmarks (issue: performance at 10,000 servers), on a synthetic registry of
//! 10,000 servers × 5 versions (50,000 entries) written to a temp dir:
//!
//! * lint of 10,000 files: read the directory, parse, validate (what `mcp-gitops lint` runs
//!   before printing; `bench/lint.sh` times the command itself);
//! * index build (validated servers → sorted, serialized index);
//! * one reload end to end from a directory (read → parse → validate → build → swap);
//! * one reload end to end from git after a new commit (fetch → tree read → parse → validate →
//!   history advance → build → swap), and the first one (clone and the whole history);
//! * history processing is `cargo bench --bench history`.
//!
//! cargo bench --bench serve          (SERVERS=2000 for a quick run)

use mcp_gitops::check::model::VersionTimes;
use mcp_gitops::check::{dir, validate};
use mcp_gitops::git::fetch::{Credentials, GitConfig, GitSource, Timeouts};
use mcp_gitops::store::index::{Index, Input, Times};
use mcp_gitops::store::reload::Reloader;
use mcp_gitops::store::source::Source;
use mcp_gitops::store::{Outcome, Store};
use mcp_gitops::synth::{Rng, add_version, write_git_registry, write_registry};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use time::OffsetDateTime;

const VERSIONS: usize = 5;

/// The allocator `mcp-gitops` runs with (see src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn report(what: &str, runs: Vec<Duration>, target: &str) {
    let shown: Vec<String> = runs
        .iter()
        .map(|d| format!("{:.0} ms", d.as_secs_f64() * 1e3))
        .collect();
    println!(
        "{what}: median {:.0} ms of [{}]{target}",
        median(runs.clone()).as_secs_f64() * 1e3,
        shown.join(", ")
    );
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

fn main() {
    let servers: usize = std::env::var("SERVERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    println!(
        "{servers} servers × {VERSIONS} versions; {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    write_registry(&dir, servers, VERSIONS, 1).unwrap();

    // Lint: read, parse, validate.
    let runs: Vec<Duration> = (0..3)
        .map(|_| {
            let (d, checked) = time(|| validate::check(dir::read_dir(&dir).unwrap()));
            assert_eq!(checked.errors(), 0);
            assert_eq!(checked.files, servers);
            d
        })
        .collect();
    report(
        &format!("lint core of {servers} files (read + parse + validate)"),
        runs,
        " (target < 2 s)",
    );

    // Index build, from validated servers and their times.
    let checked = validate::check(dir::read_dir(&dir).unwrap());
    let at = OffsetDateTime::now_utc();
    let mut times = Times::new();
    for s in &checked.servers {
        for v in &s.versions {
            times.insert(
                (
                    s.name().unwrap().to_string(),
                    v.version().unwrap().to_string(),
                ),
                VersionTimes::all(at),
            );
        }
    }
    let mut kept = None;
    let runs: Vec<Duration> = (0..5)
        .map(|_| {
            let (d, index) = time(|| {
                Index::build(&Input {
                    servers: &checked.servers,
                    commit: None,
                    times: &times,
                    fallback_time: at,
                    tombstones: &Default::default(),
                    view: None,
                    reuse: None,
                })
            });
            assert_eq!(index.entries().len(), servers * VERSIONS);
            kept = Some(index);
            d
        })
        .collect();
    report(
        &format!("index build, {} entries", servers * VERSIONS),
        runs,
        " (target < 1 s)",
    );
    let json: usize = kept
        .as_ref()
        .map_or(0, |i| i.entries().iter().map(|e| e.json.len()).sum());
    println!(
        "  serialized JSON {:.1} MiB ({} bytes per entry; resident memory is measured on the \
         server by bench/load.sh)",
        json as f64 / 1048576.0,
        json / (servers * VERSIONS),
    );
    drop((kept, checked, times));

    // Reload from a directory: a touched file makes a new revision, so every run swaps.
    let store = Arc::new(Store::new(Source::Directory(dir.clone()).info()));
    let reloader = Reloader::new(Arc::clone(&store), Source::Directory(dir.clone()));
    let first = std::fs::read_dir(dir.join("servers"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let touched = std::fs::read_dir(&first)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let runs: Vec<Duration> = (0..5)
        .map(|i| {
            let file = std::fs::File::options().write(true).open(&touched).unwrap();
            file.set_modified(SystemTime::now() - Duration::from_secs(100 - i))
                .unwrap();
            let (d, outcome) = time(|| reloader.reload_blocking());
            assert_eq!(outcome, Outcome::Served);
            d
        })
        .collect();
    report(
        "reload from a directory, end to end (read → parse → validate → build → swap)",
        runs,
        " (target < 3 s)",
    );
    drop(reloader);
    drop(store);

    // Reload from git: the first sync (clone + whole history), then one new commit at a time.
    let upstream = tmp.path().join("upstream");
    let (repo, paths) = write_git_registry(&upstream, servers, VERSIONS, 1, 1).unwrap();
    let git = GitSource::new(GitConfig {
        url: format!("file://{}", upstream.display()),
        reference: None,
        cache_dir: tmp.path().join("cache"),
        credentials: Credentials::default(),
        timeouts: Timeouts::default(),
    })
    .unwrap();
    let source = Source::Git(Arc::new(git));
    let store = Arc::new(Store::new(source.info()));
    let reloader = Reloader::new(Arc::clone(&store), source);
    let (d, outcome) = time(|| reloader.reload_blocking());
    assert_eq!(outcome, Outcome::Served);
    println!(
        "first sync from git (clone, history of 1 commit, read → validate → build → swap): {:.0} ms",
        d.as_secs_f64() * 1e3
    );
    let mut rng = Rng(9);
    let runs: Vec<Duration> = (1..=5)
        .map(|step| {
            add_version(&repo, &upstream, &paths, &mut rng, step).unwrap();
            let (d, outcome) = time(|| reloader.reload_blocking());
            assert_eq!(outcome, Outcome::Served);
            d
        })
        .collect();
    report(
        "reload from git after one new commit (fetch → tree read → parse → validate → history → build → swap)",
        runs,
        " (target < 3 s)",
    );
    println!("history processing: cargo bench --bench history");
}
