//! The server.json schema checks through `lint`: what each finding says and where it points.
//! (That they agree with the official schema is `crosscheck`'s job.)

use crate::common::{lint, write_files};
use mcp_gitops::check::diagnostic::Rule;

const SCHEMA_RULES: &[Rule] = &[
    Rule::SchemaType,
    Rule::SchemaRequired,
    Rule::SchemaLength,
    Rule::SchemaPattern,
    Rule::SchemaEnum,
    Rule::SchemaFormat,
    Rule::SchemaVariant,
    Rule::SchemaVersionUnknown,
    Rule::SchemaVersionOld,
    Rule::UnknownField,
];

/// Lints `servers/com.example/weather.yaml` holding `yaml` and returns the schema findings as
/// `line:col rule: message`.
fn findings(yaml: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("servers/com.example/weather.yaml", yaml)]);
    lint(dir.path(), None)
        .diagnostics
        .iter()
        .filter(|d| SCHEMA_RULES.contains(&d.rule))
        .map(|d| format!("{}:{} {}: {}", d.pos.line, d.pos.col, d.rule, d.message))
        .collect()
}

fn assert_finds(yaml: &str, expected: &[&str]) {
    let got = findings(yaml);
    assert_eq!(got, expected, "\nlint found:\n{}", got.join("\n"));
}

#[test]
fn a_document_using_every_field_passes() {
    let yaml = r#"
$schema: https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json
name: com.example/weather
title: Weather
description: Forecasts for any city
version: 1.2.0
websiteUrl: https://example.com/weather
repository:
  url: https://github.com/example/weather
  source: github
  id: "12345"
  subfolder: servers/weather
icons:
  - src: https://example.com/weather.svg
    mimeType: image/svg+xml
    sizes: [any, 48x48]
    theme: dark
packages:
  - registryType: npm
    registryBaseUrl: https://registry.npmjs.org
    identifier: "@example/weather-mcp"
    version: 1.2.0
    runtimeHint: npx
    transport:
      type: stdio
    runtimeArguments:
      - type: named
        name: --yes
        isRepeated: false
    packageArguments:
      - type: positional
        valueHint: city
        isRequired: true
        choices: [Paris, Oslo]
        default: Paris
      - type: positional
        value: --verbose
      - type: named
        name: --units
        valueHint: units
        format: string
        value: "{units}"
        variables:
          units:
            description: metric or imperial
            placeholder: metric
    environmentVariables:
      - name: WEATHER_API_KEY
        description: The API key
        isRequired: true
        isSecret: true
  - registryType: mcpb
    identifier: https://example.com/weather-1.2.0.mcpb
    fileSha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    transport:
      type: streamable-http
      url: http://localhost:{port}/mcp
      headers:
        - name: X-Units
          value: metric
remotes:
  - type: sse
    url: https://{region}.example.com/sse
    variables:
      region:
        default: eu
        choices: [eu, us]
    headers:
      - name: Authorization
        value: Bearer {token}
        isSecret: true
        variables:
          token: {isSecret: true}
_meta:
  io.modelcontextprotocol.registry/publisher-provided:
    buildInfo: {commit: abc123}
  com.example/anything: [1, 2, 3]
"#;
    assert_finds(yaml, &[]);
}

#[test]
fn an_unquoted_version_is_a_number_and_the_message_says_to_quote_it() {
    let yaml = "name: com.example/weather\ndescription: Forecasts\nversion: 1.0\n";
    assert_finds(
        yaml,
        &[
            "3:10 schema-type: `version` must be a string, found number `1.0`: YAML reads an \
           unquoted 1.0 as a number; put the value in quotes, e.g. \"1.0\"",
        ],
    );
    let yaml = "name: com.example/weather\ndescription: Forecasts\nversion: '1'\n\
                packages:\n  - registryType: npm\n    identifier: weather\n    version: 2\n    \
                transport: {type: stdio}\n    environmentVariables:\n      - name: DEBUG\n        \
                default: true\n";
    assert_finds(
        yaml,
        &[
            "7:14 schema-type: `packages[0].version` must be a string, found integer `2`: YAML \
             reads an unquoted 2 as a number; put the value in quotes, e.g. \"2\"",
            "11:18 schema-type: `packages[0].environmentVariables[0].default` must be a string, \
             found boolean `true`: YAML reads an unquoted true as a boolean; put the value in \
             quotes, e.g. \"true\"",
        ],
    );
}

