//! `mcp-gitops schema`: the JSON Schemas editors get agree with `lint` on every server file
//! and registry.yaml of the fixtures and of example-repo, checked with a standard JSON Schema
//! validator (formats validated). A file whose YAML does not parse is outside any schema.

use mcp_gitops::check::diagnostic::Rule;
use mcp_gitops::check::files::SourceFile;
use mcp_gitops::check::{dir, file_schema, load, validate};
use std::path::{Path, PathBuf};

/// The errors lint reports that a JSON Schema can express.
const SCHEMA_RULES: &[Rule] = &[
    Rule::SchemaType,
    Rule::SchemaRequired,
    Rule::SchemaLength,
    Rule::SchemaPattern,
    Rule::SchemaEnum,
    Rule::SchemaFormat,
    Rule::SchemaVariant,
    Rule::SchemaVersionUnknown,
    Rule::FileForm,
    Rule::RegistryConfig,
];

fn validator(schema: &serde_json::Value) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("the schema compiles")
}

/// Every registry among the fixtures (a rule's folder, or its `base/` and `head/`) and
/// example-repo.
fn registries() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = vec![root.join("example-repo")];
    for entry in std::fs::read_dir(root.join("tests/fixtures/rules")).unwrap() {
        let rule = entry.unwrap().path();
        for dir in [rule.clone(), rule.join("base"), rule.join("head")] {
            if dir.join("servers").is_dir() || dir.join("registry.yaml").is_file() {
                found.push(dir);
            }
        }
    }
    found
}

