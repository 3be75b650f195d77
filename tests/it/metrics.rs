//! `/metrics` read the way Prometheus reads it: a strict parser of the text exposition format
//! (0.0.4: `# HELP`, `# TYPE`, samples with labels), then the naming conventions Prometheus
//! documents (https://prometheus.io/docs/practices/naming/): base units in names (`_seconds`,
//! `_bytes`), counters ending in `_total`, histograms with `_bucket{le=…}`, `_sum` and `_count`,
//! snake_case names and labels, one TYPE per family, info metrics as gauges `…_info` of value 1.
//! The server is the real binary on 127.0.0.1; every wait is bounded.

use crate::container::{Server, free_port};
use crate::serve_socket::fetch;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

/// One sample line: `name{labels} value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The labels without `le` (the series a histogram bucket belongs to).
    fn series_labels(&self) -> Vec<(String, String)> {
        self.labels
            .iter()
            .filter(|(k, _)| k != "le")
            .cloned()
            .collect()
    }
}

/// A metric family: its TYPE, HELP and samples, in the order they came.
#[derive(Clone, Debug)]
pub struct Family {
    pub name: String,
    pub kind: String,
    pub help: Option<String>,
    pub samples: Vec<Sample>,
}

/// The families of an exposition, by name.
pub type Families = BTreeMap<String, Family>;

const KINDS: [&str; 5] = ["counter", "gauge", "histogram", "summary", "untyped"];

/// Parses the Prometheus text format strictly. Beyond the grammar it requires what a scraper
/// relies on: a TYPE for every sample (no untyped guesses), TYPE and HELP at most once per
/// family and before its samples, the samples of a family together, no series twice.
pub fn parse(text: &str) -> Result<Families, String> {
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("the exposition does not end with a newline".into());
    }
    let mut families = Families::new();
    let mut order: Vec<String> = Vec::new();
    let mut seen_series = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let err = |m: String| format!("line {n}: {m}: {line:?}");
        if line.trim().is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('#') {
            let rest = rest.trim_start_matches([' ', '\t']);
            let (keyword, rest) = rest.split_once([' ', '\t']).unwrap_or((rest, ""));
            if keyword != "HELP" && keyword != "TYPE" {
                continue; // a plain comment
            }
            let rest = rest.trim_start_matches([' ', '\t']);
            let (name, value) = rest.split_once([' ', '\t']).unwrap_or((rest, ""));
            if !is_metric_name(name) {
                return Err(err(format!("`{name}` is not a valid metric name")));
            }
            let family = open_family(&mut families, &mut order, name).map_err(err)?;
            if keyword == "HELP" {
                if family.help.is_some() {
                    return Err(err(format!("a second HELP for {name}")));
                }
                if !family.samples.is_empty() {
                    return Err(err(format!("HELP for {name} after its samples")));
                }
                family.help = Some(unescape(value, false).map_err(err)?);
            } else {
                let kind = value.trim_end_matches([' ', '\t']);
                if !KINDS.contains(&kind) {
                    return Err(err(format!("unknown type `{kind}`")));
                }
                if !family.kind.is_empty() {
                    return Err(err(format!("a second TYPE for {name}")));
                }
                if !family.samples.is_empty() {
                    return Err(err(format!("TYPE for {name} after its samples")));
                }
                family.kind = kind.to_string();
            }
            continue;
        }
        let sample = parse_sample(line).map_err(err)?;
        let family_name = family_of(&families, &sample.name).ok_or_else(|| {
            err(format!(
                "sample {} has no TYPE line before it (or a suffix its type does not have)",
                sample.name
            ))
        })?;
        let mut key_labels = sample.labels.clone();
        key_labels.sort();
        if !seen_series.insert((sample.name.clone(), key_labels)) {
            return Err(err("the same series twice".into()));
        }
        let family = open_family(&mut families, &mut order, &family_name).map_err(err)?;
        family.samples.push(sample);
    }
    for f in families.values() {
        if f.kind.is_empty() {
            return Err(format!("{} has HELP but no TYPE", f.name));
        }
    }
    Ok(families)
}

/// The family `name` (created if new); an error when another family came in between.
fn open_family<'a>(
    families: &'a mut Families,
    order: &mut Vec<String>,
    name: &str,
) -> Result<&'a mut Family, String> {
    if order.last().map(String::as_str) != Some(name) {
        if order.iter().any(|n| n == name) {
            return Err(format!(
                "{name} continues after another family: a family's lines must be together"
            ));
        }
        order.push(name.to_string());
    }
    Ok(families.entry(name.to_string()).or_insert_with(|| Family {
        name: name.to_string(),
        kind: String::new(),
        help: None,
        samples: vec![],
    }))
}

