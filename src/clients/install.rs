//! One server.json version → the VS Code configurations that run it: one per stdio package
//! (npm → `npx`, pypi → `uvx`, oci → `docker run`, nuget → `dnx`) and one per remote (`http` or
//! `sse`). Secrets, and values the user must choose, become `${input:id}` references with a
//! matching `inputs` entry, never literal values. Mirrors how VS Code itself turns a registry
//! entry into a configuration, so a link from here installs what VS Code's gallery would.

use serde_json::{Map, Value as Json, json};

/// One way to install a version: a package run over stdio, or a remote endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct InstallOption {
    /// For people: `npm @acme/weather@1.2.0`, `streamable-http https://…`.
    pub label: String,
    /// The server configuration as `.vscode/mcp.json` holds it under `servers.<name>`.
    pub config: Map<String, Json>,
    /// The `inputs` the configuration refers to as `${input:id}`, each id once.
    pub inputs: Vec<Json>,
}

/// A package or remote that cannot be installed by a link, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotInstallable {
    pub label: String,
    pub reason: String,
}

/// The install options of one server.json document, packages first, in document order.
pub fn options(doc: &Json) -> (Vec<InstallOption>, Vec<NotInstallable>) {
    let mut ok = Vec::new();
    let mut not = Vec::new();
    for p in array(doc, "packages") {
        match package(p) {
            Ok(o) => ok.push(o),
            Err(n) => not.push(n),
        }
    }
    for r in array(doc, "remotes") {
        match remote(r) {
            Ok(o) => ok.push(o),
            Err(n) => not.push(n),
        }
    }
    (ok, not)
}

impl InstallOption {
    /// The whole `.vscode/mcp.json` for this server alone.
    pub fn mcp_json(&self, name: &str) -> String {
        let mut servers = Map::new();
        servers.insert(name.to_string(), Json::Object(self.config.clone()));
        let mut file = Map::new();
        file.insert("servers".into(), Json::Object(servers));
        if !self.inputs.is_empty() {
            file.insert("inputs".into(), Json::Array(self.inputs.clone()));
        }
        serde_json::to_string_pretty(&Json::Object(file)).expect("JSON always serializes")
    }

    /// `{"name":…, …config, "inputs":[…]}`: what VS Code's `mcp/install` URL handler and
    /// `code --add-mcp` read.
    pub fn install_json(&self, name: &str) -> String {
        let mut obj = Map::new();
        obj.insert("name".into(), name.into());
        obj.extend(self.config.clone());
        if !self.inputs.is_empty() {
            obj.insert("inputs".into(), Json::Array(self.inputs.clone()));
        }
        serde_json::to_string(&Json::Object(obj)).expect("JSON always serializes")
    }

    /// `vscode:mcp/install?<encodeURIComponent(JSON)>` (or `vscode-insiders:`).
    pub fn install_url(&self, scheme: &str, name: &str) -> String {
        format!(
            "{scheme}:mcp/install?{}",
            crate::uri_component::encode(&self.install_json(name))
        )
    }
}

fn package(p: &Json) -> Result<InstallOption, NotInstallable> {
    let registry = text(p, "registryType").unwrap_or("unknown");
    let identifier = text(p, "identifier").unwrap_or("");
    let version = text(p, "version");
    let transport = p
        .get("transport")
        .and_then(|t| text(t, "type"))
        .unwrap_or("stdio");
    let label = match version {
        Some(v) if registry != "oci" => format!("{registry} {identifier}@{v}"),
        _ => format!("{registry} {identifier}"),
    };
    if transport != "stdio" {
        return Err(NotInstallable {
            label,
            reason: format!(
                "this package serves {transport} on a local port: start it yourself, then add \
                 its URL as an HTTP server"
            ),
        });
    }
    let mut inputs = Inputs::default();
    let mut args: Vec<String> = Vec::new();
    let (command, before, after): (&str, Vec<String>, Vec<String>) = match registry {
        "npm" => (
            "npx",
            vec!["-y".into()],
            vec![at_version(identifier, version, "@")],
        ),
        "pypi" => ("uvx", vec![], vec![at_version(identifier, version, "==")]),
        "nuget" => (
            "dnx",
            vec![],
            vec![at_version(identifier, version, "@"), "--yes".into()],
        ),
        "oci" => (
            "docker",
            vec!["run".into(), "-i".into(), "--rm".into()],
            vec![image(identifier, version)],
        ),
        other => {
            return Err(NotInstallable {
                label,
                reason: format!("VS Code cannot run `{other}` packages from a configuration"),
            });
        }
    };
    args.extend(before);
    args.extend(arguments(array(p, "runtimeArguments"), &mut inputs));
    let env = key_values(array(p, "environmentVariables"), &mut inputs);
    if registry == "oci" {
        // `docker run` passes a variable into the container only when named with `-e`.
        for name in env.keys() {
            args.push("-e".into());
            args.push(name.clone());
        }
    }
    args.extend(after);
    let package_args = arguments(array(p, "packageArguments"), &mut inputs);
    if registry == "nuget" && !package_args.is_empty() {
        args.push("--".into());
    }
    args.extend(package_args);

    let mut config = Map::new();
    config.insert("type".into(), "stdio".into());
    config.insert("command".into(), command.into());
    config.insert("args".into(), json!(args));
    if !env.is_empty() {
        config.insert("env".into(), Json::Object(env));
    }
    Ok(InstallOption {
        label,
        config,
        inputs: inputs.list,
    })
}

