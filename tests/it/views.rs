//! Views: several registries from one repository, on the real service. Each view of
//! example-repo serves exactly what it selects (as VS Code pages it, as a client pages every
//! version), and passes `mcp-gitops check` at its own base URL; a cursor of one view is refused
//! by the others; one reload changes every view together; a view's token, and a registry that
//! serves its views only.

use crate::common::service::Service;
use crate::common::{copy_dir, write_files};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A copy of example-repo (with its views), to change freely.
fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("example-repo"),
        &dir,
    );
    (tmp, dir)
}

async fn started(dir: &Path) -> Service {
    let service = Service::start(dir.to_path_buf()).await;
    service.wait_served().await;
    service
}

/// Every (name, version) of a listing, paged with the cursor alone as a client does, and the
/// number of pages.
async fn page_all(service: &Service, first: &str) -> (Vec<(String, String)>, usize) {
    let mut seen = Vec::new();
    let mut path = first.to_string();
    for pages in 1..=200 {
        let (status, j) = service.get(&path).await;
        assert_eq!(status, 200, "{path}: {j}");
        for e in j["servers"].as_array().unwrap() {
            seen.push((
                e["server"]["name"].as_str().unwrap().to_string(),
                e["server"]["version"].as_str().unwrap().to_string(),
            ));
        }
        match j["metadata"]["nextCursor"].as_str() {
            Some(c) => {
                let base = first.split('?').next().unwrap();
                path = format!("{base}?limit=2&cursor={c}");
            }
            None => return (seen, pages),
        }
    }
    panic!("{first}: paging did not end in 200 pages");
}

fn names(entries: &[(String, String)]) -> BTreeSet<String> {
    entries.iter().map(|(n, _)| n.clone()).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// What example-repo's views select, written out by hand from its files and registry.yaml.
fn expected(view: &str) -> BTreeSet<String> {
    match view {
        "production" => set(&[
            "com.fabrikam/invoice-ocr",
            "com.northwind.data/lakehouse-sql",
            "com.northwind.data/metrics",
            "com.northwind/docs-search",
            "com.northwind/hr-directory",
            "com.northwind/orders",
            "com.northwind/pricing",
            "com.northwind/support-desk",
            "com.northwind/warehouse",
            "com.tailspin-travel/bookings",
            "io.github.northwind-labs/log-tail",
        ]),
        "data-team" => set(&[
            "com.northwind.data/lakehouse-sql",
            "com.northwind.data/metrics",
            "io.github.northwind-labs/schema-registry",
        ]),
        "platform" => set(&[
            "io.github.northwind-labs/feature-flags",
            "io.github.northwind-labs/k8s-inspector",
            "io.github.northwind-labs/log-tail",
            "io.github.northwind-labs/schema-registry",
        ]),
        other => panic!("no view {other}"),
    }
}

#[tokio::test]
async fn each_view_serves_exactly_what_it_selects() {
    let (_tmp, dir) = example_copy();
    let service = started(&dir).await;
    let (root, _) = page_all(&service, "/v0.1/servers?limit=2").await;
    assert_eq!(names(&root).len(), 15);
    for view in ["production", "data-team", "platform"] {
        // As VS Code pages it: latest versions, 50 a page.
        let (latest, _) = page_all(
            &service,
            &format!("/{view}/v0.1/servers?limit=50&version=latest"),
        )
        .await;
        assert_eq!(names(&latest), expected(view), "{view}, latest");
        assert_eq!(latest.len(), expected(view).len(), "{view}: a name twice");
        // Every version, two a page: the view's own, none of another's.
        let (all, pages) = page_all(&service, &format!("/{view}/v0.1/servers?limit=2")).await;
        assert_eq!(names(&all), expected(view), "{view}, all versions");
        assert!(pages > 1, "{view}: paged in {pages}");
        let unique: BTreeSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len(), "{view}: an entry twice");
        for entry in &all {
            assert!(root.contains(entry), "{view}: {entry:?} is not the root's");
        }
        // And the clients' whole call sequence finds nothing wrong at the view's base URL.
        crate::common::assert_check_clean(&format!("{}/{view}", service.base)).await;
    }
    // /status says what each view serves.
    let (_, status) = service.get("/status").await;
    let views = status["served"]["views"].as_array().unwrap();
    let listed: Vec<(&str, u64)> = views
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v["servers"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [("production", 11), ("data-team", 3), ("platform", 4)]
    );
    // production keeps active versions only: orders 1.4.0 is deprecated.
    let (_, j) = service
        .get("/production/v0.1/servers/com.northwind%2Forders/versions")
        .await;
    let versions: Vec<&str> = j["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["server"]["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["2.1.0", "2.0.0"]);
    let (status, _) = service
        .get("/production/v0.1/servers/com.northwind%2Forders/versions/1.4.0")
        .await;
    assert_eq!(status, 404);
    // Labels are served under our own _meta key, never inside `server`.
    let (_, e) = service
        .get("/v0.1/servers/io.github.northwind-labs%2Flog-tail/versions/latest")
        .await;
    assert!(e["server"].get("labels").is_none());
    assert_eq!(
        e["_meta"]["io.github.mcp-gitops/source"]["labels"],
        serde_json::json!(["platform", "approved"])
    );
    service.stop().await;
}

