//! Every response validates against the response schemas of the official OpenAPI
//! (`../shared/spec/openapi.yaml`, read at test time and never copied here): lists against
//! `ServerList`, single versions against `ServerResponse`, errors against the error shape of the
//! spec's 404 responses. Formats (`date-time`, `uri`) are checked too.

use crate::common::fixture::{Reply, fixture_app, send};
use axum::Router;
use axum::http::Method;
use mcp_gitops::http::{ApiConfig, AppState, router};
use mcp_gitops::store::reload::Reloader;
use mcp_gitops::store::source::Source;
use mcp_gitops::store::{Outcome, Store};
use serde_json::{Value as Json, json};
use std::path::Path;
use std::sync::Arc;

struct Schemas {
    list: jsonschema::Validator,
    one: jsonschema::Validator,
    error: jsonschema::Validator,
}

impl Schemas {
    fn load(spec: &Path) -> Schemas {
        let path = spec.join("openapi.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        let spec: Json =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let build = |schema: Json| {
            let mut root = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "components": spec["components"].clone(),
            });
            root.as_object_mut()
                .unwrap()
                .extend(schema.as_object().unwrap().clone());
            jsonschema::options()
                .should_validate_formats(true)
                .build(&root)
                .unwrap_or_else(|e| panic!("the spec's schema does not build: {e}"))
        };
        let error = spec["paths"]["/v0.1/servers/{serverName}/versions"]["get"]["responses"]["404"]
            ["content"]["application/json"]["schema"]
            .clone();
        assert!(error.is_object(), "the spec's 404 response schema");
        Schemas {
            list: build(json!({"$ref": "#/components/schemas/ServerList"})),
            one: build(json!({"$ref": "#/components/schemas/ServerResponse"})),
            error: build(error),
        }
    }

    /// Validates one response; returns how many entries it held.
    #[track_caller]
    fn check(&self, uri: &str, r: &Reply) -> usize {
        if r.body.is_empty() {
            // 204, 304, 308, HEAD: nothing to validate.
            return 0;
        }
        let body = r.json();
        let (validator, which) = if !r.status.is_success() {
            (&self.error, "error")
        } else if body.get("servers").is_some() {
            (&self.list, "ServerList")
        } else {
            (&self.one, "ServerResponse")
        };
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| format!("  at {}: {e}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{uri} ({}) does not validate against {which}:\n{}",
            r.status,
            errors.join("\n")
        );
        body.get("servers")
            .and_then(Json::as_array)
            .map_or(1, Vec::len)
    }
}

/// Requests every route and error of the API, following every cursor and opening every
/// version; checks each response. Returns the number of responses and entries checked.
async fn crawl(app: &Router, schemas: &Schemas) -> (usize, usize) {
    let mut responses = 0;
    let mut entries = 0;
    let mut check = |uri: &str, r: &Reply| {
        responses += 1;
        entries += schemas.check(uri, r);
    };
    let mut names = Vec::new();
    for prefix in ["/v0.1", "/v0"] {
        for query in [
            "",
            "?limit=1",
            "?limit=2&include_deleted=true",
            "?version=latest",
            "?search=e&limit=3",
            "?updated_since=2000-01-01T00:00:00Z",
        ] {
            let mut uri = format!("{prefix}/servers{query}");
            for _ in 0..1000 {
                let r = send(app, Method::GET, &uri, &[]).await;
                assert!(r.status.is_success(), "{uri}: {}", r.status);
                check(&uri, &r);
                let j = r.json();
                for e in j["servers"].as_array().unwrap() {
                    let name = e["server"]["name"].as_str().unwrap().to_string();
                    let version = e["server"]["version"].as_str().unwrap().to_string();
                    if !names.contains(&(name.clone(), version.clone())) {
                        names.push((name, version));
                    }
                }
                match j["metadata"]["nextCursor"].as_str() {
                    Some(c) => uri = format!("{prefix}/servers?cursor={c}"),
                    None => break,
                }
            }
        }
    }
    for (name, version) in &names {
        let name = name.replace('/', "%2F");
        let version = version.replace('+', "%2B");
        for uri in [
            format!("/v0.1/servers/{name}/versions"),
            format!("/v0.1/servers/{name}/versions?include_deleted=true"),
            format!("/v0.1/servers/{name}/versions/latest"),
            format!("/v0.1/servers/{name}/versions/{version}?include_deleted=true"),
            format!("/v0/servers/{name}/versions/{version}"),
        ] {
            let r = send(app, Method::GET, &uri, &[]).await;
            check(&uri, &r);
        }
    }
    // Errors of every kind.
    for uri in [
        "/v0.1/servers?limit=0",
        "/v0.1/servers?limit=abc",
        "/v0.1/servers?cursor=bogus",
        "/v0.1/servers?include_deleted=perhaps",
        "/v0.1/servers?updated_since=2025-01-01",
        "/v0.1/servers?search=%00",
        "/v0.1/servers/com.example%2Fmissing/versions",
        "/v0.1/servers/com.example%2Fmissing/versions/1.0.0",
        "/v0.1/servers/x",
        "/v2/servers",
    ] {
        let r = send(app, Method::GET, uri, &[]).await;
        assert!(r.status.is_client_error(), "{uri}");
        check(uri, &r);
    }
    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let r = send(app, method, "/v0.1/servers", &[]).await;
        check("/v0.1/servers", &r);
    }
    (responses, entries)
}

