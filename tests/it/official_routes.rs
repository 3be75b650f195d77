//! The official registry's routes beside the reads, as this read-only registry answers them,
//! on the real service: ping and health, validate (the same checks as lint, the official
//! response shape, bounded, changing nothing served), and the write routes refused with where
//! changes are made.

use crate::common::service::Service;
use serde_json::{Value as Json, json};
use std::path::Path;

async fn started() -> Service {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("example-repo");
    let service = Service::start(dir).await;
    service
        .wait_for("readiness", async |s: &Service| {
            (s.get("/readyz").await.0 == 200).then_some(())
        })
        .await;
    service
}

async fn send(
    service: &Service,
    method: reqwest::Method,
    path: &str,
    body: Vec<u8>,
) -> (u16, Json) {
    let r = service
        .client
        .request(method, format!("{}{path}", service.base))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap_or(Json::Null),
    )
}

#[tokio::test]
async fn ping_health_and_version_answer_as_the_official_registry_does() {
    let service = started().await;
    for prefix in ["/v0.1", "/v0"] {
        assert_eq!(
            service.get(&format!("{prefix}/ping")).await,
            (200, json!({"pong": true}))
        );
        let (status, health) = service.get(&format!("{prefix}/health")).await;
        assert_eq!(status, 200);
        assert_eq!(health["status"], "ok");
        let (status, version) = service.get(&format!("{prefix}/version")).await;
        assert_eq!(status, 200);
        assert_eq!(version["version"], env!("CARGO_PKG_VERSION"));
    }
    service.stop().await;
}

#[tokio::test]
async fn validate_runs_lint_on_a_posted_server_json_and_changes_nothing() {
    let service = started().await;
    let (_, before) = service.get("/v0.1/servers?limit=100").await;
    let good =
        json!({"name": "com.example/weather", "description": "Forecasts", "version": "1.0.0"});
    let (status, answer) = send(
        &service,
        reqwest::Method::POST,
        "/v0.1/validate",
        good.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer, json!({"valid": true, "issues": []}));

    let range =
        json!({"name": "com.example/weather", "description": "Forecasts", "version": "^1.0.0"});
    let (status, answer) = send(
        &service,
        reqwest::Method::POST,
        "/v0.1/validate",
        range.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["valid"], false);
    let issue = &answer["issues"][0];
    assert_eq!(issue["type"], "semantic");
    assert_eq!(issue["severity"], "error");
    assert_eq!(issue["reference"], "version-range");
    assert!(
        issue["message"].as_str().unwrap().contains("^1.0.0"),
        "{answer}"
    );

    let (status, answer) = send(
        &service,
        reqwest::Method::POST,
        "/v0.1/validate",
        b"name: [".to_vec(),
    )
    .await;
    assert_eq!((status, &answer["valid"]), (200, &json!(false)), "{answer}");

    let (status, _) = send(
        &service,
        reqwest::Method::POST,
        "/v0.1/validate",
        vec![b' '; 2 << 20],
    )
    .await;
    assert_eq!(status, 413, "bounded like a registry file");

    let (_, after) = service.get("/v0.1/servers?limit=100").await;
    assert_eq!(before, after, "nothing served changed");
    service.stop().await;
}

#[tokio::test]
async fn write_routes_say_where_changes_are_made() {
    let service = started().await;
    for (method, path) in [
        (reqwest::Method::POST, "/v0.1/publish"),
        (reqwest::Method::POST, "/v0/publish"),
        (
            reqwest::Method::PATCH,
            "/v0.1/servers/com.northwind%2Fpricing/versions/1.3.1/status",
        ),
        (
            reqwest::Method::PATCH,
            "/v0.1/servers/com.northwind%2Fpricing/status",
        ),
    ] {
        let (status, answer) = send(&service, method.clone(), path, b"{}".to_vec()).await;
        assert_eq!(status, 405, "{method} {path}");
        assert!(
            answer["detail"].as_str().unwrap().contains("pull request"),
            "{answer}"
        );
    }
    service.stop().await;
}

#[tokio::test]
async fn search_matches_descriptions_too_in_listing_order_without_repeats() {
    let service = started().await;
    let names = |j: &Json| -> Vec<(String, String)> {
        j["servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["server"]["name"].as_str().unwrap().to_string(),
                    e["server"]["version"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // "Invoices" is in a description only (the server is com.fabrikam/invoice-ocr, so its
    // name matches "invoice" but not the plural).
    let (_, j) = service
        .get("/v0.1/servers?search=INVOICES&version=latest")
        .await;
    let found = names(&j);
    assert_eq!(found.len(), 1, "{j}");
    assert_eq!(found[0].0, "com.fabrikam/invoice-ocr");
    // "price book" is in the description of com.northwind/pricing only.
    let (_, j) = service.get("/v0.1/servers?search=price%20book").await;
    assert!(
        names(&j).iter().all(|(n, _)| n == "com.northwind/pricing"),
        "{j}"
    );
    assert!(!names(&j).is_empty());
    // Names and descriptions together, paged one by one with the cursor alone (as VS Code
    // pages): the same entries as one page, in order, none twice.
    let (_, whole) = service.get("/v0.1/servers?search=north&limit=100").await;
    let whole = names(&whole);
    let mut paged = Vec::new();
    let (_, mut page) = service.get("/v0.1/servers?search=north&limit=1").await;
    for _ in 0..100 {
        paged.extend(names(&page));
        let Some(cursor) = page["metadata"]["nextCursor"].as_str() else {
            break;
        };
        page = service
            .get(&format!("/v0.1/servers?limit=1&cursor={cursor}"))
            .await
            .1;
    }
    assert_eq!(paged, whole);
    assert!(
        whole.len() > 10,
        "Northwind is in many names and descriptions: {}",
        whole.len()
    );
    service.stop().await;
}