/// The family a sample name belongs to, given the TYPEs declared so far.
fn family_of(families: &Families, sample: &str) -> Option<String> {
    if let Some(f) = families.get(sample)
        && !f.kind.is_empty()
        && f.kind != "histogram"
    {
        return Some(sample.to_string());
    }
    for (suffix, kinds) in [
        ("_bucket", &["histogram"][..]),
        ("_sum", &["histogram", "summary"][..]),
        ("_count", &["histogram", "summary"][..]),
    ] {
        if let Some(base) = sample.strip_suffix(suffix)
            && families
                .get(base)
                .is_some_and(|f| kinds.contains(&f.kind.as_str()))
        {
            return Some(base.to_string());
        }
    }
    None
}

fn is_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Undoes the format's escapes: `\\` and `\n` everywhere, `\"` in label values only.
fn unescape(s: &str, label_value: bool) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if label_value => out.push('"'),
            other => return Err(format!("invalid escape \\{}", other.unwrap_or(' '))),
        }
    }
    Ok(out)
}

fn parse_value(s: &str) -> Result<f64, String> {
    match s {
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ if s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')) =>
        {
            s.parse::<f64>()
                .map_err(|_| format!("`{s}` is not a number"))
        }
        _ => Err(format!("`{s}` is not a number")),
    }
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ', '\t']).unwrap_or(line.len());
    let name = &line[..name_end];
    if !is_metric_name(name) {
        return Err(format!("`{name}` is not a valid metric name"));
    }
    let mut rest = &line[name_end..];
    let mut labels: Vec<(String, String)> = Vec::new();
    if let Some(after) = rest.strip_prefix('{') {
        rest = after;
        loop {
            rest = rest.trim_start_matches([' ', '\t']);
            if let Some(after) = rest.strip_prefix('}') {
                rest = after;
                break;
            }
            let eq = rest.find('=').ok_or("a label without `=`")?;
            let label = rest[..eq].trim_matches([' ', '\t']);
            if !is_label_name(label) {
                return Err(format!("`{label}` is not a valid label name"));
            }
            if labels.iter().any(|(k, _)| k == label) {
                return Err(format!("label {label} twice"));
            }
            rest = rest[eq + 1..].trim_start_matches([' ', '\t']);
            rest = rest
                .strip_prefix('"')
                .ok_or("a label value must be quoted")?;
            // The closing quote: the first `"` not escaped.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in rest.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    '\n' => return Err("a raw newline in a label value".into()),
                    _ => {}
                }
            }
            let end = end.ok_or("an unterminated label value")?;
            labels.push((label.to_string(), unescape(&rest[..end], true)?));
            rest = rest[end + 1..].trim_start_matches([' ', '\t']);
            if let Some(after) = rest.strip_prefix(',') {
                rest = after;
            } else if !rest.starts_with('}') {
                return Err("labels must be separated by `,`".into());
            }
        }
    }
    if !rest.starts_with([' ', '\t']) {
        return Err("no space before the value".into());
    }
    let mut fields = rest.split_ascii_whitespace();
    let value = parse_value(fields.next().ok_or("no value")?)?;
    if let Some(ts) = fields.next() {
        ts.parse::<i64>()
            .map_err(|_| format!("`{ts}` is not a timestamp in milliseconds"))?;
    }
    if fields.next().is_some() {
        return Err("extra fields after the value and timestamp".into());
    }
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

fn is_snake_case(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.contains("__")
        && !s.ends_with('_')
}

/// Suffixes that name a unit other than the base one Prometheus asks for.
const NON_BASE_UNITS: [&str; 12] = [
    "_ms",
    "_milliseconds",
    "_microseconds",
    "_nanoseconds",
    "_minutes",
    "_hours",
    "_days",
    "_kb",
    "_kilobytes",
    "_megabytes",
    "_mb",
    "_percent",
];

