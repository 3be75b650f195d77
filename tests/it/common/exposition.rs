//! A strict parser of the Prometheus text exposition formats (0.0.4, and OpenMetrics 1.0 text,
//! read into the data model Prometheus stores: a counter family `x` is `x_total`, an info
//! family `x` is the gauge `x_info`), and the naming and typing conventions Prometheus
//! documents (https://prometheus.io/docs/practices/naming/).

use std::collections::{BTreeMap, HashMap, HashSet};

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

const KINDS: [&str; 7] = [
    "counter",
    "gauge",
    "histogram",
    "summary",
    "untyped",
    "info",
    "unknown",
];

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
    // OpenMetrics family names and the names Prometheus stores them under.
    let mut stored_as: HashMap<String, String> = HashMap::new();
    let mut ended = false;
    // OpenMetrics ends with `# EOF`; the 0.0.4 format has no such line.
    let openmetrics = text.lines().any(|l| l == "# EOF");
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let err = |m: String| format!("line {n}: {m}: {line:?}");
        if ended {
            return Err(err("a line after `# EOF`".into()));
        }
        if line.trim().is_empty() {
            continue;
        }
        if line == "# EOF" {
            ended = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix('#') {
            let rest = rest.trim_start_matches([' ', '\t']);
            let (keyword, rest) = rest.split_once([' ', '\t']).unwrap_or((rest, ""));
            if keyword != "HELP" && keyword != "TYPE" {
                continue; // a plain comment, or an OpenMetrics UNIT
            }
            let rest = rest.trim_start_matches([' ', '\t']);
            let (name, value) = rest.split_once([' ', '\t']).unwrap_or((rest, ""));
            if !is_metric_name(name) {
                return Err(err(format!("`{name}` is not a valid metric name")));
            }
            let kind = value.trim_end_matches([' ', '\t']);
            // An OpenMetrics counter or info family: stored under its samples' name.
            let renamed = match (keyword, kind) {
                _ if !openmetrics => None,
                ("TYPE", "counter") if !name.ends_with("_total") => Some(format!("{name}_total")),
                ("TYPE", "info") => Some(format!("{name}_info")),
                _ => None,
            };
            if let Some(new) = renamed {
                if let Some(mut family) = families.remove(name) {
                    family.name = new.clone();
                    families.insert(new.clone(), family);
                }
                if let Some(last) = order.last_mut().filter(|l| *l == name) {
                    *last = new.clone();
                }
                stored_as.insert(name.to_string(), new);
            }
            let name = stored_as.get(name).map_or(name, String::as_str);
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
                if !KINDS.contains(&kind) {
                    return Err(err(format!("unknown type `{kind}`")));
                }
                if !family.kind.is_empty() {
                    return Err(err(format!("a second TYPE for {name}")));
                }
                if !family.samples.is_empty() {
                    return Err(err(format!("TYPE for {name} after its samples")));
                }
                // Prometheus stores an info metric as a gauge of value 1.
                family.kind = if kind == "info" { "gauge" } else { kind }.to_string();
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
        // The standard process metrics keep their own names.
        if !name.starts_with(prefix) && !name.starts_with("process_") {
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
