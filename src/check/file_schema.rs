//! JSON Schemas for the two kinds of file a registry holds, for editors (`mcp-gitops schema`):
//! a server file in either form (one server.json document, or shared fields with a `versions:`
//! list), with the registry's own `status`, `statusMessage`, `latest` and `upstream`; and
//! `registry.yaml`.
//! Written from the constants `check::schema` and `check::model` check with, so the two cannot
//! drift apart; a test validates every fixture with a standard validator against `lint`.

use crate::check::model::Status;
use crate::check::schema::{
    ARGUMENT_TYPES, DRAFT_SCHEMA_URL, DRAFT_TRANSPORT_URL_PATTERN, ICON_SIZE_PATTERN, ICON_SRC_MAX,
    INPUT_FORMATS, LOCAL_TRANSPORTS, MIME_TYPES, NAME_LEN, PUBLISHER_PROVIDED, REMOTE_TRANSPORTS,
    SCHEMA_DATES, SCHEMA_URL_PREFIX, SCHEMA_URL_SUFFIX, SERVER_NAME_PATTERN, SHA256_PATTERN,
    TEXT_LEN, THEMES, TRANSPORT_URL_PATTERN, VERSION_MAX,
};
use crate::check::upstream;
use crate::check::{labels, views};
use serde_json::{Value, json};