fn remote(r: &Json) -> Result<InstallOption, NotInstallable> {
    let kind = text(r, "type").unwrap_or("streamable-http");
    let url = text(r, "url").unwrap_or("");
    let label = url.to_string();
    let vscode_type = match kind {
        "streamable-http" => "http",
        "sse" => "sse",
        other => {
            return Err(NotInstallable {
                label,
                reason: format!("unknown remote type `{other}`"),
            });
        }
    };
    let mut inputs = Inputs::default();
    let url = inputs.substitute(url, r.get("variables"));
    let headers = key_values(array(r, "headers"), &mut inputs);
    let mut config = Map::new();
    config.insert("type".into(), vscode_type.into());
    config.insert("url".into(), url.into());
    if !headers.is_empty() {
        config.insert("headers".into(), Json::Object(headers));
    }
    Ok(InstallOption {
        label,
        config,
        inputs: inputs.list,
    })
}

/// `identifier@version` (or `==`), or the identifier alone.
fn at_version(identifier: &str, version: Option<&str>, sep: &str) -> String {
    match version {
        Some(v) if !v.is_empty() => format!("{identifier}{sep}{v}"),
        _ => identifier.to_string(),
    }
}

/// An OCI image reference: the identifier carries its tag or digest; a separate `version`
/// (older documents) becomes the tag when the identifier has none.
fn image(identifier: &str, version: Option<&str>) -> String {
    let last = identifier.rsplit('/').next().unwrap_or(identifier);
    if last.contains(':') || last.contains('@') {
        identifier.to_string()
    } else {
        at_version(identifier, version, ":")
    }
}

/// Arguments in order. A value is used as written (its `{variables}` become inputs); an
/// argument without one becomes an input when it is required or suggests a default or
/// choices, and is left out otherwise (the server's own default applies).
fn arguments(list: &[Json], inputs: &mut Inputs) -> Vec<String> {
    let mut args = Vec::new();
    for (i, a) in list.iter().enumerate() {
        let value = text(a, "value").map(|v| inputs.substitute(v, a.get("variables")));
        match text(a, "type") {
            Some("named") => {
                let Some(name) = text(a, "name") else {
                    continue;
                };
                if let Some(v) = value {
                    args.push(name.to_string());
                    args.push(v);
                } else if asks_for_value(a) {
                    let id = name.trim_start_matches('-');
                    if text(a, "format") == Some("boolean") {
                        // A flag: present when its default (or requirement) says so.
                        if text(a, "default") != Some("false") {
                            args.push(name.to_string());
                        }
                        continue;
                    }
                    args.push(name.to_string());
                    args.push(inputs.prompt(id, a));
                }
            }
            _ => {
                if let Some(v) = value {
                    args.push(v);
                } else if asks_for_value(a) {
                    let fallback = format!("arg{}", i + 1);
                    let id = text(a, "valueHint").unwrap_or(&fallback);
                    args.push(inputs.prompt(id, a));
                }
            }
        }
    }
    args
}

/// Environment variables or headers: name → value, under the same rule as arguments, and a
/// secret without a value is always an input.
fn key_values(list: &[Json], inputs: &mut Inputs) -> Map<String, Json> {
    let mut out = Map::new();
    for kv in list {
        let Some(name) = text(kv, "name") else {
            continue;
        };
        let value = if let Some(v) = text(kv, "value") {
            inputs.substitute(v, kv.get("variables"))
        } else if flag(kv, "isSecret") || asks_for_value(kv) {
            inputs.prompt(name, kv)
        } else {
            continue;
        };
        out.insert(name.to_string(), value.into());
    }
    out
}