#[test]
fn the_schemas_agree_with_lint_on_every_fixture_and_example() {
    let server = validator(&file_schema::server_file());
    let registry = validator(&file_schema::registry_file());
    let (mut checked_files, mut disagreements) = (0, Vec::new());
    let (mut accepted, mut rejected) = (0, 0);
    for dir in registries() {
        let files = dir::read_dir(&dir).unwrap();
        let sources: Vec<SourceFile> = files.files.clone();
        let linted = validate::check(files);
        for file in sources {
            let schema = if file.path.starts_with("servers/") {
                &server
            } else if file.path == "registry.yaml" {
                &registry
            } else {
                continue;
            };
            let Ok(node) = load::parse(&file) else {
                continue;
            };
            let lint_rejects = linted
                .diagnostics
                .iter()
                .any(|d| d.file == file.path && SCHEMA_RULES.contains(&d.rule));
            let errors: Vec<String> = schema
                .iter_errors(&node.to_json())
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            checked_files += 1;
            if errors.is_empty() {
                accepted += 1;
            } else {
                rejected += 1;
            }
            if lint_rejects == errors.is_empty() {
                let lint: Vec<String> = linted
                    .diagnostics
                    .iter()
                    .filter(|d| d.file == file.path)
                    .map(|d| d.to_string())
                    .collect();
                disagreements.push(format!(
                    "{}/{}:\n  lint: {lint:?}\n  schema: {errors:?}",
                    dir.display(),
                    file.path
                ));
            }
        }
    }
    eprintln!("{checked_files} files: the schemas accept {accepted}, reject {rejected}");
    assert!(checked_files > 50, "{checked_files}");
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

#[test]
fn the_command_prints_each_schema() {
    for (file, title) in [
        ("server", "mcp-gitops server file"),
        ("registry", "mcp-gitops registry.yaml"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-gitops"))
            .args(["schema", "--file", file])
            .output()
            .unwrap();
        assert!(out.status.success());
        let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(schema["title"], title);
        validator(&schema);
    }
}

/// A valid server file using most fields; each case below breaks one constraint of it.
const VALID: &str = r#"name: io.github.acme/weather
title: Weather
description: Forecasts
version: 1.0.0
websiteUrl: https://acme.example/weather
repository: { url: "https://github.com/acme/weather", source: github }
icons: [{ src: "https://acme.example/icon.png", mimeType: image/png, sizes: ["48x48"], theme: dark }]
packages:
  - registryType: npm
    identifier: "@acme/weather"
    version: 1.0.0
    transport: { type: stdio }
    packageArguments: [{ type: positional, valueHint: city }, { type: named, name: --units, format: string }]
    environmentVariables: [{ name: API_KEY, isSecret: true }]
remotes:
  - type: streamable-http
    url: "https://acme.example/mcp/{region}"
    variables: { region: { choices: [eu, us] } }
"#;

#[test]
fn each_constraint_is_in_both_lint_and_the_schema() {
    let server = validator(&file_schema::server_file());
    let cases: &[(&str, &str, &str)] = &[
        (
            "name pattern",
            "name: io.github.acme/weather",
            "name: io.github.acme/weather/x",
        ),
        ("name length", "name: io.github.acme/weather", "name: a/"),
        (
            "description length",
            "description: Forecasts",
            "description: \"\"",
        ),
        ("title type", "title: Weather", "title: [Weather]"),
        (
            "website format",
            "websiteUrl: https://acme.example/weather",
            "websiteUrl: not a url",
        ),
        ("repository required", "source: github }", "}"),
        ("icon enum", "mimeType: image/png", "mimeType: image/gif"),
        ("icon size pattern", "sizes: [\"48x48\"]", "sizes: [\"48\"]"),
        (
            "package version latest",
            "    version: 1.0.0\n",
            "    version: latest\n",
        ),
        (
            "sha256 pattern",
            "    version: 1.0.0\n",
            "    version: 1.0.0\n    fileSha256: 0X23\n",
        ),
        (
            "local transport variant",
            "transport: { type: stdio }",
            "transport: { type: websocket }",
        ),
        (
            "positional needs a value hint",
            "{ type: positional, valueHint: city }",
            "{ type: positional }",
        ),
        (
            "named needs a name",
            "{ type: named, name: --units, format: string }",
            "{ type: named, format: string }",
        ),
        ("input format enum", "format: string }", "format: text }"),
        ("secret is boolean", "isSecret: true", "isSecret: \"yes\""),
        (
            "remote transport variant",
            "type: streamable-http",
            "type: stdio",
        ),
        (
            "remote url pattern",
            "url: \"https://acme.example/mcp/{region}\"",
            "url: \"ftp://acme.example/mcp\"",
        ),
        (
            "unknown schema",
            "name: io.github.acme/weather\n",
            "$schema: https://example.com/schema.json\nname: io.github.acme/weather\n",
        ),
        (
            "versions beside version",
            "version: 1.0.0\nwebsiteUrl",
            "version: 1.0.0\nversions: [{ version: 2.0.0 }]\nwebsiteUrl",
        ),
        (
            "versions empty",
            "version: 1.0.0\nwebsiteUrl",
            "versions: []\nwebsiteUrl",
        ),
        (
            "status enum",
            "version: 1.0.0\nwebsiteUrl",
            "version: 1.0.0\nstatus: retired\nwebsiteUrl",
        ),
        ("required description", "description: Forecasts\n", ""),
    ];
    let judge = |yaml: &str| {
        let dir = tempfile::tempdir().unwrap();
        crate::common::write_files(dir.path(), &[("servers/io.github.acme/weather.yaml", yaml)]);
        let linted = validate::check(dir::read_dir(dir.path()).unwrap());
        let lint: Vec<String> = linted
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.to_string())
            .collect();
        let file = SourceFile {
            path: "servers/io.github.acme/weather.yaml".into(),
            bytes: yaml.as_bytes().to_vec(),
        };
        let doc = load::parse(&file).unwrap().to_json();
        let schema: Vec<String> = server.iter_errors(&doc).map(|e| e.to_string()).collect();
        (lint, schema)
    };
    let (lint, schema) = judge(VALID);
    assert!(lint.is_empty() && schema.is_empty(), "{lint:?} {schema:?}");
    let mut wrong = Vec::new();
    for (what, from, to) in cases {
        assert!(
            VALID.contains(from),
            "{what}: `{from}` is not in the document"
        );
        let (lint, schema) = judge(&VALID.replacen(from, to, 1));
        if lint.is_empty() || schema.is_empty() {
            wrong.push(format!("{what}: lint {lint:?}, schema {schema:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "accepted by one side:\n{}",
        wrong.join("\n")
    );
}
