//! Registries to import from, on 127.0.0.1 port 0: the real router serving any set of server
//! files (even ones this registry's lint would refuse, as another registry may hold them), and
//! raw-TCP stand-ins for the faults: answers made by a function, a server that stops, one that
//! accepts and never answers. And the `mcp-gitops` binary run on them.

use mcp_gitops::check::{dir, validate};
use mcp_gitops::http::{ApiConfig, AppState, router};
use mcp_gitops::store::index::{Index, Input};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The API of `mcp-gitops serve` (its router) over every server file in `dir`, errors or not:
/// the upstream of an import test is another registry, held to its own rules.
pub async fn serve_any(dir: &Path) -> (String, tokio::task::JoinHandle<()>) {
    let checked = validate::check(dir::read_dir(dir).unwrap());
    let index = Index::build(&Input {
        servers: &checked.servers,
        commit: None,
        times: &Default::default(),
        fallback_time: crate::common::fixture::at("2025-10-01T00:00:00Z"),
        tombstones: &Default::default(),
        view: None,
        reuse: None,
    });
    let store = crate::common::fixture::store_with(index, crate::common::fixture::REVISION);
    let app = router(AppState::new(
        store,
        ApiConfig {
            cache_max_age: 0,
            read_token: None,
        },
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, task)
}

/// A raw HTTP/1.1 server: `answer` gets the request's path and gives the whole response
/// (status line, headers, body), or `None` to stop: the listener closes and later
/// connections are refused. `Connection: close` after each answer.
pub async fn answering(
    answer: impl Fn(&str) -> Option<String> + Send + 'static,
) -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&head);
            let path = text.split(' ').nth(1).unwrap_or("/").to_string();
            match answer(&path) {
                Some(response) => {
                    let _ = socket.write_all(response.as_bytes()).await;
                    let _ = socket.shutdown().await;
                }
                None => return,
            }
        }
    });
    (base, task)
}

/// A response with this status and JSON body.
pub fn json_response(status: u16, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A server that accepts connections and never answers (each is held open for a minute).
pub async fn silent() -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
            if held.len() > 64 {
                return;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    (base, task)
}

/// What `mcp-gitops` printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the `mcp-gitops` binary with `args`, off the async runtime (the upstream keeps
/// answering meanwhile).
pub async fn mcp_gitops(args: Vec<String>) -> Run {
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-gitops"))
            .args(&args)
            .env_remove("MCP_GITOPS_IMPORT_FROM")
            .env_remove("MCP_GITOPS_IMPORT_TOKEN_FILE")
            .output()
            .expect("mcp-gitops runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

/// Every file and folder below `root` (but `.git`) with its bytes (a folder: its path ending
/// in `/` and no bytes): a repository's state to compare.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_name() == ".git" {
                continue;
            }
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if entry.file_type().unwrap().is_dir() {
                out.insert(rel.join(""), Vec::new());
                todo.push(path);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}
