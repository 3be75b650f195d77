//! The API as the README describes it, rule by rule, in-process (`oneshot`) against a small registry whose
//! times are set by hand (the fixture in `common::fixture`).

use crate::common::fixture::{
    FIXTURE, FIXTURE_TIMES, REVISION, Reply, app_with, build_index, fixture_app, get, send,
    store_with,
};
use axum::Router;
use axum::http::{Method, StatusCode};
use mcp_gitops::http::{ApiConfig, AppState, router};
use mcp_gitops::store::{Snapshot, SourceInfo, Store};
use std::collections::HashSet;
use std::sync::Arc;

/// Every fixture entry in listing order: name byte order, then semver ascending, then the
/// non-semver ones by publishedAt.
const ORDER: &[(&str, &str)] = &[
    ("com.example/alpha", "1.0.0"),
    ("com.example/beta", "0.9.0"),
    ("com.example/beta", "1.0.0"),
    ("com.example/beta", "1.1.0"),
    ("com.example/beta", "2.0.0-rc.1"),
    ("io.github.acme/WeatherStation", "1.0.0"),
    ("io.github.acme/gone", "1.0.0"),
    ("io.github.acme/nightly", "nightly-b"),
    ("io.github.acme/nightly", "nightly-a"),
    ("io.github.acme/tools", "0.1.0"),
    ("io.github.acme/tools", "snapshot-b"),
    ("io.github.acme/tools", "snapshot-a"),
    ("io.github.acme/weather", "1.0.0"),
    ("io.github.acme/weather", "1.2.0+build.7"),
];

const DELETED: &[(&str, &str)] = &[
    ("com.example/beta", "0.9.0"),
    ("io.github.acme/gone", "1.0.0"),
];

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn visible() -> Vec<(String, String)> {
    owned(ORDER)
        .into_iter()
        .filter(|(n, v)| !DELETED.contains(&(n.as_str(), v.as_str())))
        .collect()
}

/// Asserts the error body has both shapes clients parse.
#[track_caller]
fn assert_error(r: &Reply, status: u16) {
    assert_eq!(
        r.status.as_u16(),
        status,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let j = r.json();
    assert_eq!(j["status"], status);
    assert!(j["title"].is_string(), "{j}");
    assert!(j["detail"].as_str().is_some_and(|d| !d.is_empty()), "{j}");
    assert_eq!(j["error"], j["detail"]);
    assert_eq!(r.header("content-type"), Some("application/json"));
}

/// Follows `nextCursor` from `first` until the end; returns every entry and the page count.
async fn collect_pages(
    app: &Router,
    first: &str,
    later: impl Fn(&str) -> String,
) -> (Vec<(String, String)>, usize) {
    let mut all = Vec::new();
    let mut r = get(app, first).await;
    let mut pages = 1;
    loop {
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        let page = r.entries();
        assert_eq!(r.json()["metadata"]["count"], page.len());
        all.extend(page);
        let Some(cursor) = r.next_cursor() else { break };
        assert!(
            cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "cursor is base64url without padding: {cursor}"
        );
        assert!(pages < 100, "paging does not end");
        r = get(app, &later(&cursor)).await;
        pages += 1;
    }
    (all, pages)
}

#[tokio::test]
async fn list_is_sorted_hides_deleted_and_has_meta() {
    let app = fixture_app();
    let r = get(&app, "/v0.1/servers").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.entries(), visible());
    let j = r.json();
    assert_eq!(j["metadata"]["count"], visible().len());
    assert!(
        j["metadata"].get("nextCursor").is_none(),
        "no nextCursor when all fit"
    );
    for e in j["servers"].as_array().unwrap() {
        let official = &e["_meta"]["io.modelcontextprotocol.registry/official"];
        for key in ["status", "statusChangedAt", "publishedAt", "updatedAt"] {
            assert!(official[key].is_string(), "{key} in {official}");
        }
        assert!(official["isLatest"].is_boolean());
        let source = &e["_meta"]["io.github.mcp-gitops/source"];
        assert!(
            source["file"].as_str().unwrap().starts_with("servers/"),
            "{source}"
        );
        assert!(
            source.get("commit").is_none(),
            "no commit in a plain directory"
        );
        assert_eq!(
            e["server"]["$schema"],
            "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
        );
    }
    // Times as given, RFC 3339 UTC.
    let beta = &j["servers"][2]["_meta"]["io.modelcontextprotocol.registry/official"];
    assert_eq!(j["servers"][2]["server"]["version"], "1.1.0");
    assert_eq!(beta["publishedAt"], "2025-03-01T00:00:00Z");
    assert_eq!(beta["status"], "active");
}