#[test]
fn lengths_count_characters_not_bytes() {
    let at_limit = "é".repeat(100);
    let yaml = format!("name: com.example/weather\ndescription: {at_limit}\nversion: '1'\n");
    assert_finds(&yaml, &[]);
    let over = "🌦".repeat(101);
    let yaml = format!("name: com.example/weather\ndescription: {over}\nversion: '1'\n");
    assert_finds(
        &yaml,
        &["2:14 schema-length: `description` must be at most 100 characters, found 101"],
    );
    let yaml = "name: com.example/weather\ndescription: ''\nversion: '1'\ntitle: ''\n";
    assert_finds(
        yaml,
        &[
            "2:14 schema-length: `description` must not be empty",
            "4:8 schema-length: `title` must not be empty",
        ],
    );
}

#[test]
fn a_missing_field_points_at_the_mapping_that_lacks_it() {
    let yaml = "name: com.example/weather\nversion: '1'\npackages:\n  - registryType: npm\n    \
                transport:\n      type: sse\n";
    assert_finds(
        yaml,
        &[
            "1:1 schema-required: the server is missing the required field `description`",
            "4:5 schema-required: `packages[0]` is missing the required field `identifier`",
            "6:7 schema-required: `packages[0].transport` is missing the required field `url`",
        ],
    );
}

#[test]
fn findings_in_a_versions_item_point_into_the_item() {
    let yaml = "name: com.example/weather\ndescription: Forecasts\nversions:\n  - version: '1.0.0'\n  \
                - version: '1.1.0'\n    websiteUrl: example.com\n";
    assert_finds(
        yaml,
        &[
            "6:17 schema-format: `websiteUrl` must be an absolute URI with a scheme, such as \
           https://example.com/path; found `example.com`",
        ],
    );
    // A required field missing from the merged document: the item is what lacks it.
    let yaml = "name: com.example/weather\nversions:\n  - version: '1.0.0'\n    description: x\n  \
                - version: '1.1.0'\n";
    assert_finds(
        yaml,
        &["5:5 schema-required: the server is missing the required field `description`"],
    );
}

