//! The HTTP edge under hostile or clumsy traffic, over real sockets on 127.0.0.1: slow headers,
//! idle sockets past the soft open-files limit, URL churn against the response cache, an
//! out-of-range time, a huge error list in /status, a hung webhook secret, CORS where it belongs
//! and nowhere else, a preflight for a private registry, SIGHUP. Every loop is bounded in count
//! and time.

use crate::common::example::EXAMPLE_REPO;
use crate::common::process::{Server, free_port};
use crate::common::service::{Service, directory_options};
use crate::common::{git, write_files};
use mcp_gitops::http::{ApiConfig, EdgeLimits};
use mcp_gitops::server::{Limits, Listeners, start_with};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BIN: &str = env!("CARGO_BIN_EXE_mcp-gitops");

/// The service on example-repo with `limits`, once it serves.
async fn on_example(limits: Limits) -> Service {
    let edge = Service::start_on(directory_options(Path::new(EXAMPLE_REPO)), limits, false).await;
    edge.wait_served().await;
    edge
}

fn short_limits() -> Limits {
    let mut limits = Limits::default();
    limits.conn.header_timeout = Duration::from_secs(1);
    limits
}

/// Waits until the peer closes `stream` (or resets it), sending one header byte every
/// `every` meanwhile when `trickle`; returns how long that took, or `None` past `limit`.
async fn time_to_close(
    mut stream: TcpStream,
    trickle: bool,
    every: Duration,
    limit: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    if trickle {
        let _ = stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await;
    }
    let mut buf = [0u8; 1024];
    while started.elapsed() < limit {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                // A 408 may come first; the close is what counts.
                Ok(n) if n > 0 => continue,
                _ => return Some(started.elapsed()),
            },
            () = tokio::time::sleep(every) => {
                if trickle && stream.write_all(b"X").await.is_err() {
                    return Some(started.elapsed());
                }
            }
        }
    }
    None
}

#[tokio::test]
async fn slow_headers_and_idle_sockets_are_closed_within_the_header_timeout() {
    let edge = on_example(short_limits()).await;
    let mut waits = Vec::new();
    for i in 0..20 {
        let stream = TcpStream::connect(edge.addr()).await.unwrap();
        // Half send a header byte every 200 ms (slowloris), half nothing at all.
        waits.push(tokio::spawn(time_to_close(
            stream,
            i % 2 == 0,
            Duration::from_millis(200),
            Duration::from_secs(6),
        )));
    }
    // Meanwhile the service answers.
    assert_eq!(edge.get("/v0.1/servers?limit=1").await.0, 200);
    for wait in waits {
        let took = wait.await.unwrap().expect("closed within 6 s");
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(4),
            "closed after {took:?}, the header timeout being 1 s"
        );
    }
    // A keep-alive connection left idle after a response is closed too.
    let mut stream = TcpStream::connect(edge.addr()).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let took = time_to_close(
        stream,
        false,
        Duration::from_millis(100),
        Duration::from_secs(6),
    )
    .await
    .expect("an idle keep-alive connection is closed");
    assert!(took < Duration::from_secs(4), "idle for {took:?}");
    edge.stop().await;
}

/// The soft open-files limit of a process, from /proc.
fn soft_and_hard_open_files(pid: u32) -> (u64, u64) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

#[tokio::test]
async fn idle_sockets_beyond_the_soft_open_files_limit_do_not_stop_service() {
    let port = free_port();
    let tmp = tempfile::tempdir().unwrap();
    // Started with a soft limit of 256, as a shell with `ulimit -Sn 256` would.
    let mut cmd = Command::new("bash");
    cmd.args(["-c", "ulimit -Sn 256 && exec \"$0\" \"$@\"", BIN, "serve"])
        .args(["--repo", EXAMPLE_REPO])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        // Idle sockets stay open for the whole test.
        .args(["--header-timeout", "120s"]);
    let mut server = Server::spawn(cmd, port, tmp.path().join("log"));
    server.wait_ready(Duration::from_secs(30)).await;
    let (soft, hard) = soft_and_hard_open_files(server.server_pid());
    assert_eq!(soft, hard, "the soft limit is raised to the hard one");
    // Our own limit must hold the sockets too; stay well inside it.
    let (our_soft, _) = soft_and_hard_open_files(std::process::id());
    let idle = 600.min(our_soft.saturating_sub(100)) as usize;
    assert!(
        idle > 256,
        "this test needs more than 356 open files ({our_soft})"
    );
    let mut sockets = Vec::with_capacity(idle);
    for _ in 0..idle {
        sockets.push(
            TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect"),
        );
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for path in ["/healthz", "/v0.1/servers?limit=2"] {
        let r = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path} with {idle} idle sockets open");
    }
    drop(sockets);
    server.stop().await;
}

