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
async fn ping_and_health_answer_as_the_official_registry_does() {
    let service = started().await;
    for prefix in ["/v0.1", "/v0"] {
        assert_eq!(
            service.get(&format!("{prefix}/ping")).await,
            (200, json!({"pong": true}))
        );
        let (status, health) = service.get(&format!("{prefix}/health")).await;
        assert_eq!(status, 200);
        assert_eq!(health["status"], "ok");
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
