//! `mcp-gitops allowlist`: checked against a matcher written here from the clients' documented
//! rules (exact `serverName`; exact argv for `serverCommand`; `serverUrl` compared with scheme
//! and host lowercased, default port and fragment dropped, `*` matching within the host or one
//! path segment and never across `/`; deny wins; a URL or command still holding a variable is
//! blocked), not with the code that wrote the list.

use mcp_gitops::check::model::Status;
use mcp_gitops::check::{dir, validate};
use mcp_gitops::clients::allowlist;
use mcp_gitops::clients::install;
use serde_json::{Value as Json, json};
use std::path::Path;
use std::process::Command;

/// A server as a client has it configured: the name it was added under and the configuration,
/// with every value the user was asked for filled in.
struct Configured {
    name: String,
    config: Json,
}

/// `${input:…}` references replaced by what a user would type.
fn filled(config: &serde_json::Map<String, Json>) -> Json {
    let text = serde_json::to_string(config).unwrap();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${input:") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap();
        out.push_str("eu-west");
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    serde_json::from_str(&out).unwrap()
}

/// scheme://host[:port]/path, lowercased scheme and host, default port and fragment dropped.
fn normalize(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let scheme = scheme.to_lowercase();
    let rest = rest.split('#').next().unwrap();
    let cut = rest.find(['/', '?']).unwrap_or(rest.len());
    let (host, path) = rest.split_at(cut);
    let mut host = host.to_lowercase();
    for default in [":443", ":80"] {
        if (scheme == "https" && default == ":443" || scheme == "http" && default == ":80")
            && host.ends_with(default)
        {
            host.truncate(host.len() - default.len());
        }
    }
    format!("{scheme}://{host}{path}")
}

/// `*` matches any run of characters but `/`.
fn wildcard(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .take_while(|&i| !rest[..i].contains('/'))
                .filter(|&i| rest.is_char_boundary(i))
                .any(|i| wildcard(tail, &rest[i..]))
        }
    }
}

fn matches(entry: &Json, server: &Configured) -> bool {
    if let Some(name) = entry["serverName"].as_str() {
        return name == server.name;
    }
    if let Some(argv) = entry["serverCommand"].as_array() {
        let Some(command) = server.config["command"].as_str() else {
            return false;
        };
        let mut actual = vec![json!(command)];
        actual.extend(
            server.config["args"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        return *argv == actual;
    }
    if let Some(pattern) = entry["serverUrl"].as_str() {
        let Some(url) = server.config["url"].as_str() else {
            return false;
        };
        return wildcard(&normalize(pattern), &normalize(url));
    }
    panic!("an entry with no matcher: {entry}");
}

/// What a client enforcing `list` decides for `server`.
fn runs(list: &Json, server: &Configured) -> bool {
    let text = server.config.to_string();
    if text.contains("${") {
        return false;
    }
    let any = |key: &str| {
        list[key]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| matches(e, server))
    };
    !any("deniedMcpServers") && any("allowedMcpServers")
}

/// Every install option of every version of the registry at `dir`, with its status.
fn configured(dir: &Path) -> (Vec<(Status, Configured)>, Json) {
    let checked = validate::check(dir::read_dir(dir).unwrap());
    let list =
        allowlist::build(&checked.servers, checked.config.allowlist.as_ref(), true).to_json();
    let mut all = Vec::new();
    for server in &checked.servers {
        for v in &server.versions {
            for option in install::options(&v.doc.to_json()).0 {
                all.push((
                    v.status,
                    Configured {
                        name: server.name().unwrap().to_string(),
                        config: filled(&option.config),
                    },
                ));
            }
        }
    }
    (all, list)
}

fn example_repo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("example-repo")
}