#[tokio::test]
async fn a_cursor_of_one_view_is_refused_by_every_other() {
    let (_tmp, dir) = example_copy();
    let service = started(&dir).await;
    let cursor = |j: &Json| j["metadata"]["nextCursor"].as_str().unwrap().to_string();
    let (_, j) = service.get("/production/v0.1/servers?limit=2").await;
    let production = cursor(&j);
    let (_, j) = service.get("/v0.1/servers?limit=2").await;
    let root = cursor(&j);
    for (path, c) in [
        ("/platform/v0.1/servers", &production),
        ("/v0.1/servers", &production),
        ("/data-team/v0/servers", &production),
        ("/production/v0.1/servers", &root),
    ] {
        let (status, j) = service.get(&format!("{path}?cursor={c}")).await;
        assert_eq!(status, 400, "{path}: {j}");
        assert!(j["detail"].as_str().unwrap().contains("this cursor is of"));
    }
    // Its own view takes it.
    let (status, _) = service
        .get(&format!("/production/v0.1/servers?cursor={production}"))
        .await;
    assert_eq!(status, 200);
    // An unknown view is a JSON 404 that names the views.
    let (status, j) = service.get("/staging/v0.1/servers").await;
    assert_eq!(status, 404);
    assert!(
        j["detail"]
            .as_str()
            .unwrap()
            .contains("production, data-team, platform")
    );
    // Each view's page lists its own servers and links within the view.
    let (status, page) = service.text("/data-team").await;
    assert_eq!(status, 200);
    assert!(page.contains("href=\"/data-team/servers/com.northwind.data/metrics\""));
    assert!(!page.contains("com.northwind/orders"));
    // Each view's allowlist holds what it selects: the root's has the Fabrikam OCR image,
    // the platform team's does not.
    let (status, root_list) = service.text("/allowlists/github.json").await;
    assert_eq!(status, 200);
    assert!(root_list.contains("invoice-ocr"), "{root_list}");
    let (status, platform_list) = service.text("/platform/allowlists/github.json").await;
    assert_eq!(status, 200);
    assert!(
        platform_list.contains("allowedMcpServers"),
        "{platform_list}"
    );
    assert!(!platform_list.contains("invoice-ocr"), "{platform_list}");
    assert_ne!(platform_list, root_list);
    // Its requests have a metrics series of their own.
    let (_, metrics) = service.text("/metrics").await;
    assert!(
        metrics.contains("route=\"/v0.1/servers\",status=\"200\",view=\"production\""),
        "{metrics}"
    );
    service.stop().await;
}

