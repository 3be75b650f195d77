//! Our schema checks against the official server.json JSON Schema itself, run by the jsonschema
//! crate from `../shared/spec/schemas/` at test time. For every document as it is served (the
//! merged server.json of a version): when the official schema rejects it, lint must report an
//! error for its file. Documents come from the seed data, the rule fixtures, the example
//! repository, and broken documents written here, one per kind of constraint.

use crate::common::seed::seed_repo;
use crate::common::{lint, write_files};
use mcp_gitops::check::diagnostic::Rule;
use mcp_gitops::check::validate::Checked;
use std::path::{Path, PathBuf};

/// The rules that stand for a schema violation. (`schema-version-unknown` is stricter than the
/// schema, which takes any URI; the warnings are not violations.)
const VIOLATIONS: &[Rule] = &[
    Rule::SchemaType,
    Rule::SchemaRequired,
    Rule::SchemaLength,
    Rule::SchemaPattern,
    Rule::SchemaEnum,
    Rule::SchemaFormat,
    Rule::SchemaVariant,
];

fn official_schema(spec: &Path) -> jsonschema::Validator {
    let path = spec.join("schemas/2025-12-11.json");
    let schema = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::draft7::new(&schema)
        .unwrap_or_else(|e| panic!("{} does not compile: {e}", path.display()))
}

/// What the official schema and lint say about one server file.
#[derive(Debug)]
struct Verdict {
    file: String,
    /// The first complaint of the official schema about any of the file's versions.
    rejected: Option<String>,
    /// The keywords of all its complaints (`type`, `required`, `anyOf`...).
    keywords: Vec<String>,
    /// The rules of the errors lint reports for the file.
    errors: Vec<Rule>,
}

fn verdicts(checked: &Checked, schema: &jsonschema::Validator) -> Vec<Verdict> {
    checked
        .servers
        .iter()
        .map(|server| {
            let rejected = server.versions.iter().find_map(|v| {
                let json = v.doc.to_json();
                let e = schema.iter_errors(&json).next()?;
                Some(format!(
                    "version {:?}: {e} (at `{}`)",
                    v.version(),
                    e.instance_path()
                ))
            });
            let keywords = server
                .versions
                .iter()
                .flat_map(|v| {
                    let json = v.doc.to_json();
                    let found: Vec<String> = schema
                        .iter_errors(&json)
                        .map(|e| e.kind().keyword().to_string())
                        .collect();
                    found
                })
                .collect();
            let errors = checked
                .diagnostics
                .iter()
                .filter(|d| d.file == server.file && d.is_error())
                .map(|d| d.rule)
                .collect();
            Verdict {
                file: server.file.clone(),
                rejected,
                keywords,
                errors,
            }
        })
        .collect()
}

/// Files the official schema rejects and lint passes.
fn missed(verdicts: &[Verdict], repo: &str) -> Vec<String> {
    verdicts
        .iter()
        .filter(|v| v.errors.is_empty())
        .filter_map(|v| {
            let why = v.rejected.as_ref()?;
            Some(format!(
                "{repo}/{}: the official schema rejects it, lint reports no error: {why}",
                v.file
            ))
        })
        .collect()
}