const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The schema of a file under `servers/`.
pub fn server_file() -> Value {
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let mut schema_urls: Vec<String> = SCHEMA_DATES
        .iter()
        .map(|d| format!("{SCHEMA_URL_PREFIX}{d}{SCHEMA_URL_SUFFIX}"))
        .collect();
    schema_urls.push(DRAFT_SCHEMA_URL.to_string());
    // A transport URL that starts with a template variable is the draft schema's: files that do
    // not name the draft get the dated pattern (shared fields and each version alike; a version
    // naming the draft under a file that does not is not told apart here, lint is).
    let dated_url = json!({ "items": { "properties": {
        "url": { "pattern": TRANSPORT_URL_PATTERN },
        "transport": { "properties": { "url": { "pattern": TRANSPORT_URL_PATTERN } } }
    } } });
    let dated = json!({ "remotes": dated_url, "packages": dated_url });
    let registry_fields = json!({
        "status": {
            "enum": statuses,
            "description": "The registry's status of this version; `deleted` hides it from clients that do not ask for deleted versions."
        },
        "statusMessage": {
            "type": "string",
            "description": "Why the version is deprecated or deleted (not allowed on an active version)."
        }
    });
    json!({
        "$schema": DRAFT,
        "title": "mcp-gitops server file",
        "description": "One MCP server of the registry: a server.json document (one version), or the fields its versions share with a `versions:` list.",
        "oneOf": [{ "$ref": "#/$defs/oneVersion" }, { "$ref": "#/$defs/manyVersions" }],
        "if": { "required": ["$schema"], "properties": { "$schema": { "const": DRAFT_SCHEMA_URL } } },
        "else": {
            "properties": {
                "remotes": dated["remotes"],
                "packages": dated["packages"],
                "versions": { "items": { "properties": dated } }
            }
        },
        "$defs": {
            "oneVersion": {
                "type": "object",
                "allOf": [{ "$ref": "#/$defs/server" }],
                "required": ["name", "description", "version"],
                "not": { "required": ["versions"] },
                "properties": with_upstream(registry_fields.clone())
            },
            "manyVersions": {
                "type": "object",
                "allOf": [{ "$ref": "#/$defs/server" }],
                "required": ["name", "versions"],
                "not": { "required": ["version"] },
                "properties": {
                    "versions": {
                        "type": "array",
                        "minItems": 1,
                        "description": "Each version: `version`, and any field that differs from the shared ones.",
                        "items": {
                            "type": "object",
                            "allOf": [{ "$ref": "#/$defs/server" }],
                            "required": ["version"],
                            "not": { "anyOf": [{ "required": [upstream::KEY] }, { "required": [labels::KEY] }] },
                            "properties": registry_fields
                        }
                    },
                    (upstream::KEY): { "$ref": "#/$defs/upstream" },
                    (labels::KEY): labels_schema(),
                    "latest": {
                        "type": "string",
                        "description": "Pins the version served as latest (default: the highest semantic version that is not deleted)."
                    }
                },
                "anyOf": [
                    { "required": ["description"] },
                    { "properties": { "versions": { "items": { "required": ["description"] } } } }
                ]
            },
            "server": {
                "type": "object",
                "properties": {
                    "$schema": { "enum": schema_urls },
                    "name": {
                        "type": "string",
                        "minLength": NAME_LEN.0,
                        "maxLength": NAME_LEN.1,
                        "pattern": SERVER_NAME_PATTERN,
                        "description": "`namespace/name`, the namespace in reverse-DNS form, e.g. io.github.acme/weather."
                    },
                    "title": text(),
                    "description": text(),
                    "version": { "type": "string", "maxLength": VERSION_MAX },
                    "websiteUrl": uri(),
                    "repository": {
                        "type": "object",
                        "required": ["url", "source"],
                        "properties": {
                            "url": uri(),
                            "source": { "type": "string" },
                            "id": { "type": "string" },
                            "subfolder": { "type": "string" }
                        }
                    },
                    "icons": { "type": "array", "items": { "$ref": "#/$defs/icon" } },
                    "packages": { "type": "array", "items": { "$ref": "#/$defs/package" } },
                    "remotes": { "type": "array", "items": { "$ref": "#/$defs/remoteTransport" } },
                    "_meta": {
                        "type": "object",
                        "properties": { (PUBLISHER_PROVIDED): { "type": "object" } }
                    }
                }
            },
            "upstream": {
                "type": "object",
                "description": "Where the server was imported from (`mcp-gitops import`), which `import --update` follows.",
                "required": ["registry", "name"],
                "additionalProperties": false,
                "properties": {
                    "registry": {
                        "type": "string",
                        "format": "uri",
                        "pattern": "^[hH][tT][tT][pP][sS]?://[^@/?#]+(/[^?#]*)?$",
                        "description": "The registry's base URL (before /v0.1/), without credentials."
                    },
                    "name": { "type": "string", "minLength": 1, "description": "The server's name there." },
                    "updatedAt": {
                        "type": "string",
                        "format": "date-time",
                        "description": "The newest updatedAt seen upstream for this server; --update asks for what changed after it."
                    }
                }
            },
            "icon": {
                "type": "object",
                "required": ["src"],
                "properties": {
                    "src": { "type": "string", "maxLength": ICON_SRC_MAX, "format": "uri" },
                    "mimeType": { "enum": MIME_TYPES },
                    "theme": { "enum": THEMES },
                    "sizes": { "type": "array", "items": { "type": "string", "pattern": ICON_SIZE_PATTERN } }
                }
            },
            "package": {
                "type": "object",
                "required": ["registryType", "identifier", "transport"],
                "properties": {
                    "registryType": { "type": "string" },
                    "identifier": { "type": "string" },
                    "runtimeHint": { "type": "string" },
                    "registryBaseUrl": uri(),
                    "version": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": VERSION_MAX,
                        "not": { "const": "latest" }
                    },
                    "fileSha256": { "type": "string", "pattern": SHA256_PATTERN },
                    "transport": { "$ref": "#/$defs/localTransport" },
                    "runtimeArguments": { "type": "array", "items": { "$ref": "#/$defs/argument" } },
                    "packageArguments": { "type": "array", "items": { "$ref": "#/$defs/argument" } },
                    "environmentVariables": { "type": "array", "items": { "$ref": "#/$defs/keyValueInput" } },
                    "postInstallInstructions": {
                        "description": "The draft schema's: steps shown to the user after installing (never run). Name the draft schema in `$schema` to use them.",
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["description"],
                            "properties": {
                                "description": { "type": "string" },
                                "command": { "type": "string" },
                                "documentation": uri(),
                                "optional": { "type": "boolean" }
                            }
                        }
                    }
                }
            },
            "localTransport": transports(LOCAL_TRANSPORTS, false),
            "remoteTransport": transports(REMOTE_TRANSPORTS, true),
            "argument": {
                "type": "object",
                "required": ["type"],
                "properties": { "type": { "enum": ARGUMENT_TYPES } },
                "oneOf": [
                    {
                        "properties": input_properties(json!({
                            "type": { "const": "positional" },
                            "valueHint": { "type": "string" },
                            "isRepeated": { "type": "boolean" },
                            "variables": variables()
                        })),
                        "anyOf": [{ "required": ["valueHint"] }, { "required": ["value"] }]
                    },
                    {
                        "required": ["name"],
                        "properties": input_properties(json!({
                            "type": { "const": "named" },
                            "name": { "type": "string" },
                            "valueHint": { "type": "string" },
                            "isRepeated": { "type": "boolean" },
                            "variables": variables()
                        }))
                    }
                ]
            },
            "keyValueInput": {
                "type": "object",
                "required": ["name"],
                "properties": input_properties(json!({
                    "name": { "type": "string" },
                    "variables": variables()
                }))
            },
            "input": { "type": "object", "properties": input_properties(json!({})) }
        }
    })
}