#[tokio::test]
async fn one_reload_changes_every_view_together() {
    let (_tmp, dir) = example_copy();
    let service = started(&dir).await;
    let latest = "/v0.1/servers/io.github.northwind-labs%2Fschema-registry/versions/latest";
    let file = dir.join("servers/io.github.northwind-labs/schema-registry.yaml");
    let before = std::fs::read_to_string(&file).unwrap();
    let (_, old) = service.get(latest).await;
    // A new version of a server two views select (and the root).
    let after = before.replace(
        "version: \"2.3.0\"\nwebsiteUrl",
        "version: \"2.4.0\"\nwebsiteUrl",
    );
    assert_ne!(before, after);
    std::fs::write(&file, after).unwrap();
    // Every response names its revision; whichever it is, each view shows that revision's
    // content: 2.3.0 before the swap, 2.4.0 after, never a mix.
    let mut revisions = BTreeSet::new();
    for _ in 0..400 {
        for prefix in ["", "/data-team", "/platform"] {
            let r = service
                .client
                .get(service.url(&format!("{prefix}{latest}")))
                .send()
                .await
                .unwrap();
            let revision = r.headers()["x-registry-revision"]
                .to_str()
                .unwrap()
                .to_string();
            let j: Json = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
            let version = j["server"]["version"].as_str().unwrap().to_string();
            revisions.insert((revision, version));
        }
        if revisions.iter().any(|(_, v)| v == "2.4.0") && revisions.len() >= 2 {
            // Seen both sides: sample the new one a little longer.
            for prefix in ["", "/data-team", "/platform"] {
                let (_, j) = service.get(&format!("{prefix}{latest}")).await;
                assert_eq!(j["server"]["version"], "2.4.0", "{prefix}");
            }
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(old["server"]["version"], "2.3.0");
    // Two revisions, each with one version in every view.
    let by_revision: BTreeSet<&String> = revisions.iter().map(|(r, _)| r).collect();
    assert_eq!(by_revision.len(), 2, "{revisions:?}");
    assert_eq!(
        revisions.len(),
        2,
        "a revision served two versions: {revisions:?}"
    );
    // production selects by label, and schema-registry has none of its labels.
    let (status, _) = service.get(&format!("/production{latest}")).await;
    assert_eq!(status, 404);
    service.stop().await;
}

#[tokio::test]
async fn a_view_with_its_own_token_and_a_registry_of_views_only() {
    let (tmp, dir) = example_copy();
    let token = tmp.path().join("data-team-token");
    std::fs::write(&token, "team-s3cret\n").unwrap();
    let config = std::fs::read_to_string(dir.join("registry.yaml"))
        .unwrap()
        .replace(
            "    include: [io.github.northwind-labs/schema-registry]\n",
            &format!(
                "    include: [io.github.northwind-labs/schema-registry]\n    readTokenFile: {}\n",
                token.display()
            ),
        )
        + "rootRegistry: false\n";
    write_files(&dir, &[("registry.yaml", &config)]);
    let service = started(&dir).await;
    // The root is off, and says where the views are.
    let (status, j) = service.get("/v0.1/servers").await;
    assert_eq!(status, 404);
    assert!(
        j["detail"]
            .as_str()
            .unwrap()
            .contains("/production/v0.1/servers")
    );
    // The data team's view wants its token; the others are open.
    let (status, _) = service.get("/data-team/v0.1/servers").await;
    assert_eq!(status, 401);
    let r = service
        .client
        .get(service.url("/data-team/v0.1/servers"))
        .bearer_auth("team-s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, _) = service.get("/platform/v0.1/servers").await;
    assert_eq!(status, 200);
    // A browser's preflight needs no token, and a refusal carries CORS so a page can read it.
    let r = service
        .client
        .get(service.url("/data-team/v0.1/servers"))
        .header("origin", "https://vscode.dev")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let r = service
        .client
        .request(
            reqwest::Method::OPTIONS,
            service.url("/data-team/v0.1/servers"),
        )
        .header("origin", "https://vscode.dev")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    service.stop().await;
}
