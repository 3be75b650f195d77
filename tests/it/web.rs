//! The web page in-process (`oneshot`): what the HTML holds for `example-repo/` and for the API
//! fixture, paging and server-side search, the search index, escaping, the install link's
//! configuration, headers (CSP, caching), the read token, the banner and not-ready pages.
//! What only a browser shows (typing, rendering, requests made) is in `browser`.

use crate::common::example::{EXAMPLE_REPO, names_in};
use crate::common::fixture::{
    FIXTURE, FIXTURE_TIMES, REVISION, Reply, at, build_index, get, send, store_with,
};
use crate::common::vscode::assert_vscode_config;
use axum::Router;
use axum::http::{Method, StatusCode};
use mcp_gitops::check::diagnostic::{Diagnostic, Rule};
use mcp_gitops::check::validate;
use mcp_gitops::http::{ApiConfig, AppState, router};
use mcp_gitops::store::index::{Index, Input, Times};
use mcp_gitops::store::{Attempt, Outcome, Snapshot, SourceInfo, Store};
use percent_encoding::percent_decode_str;
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use time::OffsetDateTime;

/// Loads and validates a registry directory (which must be free of errors) into an index.
fn index_of(dir: &Path, commit: Option<&str>) -> Index {
    let checked = validate::check(mcp_gitops::check::dir::read_dir(dir).unwrap());
    assert_eq!(checked.errors(), 0, "{} has errors", dir.display());
    Index::build(&Input {
        servers: &checked.servers,
        commit,
        times: &Times::new(),
        fallback_time: at("2025-06-01T12:00:00Z"),
        tombstones: &Default::default(),
        view: None,
        reuse: None,
    })
}

fn example_app(config: ApiConfig) -> (Router, Arc<Store>) {
    let store = store_with(index_of(Path::new(EXAMPLE_REPO), None), REVISION);
    (router(AppState::new(Arc::clone(&store), config)), store)
}

fn open() -> ApiConfig {
    ApiConfig {
        cache_max_age: 30,
        read_token: None,
    }
}

fn text(r: &Reply) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

