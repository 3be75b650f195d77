//! Property tests: whatever a client sends in the query string, the cursor, the server name or
//! the version, the API answers with a status below 500 and never panics. Random inputs go
//! through the real router (`oneshot`), so every layer and handler sees them.

use crate::common::fixture::fixture_app;
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use std::sync::OnceLock;
use tower::ServiceExt;

/// One app and one runtime for every case.
fn world() -> &'static (Router, tokio::runtime::Runtime) {
    static WORLD: OnceLock<(Router, tokio::runtime::Runtime)> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        (fixture_app(), rt)
    })
}

/// Sends `uri`; a status of 500 or more (a panic becomes one) fails the property.
fn answers_below_500(uri: &str) -> Result<(), TestCaseError> {
    let Ok(request) = Request::get(uri).body(Body::empty()) else {
        // Not a valid request target: no client can send it.
        return Ok(());
    };
    let (app, rt) = world();
    let status = rt
        .block_on(app.clone().oneshot(request))
        .expect("the router is infallible")
        .status();
    prop_assert!(status.as_u16() < 500, "{uri} -> {status}");
    Ok(())
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// A parameter name the API knows, or anything.
fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("cursor".to_string()),
        Just("limit".to_string()),
        Just("search".to_string()),
        Just("updated_since".to_string()),
        Just("version".to_string()),
        Just("include_deleted".to_string()),
        "\\PC{0,12}",
    ]
}

/// A value: anything printable, numbers at the edges, times at the edges of the calendar.
fn param_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        any::<i64>().prop_map(|n| n.to_string()),
        "[0-9]{1,30}",
        rfc3339_edges(),
        Just("latest".to_string()),
        Just(String::new()),
    ]
}

/// RFC 3339 times over every year and offset, many of them past year 9999 in UTC.
fn rfc3339_edges() -> impl Strategy<Value = String> {
    (
        0u32..=9999,
        1u32..=12,
        1u32..=31,
        0u32..=23,
        0u32..=59,
        prop_oneof![Just('+'), Just('-')],
        0u32..=23,
        0u32..=59,
    )
        .prop_map(|(y, mo, d, h, mi, sign, oh, om)| {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00{sign}{oh:02}:{om:02}")
        })
}

/// A cursor: base64url of random bytes, or of a JSON object shaped like ours with random
/// fields (names, versions, times, filters).
fn cursor() -> impl Strategy<Value = String> {
    let shaped = (
        "\\PC{0,20}",
        "\\PC{0,12}",
        prop_oneof![any::<i64>().prop_map(Some), Just(None)],
        prop_oneof![param_value().prop_map(Some), Just(None)],
        prop_oneof![
            rfc3339_edges().prop_map(Some),
            "\\PC{0,10}".prop_map(Some),
            Just(None)
        ],
        prop_oneof![any::<bool>().prop_map(Some), Just(None)],
    )
        .prop_map(|(name, version, micros, search, since, deleted)| {
            let json = serde_json::json!({
                "name": name,
                "version": version,
                "published_micros": micros,
                "filters": {
                    "search": search,
                    "updated_since": since,
                    "include_deleted": deleted,
                },
            });
            URL_SAFE_NO_PAD.encode(json.to_string())
        });
    prop_oneof![
        shaped,
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
        "[A-Za-z0-9_=-]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_query_string(params in proptest::collection::vec((param_name(), param_value()), 0..6)) {
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        answers_below_500(&format!("/v0.1/servers?{}", query.join("&")))?;
    }

    #[test]
    fn any_raw_query(raw in "[a-z0-9%&=+;._~/-]{0,80}") {
        answers_below_500(&format!("/v0.1/servers?{raw}"))?;
        answers_below_500(&format!("/v0/servers/com.example%2Fbeta/versions?{raw}"))?;
    }

    #[test]
    fn any_cursor(c in cursor(), limit in prop_oneof![Just(String::new()), "[0-9]{1,4}".prop_map(|n| format!("&limit={n}"))]) {
        answers_below_500(&format!("/v0.1/servers?cursor={}{limit}", enc(&c)))?;
    }

    #[test]
    fn any_updated_since(t in rfc3339_edges()) {
        answers_below_500(&format!("/v0.1/servers?updated_since={}", enc(&t)))?;
    }

    #[test]
    fn any_name_and_version(name in "\\PC{0,30}", version in "\\PC{0,20}", twice in any::<bool>()) {
        let e = |s: &str| if twice { enc(&enc(s)) } else { enc(s) };
        answers_below_500(&format!("/v0.1/servers/{}/versions", e(&name)))?;
        answers_below_500(&format!("/v0.1/servers/{}/versions/{}", e(&name), e(&version)))?;
        answers_below_500(&format!("/v0/servers/{}/{}/versions/{}", e(&name), e(&version), e(&version)))?;
        answers_below_500(&format!("/servers/{}/{}?version={}", e(&name), e(&version), e(&version)))?;
    }

    #[test]
    fn any_page_query(q in "\\PC{0,30}", page in param_value(), r in "\\PC{0,20}") {
        answers_below_500(&format!("/?q={}&page={}", enc(&q), enc(&page)))?;
        answers_below_500(&format!("/search.json?r={}", enc(&r)))?;
        answers_below_500(&format!("/assets/{}?v={}", enc(&q), enc(&r)))?;
    }
}