/// Every way `families` breaks Prometheus' naming and typing conventions (empty when none).
pub fn violations(families: &Families, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for f in families.values() {
        let name = &f.name;
        let mut bad = |m: String| out.push(format!("{name}: {m}"));
        if !is_snake_case(name) {
            bad("not snake_case (lower case, digits and single underscores)".into());
        }
        if !name.starts_with(prefix) {
            bad(format!("does not start with the namespace `{prefix}`"));
        }
        if f.kind == "untyped" {
            bad("untyped: give it a TYPE".into());
        }
        if f.help.as_deref().is_none_or(|h| h.trim().is_empty()) {
            bad("no HELP text".into());
        }
        let stem = name.strip_suffix("_total").unwrap_or(name);
        for unit in NON_BASE_UNITS {
            if stem.ends_with(unit) || stem.contains(&format!("{unit}_")) {
                bad(format!(
                    "`{unit}` is not a base unit (use _seconds, _bytes, or a 0–1 ratio)"
                ));
            }
        }
        let timely = ["duration", "latency", "timestamp", "time", "age", "uptime"];
        if stem.split('_').any(|w| timely.contains(&w)) && !stem.ends_with("_seconds") {
            bad("a time or duration must be in seconds and end in `_seconds`".into());
        }
        match f.kind.as_str() {
            "counter" => {
                if !name.ends_with("_total") {
                    bad("a counter's name must end in `_total`".into());
                }
                for s in &f.samples {
                    if !(s.value.is_finite() && s.value >= 0.0) {
                        bad(format!("counter value {} is not a finite count", s.value));
                    }
                }
            }
            kind => {
                if name.ends_with("_total") {
                    bad(format!("only counters end in `_total`, this is a {kind}"));
                }
            }
        }
        if name.ends_with("_info") {
            if f.kind != "gauge" {
                bad("an info metric must be a gauge".into());
            }
            for s in &f.samples {
                if s.value != 1.0 {
                    bad(format!("an info metric's value is 1, not {}", s.value));
                }
            }
        }
        for s in &f.samples {
            for (label, _) in &s.labels {
                if !is_snake_case(label) {
                    bad(format!("label `{label}` is not snake_case"));
                }
                if label == "le" && !(f.kind == "histogram" && s.name.ends_with("_bucket")) {
                    bad("`le` belongs to histogram buckets only".into());
                }
                if label == "quantile" && f.kind != "summary" {
                    bad("`quantile` belongs to summaries only".into());
                }
            }
        }
        if f.kind == "histogram" {
            if !["_seconds", "_bytes"].iter().any(|u| name.ends_with(u)) {
                bad("a histogram's name ends in its base unit (`_seconds`, `_bytes`)".into());
            }
            for problem in histogram_problems(f) {
                bad(problem);
            }
        }
    }
    out
}

/// A histogram's series: each has increasing `le` bounds ending in `+Inf`, cumulative counts,
/// and `_sum` and `_count` with the `+Inf` count.
fn histogram_problems(f: &Family) -> Vec<String> {
    type Series = Vec<(String, String)>;
    let mut out = Vec::new();
    let mut buckets: BTreeMap<Series, Vec<(f64, f64)>> = BTreeMap::new();
    let mut sums: HashMap<Series, f64> = HashMap::new();
    let mut counts: HashMap<Series, f64> = HashMap::new();
    for s in &f.samples {
        let series = s.series_labels();
        if s.name.ends_with("_bucket") {
            let Some(le) = s.label("le") else {
                out.push(format!("{series:?}: a bucket without `le`"));
                continue;
            };
            match parse_value(le) {
                Ok(bound) if !bound.is_nan() => {
                    buckets.entry(series).or_default().push((bound, s.value));
                }
                _ => out.push(format!("{series:?}: le=\"{le}\" is not a number")),
            }
        } else if s.name.ends_with("_sum") {
            sums.insert(series, s.value);
        } else {
            counts.insert(series, s.value);
        }
    }
    for (series, bs) in &buckets {
        if !bs.windows(2).all(|w| w[0].0 < w[1].0) {
            out.push(format!("{series:?}: `le` bounds are not increasing"));
        }
        if !bs.windows(2).all(|w| w[0].1 <= w[1].1) {
            out.push(format!("{series:?}: bucket counts are not cumulative"));
        }
        match bs.last() {
            Some((bound, n)) if *bound == f64::INFINITY => {
                if counts.get(series) != Some(n) {
                    out.push(format!(
                        "{series:?}: _count {:?} is not the +Inf bucket's {n}",
                        counts.get(series)
                    ));
                }
            }
            _ => out.push(format!("{series:?}: no le=\"+Inf\" bucket")),
        }
        if !sums.contains_key(series) {
            out.push(format!("{series:?}: no _sum"));
        }
    }
    for series in counts.keys().chain(sums.keys()) {
        if !buckets.contains_key(series) {
            out.push(format!("{series:?}: _sum or _count without buckets"));
        }
    }
    out
}

/// The sample of `family` whose labels include all of `labels`.
pub fn value(families: &Families, family: &str, labels: &[(&str, &str)]) -> Option<f64> {
    families.get(family)?.samples.iter().find_map(|s| {
        labels
            .iter()
            .all(|(k, v)| s.label(k) == Some(*v))
            .then_some(s.value)
    })
}

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
            content_type.starts_with("text/plain; version=0.0.4"),
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
