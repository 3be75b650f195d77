//! The server run the way deploy/Dockerfile and deploy/kubernetes run it, without a container
//! engine: the real binary, configured by MCP_GITOPS_* variables alone (no flags), as user
//! 65534 with no capabilities and no-new-privileges, on a read-only root filesystem where only
//! the cache dir is writable (bubblewrap, `bwrap`, from Debian; `setpriv` from util-linux), in
//! a fresh environment, with the webhook secret mounted as Kubernetes mounts a Secret. Two such
//! replicas serve a registry from a `file://` git URL of a bare repository; after a push, the
//! one the webhook reaches syncs at once and the other follows at its next poll. Both stop
//! cleanly on SIGTERM. Only 127.0.0.1 is used, and every wait is bounded.

use crate::common::client::fetch;
use crate::common::exposition;
use crate::common::process::{Server, free_port};
use crate::common::{copy_dir, git};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The user the image runs as (`USER 65534:65534`, `runAsUser: 65534`).
const NOBODY: u32 = 65534;
const BWRAP: &str = "/usr/bin/bwrap";
const SETPRIV: &str = "/usr/bin/setpriv";

/// A field of /proc/<pid>/status, e.g. `Uid`.
fn proc_status(pid: u32, field: &str) -> String {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
        .trim()
        .to_string()
}

/// The mount options of `mount_point` as process `pid` sees it.
fn mount_options(pid: u32, mount_point: &Path) -> Option<String> {
    let info = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap();
    // id parent major:minor root mount-point options ...; the last mount of a point wins.
    info.lines().rev().find_map(|l| {
        let f: Vec<&str> = l.split(' ').collect();
        (f.len() > 5 && Path::new(f[4]) == mount_point).then(|| f[5].to_string())
    })
}

fn running_as_root() -> bool {
    proc_status(std::process::id(), "Uid")
        .split_whitespace()
        .next()
        == Some("0")
}

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(uid)).unwrap();
}

