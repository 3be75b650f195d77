//! What only a real socket shows: VS Code's sequence of calls, and index swaps under continuous
//! reads. Servers listen on 127.0.0.1:0; every loop is bounded in count and time.

use crate::common::client::fetch;
use crate::common::fixture::{REVISION, build_index, store_with};
use mcp_gitops::http::{ApiConfig, AppState};
use mcp_gitops::server::serve;
use mcp_gitops::store::index::Index;
use mcp_gitops::store::{Snapshot, Store};
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A running server and the way to stop it.
struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub async fn start(state: AppState) -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state, async {
            let _ = stopped.await;
        }));
        Running {
            addr,
            stop: Some(stop),
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .expect("the server stops within its grace period")
            .unwrap()
            .unwrap();
    }
}

/// JavaScript's `encodeURIComponent`.
fn encode_uri_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `count` servers of two versions each; descriptions name the revision.
fn registry(revision: usize, count: usize) -> Index {
    let files: Vec<(String, String)> = (0..count)
        .map(|i| {
            (
                format!("servers/io.github.swap/server-{i:03}.yaml"),
                format!(
                    "name: io.github.swap/server-{i:03}\ndescription: Server {i} of revision {revision}\n\
                     versions:\n  - version: \"1.0.{revision}\"\n  - version: \"2.0.{revision}\"\n"
                ),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    build_index(&files, &[])
}

#[tokio::test]
async fn vs_code_sequence_over_a_socket() {
    let server = Running::start(AppState::new(
        store_with(registry(0, 75), REVISION),
        ApiConfig::default(),
    ))
    .await;
    let client = reqwest::Client::new();
    let base = server.url("/v0.1/servers");

    // The first probe.
    let r = fetch(&client, &format!("{base}?limit=1")).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["servers"].as_array().unwrap().len(), 1);
    assert_eq!(r.header("x-registry-revision"), Some(REVISION));

    // The listing: latest versions, 50 at a time, later pages by cursor alone (no search).
    let mut names = Vec::new();
    let mut url = format!("{base}?limit=50&version=latest");
    for page in 0.. {
        assert!(page < 10, "paging does not end");
        let r = fetch(&client, &url).await.unwrap();
        assert_eq!(r.status, 200, "{url}");
        let j = r.json();
        for e in j["servers"].as_array().unwrap() {
            assert_eq!(
                e["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"],
                true
            );
            names.push(e["server"]["name"].as_str().unwrap().to_string());
        }
        match j["metadata"]["nextCursor"].as_str() {
            Some(c) => url = format!("{base}?limit=50&version=latest&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(names.len(), 75);
    assert_eq!(names.iter().collect::<HashSet<_>>().len(), 75);

    // A search, and its next page by cursor alone.
    let r = fetch(
        &client,
        &format!("{base}?limit=50&version=latest&search=SERVER-06"),
    )
    .await
    .unwrap();
    let j = r.json();
    assert_eq!(j["servers"].as_array().unwrap().len(), 10);
    assert!(j["metadata"]["nextCursor"].is_null());
    let r = fetch(
        &client,
        &format!("{base}?limit=4&version=latest&search=server-06"),
    )
    .await
    .unwrap();
    let c = r.json()["metadata"]["nextCursor"]
        .as_str()
        .unwrap()
        .to_string();
    let r = fetch(
        &client,
        &format!("{base}?limit=50&version=latest&cursor={c}"),
    )
    .await
    .unwrap();
    let page2: Vec<String> = r.json()["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["server"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(page2.len(), 6, "{page2:?}");
    assert!(page2.iter().all(|n| n.contains("server-06")), "{page2:?}");

    // The details of every listed server.
    for name in &names {
        let url = server.url(&format!(
            "/v0.1/servers/{}/versions/latest",
            encode_uri_component(name)
        ));
        let r = fetch(&client, &url).await.unwrap();
        assert_eq!(r.status, 200, "{url}");
        let j = r.json();
        assert_eq!(j["server"]["name"], name.as_str());
        for key in ["name", "description", "version"] {
            assert!(
                j["server"][key].as_str().is_some_and(|s| !s.is_empty()),
                "{key} of {name}"
            );
        }
        assert!(j["_meta"].is_object());
        assert_eq!(j["server"]["version"], "2.0.0");
    }
    server.stop().await;
}

#[tokio::test]
async fn swaps_under_continuous_reads_never_mix_revisions() {
    const REVISIONS: usize = 4;
    const SWAPS: usize = 300;
    const READERS: usize = 4;
    const MAX_REQUESTS_PER_READER: usize = 3000;
    let deadline = Instant::now() + Duration::from_secs(30);

    // Each revision: its snapshot, and what its full listing holds.
    let mut snapshots = Vec::new();
    let mut expected: HashMap<String, (usize, HashSet<(String, String)>)> = HashMap::new();
    for k in 0..REVISIONS {
        let index = registry(k, 10 + 3 * k);
        let revision = index.digest().to_string();
        let entries = index
            .entries()
            .iter()
            .map(|e| (e.name.clone(), e.version.clone()))
            .collect();
        expected.insert(revision.clone(), (k, entries));
        snapshots.push(Arc::new(Snapshot::of_index(revision, None, index)));
    }
    let expected = Arc::new(expected);
    let store = Arc::new(Store::new(mcp_gitops::store::SourceInfo::directory("test")));
    store.publish(Arc::clone(&snapshots[0]));
    let server = Running::start(AppState::new(Arc::clone(&store), ApiConfig::default())).await;

    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let (store, writing) = (Arc::clone(&store), Arc::clone(&writing));
        tokio::spawn(async move {
            for i in 1..=SWAPS {
                store.publish(Arc::clone(&snapshots[i % REVISIONS]));
                tokio::time::sleep(Duration::from_millis(2)).await;
                if Instant::now() > deadline {
                    break;
                }
            }
            writing.store(false, Ordering::SeqCst);
        })
    };

    let failures = Arc::new(AtomicUsize::new(0));
    let mut readers = Vec::new();
    for reader in 0..READERS {
        let (expected, writing, failures) = (
            Arc::clone(&expected),
            Arc::clone(&writing),
            Arc::clone(&failures),
        );
        let url = server.url("");
        readers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut seen = HashSet::new();
            let mut requests = 0;
            let mut cursor: Option<String> = None;
            while writing.load(Ordering::SeqCst)
                && requests < MAX_REQUESTS_PER_READER
                && Instant::now() < deadline
            {
                requests += 1;
                let (path, full) = match (requests + reader) % 3 {
                    0 => ("/v0.1/servers?limit=100".to_string(), true),
                    1 => (
                        match &cursor {
                            Some(c) => format!("/v0.1/servers?limit=5&cursor={c}"),
                            None => "/v0.1/servers?limit=5".to_string(),
                        },
                        false,
                    ),
                    _ => (
                        "/v0/servers/io.github.swap%2Fserver-003/versions/latest".to_string(),
                        false,
                    ),
                };
                let r = match fetch(&client, &format!("{url}{path}")).await {
                    Ok(r) if r.status == 200 => r,
                    Ok(r) => {
                        eprintln!("{path}: status {}", r.status);
                        failures.fetch_add(1, Ordering::SeqCst);
                        continue;
                    }
                    Err(e) => {
                        eprintln!("{path}: {e}");
                        failures.fetch_add(1, Ordering::SeqCst);
                        continue;
                    }
                };
                let revision = r.header("x-registry-revision").unwrap().to_string();
                let (k, entries) = &expected[&revision];
                seen.insert(*k);
                let j = r.json();
                let items: Vec<Json> = match j.get("servers") {
                    Some(list) => list.as_array().unwrap().clone(),
                    None => vec![j.clone()],
                };
                let mut got = HashSet::new();
                for e in &items {
                    let key = (
                        e["server"]["name"].as_str().unwrap().to_string(),
                        e["server"]["version"].as_str().unwrap().to_string(),
                    );
                    let description = e["server"]["description"].as_str().unwrap();
                    if !entries.contains(&key) || !description.ends_with(&format!("revision {k}")) {
                        eprintln!("{path}: {key:?} ({description}) is not of revision {k}");
                        failures.fetch_add(1, Ordering::SeqCst);
                    }
                    got.insert(key);
                }
                if full && got != *entries {
                    eprintln!(
                        "{path}: {} entries, revision {k} has {}",
                        got.len(),
                        entries.len()
                    );
                    failures.fetch_add(1, Ordering::SeqCst);
                }
                if path.contains("limit=5") {
                    cursor = j["metadata"]["nextCursor"].as_str().map(str::to_string);
                }
            }
            (requests, seen)
        }));
    }
    writer.await.unwrap();
    let mut total = 0;
    let mut seen_all = HashSet::new();
    for r in readers {
        let (n, seen) = r.await.unwrap();
        total += n;
        seen_all.extend(seen);
    }
    server.stop().await;
    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "failed requests or mixed revisions"
    );
    assert!(total >= READERS * 10, "the readers made {total} requests");
    assert!(
        seen_all.len() >= 2,
        "the readers saw revisions {seen_all:?}"
    );
    eprintln!("swap test: {total} requests over {SWAPS} swaps, revisions seen {seen_all:?}");
}