/// The value of an unlabelled sample in an exposition.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

#[tokio::test]
async fn url_churn_stays_within_the_cache_bound() {
    let edge = on_example(Limits::default()).await;
    // 2,000 requests, each with a unique ignored 8 KB parameter: one response, one entry.
    let filler = "x".repeat(8 * 1024);
    for i in 0..2000 {
        let path = format!("/v0.1/servers?limit=5&junk{i}={filler}");
        assert_eq!(edge.text(&path).await.0, 200);
    }
    let metrics = edge.text("/metrics").await.1;
    assert_eq!(sample(&metrics, "mcp_gitops_response_cache_entries"), 1.0);
    let held = sample(&metrics, "mcp_gitops_response_cache_bytes");
    assert!(held < 1_000_000.0, "{held} bytes for one small page");
    // Distinct requests the API does know each get an entry, all weighed against the budget.
    for i in 0..300 {
        let path = format!("/v0.1/servers?search=churn-{i}");
        assert_eq!(edge.text(&path).await.0, 200);
    }
    let metrics = edge.text("/metrics").await.1;
    let entries = sample(&metrics, "mcp_gitops_response_cache_entries");
    let held = sample(&metrics, "mcp_gitops_response_cache_bytes");
    assert!(entries > 1.0, "{entries}");
    assert!(
        held <= (64u64 << 20) as f64,
        "{held} bytes over the 64 MiB budget"
    );
    edge.stop().await;
}

#[tokio::test]
async fn an_updated_since_past_year_9999_is_a_400() {
    let edge = on_example(Limits::default()).await;
    for since in [
        "9999-12-31T23:59:59-23:59",
        "9999-12-31T23:00:00-02:00",
        "0000-01-01T00:00:00%2B01:00",
    ] {
        let (status, body) = edge
            .get(&format!("/v0.1/servers?updated_since={since}"))
            .await;
        assert_eq!(status, 400, "{since}: {body}");
        assert!(body["detail"].as_str().unwrap().contains("updated_since"));
    }
    // The connection pool and the service are fine afterwards.
    assert_eq!(edge.get("/v0.1/servers?limit=1").await.0, 200);
    edge.stop().await;
}

#[tokio::test]
async fn status_with_many_errors_stays_small() {
    let tmp = tempfile::tempdir().unwrap();
    // One file with 5,000 versions, each with a status that does not exist: 5,000 errors.
    let mut yaml = String::from(
        "$schema: https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json\n\
         name: com.example/noisy\ndescription: Noisy\nversions:\n",
    );
    for i in 0..5000 {
        yaml.push_str(&format!("  - version: 1.0.{i}\n    status: bogus\n"));
    }
    write_files(tmp.path(), &[("servers/com.example/noisy.yaml", &yaml)]);
    let edge = Service::start_on(directory_options(tmp.path()), Limits::default(), false).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let body = loop {
        let r = edge.client.get(edge.url("/status")).send().await.unwrap();
        let text = r.text().await.unwrap();
        let json: Json = serde_json::from_str(&text).unwrap();
        if json["lastAttempt"]["errorCount"].as_u64().unwrap_or(0) > 0 {
            break text;
        }
        assert!(Instant::now() < deadline, "no attempt recorded: {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let json: Json = serde_json::from_str(&body).unwrap();
    assert_eq!(json["lastAttempt"]["errorCount"], 5000);
    assert_eq!(json["lastAttempt"]["errors"].as_array().unwrap().len(), 100);
    assert!(body.len() < 200_000, "/status is {} bytes", body.len());
    edge.stop().await;
}

/// The service on example-repo with the webhook on, its secret `s3cret` in a file in `dir`;
/// once it serves.
async fn with_webhook(dir: &Path) -> (Service, PathBuf) {
    let secret = dir.join("secret");
    std::fs::write(&secret, "s3cret").unwrap();
    let mut opts = directory_options(Path::new(EXAMPLE_REPO));
    opts.webhook_secret_file = Some(secret.clone());
    let edge = Service::start_on(opts, Limits::default(), false).await;
    edge.wait_served().await;
    (edge, secret)
}

#[tokio::test]
async fn a_hung_webhook_secret_does_not_stall_other_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let (edge, secret) = with_webhook(tmp.path()).await;
    // The secret becomes a FIFO nobody writes to: opening it blocks, as a hung mount does.
    let fifo = tmp.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::fs::rename(&fifo, &secret).unwrap();

    let deliveries: Vec<_> = (0..4)
        .map(|_| {
            let (client, url) = (edge.client.clone(), edge.url("/webhook"));
            tokio::spawn(async move {
                let started = Instant::now();
                let r = client
                    .post(url)
                    .header("x-github-event", "push")
                    .header("x-hub-signature-256", "sha256=00")
                    .body("{}")
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), started.elapsed())
            })
        })
        .collect();
    // Meanwhile every other request is answered at once.
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    while started.elapsed() < Duration::from_secs(3) {
        let t = Instant::now();
        assert_eq!(edge.get("/v0.1/servers?limit=1").await.0, 200);
        assert_eq!(edge.get("/healthz").await.0, 200);
        slowest = slowest.max(t.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        slowest < Duration::from_millis(500),
        "a request took {slowest:?}"
    );
    for delivery in deliveries {
        let (status, took) = delivery.await.unwrap();
        assert_eq!(status, 503);
        assert!(took < Duration::from_secs(6), "a delivery took {took:?}");
    }
    // Release the blocked read, so the runtime can shut down.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&secret)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"x"))
        .unwrap();
    edge.stop().await;
}