fn chown_tree(path: &Path, uid: u32) {
    chown(path, uid);
    if path.is_dir() && !path.is_symlink() {
        for entry in std::fs::read_dir(path).unwrap() {
            chown_tree(&entry.unwrap().path(), uid);
        }
    }
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The sandbox: what `docker run --read-only --user 65534:65534 --cap-drop ALL
/// --security-opt no-new-privileges -v cache:/var/cache/mcp-gitops` gives, with bubblewrap.
fn sandboxed(binary: &Path, cache: &Path, env: &[(&str, String)], as_root: bool) -> Command {
    assert!(
        Path::new(BWRAP).exists(),
        "{BWRAP} is missing: the container test runs the server on a read-only filesystem \
         with bubblewrap. Install it (Debian: apt-get install bubblewrap; .ci/run does)"
    );
    let mut cmd = Command::new(BWRAP);
    cmd.env_clear();
    cmd.args(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"])
        .arg("--bind")
        .arg(cache)
        .arg(cache)
        .args([
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--die-with-parent",
            "--chdir",
            "/",
        ]);
    if as_root {
        // bwrap drops every capability of root; setpriv needs these two to become nobody, and
        // then drops them too.
        assert!(
            Path::new(SETPRIV).exists(),
            "{SETPRIV} (util-linux) is missing"
        );
        cmd.args([
            "--cap-add",
            "CAP_SETUID",
            "--cap-add",
            "CAP_SETGID",
            SETPRIV,
        ])
        .args([
            format!("--reuid={NOBODY}"),
            format!("--regid={NOBODY}"),
            "--clear-groups".into(),
            "--inh-caps=-all".into(),
            "--bounding-set=-all".into(),
            "--no-new-privs".into(),
            "--pdeathsig=KILL".into(),
        ]);
    }
    // The image's ENTRYPOINT and CMD: the binary and `serve`, no flags.
    cmd.arg(binary).arg("serve");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

const EXPECTED_FAMILIES: [&str; 9] = [
    "mcp_gitops_git_fetches_total",
    "mcp_gitops_git_fetch_consecutive_failures",
    "mcp_gitops_git_last_fetch_timestamp_seconds",
    "mcp_gitops_http_requests_total",
    "mcp_gitops_http_request_duration_seconds",
    "mcp_gitops_reloads_total",
    "mcp_gitops_ready",
    "mcp_gitops_served_timestamp_seconds",
    "mcp_gitops_served_revision_info",
];

#[tokio::test]
async fn runs_as_the_container_does() {
    let as_root = running_as_root();

    // Everything the sandboxed user reads lives below a world-readable temp dir.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    chmod(root, 0o755);
    let bin = root.join("bin/mcp-gitops");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_mcp-gitops"), &bin).unwrap();
    chmod(&bin, 0o755);

    // The registry: example-repo committed, and pushed to a bare repository (the "remote").
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("example-repo");
    let work = root.join("work");
    copy_dir(&example.join("servers"), &work.join("servers"));
    std::fs::copy(example.join("registry.yaml"), work.join("registry.yaml")).unwrap();
    git(&work, &["init", "-q"]);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "registry"]);
    let remote = root.join("registry.git");
    git(
        root,
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            remote.to_str().unwrap(),
        ],
    );
    let head = git(&work, &["rev-parse", "HEAD"]).trim().to_string();
    let expected: BTreeSet<String> = walk_yaml(&work.join("servers"))
        .iter()
        .map(|p| {
            let ns = p.parent().unwrap().file_name().unwrap().to_string_lossy();
            let name = p.file_stem().unwrap().to_string_lossy();
            format!("{ns}/{name}")
        })
        .collect();
    assert_eq!(expected.len(), 15);

    // The Secret as Kubernetes mounts it with `fsGroup` and `defaultMode: 0440`.
    let secret = "a-webhook-secret";
    let secret_file = root.join("secrets/webhook-secret");
    std::fs::create_dir_all(secret_file.parent().unwrap()).unwrap();
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    if as_root {
        std::os::unix::fs::chown(&secret_file, Some(0), Some(NOBODY)).unwrap();
        // The remote stands for a git server: readable by whoever fetches, as over https.
        chown_tree(&remote, NOBODY);
    }
    chmod(&secret_file, 0o440);

    // Two replicas, as the Deployment runs them, each with its own cache (emptyDir) and port.
    // The webhook reaches `a`, which otherwise polls hourly; `b` has no webhook and polls
    // every 2 s.
    let webhook = secret_file.display().to_string();
    let (mut a, cache) = start_replica(
        root,
        "a",
        &bin,
        &remote,
        as_root,
        &[
            ("MCP_GITOPS_POLL_INTERVAL", "1h"),
            ("MCP_GITOPS_WEBHOOK_SECRET_FILE", &webhook),
        ],
    );
    let (mut b, _) = start_replica(
        root,
        "b",
        &bin,
        &remote,
        as_root,
        &[("MCP_GITOPS_POLL_INTERVAL", "2s")],
    );
    a.wait_ready(Duration::from_secs(60)).await;
    b.wait_ready(Duration::from_secs(60)).await;
    let client = reqwest::Client::new();
    // The last step of a deployment: the registry works for its clients.
    crate::common::assert_check_clean(&a.url("")).await;

    // The conditions hold for the running server, seen from outside.
    let pid = a.server_pid();
    let uids = proc_status(pid, "Uid");
    if as_root {
        assert_eq!(
            uids.split_whitespace().collect::<Vec<_>>(),
            ["65534"; 4],
            "Uid of the server"
        );
        assert_eq!(proc_status(pid, "NoNewPrivs"), "1");
    } else {
        assert!(!uids.starts_with("0\t"), "Uid {uids}");
    }
    assert_eq!(proc_status(pid, "CapEff"), "0000000000000000");
    let root_options = mount_options(pid, Path::new("/")).expect("/ in mountinfo");
    assert!(
        root_options.split(',').any(|o| o == "ro"),
        "/ is mounted {root_options}"
    );
    let cache_options = mount_options(pid, &cache).expect("the cache dir in mountinfo");
    assert!(
        cache_options.split(',').any(|o| o == "rw"),
        "{} is mounted {cache_options}",
        cache.display()
    );

    // The ops endpoints.
    let r = fetch(&client, &a.url("/healthz")).await.unwrap();
    assert_eq!(r.status, 200);
    for replica in [&a, &b] {
        assert_eq!(
            revision_of(&client, replica).await,
            head,
            "the pushed commit"
        );
    }
    let status = fetch(&client, &a.url("/status")).await.unwrap().json();
    assert_eq!(status["ready"], true, "{status}");
    assert_eq!(status["source"]["kind"], "git", "{status}");

    // The API lists every server.
    let r = fetch(&client, &a.url("/v0.1/servers?limit=100&version=latest"))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-registry-revision"), Some(head.as_str()));
    let names: BTreeSet<String> = r.json()["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["server"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, expected);

    // /metrics: Prometheus text, with the families the deploy guide alerts on.
    let r = fetch(&client, &a.url("/metrics")).await.unwrap();
    assert_eq!(r.status, 200);
    let text = String::from_utf8(r.body).unwrap();
    let families = exposition::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let problems = exposition::violations(&families, "mcp_gitops_");
    assert!(problems.is_empty(), "{}\n\n{text}", problems.join("\n"));
    let problems = alert_rule_problems(&families);
    assert!(problems.is_empty(), "{}\n\n{text}", problems.join("\n"));
    for name in EXPECTED_FAMILIES {
        assert!(families.contains_key(name), "no {name} in\n{text}");
    }
    assert_eq!(
        exposition::value(&families, "mcp_gitops_ready", &[]),
        Some(1.0)
    );
    assert_eq!(
        exposition::value(
            &families,
            "mcp_gitops_served_revision_info",
            &[("revision", head.as_str())]
        ),
        Some(1.0),
        "{text}"
    );

    // The server wrote its mirror into the cache dir, the only place it can write.
    assert!(
        std::fs::read_dir(&cache).unwrap().next().is_some(),
        "nothing in the cache dir"
    );

    // A new commit. The webhook reaches `a`, which syncs at once; `b` follows at its next
    // poll: how replicas converge.
    let file = work.join("servers/com.northwind/orders.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{text}\n# a comment, a new commit\n")).unwrap();
    git(&work, &["commit", "-q", "-am", "second"]);
    push_as_owner(&work, &remote, as_root);
    let second = git(&work, &["rev-parse", "HEAD"]).trim().to_string();
    assert_eq!(revision_of(&client, &a).await, head, "`a` polls hourly");
    let body = r#"{"ref":"refs/heads/main"}"#;
    let post = |signature: String| {
        client
            .post(a.url("/webhook"))
            .header("content-type", "application/json")
            .header("x-github-event", "push")
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
    };
    let forged = mcp_gitops::http::webhook::github_signature(b"not-the-secret", body.as_bytes());
    assert_eq!(post(forged).await.unwrap().status(), 401);
    let signed = mcp_gitops::http::webhook::github_signature(secret.as_bytes(), body.as_bytes());
    let r = post(signed).await.unwrap();
    assert_eq!(r.status(), 202, "{}", a.log());
    for (replica, within) in [(&a, 15), (&b, 20)] {
        let deadline = Instant::now() + Duration::from_secs(within);
        while revision_of(&client, replica).await != second {
            assert!(
                Instant::now() < deadline,
                "the second commit was not served within {within} s; log:\n{}",
                replica.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // JSON logs, one object a line, for the cluster's log collector.
    for replica in [&a, &b] {
        let log = replica.log();
        assert!(!log.trim().is_empty(), "no logs");
        for line in log.lines().filter(|l| !l.trim().is_empty()) {
            let keys = serde_json::from_str::<TopLevelKeys>(line)
                .unwrap_or_else(|e| panic!("a log line is not a JSON object ({e}): {line}"));
            let mut seen = BTreeSet::new();
            for key in &keys.0 {
                assert!(
                    seen.insert(key),
                    "a log line has the key {key:?} twice (collectors keep one or reject the \
                     line): {line}"
                );
            }
        }
    }

    a.stop().await;
    b.stop().await;
}

/// The revision a replica's /readyz reports.
async fn revision_of(client: &reqwest::Client, server: &Server) -> String {
    let r = fetch(client, &server.url("/readyz")).await.unwrap();
    assert_eq!(r.status, 200);
    r.json()["revision"].as_str().unwrap().to_string()
}

/// One replica in its sandbox: a cache dir of its own (the pod's emptyDir, owned by the pod's
/// user), a free port, the variables the image and the ConfigMap set plus `extra`, and the
/// PATH and HOME a container runtime gives.
fn start_replica(
    root: &Path,
    name: &str,
    bin: &Path,
    remote: &Path,
    as_root: bool,
    extra: &[(&str, &str)],
) -> (Server, PathBuf) {
    let cache = root.join(format!("cache-{name}"));
    std::fs::create_dir(&cache).unwrap();
    if as_root {
        chown(&cache, NOBODY);
    }
    chmod(&cache, 0o750);
    let port = free_port();
    let mut env: Vec<(&str, String)> = vec![
        (
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
        ),
        ("HOME", "/nonexistent".into()),
        ("MCP_GITOPS_REPO", format!("file://{}", remote.display())),
        ("MCP_GITOPS_REF", "main".into()),
        ("MCP_GITOPS_CACHE_DIR", cache.display().to_string()),
        ("MCP_GITOPS_LISTEN", format!("127.0.0.1:{port}")),
        ("MCP_GITOPS_LOG_FORMAT", "json".into()),
        ("MCP_GITOPS_CACHE_MAX_AGE", "30".into()),
        ("RUST_LOG", "info".into()),
    ];
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let server = Server::spawn(
        sandboxed(bin, &cache, &env, as_root),
        port,
        root.join(format!("{name}.log")),
    );
    (server, cache)
}

/// The keys of a JSON object, in order, duplicates kept (serde_json's maps merge them).
struct TopLevelKeys(Vec<String>);

impl<'de> serde::Deserialize<'de> for TopLevelKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = TopLevelKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    keys.push(key);
                }
                Ok(TopLevelKeys(keys))
            }
        }
        d.deserialize_map(Keys)
    }
}

