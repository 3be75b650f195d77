//! The small in-process API fixture: a registry with hand-set times, the router serving it,
//! and `oneshot` requests against that router.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use mcp_gitops::check::model::VersionTimes;
use mcp_gitops::check::validate;
use mcp_gitops::http::{ApiConfig, AppState, router};
use mcp_gitops::store::index::{Index, Input, Times};
use mcp_gitops::store::{Snapshot, SourceInfo, Store};
use serde_json::Value as Json;
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tower::ServiceExt;

/// A small registry: both file forms, a pin, deleted and deprecated versions, build metadata,
/// non-semver versions, and an uppercase name (byte order puts it before lowercase ones).
pub const FIXTURE: &[(&str, &str)] = &[
    (
        "servers/com.example/alpha.yaml",
        "name: com.example/alpha\ndescription: Alpha, the first server\nversion: \"1.0.0\"\n",
    ),
    (
        "servers/com.example/beta.yaml",
        r#"name: com.example/beta
description: Beta tools for testing
latest: "1.1.0"
versions:
  - version: "0.9.0"
    status: deleted
    statusMessage: Withdrawn; it logged secrets
  - version: "1.0.0"
    status: deprecated
    statusMessage: Upgrade to 1.1.0
  - version: "1.1.0"
  - version: "2.0.0-rc.1"
"#,
    ),
    (
        "servers/io.github.acme/WeatherStation.yaml",
        "name: io.github.acme/WeatherStation\ndescription: A weather station\nversion: \"1.0.0\"\n",
    ),
    (
        "servers/io.github.acme/gone.yaml",
        "name: io.github.acme/gone\ndescription: Gone for good\nversion: \"1.0.0\"\nstatus: deleted\nstatusMessage: Retired\n",
    ),
    (
        "servers/io.github.acme/nightly.yaml",
        "name: io.github.acme/nightly\ndescription: Nightly builds only\nversions:\n  - version: nightly-b\n  - version: nightly-a\n",
    ),
    (
        "servers/io.github.acme/tools.yaml",
        "name: io.github.acme/tools\ndescription: Assorted tools\nversions:\n  - version: snapshot-a\n  - version: snapshot-b\n  - version: \"0.1.0\"\n",
    ),
    (
        "servers/io.github.acme/weather.yaml",
        "name: io.github.acme/weather\ndescription: Weather forecasts\nversions:\n  - version: \"1.0.0\"\n  - version: \"1.2.0+build.7\"\n",
    ),
];

/// (name, version, publishedAt, updatedAt) of every fixture version.
pub const FIXTURE_TIMES: &[(&str, &str, &str, &str)] = &[
    (
        "com.example/alpha",
        "1.0.0",
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:00:00Z",
    ),
    (
        "com.example/beta",
        "0.9.0",
        "2025-01-05T00:00:00Z",
        "2025-04-01T00:00:00Z",
    ),
    (
        "com.example/beta",
        "1.0.0",
        "2025-02-01T00:00:00Z",
        "2025-04-01T00:00:00Z",
    ),
    (
        "com.example/beta",
        "1.1.0",
        "2025-03-01T00:00:00Z",
        "2025-03-01T00:00:00Z",
    ),
    (
        "com.example/beta",
        "2.0.0-rc.1",
        "2025-02-15T00:00:00Z",
        "2025-02-15T00:00:00Z",
    ),
    (
        "io.github.acme/WeatherStation",
        "1.0.0",
        "2025-05-01T00:00:00Z",
        "2025-05-01T00:00:00Z",
    ),
    (
        "io.github.acme/gone",
        "1.0.0",
        "2025-01-10T00:00:00Z",
        "2025-05-10T00:00:00Z",
    ),
    (
        "io.github.acme/nightly",
        "nightly-b",
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:00:00Z",
    ),
    (
        "io.github.acme/nightly",
        "nightly-a",
        "2025-02-01T00:00:00Z",
        "2025-02-01T00:00:00Z",
    ),
    (
        "io.github.acme/tools",
        "0.1.0",
        "2024-12-01T00:00:00Z",
        "2024-12-01T00:00:00Z",
    ),
    (
        "io.github.acme/tools",
        "snapshot-b",
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:00:00Z",
    ),
    (
        "io.github.acme/tools",
        "snapshot-a",
        "2025-02-01T00:00:00Z",
        "2025-02-01T00:00:00Z",
    ),
    (
        "io.github.acme/weather",
        "1.0.0",
        "2025-06-01T00:00:00Z",
        "2025-06-01T00:00:00Z",
    ),
    (
        "io.github.acme/weather",
        "1.2.0+build.7",
        "2025-07-01T00:00:00Z",
        "2025-07-01T00:00:00Z",
    ),
];

pub fn at(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap()
}

/// Loads and validates `files` (which must be free of errors) and builds an index with the
/// given times; versions without a time get 2025-01-01.
pub fn build_index(files: &[(&str, &str)], times: &[(&str, &str, &str, &str)]) -> Index {
    let dir = tempfile::tempdir().unwrap();
    crate::common::write_files(dir.path(), files);
    let checked = validate::check(mcp_gitops::check::dir::read_dir(dir.path()).unwrap());
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "the test registry has errors:\n{}",
        errors.join("\n")
    );
    let mut map = Times::new();
    for (name, version, published, updated) in times {
        map.insert(
            (name.to_string(), version.to_string()),
            VersionTimes {
                published_at: at(published),
                updated_at: at(updated),
                status_changed_at: at(updated),
            },
        );
    }
    Index::build(&Input {
        servers: &checked.servers,
        commit: None,
        times: &map,
        fallback_time: at("2025-01-01T00:00:00Z"),
        tombstones: &Default::default(),
        view: None,
        reuse: None,
    })
}

pub fn store_with(index: Index, revision: &str) -> Arc<Store> {
    let store = Arc::new(Store::new(SourceInfo::directory("test")));
    store.publish(Snapshot::of_index(revision.to_string(), None, index));
    store
}

pub const REVISION: &str = "0123456789abcdef0123456789abcdef01234567";

pub fn fixture_app() -> Router {
    app_with(ApiConfig {
        cache_max_age: 45,
        read_token: None,
    })
}

pub fn app_with(config: ApiConfig) -> Router {
    app_and_state(config).0
}

/// The fixture's app and the state it shares (to read its metrics, or to add routes).
pub fn app_and_state(config: ApiConfig) -> (Router, AppState) {
    let store = store_with(build_index(FIXTURE, FIXTURE_TIMES), REVISION);
    let state = AppState::new(store, config);
    (router(state.clone()), state)
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// (name, version) of every entry of a list body.
    pub fn entries(&self) -> Vec<(String, String)> {
        self.json()["servers"]
            .as_array()
            .expect("a servers array")
            .iter()
            .map(|e| {
                (
                    e["server"]["name"].as_str().unwrap().to_string(),
                    e["server"]["version"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    pub fn next_cursor(&self) -> Option<String> {
        self.json()["metadata"]["nextCursor"]
            .as_str()
            .map(str::to_string)
    }
}

pub async fn send(app: &Router, method: Method, uri: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn get(app: &Router, uri: &str) -> Reply {
    send(app, Method::GET, uri, &[]).await
}