#[tokio::test]
async fn webhook_events_other_than_push_do_nothing_and_big_bodies_get_a_json_413() {
    let tmp = tempfile::tempdir().unwrap();
    let (edge, _) = with_webhook(tmp.path()).await;
    let post = |event: &'static str, body: Vec<u8>| {
        let signature = mcp_gitops::http::webhook::github_signature(b"s3cret", &body);
        edge.client
            .post(edge.url("/webhook"))
            .header("x-github-event", event)
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
    };
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(post("ping", b"{}".to_vec()).await.unwrap()), 200);
    assert_eq!(status(post("issues", b"{}".to_vec()).await.unwrap()), 200);
    assert_eq!(status(post("push", b"{}".to_vec()).await.unwrap()), 202);
    let r = post("push", vec![b' '; 6 << 20]).await.unwrap();
    assert_eq!(r.status(), 413);
    let text = r.text().await.unwrap();
    let json: Json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    assert_eq!(json["status"], 413);
    edge.stop().await;
}

#[tokio::test]
async fn a_missing_webhook_secret_refuses_to_start() {
    let mut opts = directory_options(Path::new(EXAMPLE_REPO));
    opts.webhook_secret_file = Some(PathBuf::from("/nonexistent/webhook-secret"));
    let listeners = Listeners {
        main: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        ops: None,
    };
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        start_with(opts, listeners, Limits::default(), std::future::pending()),
    )
    .await
    .expect("refused at once");
    let message = mcp_gitops::error_chain::error_chain(&result.unwrap_err());
    assert!(message.contains("/nonexistent/webhook-secret"), "{message}");
}