/// What in deploy/prometheus/alerts.yaml does not match the served metrics: every
/// `mcp_gitops_…` name in an expression is a family of the scrape (a histogram's `_bucket`
/// included), and every label its selector names is a label of that family.
fn alert_rule_problems(families: &exposition::Families) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/prometheus/alerts.yaml");
    let rules: Json = serde_saphyr::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut problems = Vec::new();
    let mut count = 0;
    for group in rules["groups"].as_array().expect("groups") {
        for rule in group["rules"].as_array().expect("rules") {
            let alert = rule["alert"].as_str().expect("alert name");
            let expr = rule["expr"].as_str().expect("expr");
            count += 1;
            let mut rest = expr;
            while let Some(at) = rest.find("mcp_gitops_") {
                let tail = &rest[at..];
                let end = tail
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(tail.len());
                let name = &tail[..end];
                rest = &tail[end..];
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|suffix| {
                        name.strip_suffix(suffix).filter(|base| {
                            families.get(*base).is_some_and(|f| f.kind == "histogram")
                        })
                    })
                    .unwrap_or(name);
                let Some(f) = families.get(family) else {
                    problems.push(format!("{alert}: {name} is not served"));
                    continue;
                };
                if let Some(selector) = rest.strip_prefix('{') {
                    let selector = &selector[..selector.find('}').unwrap()];
                    for matcher in selector.split(',') {
                        let label = matcher.split(['=', '!', '~']).next().unwrap().trim();
                        if !f.samples.iter().any(|s| s.label(label).is_some()) {
                            problems.push(format!("{alert}: {family} has no label {label}"));
                        }
                    }
                }
            }
        }
    }
    assert!(count >= 5, "{count} alerting rules");
    problems
}

/// Pushes `work`'s HEAD to `remote`'s main as the remote's owner (nobody, when running as
/// root): git refuses to write into a repository that belongs to another user.
fn push_as_owner(work: &Path, remote: &Path, as_root: bool) {
    let mut cmd = if as_root {
        let mut c = Command::new(SETPRIV);
        c.args([
            format!("--reuid={NOBODY}"),
            format!("--regid={NOBODY}"),
            "--clear-groups".into(),
            "git".into(),
        ]);
        c
    } else {
        Command::new("git")
    };
    let out = cmd
        .args(["-c", "safe.directory=*", "push", "-q"])
        .arg(remote)
        .arg("HEAD:main")
        .current_dir(work)
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git push: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The .yaml files below `dir`.
fn walk_yaml(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk_yaml(&path));
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_log_key_check_sees_duplicates() {
    let keys: TopLevelKeys =
        serde_json::from_str(r#"{"message":"a","level":"ERROR","message":"b"}"#).unwrap();
    assert_eq!(keys.0, ["message", "level", "message"]);
    assert!(serde_json::from_str::<TopLevelKeys>("[1]").is_err());
}