#[test]
fn unknown_fields_are_warnings_with_a_suggestion() {
    let yaml = "name: com.example/weather\ndescription: Forecasts\nversion: '1'\n\
                repository: {url: 'https://github.com/example/weather', source: github, \
                subFolder: x}\nflavour: mint\n";
    assert_finds(
        yaml,
        &[
            "4:73 unknown-field: `repository.subFolder` is not a field of a repository; did you \
             mean `subfolder`?",
            "5:1 unknown-field: `flavour` is not a field of server.json; the fields of \
             server.json are $schema, name, title, description, version, websiteUrl, \
             repository, icons, packages, remotes, _meta",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[(
            "servers/com.example/weather.yaml",
            "name: com.example/weather\ndescription: x\nversion: '1'\nflavour: mint\n",
        )],
    );
    let checked = lint(dir.path(), None);
    assert_eq!(checked.errors(), 0, "unknown fields are not errors");
    assert_eq!(checked.warnings(), 1);
}

#[test]
fn free_maps_are_not_checked_for_unknown_fields() {
    // `_meta` belongs to publishers and `variables` keys are the author's; the values of
    // `variables` are inputs and are checked.
    let yaml = r#"name: com.example/weather
description: Forecasts
version: "1"
remotes:
  - type: streamable-http
    url: https://example.com/{tenant}
    variables:
      tenant: {descriptoin: the tenant}
      anyName: {}
_meta:
  com.example/internal: {owner: team-a}
  io.modelcontextprotocol.registry/publisher-provided: {whatever: 1}
"#;
    assert_finds(
        yaml,
        &[
            "8:16 unknown-field: `remotes[0].variables.tenant.descriptoin` is not a field of a \
           variable; did you mean `description`?",
        ],
    );
}

#[test]
fn the_schema_url() {
    let doc = |schema: &str| {
        format!("$schema: {schema}\nname: com.example/weather\ndescription: x\nversion: '1'\n")
    };
    // Absent: the current one is assumed and nothing is said.
    assert_finds(
        "name: com.example/weather\ndescription: x\nversion: '1'\n",
        &[],
    );
    assert_finds(
        &doc("https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"),
        &[],
    );
    let old = findings(&doc(
        "https://static.modelcontextprotocol.io/schemas/2025-07-09/server.schema.json",
    ));
    assert_eq!(old.len(), 1);
    assert!(old[0].starts_with("1:10 schema-version-old: `$schema` names the 2025-07-09"));
    let unknown = findings(&doc("https://example.com/server.schema.json"));
    assert_eq!(unknown.len(), 1);
    assert!(unknown[0].starts_with("1:10 schema-version-unknown: `$schema` must be an official"));
    assert!(unknown[0].ends_with("found `https://example.com/server.schema.json`"));
    let not_a_uri = findings(&doc("server.schema.json"));
    assert_eq!(not_a_uri.len(), 1);
    assert!(not_a_uri[0].starts_with("1:10 schema-format:"));
}

#[test]
fn transports_are_told_apart_by_type() {
    let yaml = r#"name: com.example/weather
description: Forecasts
version: "1"
packages:
  - registryType: oci
    identifier: docker.io/example/weather:1
    transport: {type: stdio, url: "https://example.com"}
  - registryType: oci
    identifier: docker.io/example/weather:1
    transport: {url: "https://example.com"}
  - registryType: oci
    identifier: docker.io/example/weather:1
    transport: {type: sse, url: "https://example.com/sse", variables: {}}
remotes:
  - type: websocket
    url: wss://example.com
  - type: streamable-http
    url: https://example.com/ mcp
"#;
    assert_finds(
        yaml,
        &[
            "7:30 unknown-field: `packages[0].transport.url` is not a field of a stdio \
             transport; the fields of a stdio transport are type",
            "10:16 schema-required: `packages[1].transport` is missing the required field \
             `type` (one of stdio, streamable-http, sse)",
            "13:60 unknown-field: `packages[2].transport.variables` is not a field of an sse \
             transport; the fields of an sse transport are type, url, headers",
            "15:11 schema-variant: `remotes[0].type` must be one of streamable-http, sse; found \
             `websocket`",
            "18:10 schema-pattern: `remotes[1].url` must be an http:// or https:// URL without \
             spaces; found `https://example.com/ mcp`",
        ],
    );
}

#[test]
fn arguments_are_told_apart_by_type() {
    let yaml = r#"name: com.example/weather
description: Forecasts
version: "1"
packages:
  - registryType: pypi
    identifier: weather
    transport: {type: stdio}
    packageArguments:
      - {type: positional, value: serve}
      - {type: positional, valueHint: city, name: city}
      - {type: named, valueHint: units}
      - {valueHint: units}
      - {type: option, name: --units}
      - {type: named, name: --units, isRepeated: "no"}
"#;
    assert_finds(
        yaml,
        &[
            "10:45 unknown-field: `packages[0].packageArguments[1].name` is not a field of a \
             positional argument; the fields of a positional argument are description, \
             isRequired, format, value, isSecret, default, placeholder, choices, type, variables, \
             valueHint, isRepeated",
            "11:9 schema-required: `packages[0].packageArguments[2]` is missing the required \
             field `name`",
            "12:9 schema-required: `packages[0].packageArguments[3]` is missing the required \
             field `type` (one of positional, named)",
            "13:16 schema-variant: `packages[0].packageArguments[4].type` must be one of \
             positional, named; found `option`",
            "14:50 schema-type: `packages[0].packageArguments[5].isRepeated` must be `true` or \
             `false`, found string",
        ],
    );
}

#[test]
fn a_package_version_is_never_latest() {
    let yaml = "name: com.example/weather\ndescription: x\nversion: '1'\npackages:\n  - \
                {registryType: npm, identifier: weather, version: latest, transport: {type: \
                stdio}}\n";
    assert_finds(
        yaml,
        &[
            "5:55 schema-enum: `packages[0].version` must be a specific package version, not \
           `latest` (pin the version the server was published with)",
        ],
    );
}

#[test]
fn a_value_of_the_wrong_kind_is_not_looked_into() {
    let yaml = "name: com.example/weather\ndescription: x\nversion: '1'\npackages: {npm: weather}\n\
                repository: https://github.com/example/weather\nicons:\n_meta: [a]\n";
    assert_finds(
        yaml,
        &[
            "4:11 schema-type: `packages` must be a list, found object",
            "5:13 schema-type: `repository` must be a mapping (an object), found string",
            "6:6 schema-type: `icons` must be a list, found nothing (null)",
            "7:8 schema-type: `_meta` must be a mapping (an object), found array",
        ],
    );
}

/// The draft server.json schema's additions hold where a file names the draft, and only there.
#[test]
fn the_draft_schema_applies_where_a_file_names_it() {
    let draft = mcp_gitops::check::schema::DRAFT_SCHEMA_URL;
    let body = r#"name: com.example/weather
description: Forecasts
version: "1.0.0"
packages:
  - registryType: npm
    identifier: "@example/weather-mcp"
    version: "1.0.0"
    transport:
      type: streamable-http
      url: "{host}/mcp"
    environmentVariables:
      - name: host
    postInstallInstructions:
      - description: Register the companion service
        command: weather-mcp service install
        documentation: https://example.com/weather#service
        optional: true
remotes:
  - type: streamable-http
    url: "{baseUrl}/mcp"
    variables:
      baseUrl:
        description: Your tenant's base URL
"#;
    let named = format!("$schema: {draft}\n{body}");
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("servers/com.example/weather.yaml", &named)]);
    let checked = lint(dir.path(), None);
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);

    // The same document under the current dated schema: the draft's additions are reported.
    let dated = findings(body);
    assert_eq!(dated.len(), 3, "{dated:#?}");
    assert!(
        dated[0].starts_with("10:12 schema-pattern:"),
        "{}",
        dated[0]
    );
    assert!(dated[1].starts_with("13:5 unknown-field:") && dated[1].contains("draft"));
    assert!(dated[2].starts_with("20:10 schema-pattern:") && dated[2].contains("draft"));

    // Under the draft, its own constraints hold.
    let broken = named
        .replace(
            "      - description: Register the companion service\n        command:",
            "      - command:",
        )
        .replace("optional: true", "optional: yes")
        .replace("https://example.com/weather#service", "not a uri")
        .replace("{baseUrl}/mcp", "{1base}/mcp");
    let found = findings(&broken);
    let mut rules: Vec<&str> = found.iter().map(|f| f.split(' ').nth(1).unwrap()).collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            "schema-format:",
            "schema-pattern:",
            "schema-required:",
            "schema-type:"
        ],
        "{found:#?}"
    );
    // A variable the URL starts with must still be defined.
    let undefined = named
        .replace("        description: Your tenant's base URL\n", "")
        .replace("      baseUrl:\n", "      other:\n        description: x\n");
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[("servers/com.example/weather.yaml", &undefined)],
    );
    let checked = lint(dir.path(), None);
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.rule == Rule::UrlVariableUndefined),
        "{:#?}",
        checked.diagnostics
    );
}