#[test]
fn on_the_seed_data_lint_and_the_official_schema_agree_both_ways() {
    let spec = crate::spec_or_skip!();
    let schema = official_schema(&spec);
    let mut failures = Vec::new();
    let mut rejected = 0;
    for seed in ["seed-2025-10-03-pre/seed.json", "seed.json"] {
        let repo = seed_repo(&spec.join(seed));
        let verdicts = verdicts(&lint(repo.path(), None), &schema);
        failures.extend(missed(&verdicts, seed));
        // And the other way: what the schema accepts, our schema checks accept.
        for v in &verdicts {
            let ours: Vec<&Rule> = v.errors.iter().filter(|r| VIOLATIONS.contains(r)).collect();
            match (&v.rejected, ours.is_empty()) {
                (Some(_), _) => rejected += 1,
                (None, false) => failures.push(format!(
                    "{seed}/{}: the official schema accepts it, lint reports {ours:?}",
                    v.file
                )),
                (None, true) => {}
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The official schema did its part: the seed's invalid descriptions (see `seed`).
    assert_eq!(rejected, 143);
}

#[test]
fn on_the_rule_fixtures_what_the_official_schema_rejects_lint_reports() {
    let schema = official_schema(&crate::spec_or_skip!());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let mut failures = Vec::new();
    let mut documents = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        // A `lint --base` fixture holds two trees; each is a repository of its own.
        let trees: Vec<PathBuf> = if dir.join("base").is_dir() {
            vec![dir.join("base"), dir.join("head")]
        } else {
            vec![dir.clone()]
        };
        for tree in trees.iter().filter(|t| t.is_dir()) {
            let checked = lint(tree, None);
            documents += checked.versions();
            let name = tree.strip_prefix(&root).unwrap().display().to_string();
            failures.extend(missed(&verdicts(&checked, &schema), &name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(documents > 10, "only {documents} documents in the fixtures");
}

#[test]
fn on_the_example_repository_what_the_official_schema_rejects_lint_reports() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("example-repo");
    if !repo.is_dir() {
        return;
    }
    let spec = crate::spec_or_skip!();
    let verdicts = verdicts(&lint(&repo, None), &official_schema(&spec));
    let failures = missed(&verdicts, "example-repo");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The rule of ours that stands for a JSON Schema keyword.
fn rule_for(keyword: &str) -> Option<Rule> {
    Some(match keyword {
        "type" => Rule::SchemaType,
        "required" => Rule::SchemaRequired,
        "minLength" | "maxLength" => Rule::SchemaLength,
        "pattern" => Rule::SchemaPattern,
        "enum" | "not" => Rule::SchemaEnum,
        "format" => Rule::SchemaFormat,
        _ => return None,
    })
}

/// The required fields, then `rest`.
fn doc(rest: &str) -> String {
    format!("description: A test server\nversion: \"1.0.0\"\n{rest}")
}

/// A document with one npm package (stdio), then `rest` indented into the package.
fn package(rest: &str) -> String {
    doc(&format!(
        "packages:\n  - registryType: npm\n    identifier: weather\n    transport:\n      \
         type: stdio\n{rest}"
    ))
}

/// A document with one sse remote, then `rest` indented into the remote.
fn remote(rest: &str) -> String {
    doc(&format!(
        "remotes:\n  - type: sse\n    url: https://example.com/sse\n{rest}"
    ))
}

/// Broken documents, one per kind of constraint, and the rule lint should report. The server
/// name is put in front unless the document has its own.
fn broken_documents() -> Vec<(Rule, String)> {
    let long = |n: usize| "a".repeat(n);
    let named = |name: &str| format!("name: {name}\n{}", doc(""));
    let env = |field: &str| {
        package(&format!(
            "    environmentVariables:\n      - name: X\n        {field}\n"
        ))
    };
    let package_transport = |transport: &str| {
        doc(&format!(
            "packages:\n  - registryType: npm\n    identifier: w\n    transport: {transport}\n"
        ))
    };
    let groups = [
        (
            Rule::SchemaType,
            vec![
                "description: 5\nversion: \"1\"\n".to_string(),
                "description: x\nversion: 1.0\n".to_string(),
                doc("title: [Weather]\n"),
                doc("websiteUrl:\n"),
                doc("repository: https://github.com/example/weather\n"),
                doc("packages: {npm: weather}\n"),
                doc("packages: [{registryType: npm, identifier: 42, transport: {type: stdio}}]\n"),
                doc("remotes: https://example.com/sse\n"),
                doc("remotes: [{type: 7, url: \"https://example.com/sse\"}]\n"),
                doc("icons: [https://example.com/icon.png]\n"),
                doc("icons: [{src: \"https://example.com/i.png\", sizes: 48x48}]\n"),
                doc("_meta: [a]\n"),
                doc("_meta: {io.modelcontextprotocol.registry/publisher-provided: 1}\n"),
                package_transport("stdio"),
                package("    packageArguments: [--verbose]\n"),
                package("    runtimeArguments: {type: named, name: --x}\n"),
                package("    packageArguments: [{type: named, name: --x, isRepeated: \"no\"}]\n"),
                env("isSecret: \"yes\""),
                env("choices: a"),
                env("choices: [1, 2]"),
                env("variables: [a]"),
                env("variables: {a: 1}"),
                remote("    variables: 3\n"),
                remote("    variables: {region: eu}\n"),
                remote("    headers: {Authorization: x}\n"),
            ],
        ),
        (
            Rule::SchemaRequired,
            vec![
                "description: x\n".to_string(),
                "version: \"1\"\n".to_string(),
                doc("packages:\n  - identifier: w\n    transport: {type: stdio}\n"),
                doc("packages:\n  - registryType: npm\n    transport: {type: stdio}\n"),
                doc("packages:\n  - registryType: npm\n    identifier: w\n"),
                doc("repository: {url: \"https://github.com/example/weather\"}\n"),
                doc("repository: {source: github}\n"),
                doc("icons: [{mimeType: image/png}]\n"),
                package("    environmentVariables: [{value: x}]\n"),
                remote("    headers: [{value: x}]\n"),
                doc("remotes: [{type: streamable-http}]\n"),
                doc("remotes: [{url: \"https://example.com/mcp\"}]\n"),
                package_transport("{type: sse}"),
                package_transport("{}"),
                package("    packageArguments: [{type: named, value: x}]\n"),
                package("    packageArguments: [{value: x}]\n"),
            ],
        ),
        (
            Rule::SchemaLength,
            vec![
                named(&format!("com.example/{}", long(190))),
                doc(&format!("title: {}\n", long(101))),
                doc("title: \"\"\n"),
                "description: \"\"\nversion: \"1\"\n".to_string(),
                format!("description: {}\nversion: \"1\"\n", "é".repeat(101)),
                format!("description: x\nversion: \"{}\"\n", long(256)),
                package("    version: \"\"\n"),
                package(&format!("    version: \"{}\"\n", long(256))),
                doc(&format!(
                    "icons: [{{src: \"https://example.com/{}\"}}]\n",
                    long(240)
                )),
            ],
        ),
        (
            Rule::SchemaPattern,
            vec![
                named("acme weather"),
                named("com.example/a/b"),
                named("com_example/weather"),
                package(&format!("    fileSha256: {}\n", "A".repeat(64))),
                package(&format!("    fileSha256: {}\n", "a".repeat(63))),
                doc("remotes: [{type: sse, url: \"ftp://example.com/sse\"}]\n"),
                doc("remotes: [{type: sse, url: \"https://example.com/a b\"}]\n"),
                doc("remotes: [{type: streamable-http, url: \"{base}/mcp\"}]\n"),
                package_transport("{type: streamable-http, url: \"localhost:3000\"}"),
                doc("icons: [{src: \"https://example.com/i.png\", sizes: [\"48\"]}]\n"),
            ],
        ),
        (
            Rule::SchemaEnum,
            vec![
                doc("icons: [{src: \"https://example.com/i.gif\", mimeType: image/gif}]\n"),
                doc("icons: [{src: \"https://example.com/i.png\", theme: blue}]\n"),
                env("format: text"),
                remote("    variables: {region: {format: region}}\n"),
                package("    version: latest\n"),
            ],
        ),
        (
            Rule::SchemaFormat,
            vec![
                doc("websiteUrl: example.com/weather\n"),
                doc("websiteUrl: \"https://exa mple.com\"\n"),
                doc("websiteUrl: /docs\n"),
                doc("repository: {url: github.com/example/weather, source: github}\n"),
                package("    registryBaseUrl: registry.npmjs.org\n"),
                doc("icons: [{src: icon.png}]\n"),
                format!("$schema: server.schema.json\n{}", doc("")),
            ],
        ),
        (
            Rule::SchemaVariant,
            vec![
                package_transport("{type: http}"),
                doc("remotes: [{type: stdio}]\n"),
                package("    packageArguments: [{type: flag, name: --x}]\n"),
                package("    packageArguments: [{type: positional, description: x}]\n"),
            ],
        ),
    ];
    groups
        .into_iter()
        .flat_map(|(rule, docs)| docs.into_iter().map(move |d| (rule, d)))
        .collect()
}

/// Documents the official schema accepts that are easy to get wrong.
fn valid_documents() -> Vec<String> {
    vec![
        package(
            "    packageArguments:\n      - {type: positional, value: serve}\n      - {type: named, name: --units, valueHint: units, isRepeated: true}\n",
        ),
        package(
            "    environmentVariables:\n      - name: TOKEN\n        value: \"{token}\"\n        variables: {token: {isSecret: true}}\n",
        ),
        doc(
            "remotes: [{type: streamable-http, url: \"https://{tenant}.example.com/mcp\", variables: {tenant: {}}}]\n",
        ),
        doc(
            "_meta:\n  io.modelcontextprotocol.registry/publisher-provided: {any: [1, {deep: true}]}\n  com.example/x: 1\n",
        ),
        doc("icons: [{src: \"https://example.com/i.svg\", sizes: [any, 16x16], theme: light}]\n"),
        doc(&format!("title: {}\n", "🌦".repeat(100))),
        doc("websiteUrl: \"https://example.com/a?b=c&d=%20#top\"\n"),
        "description: x\nversion: \"\"\n".into(),
        format!(
            "$schema: https://static.modelcontextprotocol.io/schemas/2025-07-09/server.schema.json\n{}",
            doc("")
        ),
        doc("websiteURL: not checked, only warned about\n"),
    ]
}

/// Writes each document as `servers/com.example/<prefix>-<i>.yaml` and lints them together.
fn lint_documents(docs: &[String], prefix: &str) -> (tempfile::TempDir, Checked) {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(String, String)> = docs
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let text = if body.starts_with("name:") {
                body.clone()
            } else {
                format!("name: com.example/{prefix}-{i}\n{body}")
            };
            (format!("servers/com.example/{prefix}-{i}.yaml"), text)
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    write_files(dir.path(), &refs);
    let checked = lint(dir.path(), None);
    assert_eq!(checked.files, docs.len());
    (dir, checked)
}

#[test]
fn broken_documents_are_rejected_by_both_for_the_same_reason() {
    let schema = official_schema(&crate::spec_or_skip!());
    let cases = broken_documents();
    let docs: Vec<String> = cases.iter().map(|(_, d)| d.clone()).collect();
    let (_dir, checked) = lint_documents(&docs, "broken");
    let verdicts = verdicts(&checked, &schema);
    let mut failures = Vec::new();
    for (i, (rule, text)) in cases.iter().enumerate() {
        let file = format!("servers/com.example/broken-{i}.yaml");
        let Some(v) = verdicts.iter().find(|v| v.file == file) else {
            failures.push(format!("case {i}: did not load:\n{text}"));
            continue;
        };
        if v.rejected.is_none() {
            failures.push(format!("case {i}: the official schema accepts it:\n{text}"));
        }
        // Inside an `anyOf` (transports, arguments) the schema cannot say which shape was meant.
        let same_reason = v
            .keywords
            .iter()
            .any(|k| k == "anyOf" || rule_for(k) == Some(*rule));
        if v.rejected.is_some() && !same_reason {
            failures.push(format!(
                "case {i}: the official schema rejects it for {:?}, not for {rule}:\n{text}",
                v.keywords
            ));
        }
        if !v.errors.contains(rule) {
            failures.push(format!(
                "case {i}: expected {rule}, lint reports {:?}:\n{text}",
                v.errors
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn valid_documents_are_accepted_by_both() {
    let schema = official_schema(&crate::spec_or_skip!());
    let docs = valid_documents();
    let (_dir, checked) = lint_documents(&docs, "valid");
    let mut failures = Vec::new();
    for v in verdicts(&checked, &schema) {
        if let Some(why) = &v.rejected {
            failures.push(format!("{}: the official schema rejects it: {why}", v.file));
        }
        let ours: Vec<&Rule> = v.errors.iter().filter(|r| VIOLATIONS.contains(r)).collect();
        if !ours.is_empty() {
            failures.push(format!("{}: lint reports {ours:?}", v.file));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