#[test]
fn the_matcher_here_follows_the_documented_rules() {
    assert!(wildcard(
        "https://*.example.com/mcp",
        "https://eu.example.com/mcp"
    ));
    assert!(!wildcard(
        "https://*.example.com/mcp",
        "https://evil.com/x.example.com/mcp"
    ));
    assert!(wildcard(
        "https://example.com/*/mcp",
        "https://example.com/eu/mcp"
    ));
    assert!(!wildcard(
        "https://example.com/*/mcp",
        "https://example.com/a/b/mcp"
    ));
    assert_eq!(
        normalize("HTTPS://Example.COM:443/Path#x"),
        "https://example.com/Path"
    );
    assert_eq!(
        normalize("http://a.example:8080/p"),
        "http://a.example:8080/p"
    );
}

#[test]
fn every_install_link_of_example_repo_is_allowed_and_deleted_versions_are_denied() {
    let (all, list) = configured(&example_repo());
    let mut checked = (0, 0);
    for (status, server) in &all {
        let runs = runs(&list, server);
        match status {
            Status::Deleted => {
                // Denied, unless an allowed version runs exactly the same thing.
                let shared = all.iter().any(|(s, o)| {
                    *s != Status::Deleted && o.name == server.name && o.config == server.config
                });
                assert_eq!(runs, shared, "deleted: {} {}", server.name, server.config);
                checked.1 += 1;
            }
            _ => {
                assert!(runs, "not allowed: {} {}", server.name, server.config);
                checked.0 += 1;
            }
        }
    }
    assert!(checked.0 >= 20 && checked.1 >= 1, "{checked:?}");
    // Anything else is not: another version, another image, another host.
    let other = |config: Json| Configured {
        name: "com.example/other".into(),
        config,
    };
    assert!(!runs(
        &list,
        &other(json!({"command": "npx", "args": ["-y", "left-pad@1.0.0"]}))
    ));
    assert!(!runs(
        &list,
        &other(json!({"url": "https://evil.example/mcp"}))
    ));
    assert!(!runs(
        &list,
        &other(json!({"url": "https://x.mcp.northwind.example/mcp/../../evil"}))
    ));
}

#[test]
fn every_install_link_of_the_seed_entries_is_allowed() {
    let spec = crate::spec_or_skip!();
    let repo = crate::common::seed::seed_repo(&spec.join("seed-2025-10-03-pre/seed.json"));
    let (all, list) = configured(repo.path());
    let mut allowed = 0;
    for (status, server) in &all {
        if *status != Status::Deleted {
            assert!(
                runs(&list, server),
                "not allowed: {} {}",
                server.name,
                server.config
            );
            allowed += 1;
        }
    }
    assert!(allowed > 300, "{allowed}");
}

fn allowlist_cmd(dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mcp-gitops"))
        .arg("allowlist")
        .arg(dir)
        .output()
        .unwrap()
}

#[test]
fn a_value_the_user_supplies_falls_back_to_the_name_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    crate::common::write_files(
        tmp.path(),
        &[(
            "servers/com.example/files.yaml",
            "name: com.example/files\ndescription: Files\nversion: 1.0.0\npackages:\n  - registryType: npm\n    identifier: \"@example/files\"\n    version: 1.0.0\n    transport: { type: stdio }\n    packageArguments:\n      - { type: positional, valueHint: root, isRequired: true }\n",
        )],
    );
    let out = allowlist_cmd(tmp.path());
    assert!(out.status.success());
    let list: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        list["allowedMcpServers"],
        json!([{ "serverName": "com.example/files" }])
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("com.example/files 1.0.0") && stderr.contains("weaker matcher"),
        "{stderr}"
    );
}