#[tokio::test]
async fn cors_on_the_api_only_and_ops_on_their_own_port() {
    let edge = Service::start_on(
        directory_options(Path::new(EXAMPLE_REPO)),
        Limits::default(),
        true,
    )
    .await;
    edge.wait_served().await;
    let ops = edge.ops.clone().unwrap();
    let origin = |r: &reqwest::Response| {
        r.headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string())
    };
    let r = edge
        .client
        .get(edge.url("/v0.1/servers"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(origin(&r).as_deref(), Some("*"));
    // /status and /metrics are on the ops port, not on the public one.
    for path in ["/status", "/metrics"] {
        let r = edge.client.get(edge.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path} on the main port");
        let r = edge
            .client
            .get(format!("{ops}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path} on the ops port");
        assert_eq!(origin(&r), None, "{path} is not readable cross-origin");
    }
    // The probes answer on both.
    for base in [edge.base.clone(), ops.clone()] {
        let r = edge
            .client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(origin(&r), None);
    }
    edge.stop().await;
}

#[tokio::test]
async fn a_preflight_with_authorization_passes_on_a_private_registry() {
    let mut opts = directory_options(Path::new(EXAMPLE_REPO));
    opts.api.read_token = Some("t0ken".into());
    let edge = Service::start_on(opts, Limits::default(), false).await;
    edge.wait_served().await;
    let r = edge
        .client
        .request(reqwest::Method::OPTIONS, edge.url("/v0.1/servers"))
        .header("origin", "https://vscode.dev")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let h = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(h("access-control-allow-origin").as_deref(), Some("*"));
    assert!(
        h("access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase()
            .contains("authorization")
    );
    // Without the token: 401, still readable by the browser page that asked.
    let r = edge
        .client
        .get(edge.url("/v0.1/servers"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("access-control-allow-origin"));
    let r = edge
        .client
        .get(edge.url("/v0.1/servers"))
        .bearer_auth("t0ken")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    edge.stop().await;
}

#[tokio::test]
async fn the_read_token_file_is_read_again_when_it_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("token");
    std::fs::write(&file, "first\n").unwrap();
    let mut opts = directory_options(Path::new(EXAMPLE_REPO));
    opts.api.read_token = Some("first".into());
    opts.read_token_file = Some(file.clone());
    let edge = Service::start_on(opts, Limits::default(), false).await;
    let status = |token: &'static str| {
        let r = edge
            .client
            .get(edge.url("/v0.1/servers?limit=1"))
            .bearer_auth(token)
            .send();
        async move { r.await.unwrap().status().as_u16() }
    };
    edge.wait_served().await;
    assert_eq!(status("first").await, 200);
    std::fs::write(&file, "second\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while status("second").await != 200 {
        assert!(Instant::now() < deadline, "the new token is not taken");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status("first").await, 401, "the old token no longer works");
    edge.stop().await;
}

#[tokio::test]
async fn sighup_syncs_now_and_the_process_stays() {
    let tmp = tempfile::tempdir().unwrap();
    let upstream = tmp.path().join("upstream");
    std::fs::create_dir_all(&upstream).unwrap();
    git(&upstream, &["init", "-q", "-b", "main"]);
    let server_file = |version: &str| {
        format!(
            "$schema: https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json\n\
             name: com.example/hup\ndescription: Hangup\nversion: {version}\n"
        )
    };
    write_files(
        &upstream,
        &[("servers/com.example/hup.yaml", &server_file("1.0.0"))],
    );
    git(&upstream, &["add", "-A"]);
    git(&upstream, &["commit", "-qm", "one"]);
    let port = free_port();
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .args(["--repo", &format!("file://{}", upstream.display())])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args([
            "--cache-dir",
            &tmp.path().join("cache").display().to_string(),
        ])
        .args(["--poll-interval", "1h"]);
    let mut server = Server::spawn(cmd, port, tmp.path().join("log"));
    server.wait_ready(Duration::from_secs(30)).await;
    write_files(
        &upstream,
        &[("servers/com.example/hup.yaml", &server_file("1.1.0"))],
    );
    git(&upstream, &["commit", "-qam", "two"]);
    let head = git(&upstream, &["rev-parse", "HEAD"]).trim().to_string();
    let pid = server.server_pid();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = client
            .get(server.url("/readyz"))
            .send()
            .await
            .expect("the process is still up after SIGHUP")
            .text()
            .await
            .unwrap();
        let r: Json = serde_json::from_str(&text).unwrap();
        if r["revision"] == head.as_str() {
            break;
        }
        assert!(Instant::now() < deadline, "SIGHUP brought no sync: {r}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(server.log().contains("SIGHUP"), "{}", server.log());
    server.stop().await;
}

#[tokio::test]
async fn a_handler_panic_is_a_json_500_and_counted() {
    use axum::routing::get;
    use tower::ServiceExt;
    let (app, state) = crate::common::fixture::app_and_state(ApiConfig::default());
    let panicking = axum::Router::new().route(
        "/panics",
        get(|| async {
            if true {
                panic!("a bug");
            }
            ""
        }),
    );
    let app = mcp_gitops::http::with_edge(panicking, state.clone()).merge(app);
    let r = app
        .oneshot(
            axum::http::Request::get("/panics")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
    let json: Json = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["status"], 500);
    assert!(!json["detail"].as_str().unwrap().contains("a bug"));
    assert_eq!(state.metrics.panics(), 1);
}

/// `EdgeLimits` defaults are what the README's "Limits and hardening" states.
#[test]
fn documented_limits() {
    let limits = Limits::default();
    assert_eq!(limits.conn.header_timeout, Duration::from_secs(15));
    assert_eq!(limits.conn.max_connections, 4096);
    assert_eq!(limits.conn.max_header_bytes, 64 * 1024);
    assert_eq!(
        limits.edge,
        EdgeLimits {
            request_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(10),
        }
    );
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for flag in [
        "--header-timeout",
        "--request-timeout",
        "--body-timeout",
        "--max-connections",
        "--ops-listen",
    ] {
        assert!(readme.contains(flag), "the README does not document {flag}");
    }
}