fn asks_for_value(input: &Json) -> bool {
    flag(input, "isRequired") || input.get("default").is_some() || input.get("choices").is_some()
}

/// The `inputs` of one configuration, each id once.
#[derive(Default)]
struct Inputs {
    list: Vec<Json>,
}

impl Inputs {
    /// `${input:id}`, adding the input described by `spec` (an `Input` of server.json).
    fn prompt(&mut self, id: &str, spec: &Json) -> String {
        let id = input_id(id);
        if !self.list.iter().any(|i| i["id"] == id.as_str()) {
            self.list.push(input(&id, spec));
        }
        format!("${{input:{id}}}")
    }

    /// `text` with each `{name}` of `variables` replaced by an input reference.
    fn substitute(&mut self, text: &str, variables: Option<&Json>) -> String {
        let mut out = text.to_string();
        if let Some(vars) = variables.and_then(Json::as_object) {
            for (name, spec) in vars {
                let placeholder = format!("{{{name}}}");
                if out.contains(&placeholder) {
                    let reference = self.prompt(name, spec);
                    out = out.replace(&placeholder, &reference);
                }
            }
        }
        out
    }
}

/// VS Code input ids end at `}`; keep them to a plain alphabet.
fn input_id(raw: &str) -> String {
    let id: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if id.is_empty() { "value".into() } else { id }
}

/// An `inputs` entry: `pickString` when server.json offers choices, else `promptString`;
/// secrets are `password: true`.
fn input(id: &str, spec: &Json) -> Json {
    let description = text(spec, "description")
        .map(str::to_string)
        .unwrap_or_else(|| id.to_string());
    let mut i = Map::new();
    let choices: Vec<&str> = array(spec, "choices")
        .iter()
        .filter_map(Json::as_str)
        .collect();
    if choices.is_empty() {
        i.insert("type".into(), "promptString".into());
    } else {
        i.insert("type".into(), "pickString".into());
    }
    i.insert("id".into(), id.into());
    i.insert("description".into(), description.into());
    if choices.is_empty() {
        i.insert("password".into(), flag(spec, "isSecret").into());
    } else {
        i.insert("options".into(), json!(choices));
    }
    if let Some(d) = text(spec, "default") {
        i.insert("default".into(), d.into());
    }
    Json::Object(i)
}

fn array<'a>(v: &'a Json, key: &str) -> &'a [Json] {
    v.get(key)
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn text<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Json::as_str)
}