async fn served_directory(dir: &Path) -> Router {
    let store = Arc::new(Store::new(Source::Directory(dir.into()).info()));
    let reloader = Reloader::new(Arc::clone(&store), Source::Directory(dir.into()));
    let outcome = tokio::task::spawn_blocking(move || reloader.reload_blocking())
        .await
        .unwrap();
    let errors: Vec<String> = store
        .last_attempt()
        .map(|a| a.errors.iter().map(|d| d.to_string()).collect())
        .unwrap_or_default();
    assert_eq!(outcome, Outcome::Served, "{}: {errors:#?}", dir.display());
    router(AppState::new(store, ApiConfig::default()))
}

#[tokio::test]
async fn fixture_responses_match_the_openapi() {
    let schemas = Schemas::load(&crate::spec_or_skip!());
    let (responses, entries) = crawl(&fixture_app(), &schemas).await;
    eprintln!("{responses} responses, {entries} entries validated");
    assert!(
        responses > 100 && entries > 50,
        "{responses} responses, {entries} entries"
    );
}

#[tokio::test]
async fn example_repo_responses_match_the_openapi() {
    let schemas = Schemas::load(&crate::spec_or_skip!());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("example-repo");
    let (responses, entries) = crawl(&served_directory(&dir).await, &schemas).await;
    eprintln!("{responses} responses, {entries} entries validated");
    assert!(
        responses > 100 && entries > 50,
        "{responses} responses, {entries} entries"
    );
}

#[tokio::test]
async fn official_seed_responses_match_the_openapi() {
    let spec = crate::spec_or_skip!();
    let schemas = Schemas::load(&spec);
    let repo = crate::common::seed::seed_repo(&spec.join("seed.json"));
    let (responses, entries) = crawl(&served_directory(repo.path()).await, &schemas).await;
    assert!(
        responses > 20 && entries > 10,
        "{responses} responses, {entries} entries"
    );
}

#[test]
fn the_schemas_reject_what_they_should() {
    // Guards against a validator that accepts anything (a `$ref` that resolved to nothing).
    let schemas = Schemas::load(&crate::spec_or_skip!());
    let bad_list = json!({"servers": [{"server": {"name": "x"}}]});
    assert!(!schemas.list.is_valid(&bad_list));
    let bad_time = json!({
        "server": {"name": "com.example/a", "description": "d", "version": "1"},
        "_meta": {"io.modelcontextprotocol.registry/official": {"publishedAt": "yesterday"}}
    });
    assert!(!schemas.one.is_valid(&bad_time));
    assert!(!schemas.error.is_valid(&json!({"error": 404})));
}