#[tokio::test]
async fn is_latest_follows_the_pin_then_semver_then_publication() {
    let app = fixture_app();
    let r = get(&app, "/v0.1/servers?include_deleted=true").await;
    let latest: Vec<(String, String)> = r.json()["servers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"] == true)
        .map(|e| {
            (
                e["server"]["name"].as_str().unwrap().to_string(),
                e["server"]["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        latest,
        owned(&[
            ("com.example/alpha", "1.0.0"),
            // Pinned, although 2.0.0-rc.1 is higher.
            ("com.example/beta", "1.1.0"),
            ("io.github.acme/WeatherStation", "1.0.0"),
            // Only non-semver versions: the newest publishedAt.
            ("io.github.acme/nightly", "nightly-a"),
            // Semver beats non-semver, even when older.
            ("io.github.acme/tools", "0.1.0"),
            ("io.github.acme/weather", "1.2.0+build.7"),
        ]),
        "gone has only a deleted version and so no latest"
    );
    let r = get(&app, "/v0.1/servers?version=latest").await;
    assert_eq!(r.entries(), latest);
}

#[tokio::test]
async fn deleted_and_deprecated_versions() {
    let app = fixture_app();
    for flag in ["true", "1"] {
        let r = get(&app, &format!("/v0.1/servers?include_deleted={flag}")).await;
        assert_eq!(r.entries(), owned(ORDER), "include_deleted={flag}");
    }
    for flag in ["false", "0"] {
        let r = get(&app, &format!("/v0.1/servers?include_deleted={flag}")).await;
        assert_eq!(r.entries(), visible(), "include_deleted={flag}");
    }
    for flag in ["yes", "TRUE", "2"] {
        let r = get(&app, &format!("/v0.1/servers?include_deleted={flag}")).await;
        assert_error(&r, 400);
    }
    // A deprecated version is listed and says so, with its message.
    let r = get(&app, "/v0.1/servers/com.example%2Fbeta/versions/1.0.0").await;
    assert_eq!(r.status, StatusCode::OK);
    let official = &r.json()["_meta"]["io.modelcontextprotocol.registry/official"];
    assert_eq!(official["status"], "deprecated");
    assert_eq!(official["statusMessage"], "Upgrade to 1.1.0");
    // A deleted version is not found unless asked for.
    let r = get(&app, "/v0.1/servers/com.example%2Fbeta/versions/0.9.0").await;
    assert_error(&r, 404);
    let r = get(
        &app,
        "/v0.1/servers/com.example%2Fbeta/versions/0.9.0?include_deleted=true",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let official = &r.json()["_meta"]["io.modelcontextprotocol.registry/official"];
    assert_eq!(official["status"], "deleted");
    assert_eq!(official["statusMessage"], "Withdrawn; it logged secrets");
    // A server whose every version is deleted.
    assert_error(
        &get(&app, "/v0.1/servers/io.github.acme%2Fgone/versions").await,
        404,
    );
    assert_error(
        &get(&app, "/v0.1/servers/io.github.acme%2Fgone/versions/latest").await,
        404,
    );
    let r = get(
        &app,
        "/v0.1/servers/io.github.acme%2Fgone/versions?include_deleted=true",
    )
    .await;
    assert_eq!(r.entries(), owned(&[("io.github.acme/gone", "1.0.0")]));
}

#[tokio::test]
async fn limit_values() {
    let app = fixture_app();
    for bad in ["0", "-1", "abc", "1.5", "10x"] {
        let r = get(&app, &format!("/v0.1/servers?limit={bad}")).await;
        assert_error(&r, 400);
        assert!(r.json()["detail"].as_str().unwrap().contains("limit"));
    }
    for ok in ["100", "1000"] {
        let r = get(&app, &format!("/v0.1/servers?limit={ok}")).await;
        assert_eq!(r.status, StatusCode::OK, "limit={ok}");
        assert_eq!(r.entries(), visible());
    }
    let r = get(&app, "/v0.1/servers?limit=1").await;
    assert_eq!(r.entries().len(), 1);
    assert!(r.next_cursor().is_some());
}

#[tokio::test]
async fn limit_above_100_is_clamped_and_30_is_the_default() {
    let files: Vec<(String, String)> = (0..120)
        .map(|i| {
            (
                format!("servers/com.example/s{i:03}.yaml"),
                format!("name: com.example/s{i:03}\ndescription: Server {i}\nversion: \"1.0.0\"\n"),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let app = router(AppState::new(
        store_with(build_index(&files, &[]), REVISION),
        ApiConfig::default(),
    ));
    let r = get(&app, "/v0.1/servers").await;
    assert_eq!(r.entries().len(), 30);
    let r = get(&app, "/v0.1/servers?limit=1000").await;
    assert_eq!(r.entries().len(), 100);
    assert_eq!(r.json()["metadata"]["count"], 100);
    let rest = get(
        &app,
        &format!(
            "/v0.1/servers?limit=1000&cursor={}",
            r.next_cursor().unwrap()
        ),
    )
    .await;
    assert_eq!(rest.entries().len(), 20);
    assert!(rest.next_cursor().is_none());
    let (all, pages) = collect_pages(&app, "/v0.1/servers?limit=100", |c| {
        format!("/v0.1/servers?limit=100&cursor={c}")
    })
    .await;
    assert_eq!((all.len(), pages), (120, 2));
}

#[tokio::test]
async fn paging_by_two_returns_every_entry_once_in_order() {
    let app = fixture_app();
    let (all, pages) = collect_pages(&app, "/v0.1/servers?limit=2", |c| {
        format!("/v0.1/servers?limit=2&cursor={c}")
    })
    .await;
    assert_eq!(all, visible());
    assert_eq!(pages, visible().len().div_ceil(2));
    let set: HashSet<_> = all.iter().collect();
    assert_eq!(set.len(), all.len(), "no entry twice");
    // With the deleted ones, carried by the cursor.
    let (all, _) = collect_pages(&app, "/v0.1/servers?limit=2&include_deleted=true", |c| {
        format!("/v0.1/servers?limit=2&cursor={c}")
    })
    .await;
    assert_eq!(all, owned(ORDER));
}

#[tokio::test]
async fn a_bogus_cursor_is_400() {
    let app = fixture_app();
    for cursor in [
        "nonsense!",
        "bm90IGpzb24",
        "e30",
        "%FF%FE",
        "eyJuIjoiIiwidiI6IjEifQ",
    ] {
        let r = get(&app, &format!("/v0.1/servers?cursor={cursor}")).await;
        assert_error(&r, 400);
        assert!(r.json()["detail"].as_str().unwrap().contains("cursor"));
    }
}

#[tokio::test]
async fn search_is_case_insensitive_and_survives_a_cursor_alone() {
    let app = fixture_app();
    let weather = owned(&[
        ("io.github.acme/WeatherStation", "1.0.0"),
        ("io.github.acme/weather", "1.0.0"),
        ("io.github.acme/weather", "1.2.0+build.7"),
    ]);
    for q in ["weather", "WEATHER", "WeAtHeR"] {
        let r = get(&app, &format!("/v0.1/servers?search={q}")).await;
        assert_eq!(r.entries(), weather, "search={q}");
    }
    // VS Code sends the search on the first page only.
    let (all, pages) = collect_pages(&app, "/v0.1/servers?limit=1&search=Weather", |c| {
        format!("/v0.1/servers?limit=1&cursor={c}")
    })
    .await;
    assert_eq!((all, pages), (weather, 3));
    // `%` and `_` are literal, not SQL wildcards.
    assert!(
        get(&app, "/v0.1/servers?search=%25")
            .await
            .entries()
            .is_empty()
    );
    assert!(
        get(&app, "/v0.1/servers?search=_")
            .await
            .entries()
            .is_empty()
    );
    // A substring anywhere in the name, namespace included.
    assert_eq!(
        get(&app, "/v0.1/servers?search=example%2Fb")
            .await
            .entries()
            .len(),
        3
    );
}

#[tokio::test]
async fn updated_since_is_strict_takes_offsets_and_brings_deleted_in() {
    let app = fixture_app();
    // beta 0.9.0 and 1.0.0 were updated at 2025-04-01T00:00:00Z; `>` is strict.
    let expected = owned(&[
        ("com.example/beta", "0.9.0"),
        ("com.example/beta", "1.0.0"),
        ("io.github.acme/WeatherStation", "1.0.0"),
        ("io.github.acme/gone", "1.0.0"),
        ("io.github.acme/weather", "1.0.0"),
        ("io.github.acme/weather", "1.2.0+build.7"),
    ]);
    let r = get(&app, "/v0.1/servers?updated_since=2025-03-31T23:59:59Z").await;
    assert_eq!(r.entries(), expected);
    // The same instant written with an offset; `+` encoded, and sent bare (read as a space).
    for since in ["2025-04-01T01:59:59%2B02:00", "2025-04-01T01:59:59+02:00"] {
        let r = get(&app, &format!("/v0.1/servers?updated_since={since}")).await;
        assert_eq!(r.entries(), expected, "{since}");
    }
    let r = get(&app, "/v0.1/servers?updated_since=2025-04-01T00:00:00Z").await;
    assert_eq!(r.entries(), expected[2..].to_vec(), "equal is not after");
    let r = get(
        &app,
        "/v0.1/servers?updated_since=2025-03-31T22:00:00-02:00",
    )
    .await;
    assert_eq!(r.entries(), expected[2..].to_vec());
    // Fractions of a second.
    let r = get(
        &app,
        "/v0.1/servers?updated_since=2025-06-30T23:59:59.999999Z",
    )
    .await;
    assert_eq!(
        r.entries(),
        owned(&[("io.github.acme/weather", "1.2.0+build.7")])
    );
    // No offset, or not a time: 400.
    for bad in [
        "2025-04-01T00:00:00",
        "2025-04-01",
        "yesterday",
        "1712345678",
    ] {
        assert_error(
            &get(&app, &format!("/v0.1/servers?updated_since={bad}")).await,
            400,
        );
    }
    // Deleted entries are forced in; asking to leave them out contradicts that.
    let r = get(
        &app,
        "/v0.1/servers?updated_since=2025-03-31T23:59:59Z&include_deleted=true",
    )
    .await;
    assert_eq!(r.entries(), expected);
    let r = get(
        &app,
        "/v0.1/servers?updated_since=2025-03-31T23:59:59Z&include_deleted=false",
    )
    .await;
    assert_error(&r, 400);
    // Carried by the cursor.
    let (all, _) = collect_pages(
        &app,
        "/v0.1/servers?limit=4&updated_since=2025-03-31T23:59:59Z",
        |c| format!("/v0.1/servers?limit=4&cursor={c}"),
    )
    .await;
    assert_eq!(all, expected);
}

#[tokio::test]
async fn version_filter() {
    let app = fixture_app();
    let r = get(&app, "/v0.1/servers?version=1.0.0").await;
    assert_eq!(
        r.entries(),
        owned(&[
            ("com.example/alpha", "1.0.0"),
            ("com.example/beta", "1.0.0"),
            ("io.github.acme/WeatherStation", "1.0.0"),
            ("io.github.acme/weather", "1.0.0"),
        ])
    );
    let r = get(&app, "/v0.1/servers?version=1.2.0%2Bbuild.7").await;
    assert_eq!(
        r.entries(),
        owned(&[("io.github.acme/weather", "1.2.0+build.7")])
    );
    assert!(
        get(&app, "/v0.1/servers?version=9.9.9")
            .await
            .entries()
            .is_empty()
    );
}

#[tokio::test]
async fn versions_of_one_server_newest_published_first() {
    let app = fixture_app();
    let r = get(&app, "/v0.1/servers/com.example%2Fbeta/versions").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.entries(),
        owned(&[
            ("com.example/beta", "1.1.0"),
            ("com.example/beta", "2.0.0-rc.1"),
            ("com.example/beta", "1.0.0"),
        ])
    );
    assert!(r.next_cursor().is_none());
    assert_eq!(r.json()["metadata"]["count"], 3);
    let r = get(
        &app,
        "/v0.1/servers/com.example%2Fbeta/versions?include_deleted=true",
    )
    .await;
    assert_eq!(r.entries().len(), 4);
    assert_error(
        &get(
            &app,
            "/v0.1/servers/com.example%2Fbeta/versions?include_deleted=maybe",
        )
        .await,
        400,
    );
    let r = get(&app, "/v0.1/servers/com.example%2Fnope/versions").await;
    assert_error(&r, 404);
    assert_eq!(r.json()["error"], "Server not found");
}

#[tokio::test]
async fn server_names_encoded_once_twice_or_not_at_all() {
    let app = fixture_app();
    for path in [
        "/v0.1/servers/io.github.acme%2Fweather/versions/latest",
        "/v0.1/servers/io.github.acme%2fweather/versions/latest",
        "/v0.1/servers/io.github.acme%252Fweather/versions/latest",
        "/v0.1/servers/io.github.acme/weather/versions/latest",
        "/v0/servers/io.github.acme%2Fweather/versions/latest",
    ] {
        let r = get(&app, path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.json()["server"]["version"], "1.2.0+build.7", "{path}");
    }
    for path in [
        "/v0.1/servers/io.github.acme%2Fweather/versions",
        "/v0.1/servers/io.github.acme%252Fweather/versions",
        "/v0.1/servers/io.github.acme/weather/versions",
    ] {
        let r = get(&app, path).await;
        assert_eq!(r.entries().len(), 2, "{path}");
    }
}

#[tokio::test]
async fn one_version_exact_with_plus_and_latest() {
    let app = fixture_app();
    for v in ["1.2.0%2Bbuild.7", "1.2.0+build.7", "1.2.0%252Bbuild.7"] {
        let r = get(
            &app,
            &format!("/v0.1/servers/io.github.acme%2Fweather/versions/{v}"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{v}");
        let j = r.json();
        assert_eq!(j["server"]["version"], "1.2.0+build.7");
        assert_eq!(
            j["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"],
            true
        );
    }
    let r = get(&app, "/v0.1/servers/com.example%2Fbeta/versions/latest").await;
    assert_eq!(r.json()["server"]["version"], "1.1.0", "the pin");
    let r = get(
        &app,
        "/v0.1/servers/io.github.acme%2Fweather/versions/1.0.0",
    )
    .await;
    assert_eq!(
        r.json()["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"],
        false
    );
    let r = get(
        &app,
        "/v0.1/servers/io.github.acme%2Fweather/versions/3.0.0",
    )
    .await;
    assert_error(&r, 404);
    let r = get(&app, "/v0.1/servers/io.github.acme%2Fnope/versions/latest").await;
    assert_error(&r, 404);
    // The entry is the same bytes in a list and alone.
    let one = get(&app, "/v0.1/servers/com.example%2Falpha/versions/1.0.0").await;
    let list = get(&app, "/v0.1/servers?search=alpha").await;
    assert_eq!(list.json()["servers"][0], one.json());
}

#[tokio::test]
async fn v0_serves_the_same() {
    let app = fixture_app();
    for path in [
        "/servers?limit=3",
        "/servers?search=beta&include_deleted=true",
        "/servers/com.example%2Fbeta/versions",
        "/servers/com.example%2Fbeta/versions/latest",
    ] {
        let a = get(&app, &format!("/v0.1{path}")).await;
        let b = get(&app, &format!("/v0{path}")).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.body, b.body, "{path}");
    }
}

#[tokio::test]
async fn errors_unknown_routes_and_methods() {
    let app = fixture_app();
    for path in [
        "/v1/servers",
        "/v0.1",
        "/v0.1/server",
        "/v0.1/servers/x",
        "/v0.1/servers/a%2Fb/c",
    ] {
        let r = get(&app, path).await;
        assert_error(&r, 404);
        assert!(
            r.json()["detail"]
                .as_str()
                .unwrap()
                .contains("/v0.1/servers"),
            "{path}"
        );
    }
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        let r = send(&app, method.clone(), "/v0.1/servers", &[]).await;
        assert_error(&r, 405);
        assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"), "{method}");
        let r = send(
            &app,
            method.clone(),
            "/v0.1/servers/com.example%2Fbeta/versions/1.1.0",
            &[],
        )
        .await;
        assert_error(&r, 405);
        let r = send(&app, method, "/healthz", &[]).await;
        assert_error(&r, 405);
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
}

#[tokio::test]
async fn nul_in_path_or_query_is_400() {
    let app = fixture_app();
    for uri in [
        "/v0.1/servers?search=a%00b",
        "/v0.1/servers?cursor=%00",
        "/v0.1/servers/com.example%2Fbeta%00/versions",
        "/v0.1/servers/com.example%2Fbeta/versions/1.1.0%00",
        "/v0.1/servers/com.example%2Fbeta/versions/1.1.0%2500",
    ] {
        assert_error(&get(&app, uri).await, 400);
    }
}

#[tokio::test]
async fn trailing_slash_redirects_keeping_the_query() {
    let app = fixture_app();
    for (from, to) in [
        ("/v0.1/servers/", "/v0.1/servers"),
        (
            "/v0.1/servers/?limit=2&search=a",
            "/v0.1/servers?limit=2&search=a",
        ),
        ("/v0/servers//", "/v0/servers"),
        (
            "/v0.1/servers/com.example%2Fbeta/versions/",
            "/v0.1/servers/com.example%2Fbeta/versions",
        ),
        ("/healthz/", "/healthz"),
    ] {
        let r = get(&app, from).await;
        assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT, "{from}");
        assert_eq!(r.header("location"), Some(to), "{from}");
    }
}

#[tokio::test]
async fn cors_on_responses_and_preflight() {
    let app = fixture_app();
    let check = |r: &Reply| {
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            r.header("access-control-allow-methods"),
            Some("GET, OPTIONS")
        );
        assert_eq!(
            r.header("access-control-allow-headers"),
            Some("Authorization, Content-Type")
        );
    };
    for uri in [
        "/v0.1/servers",
        "/v0.1/servers?limit=0",
        "/v0.1/servers/com.example%2Fbeta/versions",
        "/v0.1/servers/com.example%2Fnope/versions/latest",
        "/v0/servers",
        "/v0.1/nowhere",
    ] {
        let r = get(&app, uri).await;
        check(&r);
        // Browser code can read the ETag and the revision.
        let exposed = r
            .header("access-control-expose-headers")
            .unwrap_or_default();
        let exposed: Vec<String> = exposed
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        assert!(exposed.contains(&"etag".to_string()), "{uri}: {exposed:?}");
        assert!(
            exposed.contains(&"x-registry-revision".to_string()),
            "{uri}: {exposed:?}"
        );
    }
    // Not readable cross-origin: the operators' endpoints (commit errors, file paths), the
    // page, and anything else.
    for uri in [
        "/status", "/metrics", "/healthz", "/readyz", "/", "/nowhere",
    ] {
        let r = get(&app, uri).await;
        assert_eq!(r.header("access-control-allow-origin"), None, "{uri}");
    }
    for uri in [
        "/v0.1/servers",
        "/v0.1/servers/com.example%2Fbeta/versions",
        "/v0.1/servers/com.example%2Fbeta/versions/1.1.0",
        "/v0/servers",
    ] {
        let r = send(
            &app,
            Method::OPTIONS,
            uri,
            &[
                ("origin", "https://vscode.dev"),
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "authorization"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{uri}");
        assert!(r.body.is_empty());
        assert!(r.header("access-control-max-age").is_some());
        check(&r);
    }
}

#[tokio::test]
async fn etag_304_cache_control_and_revision() {
    let app = fixture_app();
    let r = get(&app, "/v0.1/servers?limit=3").await;
    assert_eq!(r.header("x-registry-revision"), Some(REVISION));
    assert_eq!(r.header("cache-control"), Some("public, max-age=45"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let etag = r.header("etag").unwrap().to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong ETag: {etag}"
    );
    // Same request, same revision: same tag. Another request: another tag.
    assert_eq!(
        get(&app, "/v0.1/servers?limit=3").await.header("etag"),
        Some(etag.as_str())
    );
    assert_ne!(
        get(&app, "/v0.1/servers?limit=4").await.header("etag"),
        Some(etag.as_str())
    );
    for inm in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"other\", {etag}"),
        "*".to_string(),
    ] {
        let r = send(
            &app,
            Method::GET,
            "/v0.1/servers?limit=3",
            &[("if-none-match", &inm)],
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{inm}");
        assert!(r.body.is_empty());
        assert_eq!(r.header("etag"), Some(etag.as_str()));
        assert_eq!(r.header("x-registry-revision"), Some(REVISION));
        assert_eq!(r.header("cache-control"), Some("public, max-age=45"));
    }
    let r = send(
        &app,
        Method::GET,
        "/v0.1/servers?limit=3",
        &[("if-none-match", "\"stale\"")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    // Every API response carries the revision, errors included.
    for uri in [
        "/v0.1/servers?limit=abc",
        "/v0.1/servers/x%2Fy/versions",
        "/v0/servers/",
    ] {
        assert_eq!(
            get(&app, uri).await.header("x-registry-revision"),
            Some(REVISION),
            "{uri}"
        );
    }
    // HEAD: the headers of GET, no body.
    let r = send(&app, Method::HEAD, "/v0.1/servers?limit=3", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn gzip_and_br_when_asked() {
    use std::io::Read;
    let app = fixture_app();
    let plain = get(&app, "/v0.1/servers").await;
    assert!(plain.header("content-encoding").is_none());
    assert!(plain.header("vary").unwrap().contains("Accept-Encoding"));

    let r = send(
        &app,
        Method::GET,
        "/v0.1/servers",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let mut body = Vec::new();
    flate2::read::GzDecoder::new(r.body.as_slice())
        .read_to_end(&mut body)
        .unwrap();
    assert_eq!(body, plain.body);
    assert!(r.body.len() < plain.body.len());
    assert_ne!(
        r.header("etag"),
        plain.header("etag"),
        "one tag per representation"
    );
    // The second time from the cache of compressed bodies: the same bytes.
    let again = send(
        &app,
        Method::GET,
        "/v0.1/servers",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(again.body, r.body);
    assert_eq!(again.header("etag"), r.header("etag"));

    let r = send(
        &app,
        Method::GET,
        "/v0.1/servers",
        &[("accept-encoding", "gzip, deflate, br, zstd")],
    )
    .await;
    assert_eq!(r.header("content-encoding"), Some("br"));
    let mut body = Vec::new();
    brotli::Decompressor::new(r.body.as_slice(), 4096)
        .read_to_end(&mut body)
        .unwrap();
    assert_eq!(body, plain.body);
    let etag = r.header("etag").unwrap().to_string();
    let r = send(
        &app,
        Method::GET,
        "/v0.1/servers",
        &[
            ("accept-encoding", "gzip, deflate, br, zstd"),
            ("if-none-match", &etag),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn read_token_guards_the_api_only() {
    let app = app_with(ApiConfig {
        cache_max_age: 30,
        read_token: Some("s3cret-token".into()),
    });
    let r = get(&app, "/v0.1/servers").await;
    assert_error(&r, 401);
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
    assert!(r.header("x-registry-revision").is_none());
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    for auth in [
        "Bearer wrong",
        "Basic czNjcmV0LXRva2Vu",
        "Bearer",
        "s3cret-token",
        "Bearer s3cret-token2",
    ] {
        let r = send(&app, Method::GET, "/v0/servers", &[("authorization", auth)]).await;
        assert_error(&r, 401);
    }
    for auth in ["Bearer s3cret-token", "bearer s3cret-token"] {
        let r = send(
            &app,
            Method::GET,
            "/v0.1/servers/com.example%2Fbeta/versions",
            &[("authorization", auth)],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{auth}");
        assert_eq!(r.header("cache-control"), Some("private, max-age=30"));
        assert!(r.header("vary").unwrap().contains("Authorization"));
    }
    let r = send(
        &app,
        Method::OPTIONS,
        "/v0.1/servers",
        &[("access-control-request-method", "GET")],
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "preflight is exempt");
    for ops in ["/healthz", "/readyz", "/status", "/metrics"] {
        assert_eq!(get(&app, ops).await.status, StatusCode::OK, "{ops}");
    }
}

#[tokio::test]
async fn not_ready_until_a_good_index() {
    let store = Arc::new(Store::new(SourceInfo::directory("test")));
    let app = router(AppState::new(Arc::clone(&store), ApiConfig::default()));
    assert_eq!(get(&app, "/healthz").await.status, StatusCode::OK);
    assert_eq!(
        get(&app, "/readyz").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let r = get(&app, "/v0.1/servers").await;
    assert_error(&r, 503);
    assert!(r.header("x-registry-revision").is_none());
    store.publish(Snapshot::of_index(
        REVISION.into(),
        None,
        build_index(FIXTURE, FIXTURE_TIMES),
    ));
    assert_eq!(get(&app, "/readyz").await.status, StatusCode::OK);
    assert_eq!(get(&app, "/v0.1/servers").await.status, StatusCode::OK);
}

#[tokio::test]
async fn ops_status_and_metrics() {
    let app = fixture_app();
    get(&app, "/v0.1/servers").await;
    get(&app, "/v0.1/servers?limit=0").await;
    get(&app, "/v0.1/servers/com.example%2Fbeta/versions/latest").await;
    let r = get(&app, "/status").await;
    let j = r.json();
    assert_eq!(j["ready"], true);
    assert_eq!(j["served"]["revision"], REVISION);
    assert_eq!(j["served"]["servers"], 7);
    assert_eq!(j["served"]["entries"], 14);
    assert_eq!(j["source"]["kind"], "directory");
    let r = get(&app, "/metrics").await;
    let text = String::from_utf8(r.body).unwrap();
    for line in [
        "mcp_gitops_http_requests_total{route=\"/v0.1/servers\",status=\"200\"} 1",
        "mcp_gitops_http_requests_total{route=\"/v0.1/servers\",status=\"400\"} 1",
        "mcp_gitops_http_requests_total{route=\"/v0.1/servers/{serverName}/versions/{version}\",status=\"200\"} 1",
        "mcp_gitops_http_request_duration_seconds_count{route=\"/v0.1/servers\"} 2",
        "mcp_gitops_entries_served 14",
        "mcp_gitops_ready 1",
        "mcp_gitops_reloads_total{outcome=\"invalid\"} 0",
        &format!(
            "mcp_gitops_served_revision_info{{revision=\"{REVISION}\",source=\"directory\"}} 1"
        ),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
}

#[test]
fn index_digest_changes_with_content() {
    let a = build_index(FIXTURE, FIXTURE_TIMES);
    let b = build_index(FIXTURE, FIXTURE_TIMES);
    assert_eq!(a.digest(), b.digest());
    assert_eq!(a.digest().len(), 40);
    let mut times = FIXTURE_TIMES.to_vec();
    times[0].3 = "2025-01-02T00:00:00Z";
    assert_ne!(a.digest(), build_index(FIXTURE, &times).digest());
}

#[tokio::test]
async fn a_cursor_stays_valid_across_revisions() {
    // Page 1 from one revision; page 2 from the next, in which the last version of page 1 and
    // the first of page 2 are gone and a new server sorts into the rest.
    let old = fixture_app();
    let r = get(&old, "/v0.1/servers?limit=4").await;
    assert_eq!(
        r.entries().last().unwrap(),
        &("com.example/beta".into(), "2.0.0-rc.1".into())
    );
    let cursor = r.next_cursor().unwrap();

    let mut files: Vec<(&str, &str)> = FIXTURE
        .iter()
        .filter(|(path, _)| !path.ends_with("WeatherStation.yaml"))
        .copied()
        .collect();
    let beta =
        "name: com.example/beta\ndescription: Beta tools\nversions:\n  - version: \"1.1.0\"\n";
    files.retain(|(path, _)| !path.ends_with("beta.yaml"));
    files.push(("servers/com.example/beta.yaml", beta));
    files.push((
        "servers/com.example/gamma.yaml",
        "name: com.example/gamma\ndescription: New in this revision\nversion: \"1.0.0\"\n",
    ));
    let new = router(AppState::new(
        store_with(build_index(&files, FIXTURE_TIMES), "feedface"),
        ApiConfig::default(),
    ));
    let r = get(&new, &format!("/v0.1/servers?limit=4&cursor={cursor}")).await;
    assert_eq!(r.header("x-registry-revision"), Some("feedface"));
    assert_eq!(
        r.entries(),
        owned(&[
            ("com.example/gamma", "1.0.0"),
            ("io.github.acme/nightly", "nightly-b"),
            ("io.github.acme/nightly", "nightly-a"),
            ("io.github.acme/tools", "0.1.0"),
        ])
    );
}
