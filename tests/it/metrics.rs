//! `/metrics` read the way Prometheus reads it (`common::exposition`): a strict parser of the
//! text exposition format (0.0.4: `# HELP`, `# TYPE`, samples with labels), then the naming
//! conventions Prometheus documents (https://prometheus.io/docs/practices/naming/): base units
//! in names (`_seconds`, `_bytes`), counters ending in `_total`, histograms with `_bucket{le=…}`,
//! `_sum` and `_count`, snake_case names and labels, one TYPE per family, info metrics as gauges
//! `…_info` of value 1. The server is the real binary on 127.0.0.1; every wait is bounded.

use crate::common::client::fetch;
use crate::common::exposition::{parse, value, violations};
use crate::common::process::{Server, free_port};
use std::collections::HashSet;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// The checker itself: each rule catches what it is for.

#[test]
fn the_checker_accepts_a_conventional_exposition() {
    let text = "\
# HELP app_requests_total Requests.
# TYPE app_requests_total counter
app_requests_total{route=\"/a\",status=\"200\"} 3
app_requests_total{route=\"/a \\\"quoted\\\"\",status=\"404\"} 1 1700000000000
# HELP app_request_duration_seconds Latency.
# TYPE app_request_duration_seconds histogram
app_request_duration_seconds_bucket{route=\"/a\",le=\"0.1\"} 1
app_request_duration_seconds_bucket{route=\"/a\",le=\"1\"} 2
app_request_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4
app_request_duration_seconds_sum{route=\"/a\"} 3.5
app_request_duration_seconds_count{route=\"/a\"} 4

# A comment.
# HELP app_build_info Build, as labels.
# TYPE app_build_info gauge
app_build_info{version=\"1.0.0\"} 1
# HELP app_last_success_timestamp_seconds When (Unix time).
# TYPE app_last_success_timestamp_seconds gauge
app_last_success_timestamp_seconds 1.7e9
";
    let families = parse(text).unwrap();
    assert_eq!(families.len(), 4);
    assert_eq!(
        families["app_requests_total"].samples[1].label("route"),
        Some("/a \"quoted\"")
    );
    assert_eq!(violations(&families, "app_"), Vec::<String>::new());
}

#[test]
fn the_checker_rejects_what_breaks_the_format() {
    for (text, why) in [
        ("app_x_total 1\n", "no TYPE"),
        (
            "# TYPE app_x_total counter\n# TYPE app_x_total counter\napp_x_total 1\n",
            "TYPE twice",
        ),
        (
            "# TYPE app_x_total counter\napp_x_total 1\n# HELP app_x_total late\n",
            "HELP after samples",
        ),
        (
            "# TYPE app_a gauge\napp_a 1\n# TYPE app_b gauge\napp_b 1\napp_a{x=\"1\"} 2\n",
            "family split",
        ),
        (
            "# TYPE app_a gauge\napp_a{x=\"1\",x=\"2\"} 1\n",
            "label twice",
        ),
        ("# TYPE app_a gauge\napp_a{x=1} 1\n", "unquoted label"),
        ("# TYPE app_a gauge\napp_a{x=\"\\t\"} 1\n", "bad escape"),
        ("# TYPE app_a gauge\napp_a one\n", "not a number"),
        ("# TYPE app_a gauge\napp_a 1\napp_a 2\n", "series twice"),
        ("# TYPE app_a gauge\napp_a 1", "no final newline"),
        ("# TYPE app_a fancy\napp_a 1\n", "unknown type"),
        ("# TYPE 9app gauge\n", "bad name"),
    ] {
        assert!(parse(text).is_err(), "accepted ({why}): {text:?}");
    }
}

#[test]
fn the_checker_rejects_what_breaks_the_conventions() {
    for (text, expected) in [
        (
            "# HELP app_requests x\n# TYPE app_requests counter\napp_requests 1\n",
            "must end in `_total`",
        ),
        (
            "# HELP app_size_total x\n# TYPE app_size_total gauge\napp_size_total 1\n",
            "only counters end in `_total`",
        ),
        (
            "# HELP app_requestCount_total x\n# TYPE app_requestCount_total counter\napp_requestCount_total 1\n",
            "not snake_case",
        ),
        (
            "# HELP app_latency_ms x\n# TYPE app_latency_ms gauge\napp_latency_ms 1\n",
            "not a base unit",
        ),
        (
            "# HELP app_sync_duration x\n# TYPE app_sync_duration gauge\napp_sync_duration 1\n",
            "end in `_seconds`",
        ),
        (
            "# HELP app_build_info x\n# TYPE app_build_info gauge\napp_build_info{v=\"1\"} 2\n",
            "value is 1",
        ),
        (
            "# HELP app_build_info x\n# TYPE app_build_info counter\napp_build_info{v=\"1\"} 1\n",
            "must be a gauge",
        ),
        ("# TYPE app_up gauge\napp_up 1\n", "no HELP"),
        (
            "# HELP other_up x\n# TYPE other_up gauge\nother_up 1\n",
            "namespace",
        ),
        (
            "# HELP app_up x\n# TYPE app_up gauge\napp_up{routeName=\"a\"} 1\n",
            "label `routeName`",
        ),
        (
            "# HELP app_wait x\n# TYPE app_wait histogram\napp_wait_bucket{le=\"+Inf\"} 1\napp_wait_sum 1\napp_wait_count 1\n",
            "base unit (`_seconds`",
        ),
        (
            "# HELP app_wait_seconds x\n# TYPE app_wait_seconds histogram\napp_wait_seconds_bucket{le=\"1\"} 2\napp_wait_seconds_bucket{le=\"2\"} 1\napp_wait_seconds_bucket{le=\"+Inf\"} 2\napp_wait_seconds_sum 1\napp_wait_seconds_count 2\n",
            "not cumulative",
        ),
        (
            "# HELP app_wait_seconds x\n# TYPE app_wait_seconds histogram\napp_wait_seconds_bucket{le=\"1\"} 1\napp_wait_seconds_sum 1\napp_wait_seconds_count 1\n",
            "no le=\"+Inf\"",
        ),
        (
            "# HELP app_wait_seconds x\n# TYPE app_wait_seconds histogram\napp_wait_seconds_bucket{le=\"+Inf\"} 3\napp_wait_seconds_sum 1\napp_wait_seconds_count 2\n",
            "_count",
        ),
    ] {
        let families = parse(text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
        let found = violations(&families, "app_");
        assert!(
            found.iter().any(|v| v.contains(expected)),
            "expected a violation containing {expected:?} for {text:?}, got {found:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The server's own /metrics.

const WEATHER: &str = "servers/io.github.acme/weather.yaml";

#[tokio::test]
async fn metrics_follow_prometheus_conventions() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::write_files(
        dir.path(),
        &[(
            WEATHER,
            "name: io.github.acme/weather\ndescription: Forecasts\nversions:\n  - version: \"1.0.0\"\n  - version: \"1.1.0\"\n",
        )],
    );
    let port = free_port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-gitops"));
    cmd.args(["serve", "--repo"])
        .arg(dir.path())
        .args(["--listen", &format!("127.0.0.1:{port}")]);
    let mut server = Server::spawn(cmd, port, dir.path().join("server.log"));
    server.wait_ready(Duration::from_secs(30)).await;
    let client = reqwest::Client::new();

    // Traffic on several routes, raw paths that must not become label values among them.
    for path in [
        "/v0.1/servers",
        "/v0.1/servers?limit=1",
        "/v0/servers/io.github.acme%2Fweather/versions/1.1.0",
        "/v0.1/servers/io.github.acme%2Fno-such-server-4711/versions",
        "/no/such/path/4711",
        "/healthz",
    ] {
        fetch(&client, &server.url(path)).await.unwrap();
    }

    // A bad commit: not served, counted as invalid, degraded.
    std::fs::write(dir.path().join(WEATHER), "name: [unclosed\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = fetch(&client, &server.url("/status")).await.unwrap().json();
        if status["degraded"] == true {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the broken file was not noticed: {status}\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let scrape = || async {
        let r = fetch(&client, &server.url("/metrics")).await.unwrap();
        assert_eq!(r.status, 200);
        let content_type = r.header("content-type").unwrap_or_default().to_string();
        assert!(
            content_type.starts_with("application/openmetrics-text; version=1.0.0"),
            "Content-Type: {content_type}"
        );
        let text = String::from_utf8(r.body).expect("UTF-8");
        let families = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let problems = violations(&families, "mcp_gitops_");
        assert!(
            problems.is_empty(),
            "/metrics breaks Prometheus conventions:\n  {}\n\n{text}",
            problems.join("\n  ")
        );
        (families, text)
    };
    let (first, text) = scrape().await;

    // The families operators alert on, with the labels they select by.
    let expect = |name: &str, kind: &str| {
        let f = first
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in\n{text}"));
        assert_eq!(f.kind, kind, "{name}");
        assert!(!f.samples.is_empty(), "{name} has no samples\n{text}");
    };
    expect("mcp_gitops_http_requests_total", "counter");
    expect("mcp_gitops_http_request_duration_seconds", "histogram");
    expect("mcp_gitops_reloads_total", "counter");
    expect("mcp_gitops_ready", "gauge");
    expect("mcp_gitops_degraded", "gauge");
    expect("mcp_gitops_served_timestamp_seconds", "gauge");
    expect("mcp_gitops_served_revision_info", "gauge");
    assert_eq!(value(&first, "mcp_gitops_ready", &[]), Some(1.0));
    assert_eq!(value(&first, "mcp_gitops_degraded", &[]), Some(1.0));
    assert!(value(&first, "mcp_gitops_reloads_total", &[("outcome", "served")]) >= Some(1.0));
    assert!(
        value(
            &first,
            "mcp_gitops_reloads_total",
            &[("outcome", "invalid")]
        ) >= Some(1.0)
    );
    assert_eq!(
        value(&first, "mcp_gitops_servers_served", &[]),
        Some(1.0),
        "the last good revision stays served"
    );
    let served_at = value(&first, "mcp_gitops_served_timestamp_seconds", &[]).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as f64;
    assert!(
        (now - 3600.0..=now + 60.0).contains(&served_at),
        "served_timestamp_seconds {served_at} is not a recent Unix time in seconds (now {now})"
    );

    // Labels are route patterns and status codes, never raw paths: the series stay few.
    for f in first.values() {
        for s in &f.samples {
            for (label, v) in &s.labels {
                assert!(
                    !v.contains("4711") && !v.contains("io.github.acme"),
                    "{}: label {label}=\"{v}\" holds a raw path or name",
                    s.name
                );
            }
        }
    }
    let statuses: HashSet<&str> = first["mcp_gitops_http_requests_total"]
        .samples
        .iter()
        .filter_map(|s| s.label("status"))
        .collect();
    assert!(
        statuses.contains("200") && statuses.contains("404"),
        "{statuses:?}"
    );

    // Counters only go up between scrapes.
    let (second, _) = scrape().await;
    for f in first.values().filter(|f| f.kind == "counter") {
        for s in &f.samples {
            let later = second[&f.name]
                .samples
                .iter()
                .find(|t| t.labels == s.labels)
                .map(|t| t.value);
            assert!(
                later.is_some_and(|v| v >= s.value),
                "{}{:?} went from {} to {later:?}",
                s.name,
                s.labels,
                s.value
            );
        }
    }
    server.stop().await;
}