fn flag(v: &Json, key: &str) -> bool {
    v.get(key).and_then(Json::as_bool).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(doc: Json) -> InstallOption {
        let (ok, not) = options(&doc);
        assert!(not.is_empty(), "{not:?}");
        assert_eq!(ok.len(), 1);
        ok.into_iter().next().unwrap()
    }

    #[test]
    fn npm_with_a_secret_and_a_default() {
        let o = only(json!({"packages": [{
            "registryType": "npm", "identifier": "@acme/desk", "version": "3.1.0",
            "transport": {"type": "stdio"},
            "packageArguments": [
                {"type": "named", "name": "--queue", "isRepeated": true, "placeholder": "billing"},
                {"type": "named", "name": "--mode", "value": "fast"}
            ],
            "environmentVariables": [
                {"name": "DESK_URL", "isRequired": true, "default": "https://desk.example"},
                {"name": "DESK_TOKEN", "description": "API token", "isRequired": true, "isSecret": true},
                {"name": "DESK_CACHE", "description": "optional, nothing to suggest"}
            ]
        }]}));
        assert_eq!(o.label, "npm @acme/desk@3.1.0");
        assert_eq!(
            Json::Object(o.config.clone()),
            json!({
                "type": "stdio", "command": "npx",
                "args": ["-y", "@acme/desk@3.1.0", "--mode", "fast"],
                "env": {"DESK_URL": "${input:DESK_URL}", "DESK_TOKEN": "${input:DESK_TOKEN}"}
            })
        );
        assert_eq!(
            o.inputs,
            vec![
                json!({"type": "promptString", "id": "DESK_URL", "description": "DESK_URL", "password": false, "default": "https://desk.example"}),
                json!({"type": "promptString", "id": "DESK_TOKEN", "description": "API token", "password": true}),
            ]
        );
    }

    #[test]
    fn oci_forwards_environment_and_orders_arguments() {
        let o = only(json!({"packages": [{
            "registryType": "oci", "identifier": "ghcr.io/acme/sql:0.12.0",
            "transport": {"type": "stdio"},
            "runtimeArguments": [{"type": "named", "name": "--volume", "value": "{dir}:/results",
                "variables": {"dir": {"description": "Local folder", "isRequired": true}}}],
            "packageArguments": [{"type": "positional", "valueHint": "catalog", "isRequired": true, "default": "sales"}],
            "environmentVariables": [{"name": "DSN", "isRequired": true, "isSecret": true}]
        }]}));
        assert_eq!(o.config["command"], "docker");
        assert_eq!(
            o.config["args"],
            json!([
                "run",
                "-i",
                "--rm",
                "--volume",
                "${input:dir}:/results",
                "-e",
                "DSN",
                "ghcr.io/acme/sql:0.12.0",
                "${input:catalog}"
            ])
        );
        let ids: Vec<&str> = o.inputs.iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["dir", "DSN", "catalog"]);
        assert_eq!(o.inputs[1]["password"], true);
    }

    #[test]
    fn pypi_nuget_and_what_cannot_be_installed() {
        let (ok, not) = options(&json!({"packages": [
            {"registryType": "pypi", "identifier": "ocr-mcp", "version": "2.1.0", "transport": {"type": "stdio"},
             "environmentVariables": [{"name": "REGION", "choices": ["eu", "us"], "default": "eu"}]},
            {"registryType": "nuget", "identifier": "Acme.Mcp", "version": "1.0.0", "transport": {"type": "stdio"},
             "packageArguments": [{"type": "positional", "value": "serve"}]},
            {"registryType": "pypi", "identifier": "m", "transport": {"type": "streamable-http", "url": "http://127.0.0.1:8765/mcp"}},
            {"registryType": "mcpb", "identifier": "https://example.com/x.mcpb", "transport": {"type": "stdio"}}
        ]}));
        assert_eq!(ok[0].config["command"], "uvx");
        assert_eq!(ok[0].config["args"], json!(["ocr-mcp==2.1.0"]));
        assert_eq!(
            ok[0].inputs[0],
            json!({"type": "pickString", "id": "REGION", "description": "REGION", "options": ["eu", "us"], "default": "eu"})
        );
        assert_eq!(ok[1].config["command"], "dnx");
        assert_eq!(
            ok[1].config["args"],
            json!(["Acme.Mcp@1.0.0", "--yes", "--", "serve"])
        );
        assert_eq!(not.len(), 2);
        assert!(not[0].reason.contains("streamable-http"));
        assert!(not[1].reason.contains("mcpb"));
    }

    #[test]
    fn remote_with_url_variables_and_a_secret_header() {
        let o = only(json!({"remotes": [{
            "type": "streamable-http",
            "url": "https://{tenant}.mcp.example/mcp",
            "variables": {"tenant": {"description": "Your tenant", "isRequired": true}},
            "headers": [
                {"name": "Authorization", "value": "Bearer {token}",
                 "variables": {"token": {"description": "Token", "isSecret": true}}},
                {"name": "X-Api-Key", "isSecret": true},
                {"name": "X-Trace", "value": "on"}
            ]
        }]}));
        assert_eq!(
            Json::Object(o.config.clone()),
            json!({
                "type": "http",
                "url": "https://${input:tenant}.mcp.example/mcp",
                "headers": {
                    "Authorization": "Bearer ${input:token}",
                    "X-Api-Key": "${input:X-Api-Key}",
                    "X-Trace": "on"
                }
            })
        );
        let secret: Vec<bool> = o
            .inputs
            .iter()
            .map(|i| i["password"].as_bool().unwrap())
            .collect();
        assert_eq!(secret, [false, true, true]);
    }

    #[test]
    fn link_and_file() {
        let o = only(json!({"remotes": [{"type": "sse", "url": "https://x.example/sse"}]}));
        let url = o.install_url("vscode", "com.example/x y");
        assert_eq!(
            url,
            "vscode:mcp/install?%7B%22name%22%3A%22com.example%2Fx%20y%22%2C%22type%22%3A%22sse%22%2C%22url%22%3A%22https%3A%2F%2Fx.example%2Fsse%22%7D"
        );
        let decoded = percent_encoding::percent_decode_str(url.split_once('?').unwrap().1)
            .decode_utf8()
            .unwrap();
        let j: Json = serde_json::from_str(&decoded).unwrap();
        assert_eq!(j["name"], "com.example/x y");
        let file: Json = serde_json::from_str(&o.mcp_json("com.example/x")).unwrap();
        assert_eq!(
            file,
            json!({"servers": {"com.example/x": {"type": "sse", "url": "https://x.example/sse"}}})
        );
    }
}
