//! `mcp-gitops import` of the 358 servers of the official seed (every version) from a local
//! upstream: the API of `mcp-gitops serve` (its router) over the seed as a registry, on
//! 127.0.0.1, and the release binary run against it into a fresh folder, five times; then an
//! `import --update` that finds nothing new. The seed is read from `../shared/spec/` (never
//! copied here); without it the bench says so and stops.
//!
//! cargo bench --bench import

use mcp_gitops::check::{dir, validate};
use mcp_gitops::http::{ApiConfig, AppState, router};
use mcp_gitops::store::index::{Index, Input};
use mcp_gitops::store::{Snapshot, SourceInfo, Store};
use serde_json::Value as Json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let seed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec/seed-2025-10-03-pre/seed.json");
    if !seed.is_file() {
        println!("skipped: {} is absent", seed.display());
        return;
    }
    let upstream = tempfile::tempdir().unwrap();
    let names = write_seed(&seed, upstream.path());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let base = runtime.block_on(serve(upstream.path()));

    let mut runs = Vec::new();
    let mut last = String::new();
    let mut update = Vec::new();
    for _ in 0..5 {
        let local = tempfile::tempdir().unwrap();
        let repo = local.path().display().to_string();
        let mut args = vec!["import", "--all-versions", "--from", &base, "--repo", &repo];
        args.extend(names.iter().map(String::as_str));
        let (took, out) = run(&args);
        runs.push(took);
        last = out;
        update.push(run(&["import", "--update", "--repo", &repo]).0);
        let checked = validate::check(dir::read_dir(local.path()).unwrap());
        assert_eq!(checked.errors(), 0);
    }
    runs.sort();
    update.sort();
    let ms = |d: &Duration| d.as_millis();
    let head = last.lines().find(|l| l.starts_with("**")).unwrap_or("");
    println!(
        "import of {} servers (every version) from {base}: median {} ms of {:?} ms; {head}",
        names.len(),
        ms(&runs[2]),
        runs.iter().map(ms).collect::<Vec<_>>()
    );
    println!(
        "import --update with nothing new: median {} ms of {:?} ms",
        ms(&update[2]),
        update.iter().map(ms).collect::<Vec<_>>()
    );
}

/// The release binary with `args`; how long it took and what it printed. Exit 1 (some
/// servers refused) is expected of the seed.
fn run(args: &[&str]) -> (Duration, String) {
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-gitops"))
        .args(args)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (took, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The seed (a JSON array of server.json documents) as server files; returns the names.
fn write_seed(seed: &Path, root: &Path) -> Vec<String> {
    let entries: Vec<Json> = serde_json::from_slice(&std::fs::read(seed).unwrap()).unwrap();
    let mut by_name: std::collections::BTreeMap<String, Vec<Json>> = Default::default();
    for e in entries {
        by_name
            .entry(e["name"].as_str().unwrap().to_string())
            .or_default()
            .push(e);
    }
    for (name, mut docs) in by_name.clone() {
        let file = if docs.len() == 1 {
            docs.remove(0)
        } else {
            for d in &mut docs {
                d.as_object_mut().unwrap().remove("name");
            }
            serde_json::json!({ "name": name, "versions": docs })
        };
        let path = root.join(format!("servers/{name}.yaml"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_vec_pretty(&file).unwrap()).unwrap();
    }
    by_name.into_keys().collect()
}

/// The API over every server file of `root`, errors or not (another registry's rules).
async fn serve(root: &Path) -> String {
    let checked = validate::check(dir::read_dir(root).unwrap());
    let index = Index::build(&Input {
        servers: &checked.servers,
        commit: None,
        times: &Default::default(),
        fallback_time: time::OffsetDateTime::now_utc(),
        tombstones: &Default::default(),
        view: None,
        reuse: None,
    });
    let store = Arc::new(Store::new(SourceInfo::directory("seed")));
    store.publish(Snapshot::of_index(index.digest().to_string(), None, index));
    let app = router(AppState::new(
        store,
        ApiConfig {
            cache_max_age: 0,
            read_token: None,
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}
