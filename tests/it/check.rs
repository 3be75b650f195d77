//! `mcp-gitops check URL` against our own service (clean) and against registries broken on
//! purpose, served from 127.0.0.1 by the test: each finding named, the exit code, and a run
//! that stays inside its bounds.

use crate::common::service::{Service, directory_options};
use axum::body::Body;
use axum::http::{Method, Response, Uri};
use mcp_gitops::probe::{CheckArgs, CheckFormat, Report, check};
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn args(url: &str) -> CheckArgs {
    CheckArgs {
        url: url.to_string(),
        token_file: None,
        format: CheckFormat::Human,
        timeout: Duration::from_secs(5),
        time_budget: Duration::from_secs(30),
        max_pages: 20,
        max_requests: 200,
        max_lookups: 10,
    }
}

async fn checked(url: &str) -> Report {
    check(&args(url)).await.unwrap()
}

/// A broken registry served, and checked.
async fn broken(b: Broken) -> (String, Report) {
    let base = serve_broken(b).await;
    let report = checked(&base).await;
    (base, report)
}

/// The first finding of `rule`.
fn finding<'r>(report: &'r Report, rule: &str) -> &'r mcp_gitops::probe::report::Finding {
    report
        .findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("no {rule} in {:#?}", report.findings))
}

/// The rules found, each once, in the order first found.
fn rules(report: &Report) -> Vec<&'static str> {
    let mut rules = Vec::new();
    for f in &report.findings {
        if !rules.contains(&f.rule) {
            rules.push(f.rule);
        }
    }
    rules
}