#[test]
fn a_registry_with_an_error_gets_no_allowlist() {
    let tmp = tempfile::tempdir().unwrap();
    crate::common::write_files(
        tmp.path(),
        &[(
            "servers/com.example/files.yaml",
            "name: com.example/files\nversion: 1.0.0\n",
        )],
    );
    let out = allowlist_cmd(tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[schema-required]"));
}

#[test]
fn the_output_is_sorted_and_the_same_every_time_and_for_each_client() {
    let a = allowlist_cmd(&example_repo());
    let b = allowlist_cmd(&example_repo());
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    let claude = Command::new(env!("CARGO_BIN_EXE_mcp-gitops"))
        .args(["allowlist", "--client", "claude-code"])
        .arg(example_repo())
        .output()
        .unwrap();
    assert_eq!(
        claude.stdout, a.stdout,
        "the clients share keys and matchers today"
    );
    let list: Json = serde_json::from_slice(&a.stdout).unwrap();
    let entries: Vec<String> = list["allowedMcpServers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        entries.len(),
        entries
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
}

#[test]
fn registry_yaml_adds_entries_and_its_denials_win() {
    let tmp = tempfile::tempdir().unwrap();
    crate::common::write_files(
        tmp.path(),
        &[
            (
                "registry.yaml",
                "allowlist:\n  allowed:\n    - serverName: github\n    - serverUrl: HTTPS://API.Example.com:443/mcp#top\n  denied:\n    - serverCommand: [npx, -y, \"@example/files-mcp@1.0.0\"]\n",
            ),
            (
                "servers/com.example/files.yaml",
                "name: com.example/files\ndescription: Files\nversion: 1.0.0\npackages:\n  - registryType: npm\n    identifier: \"@example/files-mcp\"\n    version: 1.0.0\n    transport: { type: stdio }\n",
            ),
        ],
    );
    let out = allowlist_cmd(tmp.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Json = serde_json::from_slice(&out.stdout).unwrap();
    let files = Configured {
        name: "com.example/files".into(),
        config: json!({"command": "npx", "args": ["-y", "@example/files-mcp@1.0.0"]}),
    };
    assert!(!runs(&list, &files), "denied in registry.yaml: {list}");
    let github = Configured {
        name: "github".into(),
        config: json!({"url": "https://whatever.example/mcp"}),
    };
    assert!(runs(&list, &github));
    let api = Configured {
        name: "api".into(),
        config: json!({"url": "https://api.example.com/mcp"}),
    };
    assert!(runs(&list, &api), "canonical URL: {list}");
}

#[tokio::test]
async fn the_served_revision_s_allowlists_are_fetched_with_etag_and_token() {
    use crate::common::client::fetch;
    use crate::common::service::{Service, directory_options};
    let mut options = directory_options(&example_repo());
    options.api.read_token = Some("s3cret".into());
    let service = Service::start_with(options).await;
    service
        .wait_for("readiness", async |s: &Service| {
            (s.get("/readyz").await.0 == 200).then_some(())
        })
        .await;
    let url = format!("{}/allowlists/github.json", service.base);
    let get = |auth: Option<&'static str>, etag: Option<String>| {
        let mut req = service.client.get(&url);
        if let Some(token) = auth {
            req = req.bearer_auth(token);
        }
        if let Some(etag) = etag {
            req = req.header("If-None-Match", etag);
        }
        req.send()
    };
    assert_eq!(
        get(None, None).await.unwrap().status(),
        401,
        "the API's token rule"
    );
    let r = get(Some("s3cret"), None).await.unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert!(r.headers().contains_key("x-registry-revision"));
    let served: Json = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    let printed: Json = serde_json::from_slice(&allowlist_cmd(&example_repo()).stdout).unwrap();
    assert_eq!(
        served, printed,
        "the same document as `mcp-gitops allowlist`"
    );
    assert_eq!(get(Some("s3cret"), Some(etag)).await.unwrap().status(), 304);
    let other = fetch(
        &service.client,
        &format!("{}/allowlists/vim.json", service.base),
    )
    .await;
    assert_eq!(
        other.unwrap().status,
        401,
        "unknown names are behind the token too"
    );
    let r = service
        .client
        .get(format!("{}/allowlists/vim.json", service.base))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    service.stop().await;
}
