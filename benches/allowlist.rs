//! The allowlist of a synthetic registry of 10,000 servers × 5 versions (issue: enforcement from
//! the same pull request): building it from validated servers (every version's install
//! configurations, matchers, sorting) and writing the JSON, beside the lint core it follows in
//! `mcp-gitops allowlist`.
//!
//! cargo bench --bench allowlist          (SERVERS=2000 for a quick run)

use mcp_gitops::check::{dir, validate};
use mcp_gitops::clients::allowlist;
use mcp_gitops::synth::write_registry;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let servers: usize = std::env::var("SERVERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("registry");
    write_registry(&root, servers, 5, 1).unwrap();
    let started = Instant::now();
    let checked = validate::check(dir::read_dir(&root).unwrap());
    let lint = started.elapsed();
    assert_eq!(checked.errors(), 0);
    let mut runs: Vec<Duration> = (0..5)
        .map(|_| {
            let started = Instant::now();
            let list = allowlist::build(&checked.servers, None, true);
            let text = serde_json::to_vec_pretty(&list.to_json()).unwrap();
            assert!(text.len() > servers);
            started.elapsed()
        })
        .collect();
    runs.sort();
    let list = allowlist::build(&checked.servers, None, true);
    println!(
        "{servers} servers × 5 versions: lint core {:.0} ms; allowlist build + JSON median {:.0} ms of {:?} ms ({} allowed, {} denied, {} by name)",
        lint.as_secs_f64() * 1e3,
        runs[2].as_secs_f64() * 1e3,
        runs.iter().map(|d| d.as_millis()).collect::<Vec<_>>(),
        list.allowed.len(),
        list.denied.len(),
        list.fallbacks.len()
    );
}