/// The `href`s of the cards on a list page, in order.
fn card_links(html: &str) -> Vec<String> {
    html.split("<h2 class=\"card-title\"><a href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

/// Every `src`/`href` a page loads by itself (scripts, styles, icons, images): the resources a
/// browser fetches without a click. Links (`<a href>`) are navigations and not counted.
fn loaded_urls(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tag in html.split('<').skip(1) {
        let name = tag.split([' ', '>']).next().unwrap_or("");
        let attr = match name {
            "script" | "img" | "iframe" | "source" | "video" | "audio" | "embed" => "src=\"",
            "link" => "href=\"",
            _ => continue,
        };
        if let Some(rest) = tag.split_once(attr) {
            out.push(rest.1.split('"').next().unwrap().to_string());
        }
    }
    out
}

/// The decoded JSON of every "Install in VS Code" link on a page.
fn install_configs(html: &str) -> Vec<Json> {
    html.split("data-install=\"vscode\" href=\"")
        .skip(1)
        .map(|s| {
            let href = s.split('"').next().unwrap().replace("&#39;", "'");
            let query = href
                .strip_prefix("vscode:mcp/install?")
                .unwrap_or_else(|| panic!("not an install link: {href}"));
            let json = percent_decode_str(query).decode_utf8().unwrap();
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
        })
        .collect()
}

#[tokio::test]
async fn the_list_shows_every_server_of_example_repo() {
    let (app, _) = example_app(open());
    let r = get(&app, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let html = text(&r);
    let names = names_in(Path::new(EXAMPLE_REPO));
    assert_eq!(names.len(), 15);
    let linked: BTreeSet<String> = card_links(&html)
        .iter()
        .map(|h| h.trim_start_matches("/servers/").to_string())
        .collect();
    assert_eq!(linked, names);
    assert!(html.contains("<p id=\"count\" class=\"count\" aria-live=\"polite\">15 servers</p>"));
    assert!(html.contains("id=\"empty\" hidden>"));
    // Title, description, latest version (the pin, not the highest), status and transports.
    assert!(html.contains(">Support Desk</a>"));
    assert!(html.contains("title=\"Latest version\">3.1.0<"));
    assert!(html.contains("by github.com/northwind-labs"));
    assert!(html.contains("<span class=\"chip\">remote streamable-http</span>"));
    assert!(html.contains("<span class=\"chip\">oci</span>"));
    // The served revision and when.
    assert!(html.contains(&format!("title=\"content digest {REVISION}\"")));
    assert!(html.contains("<time datetime=\""));
    assert!(
        !html.contains("id=\"rejected\""),
        "no banner while all is well"
    );
}

#[tokio::test]
async fn deleted_servers_are_hidden_and_deprecated_ones_marked() {
    let store = store_with(build_index(FIXTURE, FIXTURE_TIMES), REVISION);
    let app = router(AppState::new(store, open()));
    let html = text(&get(&app, "/").await);
    let links = card_links(&html);
    assert!(!links.iter().any(|l| l.contains("gone")), "{links:?}");
    assert_eq!(links.len(), 6);
    // beta's latest is the pinned 1.1.0 (active); the deprecated 1.0.0 shows on its page.
    let beta = text(&get(&app, "/servers/com.example/beta").await);
    assert!(beta.contains("Version <span class=\"version\">1.1.0</span>"));
    let latest = text(&get(&app, "/servers/com.example/beta?version=latest").await);
    assert!(latest.contains("Version <span class=\"version\">1.1.0</span>"));
    assert!(beta.contains(
        "badge-deprecated\">deprecated</span> <span class=\"status-message\">Upgrade to 1.1.0"
    ));
    assert!(beta.contains(
        "badge-deleted\">deleted</span> <span class=\"status-message\">Withdrawn; it logged secrets"
    ));
    // A deleted version has its page, marked, and offers no install.
    let old = text(&get(&app, "/servers/com.example/beta?version=0.9.0").await);
    assert!(old.contains("<p class=\"notice notice-deleted\"><strong>Deleted:</strong> Withdrawn; it logged secrets</p>"));
    assert!(old.contains("A deleted version cannot be installed"));
    // A server whose versions are all deleted still has a page (links keep working).
    let gone = get(&app, "/servers/io.github.acme/gone").await;
    assert_eq!(gone.status, StatusCode::OK);
    assert!(text(&gone).contains("notice-deleted"));
}

#[tokio::test]
async fn thousands_of_servers_are_paged_and_searched_on_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    mcp_gitops::synth::write_registry(tmp.path(), 120, 1, 7).unwrap();
    let names = names_in(tmp.path());
    let store = store_with(index_of(tmp.path(), None), REVISION);
    let app = router(AppState::new(store, open()));
    let mut seen = Vec::new();
    for page in 1..=3 {
        let html = text(&get(&app, &format!("/?page={page}")).await);
        assert!(html.contains(&format!("Page {page} of 3")), "page {page}");
        seen.extend(card_links(&html));
    }
    assert_eq!(seen.len(), 120);
    let seen: BTreeSet<String> = seen
        .iter()
        .map(|h| h.trim_start_matches("/servers/").to_string())
        .collect();
    assert_eq!(seen, names, "every server once across the pages");
    // Out of range or not a number: the nearest page.
    assert_eq!(card_links(&text(&get(&app, "/?page=99").await)).len(), 20);
    assert_eq!(card_links(&text(&get(&app, "/?page=x").await)).len(), 50);
    // ?q= filters by every word, case-insensitively, over name, title and description.
    let one = names.iter().nth(17).unwrap().clone();
    let html = text(&get(&app, &format!("/?q={}", one.to_uppercase())).await);
    let links = card_links(&html);
    assert!(links.contains(&format!("/servers/{one}")), "{links:?}");
    assert!(html.contains(&format!(" of 120 servers match “{}”", one.to_uppercase())));
    let html = text(&get(&app, "/?q=zzzz-nothing-like-this").await);
    assert!(card_links(&html).is_empty());
    assert!(html.contains("id=\"empty\">No server matches"));
    // The pager keeps the query.
    let wide = text(&get(&app, "/?q=mcp").await);
    if wide.contains("Page 1 of") && !wide.contains("Page 1 of 1") {
        assert!(wide.contains("href=\"/?page=2&amp;q=mcp\""));
    }
}

#[tokio::test]
async fn the_search_index_is_compact_cached_per_revision_and_compressed() {
    let (app, _) = example_app(open());
    let html = text(&get(&app, "/").await);
    let url = html
        .split("data-index=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(url, format!("/search.json?r={REVISION}"));
    let r = get(&app, &url).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let j = r.json();
    assert_eq!(j["revision"], REVISION);
    let rows = j["servers"].as_array().unwrap();
    assert_eq!(rows.len(), 15);
    let support = rows
        .iter()
        .find(|r| r[0] == "com.northwind/support-desk")
        .unwrap();
    assert_eq!(
        support,
        &serde_json::json!([
            "com.northwind/support-desk",
            "Support Desk",
            "Search, triage and answer customer tickets in the Northwind support desk.",
            "3.1.0",
            "",
            ["npm"]
        ])
    );
    // An old revision's URL still answers, with the current content, not to be kept.
    let stale = get(&app, "/search.json?r=old").await;
    assert_eq!(stale.header("cache-control"), Some("no-cache"));
    // gzip when asked, and 304 on the ETag.
    let gz = send(&app, Method::GET, &url, &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(gz.body.len() < r.body.len());
    let etag = gz.header("etag").unwrap().to_string();
    let again = send(
        &app,
        Method::GET,
        &url,
        &[("accept-encoding", "gzip"), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn a_detail_page_shows_packages_arguments_and_environment() {
    let (app, _) = example_app(open());
    let r = get(&app, "/servers/com.northwind.data/lakehouse-sql").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = text(&r);
    for expected in [
        "<h1>Lakehouse SQL</h1>",
        "<code id=\"server-name\">com.northwind.data/lakehouse-sql</code>",
        "<h2 id=\"packages\">Packages</h2>",
        "<span class=\"chip\">oci</span> <code>ghcr.io/northwind-labs/lakehouse-sql-mcp:0.12.0</code>",
        "<caption>Runtime arguments</caption>",
        "<code>--volume</code>",
        "<code>{results_dir}:/results</code>",
        "<caption>Package arguments</caption>",
        "<code>catalog</code> <span class=\"muted\">(positional)</span>",
        "default <code>sales</code>",
        "<caption>Environment variables</caption>",
        "<code>LAKEHOUSE_DSN</code>",
        "<span class=\"badge badge-required\">required</span> <span class=\"badge badge-secret\">secret</span>",
        "href=\"https://github.com/northwind-labs/data-platform\"",
        "<code>mcp/lakehouse-sql</code>",
        "<code id=\"source-file\">servers/com.northwind.data/lakehouse-sql.yaml</code>",
    ] {
        assert!(html.contains(expected), "missing {expected}");
    }
    let configs = install_configs(&html);
    assert_eq!(configs.len(), 1);
    assert_vscode_config(&configs[0]);
    assert_eq!(configs[0]["command"], "docker");
    assert_eq!(configs[0]["env"]["LAKEHOUSE_DSN"], "${input:LAKEHOUSE_DSN}");
    let dsn = configs[0]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "LAKEHOUSE_DSN")
        .unwrap();
    assert_eq!(dsn["password"], true);
    // The mcp.json snippet holds the same configuration, under `servers`.
    let snippet = html
        .split("<pre class=\"snippet\" id=\"snippet-0\" tabindex=\"0\"><code>")
        .nth(1)
        .unwrap()
        .split("</code>")
        .next()
        .unwrap()
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let file: Json = serde_json::from_str(&snippet).unwrap();
    let server = &file["servers"]["com.northwind.data/lakehouse-sql"];
    assert_eq!(server["args"], configs[0]["args"]);
    assert_eq!(file["inputs"], configs[0]["inputs"]);
}

#[tokio::test]
async fn a_detail_page_shows_remotes_and_every_version() {
    let (app, _) = example_app(open());
    let html = text(&get(&app, "/servers/com.northwind/orders").await);
    for expected in [
        "<h2 id=\"remotes\">Remotes</h2>",
        "<code class=\"url\">https://{tenant}.mcp.northwind.example/mcp</code>",
        "<caption>URL variables</caption>",
        "<code>{tenant}</code>",
        "<caption>Headers</caption>",
        "<code>Authorization</code>",
        "<code>Bearer {token}</code>",
        "<h2 id=\"versions\">Versions</h2>",
        "href=\"/servers/com.northwind/orders?version=1.4.0\">1.4.0</a>",
        "href=\"/servers/com.northwind/orders?version=2.0.0\">2.0.0</a>",
        "<strong>2.1.0</strong></span> <span class=\"badge badge-latest\">latest</span>",
        "The 1.x SSE endpoint shuts down on 2026-06-30.",
        "https://cdn.northwind.example/icons/orders.svg",
    ] {
        assert!(html.contains(expected), "missing {expected}");
    }
    let configs = install_configs(&html);
    assert_eq!(configs.len(), 1);
    assert_vscode_config(&configs[0]);
    assert_eq!(configs[0]["type"], "http");
    assert_eq!(
        configs[0]["url"],
        "https://${input:tenant}.mcp.northwind.example/mcp"
    );
    assert_eq!(
        configs[0]["headers"]["Authorization"],
        "Bearer ${input:token}"
    );
    // The deprecated 1.x is an SSE remote; its page installs that.
    let old = text(&get(&app, "/servers/com.northwind/orders?version=1.4.0").await);
    assert!(old.contains("notice-deprecated"));
    let configs = install_configs(&old);
    assert_eq!(configs[0]["type"], "sse");
    assert_vscode_config(&configs[0]);
}

#[tokio::test]
async fn every_install_link_of_example_repo_is_a_valid_vscode_config() {
    let (app, _) = example_app(open());
    let mut links = 0;
    let mut secrets = 0;
    for name in names_in(Path::new(EXAMPLE_REPO)) {
        let html = text(&get(&app, &format!("/servers/{name}")).await);
        for c in install_configs(&html) {
            assert_eq!(c["name"], name.as_str());
            assert_vscode_config(&c);
            links += 1;
            let inputs = c["inputs"].as_array().cloned().unwrap_or_default();
            secrets += inputs.iter().filter(|i| i["password"] == true).count();
        }
    }
    assert!(links >= 15, "{links} install links");
    assert!(secrets >= 10, "secrets are inputs: {secrets}");
}

#[tokio::test]
async fn user_content_is_escaped_and_links_are_only_http() {
    let files: &[(&str, &str)] = &[(
        "servers/com.example/evil.yaml",
        r#"name: com.example/evil
title: "<script>alert('t')</script>"
description: "<img src=x onerror=alert(1)> & \"quotes\""
version: "1.0.0"
packages:
  - registryType: npm
    identifier: "evil\"><script>x</script>"
    version: "1.0.0"
    transport:
      type: stdio
    environmentVariables:
      - name: TOKEN
        description: "</code><script>alert(2)</script>"
        isSecret: true
"#,
    )];
    let store = store_with(build_index(files, &[]), REVISION);
    let app = router(AppState::new(store, open()));
    for path in ["/", "/servers/com.example/evil", "/?q=%3Cscript%3E"] {
        let html = text(&get(&app, path).await);
        assert!(!html.contains("<script>"), "{path}: {html}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(
            html.contains("&lt;script&gt;") || html.contains("&lt;img"),
            "{path}"
        );
        for url in loaded_urls(&html) {
            assert!(url.starts_with("/assets/"), "{path} loads {url}");
        }
    }
    let html = text(&get(&app, "/servers/com.example/evil").await);
    let c = install_configs(&html);
    assert_vscode_config(&c[0]);
    assert_eq!(c[0]["args"][1], "evil\"><script>x</script>@1.0.0");
}

#[tokio::test]
async fn pages_are_locked_down_and_revalidated() {
    let (app, _) = example_app(open());
    for path in ["/", "/servers/com.northwind/orders", "/search.json"] {
        let r = get(&app, path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("x-registry-revision"), Some(REVISION));
    }
    let r = get(&app, "/").await;
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    let etag = r.header("etag").unwrap().to_string();
    let again = send(&app, Method::GET, "/", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    let gz = send(&app, Method::GET, "/", &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    // No inline script or style: the policy would block them.
    let html = text(&r);
    assert!(!html.contains("<script>") && !html.contains(" style=") && !html.contains("<style"));
    for url in loaded_urls(&html) {
        assert!(url.starts_with("/assets/"), "loads {url}");
        let asset = get(&app, &url).await;
        assert_eq!(asset.status, StatusCode::OK, "{url}");
        assert_eq!(
            asset.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
    }
    assert_eq!(
        get(&app, "/assets/search.js").await.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    // Unknown paths keep the API's JSON 404; unknown servers get the page's own 404.
    let r = get(&app, "/nope").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let r = get(&app, "/servers/com.northwind/nope").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(text(&r).contains("No server has this name."));
    let r = get(&app, "/servers/com.northwind/orders?version=9.9.9").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&app, "/assets/other.js").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_read_token_guards_the_page_like_the_api() {
    let (app, _) = example_app(ApiConfig {
        cache_max_age: 30,
        read_token: Some("s3cret-token".into()),
    });
    for path in [
        "/",
        "/?q=orders",
        "/servers/com.northwind/orders",
        "/search.json",
    ] {
        let r = get(&app, path).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(!text(&r).contains("Northwind"), "{path} says nothing");
        let r = send(
            &app,
            Method::GET,
            path,
            &[("authorization", "Bearer s3cret-token")],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.header("cache-control").unwrap().starts_with("private"));
        assert!(r.header("vary").unwrap().contains("Authorization"));
    }
    // The assets are the same for every registry and say nothing about this one.
    assert_eq!(get(&app, "/assets/page.css").await.status, StatusCode::OK);
}

fn rejected_attempt(store: &Store) {
    store.record(Attempt {
        at: OffsetDateTime::now_utc(),
        outcome: Outcome::Invalid,
        revision: Some("feedc0de".repeat(5)),
        errors: vec![Diagnostic::new(
            Rule::SchemaRequired,
            "servers/com.northwind/orders.yaml",
            mcp_gitops::check::node::Pos { line: 3, col: 1 },
            "`description` is required <b>",
        )],
        warnings: 0,
        message: None,
        duration_ms: 1,
    });
}

#[tokio::test]
async fn a_rejected_commit_shows_a_banner() {
    let (app, store) = example_app(open());
    let before = get(&app, "/").await;
    rejected_attempt(&store);
    let r = get(&app, "/").await;
    let html = text(&r);
    assert!(html.contains("<div class=\"banner\" role=\"alert\" id=\"rejected\">"));
    assert!(html.contains("The latest commit <code title=\"feedc0defeedc0de"));
    assert!(html.contains("was rejected</strong> with 1 error;"));
    assert!(html.contains("<a href=\"/status\">/status</a>"));
    assert!(html.contains("servers/com.northwind/orders.yaml:3:1"));
    assert!(html.contains("&lt;b&gt;"), "the error is escaped");
    assert_ne!(r.header("etag"), before.header("etag"), "a new ETag");
    let detail = text(&get(&app, "/servers/com.northwind/orders").await);
    assert!(detail.contains("id=\"rejected\""));
}

#[tokio::test]
async fn not_ready_says_so() {
    let store = Arc::new(Store::new(SourceInfo::directory("test")));
    rejected_attempt(&store);
    let app = router(AppState::new(store, open()));
    let r = get(&app, "/").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    let html = text(&r);
    assert!(html.contains("No good revision of the registry is served yet"));
    assert!(html.contains("id=\"rejected\""));
    assert_eq!(
        get(&app, "/search.json").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn the_file_links_to_its_repository_host() {
    let commit = "0f0e0d0c0b0a09080706050403020100ffeeddcc";
    let store = Arc::new(Store::new(SourceInfo::git(
        "https://***@github.com/northwind-labs/mcp-registry.git",
    )));
    store.publish(Snapshot::of_index(
        commit.into(),
        Some(commit.into()),
        index_of(Path::new(EXAMPLE_REPO), Some(commit)),
    ));
    let app = router(AppState::new(store, open()));
    let html = text(&get(&app, "/servers/com.northwind/pricing").await);
    assert!(html.contains(&format!(
        "<a id=\"source-file\" href=\"https://github.com/northwind-labs/mcp-registry/blob/{commit}/servers/com.northwind/pricing.yaml\""
    )));
    assert!(html.contains(&format!(
        "href=\"https://github.com/northwind-labs/mcp-registry/commit/{commit}\""
    )));
    assert!(html.contains(&format!("title=\"commit {commit}\"")));
}