/// The schema of `registry.yaml`.
pub fn registry_file() -> Value {
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let words = |what: &str| json!({ "type": "array", "description": what, "items": { "type": "string", "minLength": 1 } });
    json!({
        "$schema": DRAFT,
        "title": "mcp-gitops registry.yaml",
        "description": "Settings of the registry as a whole.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "allowedNamespaces": {
                "type": "array",
                "description": "Globs a server's namespace must match, e.g. com.example or io.github.acme-*.",
                "items": { "type": "string", "minLength": 1 }
            },
            "views": {
                "description": "More registries from this repository, each at /{view}/v0.1/servers, selecting servers by namespace, label or name.",
                "type": "object",
                "propertyNames": { "pattern": views::NAME_PATTERN, "not": { "enum": views::RESERVED } },
                "additionalProperties": { "$ref": "#/$defs/view" }
            },
            "rootRegistry": {
                "description": "false: serve only the views, not the registry of every server at /v0.1/servers.",
                "type": "boolean"
            },
            "allowlist": {
                "description": "The servers are enforced by client allowlists (`mcp-gitops allowlist`): entries to add that are not servers of the registry.",
                "type": ["object", "null"],
                "additionalProperties": false,
                "properties": {
                    "allowed": { "type": "array", "items": { "$ref": "#/$defs/entry" } },
                    "denied": { "type": "array", "items": { "$ref": "#/$defs/entry" } }
                }
            }
        },
        "$defs": {
            "view": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "description": { "type": "string", "minLength": 1 },
                    "namespaces": words("Globs on the namespace, or on the whole name with a `/`."),
                    "labels": {
                        "type": "array",
                        "description": "Servers with any of these labels.",
                        "items": { "type": "string", "pattern": labels::PATTERN }
                    },
                    "status": {
                        "type": "array",
                        "description": "The version statuses kept (default: all).",
                        "items": { "enum": statuses }
                    },
                    "include": words("Servers (names or globs) selected whatever the rest says."),
                    "exclude": words("Servers (names or globs) taken away, last."),
                    "readTokenFile": {
                        "type": "string",
                        "minLength": 1,
                        "description": "A file on the serving host holding a token this view's API also accepts."
                    }
                }
            },
            "entry": {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "properties": {
                    "serverName": { "type": "string", "minLength": 1 },
                    "serverUrl": { "type": "string", "pattern": "^[hH][tT][tT][pP][sS]?://" },
                    "serverCommand": { "type": "array", "minItems": 1, "items": { "type": "string" } }
                },
                "additionalProperties": false
            }
        }
    })
}

/// The registry's fields of a one-version file, and `upstream` and `labels`.
fn with_upstream(mut fields: Value) -> Value {
    fields[upstream::KEY] = json!({ "$ref": "#/$defs/upstream" });
    fields[labels::KEY] = labels_schema();
    fields
}

/// `labels:`, which registry.yaml's views select servers by.
fn labels_schema() -> Value {
    json!({
        "type": "array",
        "uniqueItems": true,
        "description": "Labels registry.yaml's views select this server by (e.g. approved).",
        "items": { "type": "string", "pattern": labels::PATTERN }
    })
}

fn text() -> Value {
    json!({ "type": "string", "minLength": TEXT_LEN.0, "maxLength": TEXT_LEN.1 })
}

fn uri() -> Value {
    json!({ "type": "string", "format": "uri" })
}

fn variables() -> Value {
    json!({ "type": "object", "additionalProperties": { "$ref": "#/$defs/input" } })
}

/// An `Input`'s fields, plus `more`.
fn input_properties(mut more: Value) -> Value {
    let fields = json!({
        "description": { "type": "string" },
        "value": { "type": "string" },
        "default": { "type": "string" },
        "placeholder": { "type": "string" },
        "isRequired": { "type": "boolean" },
        "isSecret": { "type": "boolean" },
        "format": { "enum": INPUT_FORMATS },
        "choices": { "type": "array", "items": { "type": "string" } }
    });
    if let (Some(more), Value::Object(fields)) = (more.as_object_mut(), fields) {
        more.extend(fields);
    }
    more
}

/// A transport picked by `type` from `kinds`; a remote one may have `variables`.
fn transports(kinds: &[&str], remote: bool) -> Value {
    let variants: Vec<Value> = kinds
        .iter()
        .map(|kind| {
            if *kind == "stdio" {
                return json!({ "properties": { "type": { "const": "stdio" } } });
            }
            let mut properties = json!({
                "type": { "const": kind },
                "url": { "type": "string", "pattern": DRAFT_TRANSPORT_URL_PATTERN },
                "headers": { "type": "array", "items": { "$ref": "#/$defs/keyValueInput" } }
            });
            if remote {
                properties["variables"] = variables();
            }
            json!({ "required": ["url"], "properties": properties })
        })
        .collect();
    json!({
        "type": "object",
        "required": ["type"],
        "properties": { "type": { "enum": kinds } },
        "oneOf": variants
    })
}