/// The binary's exit code and stdout.
fn run_binary(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mcp-gitops"))
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

async fn run_binary_async(args: Vec<String>) -> (i32, String) {
    tokio::task::spawn_blocking(move || {
        run_binary(&args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn our_own_service_is_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("example-repo");
    let service = Service::start(dir).await;
    service.wait_served().await;
    let report = checked(&service.base).await;
    assert_eq!(report.findings.len(), 0, "{:#?}", report.findings);
    assert!(
        report.notes.iter().any(|n| n.contains("page")),
        "{:?}",
        report.notes
    );
    // Given as the API's URL, the base is found.
    let (code, out) = run_binary_async(vec![format!("{}/v0.1", service.base)]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no findings"), "{out}");
    service.stop().await;
}

#[tokio::test]
async fn our_own_service_on_the_seed_registry_is_clean_across_pages_and_search() {
    let spec = crate::spec_or_skip!();
    let repo = crate::common::seed::seed_repo(&spec.join("seed-2025-10-03-pre/seed.json"));
    // The seed predates some of the schema's limits: the files lint rejects are left out, so
    // that the registry can be served.
    for d in crate::common::lint(repo.path(), None)
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
    {
        let _ = std::fs::remove_file(repo.path().join(&d.file));
    }
    let service = Service::start(repo.path().to_path_buf()).await;
    service.wait_served().await;
    let report = checked(&service.base).await;
    assert_eq!(report.findings.len(), 0, "{:#?}", report.findings);
    let notes = report.notes.join("\n");
    // 358 entries of fewer names, 50 a page: several pages, and a search with a second page.
    assert!(notes.contains("pages of latest versions"), "{notes}");
    assert!(notes.contains("second page without search"), "{notes}");
    service.stop().await;
}

#[tokio::test]
async fn a_private_registry_blocks_copilot_cli_lookups_and_says_so() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("example-repo");
    let mut options = directory_options(&dir);
    options.api.read_token = Some("s3cret".into());
    let service = Service::start_with(options).await;
    service.wait_served().await;
    let token = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(token.path(), "s3cret\n").unwrap();
    let mut with_token = args(&service.base);
    with_token.token_file = Some(token.path().to_path_buf());
    let report = check(&with_token).await.unwrap();
    // VS Code's calls carry the token and pass; Copilot CLI's lookups carry none.
    assert_eq!(rules(&report), ["lookup-blocked"], "{:#?}", report.findings);
    assert!(report.findings[0].message.contains("without a token"));
    // Without the token, the version probe says what is missing, and nothing else is asked.
    let report = checked(&service.base).await;
    assert_eq!(rules(&report)[0], "status");
    assert!(
        report.findings[0].message.contains("token"),
        "{}",
        report.findings[0].message
    );
    service.stop().await;
}

/// What a broken registry gets wrong.
#[derive(Clone, Copy, Default)]
struct Broken {
    no_cors: bool,
    cursor: Cursor,
    lookup_status: Option<u16>,
    first_without_description: bool,
    html: bool,
    /// The API answered from `/moved/…` after a 308.
    redirect: bool,
}

#[derive(Clone, Copy, Default, PartialEq)]
enum Cursor {
    /// One page.
    #[default]
    None,
    /// One entry a page, URL-safe cursors, ends.
    Good,
    /// The same cursor on every page.
    Repeat,
    /// Standard base64 with `+`, `/` and `=`.
    Unsafe,
    /// A new cursor and a new entry on every page, forever.
    Endless,
}

const NAMES: [&str; 3] = [
    "com.example/alpha",
    "com.example/bravo",
    "com.example/charlie",
];

fn entry(name: &str, description: bool) -> Json {
    let mut server = json!({"name": name, "version": "1.0.0"});
    if description {
        server["description"] = json!(format!("The {name} server"));
    }
    json!({"server": server, "_meta": {"io.modelcontextprotocol.registry/official": {
        "status": "active", "isLatest": true,
        "publishedAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-01T00:00:00Z"}}})
}

fn answer(b: &Broken, method: &Method, uri: &Uri) -> Response<Body> {
    if b.redirect {
        let Some(rest) = uri.path().strip_prefix("/moved") else {
            let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
            return Response::builder()
                .status(308)
                .header("location", format!("/moved{}{query}", uri.path()))
                .body(Body::empty())
                .unwrap();
        };
        let uri: Uri = format!(
            "{rest}{}",
            uri.query().map(|q| format!("?{q}")).unwrap_or_default()
        )
        .parse()
        .unwrap();
        let plain = Broken {
            redirect: false,
            ..*b
        };
        return answer(&plain, method, &uri);
    }
    let json = |status: u16, body: Json| {
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    if b.html {
        return Response::builder()
            .header("content-type", "text/html")
            .body(Body::from(
                "<!doctype html><html><body>Welcome</body></html>",
            ))
            .unwrap();
    }
    if method == Method::OPTIONS {
        return Response::builder()
            .status(if b.no_cors { 405 } else { 204 })
            .body(Body::empty())
            .unwrap();
    }
    let path = uri.path();
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let param = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if path == "/v0.1/servers" {
        let entries: Vec<Json> = NAMES
            .iter()
            .enumerate()
            .map(|(i, n)| entry(n, !(i == 0 && b.first_without_description)))
            .filter(|e| {
                param("search").is_none_or(|s| e["server"]["name"].as_str().unwrap().contains(&s))
            })
            .collect();
        if b.cursor == Cursor::None {
            let n = entries.len();
            return json(200, json!({"servers": entries, "metadata": {"count": n}}));
        }
        let page: usize = match param("cursor") {
            None => 0,
            Some(c) => match c.strip_prefix('p').and_then(|n| n.parse().ok()) {
                Some(n) => n,
                None => return json(400, json!({"error": "bad cursor"})),
            },
        };
        let (servers, next) = match b.cursor {
            Cursor::Endless => (
                vec![entry(&format!("com.example/s{page}"), true)],
                Some(format!("p{}", page + 1)),
            ),
            Cursor::Repeat => (entries[..1].to_vec(), Some("p1".to_string())),
            Cursor::Unsafe => (
                entries[..1].to_vec(),
                (page == 0).then(|| "p1+a/b==".to_string()),
            ),
            _ => (
                entries.get(page).cloned().into_iter().collect(),
                (page + 1 < entries.len()).then(|| format!("p{}", page + 1)),
            ),
        };
        return json(
            200,
            json!({"servers": servers, "metadata": {"nextCursor": next, "count": 1}}),
        );
    }
    if let Some(rest) = path.strip_prefix("/v0.1/servers/") {
        if let Some(status) = b.lookup_status {
            return json(status, json!({"error": "unauthorized"}));
        }
        let (name, tail) = rest.split_once("/versions").unwrap_or((rest, ""));
        let name = percent_encoding::percent_decode_str(name)
            .decode_utf8_lossy()
            .into_owned();
        let endless = b.cursor == Cursor::Endless && name.starts_with("com.example/s");
        if !NAMES.contains(&name.as_str()) && !endless {
            return json(404, json!({"error": "Server not found"}));
        }
        let e = entry(&name, true);
        return if tail.is_empty() {
            json(200, json!({"servers": [e], "metadata": {"count": 1}}))
        } else {
            json(200, e)
        };
    }
    json(404, json!({"error": "not found"}))
}

/// A broken registry on 127.0.0.1: its base URL.
async fn serve_broken(b: Broken) -> String {
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri| async move {
        let mut response = answer(&b, &method, &uri);
        if !b.no_cors {
            let h = response.headers_mut();
            h.insert("access-control-allow-origin", "*".parse().unwrap());
            h.insert(
                "access-control-allow-methods",
                "GET, OPTIONS".parse().unwrap(),
            );
            h.insert(
                "access-control-allow-headers",
                "Authorization, Content-Type".parse().unwrap(),
            );
        }
        response
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn the_broken_registry_of_this_test_is_clean_when_nothing_is_broken() {
    // The baseline: each finding below comes from its fault, not from the fake itself.
    for cursor in [Cursor::None, Cursor::Good] {
        let (_, report) = broken(Broken {
            cursor,
            ..Broken::default()
        })
        .await;
        assert_eq!(report.findings.len(), 0, "{:#?}", report.findings);
    }
}

#[tokio::test]
async fn static_files_without_cors_fail_the_browser() {
    let (_, report) = broken(Broken {
        no_cors: true,
        ..Broken::default()
    })
    .await;
    assert_eq!(rules(&report), ["cors"], "{:#?}", report.findings);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.method == "OPTIONS" && f.status == Some(405))
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.message.contains("Access-Control-Allow-Origin"))
    );
}

#[tokio::test]
async fn a_cursor_repeated_forever_is_a_loop_and_paging_stops() {
    let (_, report) = broken(Broken {
        cursor: Cursor::Repeat,
        ..Broken::default()
    })
    .await;
    assert!(report.has("cursor-loop"), "{:#?}", report.findings);
    // Page 2 repeats page 2: the repeat is the entry's, then the loop is seen.
    assert!(report.requests < 40, "{}", report.requests);
}

#[tokio::test]
async fn endless_paging_stops_at_the_page_cap() {
    let base = serve_broken(Broken {
        cursor: Cursor::Endless,
        ..Broken::default()
    })
    .await;
    let mut a = args(&base);
    a.max_pages = 7;
    let report = check(&a).await.unwrap();
    assert!(report.has("paging-cap"), "{:#?}", report.findings);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.message.contains("after 7 pages"))
    );
    assert_eq!(
        report.errors(),
        0,
        "a cap is a warning: {:#?}",
        report.findings
    );
}

#[tokio::test]
async fn a_cursor_that_is_not_url_safe_is_named_with_its_characters() {
    let (_, report) = broken(Broken {
        cursor: Cursor::Unsafe,
        ..Broken::default()
    })
    .await;
    let f = finding(&report, "cursor-unsafe");
    assert!(f.message.contains("`+` `/` `=`"), "{}", f.message);
    assert!(f.message.contains("without encoding"), "{}", f.message);
}

#[tokio::test]
async fn lookups_answering_401_block_every_server() {
    let (_, report) = broken(Broken {
        lookup_status: Some(401),
        ..Broken::default()
    })
    .await;
    assert_eq!(
        rules(&report),
        ["status", "lookup-blocked"],
        "{:#?}",
        report.findings
    );
    // Each listed server and the unknown name.
    let blocked = report
        .findings
        .iter()
        .filter(|f| f.rule == "lookup-blocked");
    assert_eq!(blocked.count(), NAMES.len() + 1);
    assert!(report.findings.iter().all(|f| f.status == Some(401)));
}

#[tokio::test]
async fn a_first_entry_without_a_description_rejects_the_page() {
    let (base, report) = broken(Broken {
        first_without_description: true,
        ..Broken::default()
    })
    .await;
    let f = finding(&report, "entry");
    assert!(
        f.message
            .contains("servers[0]: `server.description` is missing"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("rejects the whole page"),
        "{}",
        f.message
    );
    let (code, out) = run_binary_async(vec![base]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[entry] VS Code: GET "), "{out}");
}

#[tokio::test]
async fn a_registry_answering_html_is_not_json_and_nothing_else_is_asked() {
    let (base, report) = broken(Broken {
        html: true,
        ..Broken::default()
    })
    .await;
    assert_eq!(rules(&report)[0], "not-json", "{:#?}", report.findings);
    assert!(
        report.findings[0]
            .message
            .contains("text/html, starts `<!doctype html>")
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("nothing else was asked"))
    );
    let (code, out) = run_binary_async(vec![base, "--format".into(), "json".into()]).await;
    assert_eq!(code, 1, "{out}");
    let j: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(j["findings"][0]["rule"], "not-json");
    assert!(j["errors"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn a_silent_registry_is_a_timeout_inside_the_budget() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // Accepts and never answers, holding the sockets until the test ends.
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        for _ in 0..50 {
            let Ok((socket, _)) = listener.accept().await else {
                break;
            };
            sockets.push(socket);
        }
    });
    let mut a = args(&base);
    a.timeout = Duration::from_secs(1);
    a.time_budget = Duration::from_secs(10);
    let started = Instant::now();
    let report = check(&a).await.unwrap();
    assert_eq!(rules(&report), ["unreachable"], "{:#?}", report.findings);
    assert!(report.findings[0].message.contains("no answer within 1s"));
    assert_eq!(
        report.requests, 1,
        "nothing else is asked of a registry that never answered"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    held.abort();
}

#[test]
fn what_cannot_run_exits_2() {
    let (code, out) = run_binary(&["ftp://example.com"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not an http:// or https:// URL"), "{out}");
    let missing: PathBuf = std::env::temp_dir().join("mcp-gitops-check-no-such-token");
    let (code, out) = run_binary(&[
        "http://127.0.0.1:1",
        "--token-file",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("cannot read the token file"), "{out}");
}

#[tokio::test]
async fn a_redirect_is_followed_and_reported_and_a_preflight_redirect_fails() {
    let (_, report) = broken(Broken {
        redirect: true,
        ..Broken::default()
    })
    .await;
    let redirect = finding(&report, "redirect");
    assert!(
        redirect.message.contains("/moved/v0.1/servers"),
        "{}",
        redirect.message
    );
    // Plain requests followed it (the listing was read); the browser's preflight did not.
    assert!(
        report.notes.iter().any(|n| n.contains("3 servers")),
        "{:?}",
        report.notes
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule == "cors" && f.method == "OPTIONS" && f.message.contains("redirected")),
        "{:#?}",
        report.findings
    );
}

#[tokio::test]
async fn tls_to_a_plain_http_port_is_a_tls_finding() {
    let base = serve_broken(Broken::default()).await;
    let https = base.replace("http://", "https://");
    let report = checked(&https).await;
    assert_eq!(rules(&report), ["unreachable"], "{:#?}", report.findings);
    assert!(
        report.findings[0].message.starts_with("TLS failed"),
        "{}",
        report.findings[0].message
    );
    assert_eq!(report.requests, 1);
}
