//! `mcp-gitops import` against real upstreams: the API of `mcp-gitops serve` over the 358
//! servers of the official seed, and the real service on the small fixture (several versions,
//! deprecated and deleted ones) changing under it; and against faulty ones (stopped, 500,
//! malformed, silent, a cursor that loops), after each of which the repository is unchanged.

use crate::common::fixture::FIXTURE;
use crate::common::seed::seed_repo;
use crate::common::service::{Service, directory_options};
use crate::common::upstream::{
    Run, answering, json_response, mcp_gitops, serve_any, silent, snapshot,
};
use crate::common::{git, lint, write_files};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// `mcp-gitops import --update --repo DIR`.
async fn update(dir: &Path) -> Run {
    mcp_gitops(args(&["import", "--update", "--repo", &repo_arg(dir)])).await
}

fn repo_arg(dir: &Path) -> String {
    dir.display().to_string()
}

/// Every entry a registry lists (deleted ones left out), by name and version: its `server`
/// and `_meta`.
async fn listed(base: &str) -> BTreeMap<(String, String), Json> {
    let client = reqwest::Client::new();
    let mut out = BTreeMap::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let mut url = format!("{base}/v0.1/servers?limit=100");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let body = client
            .get(&url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let page: Json = serde_json::from_slice(&body).unwrap();
        for e in page["servers"].as_array().unwrap() {
            let key = (
                e["server"]["name"].as_str().unwrap().to_string(),
                e["server"]["version"].as_str().unwrap().to_string(),
            );
            out.insert(key, e.clone());
        }
        cursor = page["metadata"]["nextCursor"].as_str().map(str::to_string);
        if cursor.is_none() {
            return out;
        }
    }
    panic!("{base}: the listing does not end");
}

fn assert_ran(run: &Run, code: i32) {
    assert_eq!(
        run.code, code,
        "exit {} (wanted {code})\nstdout:\n{}\nstderr:\n{}",
        run.code, run.stdout, run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_imports_lints_clean_and_is_served_back_unchanged() {
    let spec = crate::spec_or_skip!();
    let upstream_repo = seed_repo(&spec.join("seed-2025-10-03-pre/seed.json"));
    let (base, _upstream) = serve_any(upstream_repo.path()).await;
    let upstream = listed(&base).await;
    let names: BTreeSet<String> = upstream.keys().map(|(n, _)| n.clone()).collect();
    assert_eq!(names.len(), 358);

    let local = tempfile::tempdir().unwrap();
    let mut list = args(&["import", "--all-versions", "--from", &base, "--repo"]);
    list.push(repo_arg(local.path()));
    list.extend(names.iter().cloned());
    let run = mcp_gitops(list).await;
    // The seed predates rules this registry holds (descriptions over 100 characters, OCI
    // tags in `version`): those servers are refused, each with lint's reason.
    assert_ran(&run, 1);
    let checked = lint(local.path(), None);
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let written: BTreeSet<String> = checked
        .servers
        .iter()
        .map(|s| s.name().unwrap().to_string())
        .collect();
    let refused: Vec<&String> = names.difference(&written).collect();
    assert!(
        written.len() > 150 && !refused.is_empty(),
        "{} written",
        written.len()
    );
    let (summary, not_written) = run.stdout.split_once("### Not written").unwrap();
    for name in &refused {
        assert!(
            not_written.contains(&format!("`{name}`")),
            "{name} not in\n{not_written}"
        );
        assert!(!summary.contains(&format!("`{name}` in")), "{name}");
    }
    for line in not_written.lines().filter(|l| l.starts_with("  - ")) {
        assert!(
            ["schema-length", "package-transport"]
                .iter()
                .any(|r| line.contains(&format!("[{r}]"))),
            "{line}"
        );
    }
    // Written as YAML for review (JSON, which is YAML too, only when YAML would not read back).
    for (path, bytes) in snapshot(local.path()) {
        assert!(!bytes.starts_with(b"{"), "{} is JSON", path.display());
    }
    // Every imported file records where it came from.
    assert!(checked.servers.iter().all(|s| {
        s.upstream
            .as_ref()
            .is_some_and(|u| u.registry == base && Some(u.name.as_str()) == s.name())
    }));

    // Served by `mcp-gitops serve`, each version's `server` is upstream's, value for value.
    let service = Service::start(local.path().to_path_buf()).await;
    service.wait_served().await;
    let ours = listed(&service.base).await;
    let expected: BTreeMap<_, _> = upstream
        .iter()
        .filter(|((name, _), _)| written.contains(name))
        .collect();
    assert_eq!(ours.len(), expected.len());
    for (key, entry) in &ours {
        assert_eq!(entry["server"], expected[key]["server"], "{key:?}");
        let source = &entry["_meta"]["io.github.mcp-gitops/source"]["upstream"];
        assert_eq!(source["registry"], base.as_str());
    }

    // And `mcp-gitops serve` itself, validating what it serves, as the upstream: the servers it
    // holds import again, every one of them this time, and give the same `server` values.
    let again = tempfile::tempdir().unwrap();
    let mut list = args(&[
        "import",
        "--all-versions",
        "--from",
        &service.base,
        "--repo",
    ]);
    list.push(repo_arg(again.path()));
    list.extend(written.iter().cloned());
    let run = mcp_gitops(list).await;
    assert_ran(&run, 0);
    let checked = lint(again.path(), None);
    assert_eq!(checked.errors(), 0);
    assert_eq!(checked.servers.len(), written.len());
    let second = Service::start(again.path().to_path_buf()).await;
    second.wait_served().await;
    let twice = listed(&second.base).await;
    assert_eq!(twice.len(), ours.len());
    for (key, entry) in &twice {
        assert_eq!(entry["server"], ours[key]["server"], "{key:?}");
    }
    second.stop().await;
    service.stop().await;

    // Nothing new upstream: an update changes nothing and says so.
    let run = update(local.path()).await;
    assert_ran(&run, 0);
    assert!(run.stdout.contains("**No changes**"), "{}", run.stdout);
}

/// The fixture's servers but `gone`, whose only version is deleted.
const IMPORTED: [&str; 6] = [
    "com.example/alpha",
    "com.example/beta",
    "io.github.acme/WeatherStation",
    "io.github.acme/nightly",
    "io.github.acme/tools",
    "io.github.acme/weather",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_adds_new_versions_mirrors_status_and_never_edits_a_published_version() {
    let upstream_dir = tempfile::tempdir().unwrap();
    write_files(upstream_dir.path(), FIXTURE);
    let upstream = Service::start(upstream_dir.path().to_path_buf()).await;
    upstream.wait_served().await;

    let local = tempfile::tempdir().unwrap();
    let mut list = args(&[
        "import",
        "--all-versions",
        "--from",
        &upstream.base,
        "--repo",
    ]);
    list.push(repo_arg(local.path()));
    list.extend(IMPORTED.iter().map(|s| s.to_string()));
    assert_ran(&mcp_gitops(list).await, 0);
    let beta = std::fs::read_to_string(local.path().join("servers/com.example/beta.yaml")).unwrap();
    // Every version but the deleted one, and the deprecated one with its message.
    assert!(!beta.contains("0.9.0"), "{beta}");
    assert!(
        beta.contains("status: deprecated\n    statusMessage: Upgrade to 1.1.0"),
        "{beta}"
    );
    git(local.path(), &["init", "-q"]);
    git(local.path(), &["add", "-A"]);
    git(local.path(), &["commit", "-qm", "import"]);
    let before = snapshot(local.path());

    // Upstream moves on (a second later, so its times pass the recorded ones): a new version,
    // a deletion and a deprecation with their messages, and an edit of a published version.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    write_files(
        upstream_dir.path(),
        &[
            (
                "servers/io.github.acme/weather.yaml",
                "name: io.github.acme/weather\ndescription: Weather forecasts\nversions:\n  - version: \"1.0.0\"\n    status: deleted\n    statusMessage: Leaked keys; use 2.1.0\n  - version: \"1.2.0+build.7\"\n  - version: \"2.1.0\"\n",
            ),
            (
                "servers/com.example/alpha.yaml",
                "name: com.example/alpha\ndescription: Alpha, the first server\nversion: \"1.0.0\"\nstatus: deprecated\nstatusMessage: Use beta\n",
            ),
            (
                "servers/io.github.acme/WeatherStation.yaml",
                "name: io.github.acme/WeatherStation\ndescription: A weather station, edited in place\nversion: \"1.0.0\"\n",
            ),
        ],
    );
    upstream
        .wait_for("the new upstream version", async |s: &Service| {
            let path = "/v0.1/servers/io.github.acme%2Fweather/versions/2.1.0";
            (s.get(path).await.0 == 200).then_some(())
        })
        .await;

    let run = update(local.path()).await;
    assert_ran(&run, 0);
    let md = &run.stdout;
    assert!(md.contains("**2 files changed**"), "{md}");
    assert!(md.contains("added `2.1.0`"), "{md}");
    assert!(
        md.contains("`1.0.0` active → deleted (Leaked keys; use 2.1.0)"),
        "{md}"
    );
    assert!(
        md.contains("`1.0.0` active → deprecated (Use beta)"),
        "{md}"
    );
    assert!(md.contains("### Conflicts"), "{md}");
    assert!(
        md.contains("`io.github.acme/WeatherStation` `1.0.0`"),
        "{md}"
    );

    // The files that did not change upstream, and the one in conflict, are as they were.
    let after = snapshot(local.path());
    let changed: Vec<String> = after
        .iter()
        .filter(|(path, bytes)| before.get(*path) != Some(bytes))
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert_eq!(
        changed,
        [
            "servers/com.example/alpha.yaml",
            "servers/io.github.acme/weather.yaml"
        ]
    );
    // Published versions untouched: what `lint --base` checks on the pull request.
    let checked = lint(local.path(), Some("HEAD"));
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));

    // Served, the local registry matches upstream but for the conflict; the page says where
    // each server comes from.
    let service = Service::start(local.path().to_path_buf()).await;
    service.wait_served().await;
    let ours = listed(&service.base).await;
    let theirs = listed(&upstream.base).await;
    for (key, entry) in &ours {
        if key.0 != "io.github.acme/WeatherStation" {
            assert_eq!(entry["server"], theirs[key]["server"], "{key:?}");
            let official = "io.modelcontextprotocol.registry/official";
            assert_eq!(
                entry["_meta"][official]["status"], theirs[key]["_meta"][official]["status"],
                "{key:?}"
            );
        }
    }
    assert!(ours.contains_key(&("io.github.acme/weather".into(), "2.1.0".into())));
    let (status, page) = service.text("/servers/io.github.acme/weather").await;
    assert_eq!(status, 200);
    assert!(page.contains("Imported from"), "{page}");
    assert!(page.contains(&upstream.base), "{page}");
    service.stop().await;

    // Run again: nothing new, and the conflict, still unsettled, is reported again.
    let before = snapshot(local.path());
    let run = update(local.path()).await;
    assert_ran(&run, 0);
    assert!(run.stdout.contains("**No changes**"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("`io.github.acme/WeatherStation` `1.0.0`"),
        "{}",
        run.stdout
    );
    assert_eq!(snapshot(local.path()), before);
    upstream.stop().await;
}

/// A small local registry with one server that follows `base`.
fn local_following(base: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let followed = format!(
        "name: com.example/alpha\ndescription: Alpha\nversion: \"1.0.0\"\nupstream:\n  registry: {base}\n  name: com.example/alpha\n  updatedAt: \"2025-01-01T00:00:00Z\"\n"
    );
    write_files(
        dir.path(),
        &[
            ("servers/com.example/alpha.yaml", &followed),
            ("registry.yaml", "allowedNamespaces: [com.example]\n"),
        ],
    );
    dir
}

/// Runs an import of two servers and an update against `base`; both must fail (exit 2) with
/// `expected` in their message and leave the repository as it was.
async fn assert_fails_untouched(base: &str, extra: &[&str], expected: &str) {
    let local = local_following(base);
    let before = snapshot(local.path());
    let repo = repo_arg(local.path());
    let named = [
        "import",
        "--from",
        base,
        "--repo",
        &repo,
        "com.example/alpha",
        "com.example/b",
    ];
    let update = ["import", "--update", "--repo", &repo];
    for list in [&named[..], &update[..]] {
        let mut list = args(list);
        list.extend(args(extra));
        let run = mcp_gitops(list).await;
        assert_ran(&run, 2);
        assert!(
            run.stderr.contains(expected) && run.stderr.contains("nothing was written"),
            "{expected}: {}",
            run.stderr
        );
        assert_eq!(snapshot(local.path()), before, "{expected}");
    }
}

fn entry_for(path: &str) -> String {
    // `/v0.1/servers/<name>/versions/latest`: a valid entry of that server.
    let name = path
        .split('/')
        .nth(3)
        .unwrap_or("com.example%2Fx")
        .replace("%2F", "/");
    serde_json::json!({"server": {"name": name, "description": "Fine", "version": "2.0.0"}})
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_stops_mid_import_changes_nothing() {
    let served = std::sync::atomic::AtomicUsize::new(0);
    let (base, _task) = answering(move |path| {
        // One good answer, then the upstream goes away.
        (served.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0)
            .then(|| json_response(200, &entry_for(path)))
    })
    .await;
    let local = local_following(&base);
    let before = snapshot(local.path());
    let run = mcp_gitops(args(&[
        "import",
        "--from",
        &base,
        "--repo",
        &repo_arg(local.path()),
        "com.example/b",
        "com.example/c",
        "com.example/d",
    ]))
    .await;
    assert_ran(&run, 2);
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert_eq!(snapshot(local.path()), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_changes_nothing() {
    let (base, _task) = answering(|_| {
        Some(json_response(
            500,
            r#"{"title":"Internal Server Error","status":500,"detail":"database down"}"#,
        ))
    })
    .await;
    assert_fails_untouched(&base, &[], "answered 500: database down").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_answers_change_nothing() {
    let (html, _a) = answering(|_| {
        Some(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 17\r\nConnection: close\r\n\r\n<html>oops</html>"
                .to_string(),
        )
    })
    .await;
    assert_fails_untouched(
        &html,
        &[],
        "not a v0.1 registry answer: the body is not JSON",
    )
    .await;
    let (shape, _b) = answering(|_| {
        Some(json_response(
            200,
            r#"{"server":{"name":5},"servers":"none"}"#,
        ))
    })
    .await;
    assert_fails_untouched(&shape, &[], "not a v0.1 registry answer").await;
    let (missing, _c) = answering(|_| Some(json_response(404, r#"{"title":"Not Found"}"#))).await;
    assert_fails_untouched(&missing, &[], "404").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_upstream_times_out_and_changes_nothing() {
    let (base, _task) = silent().await;
    let started = std::time::Instant::now();
    assert_fails_untouched(&base, &["--timeout", "1s"], "no answer within 1s").await;
    // Two runs of one request each (the named ones run side by side).
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_that_loops_is_caught() {
    let (base, _task) = answering(|_| {
        Some(json_response(
            200,
            r#"{"servers":[],"metadata":{"nextCursor":"again","count":0}}"#,
        ))
    })
    .await;
    let local = local_following(&base);
    let before = snapshot(local.path());
    let run = update(local.path()).await;
    assert_ran(&run, 2);
    assert!(
        run.stderr.contains("the cursor came back"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot(local.path()), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_upstream_takes_a_token_file_and_the_token_goes_nowhere_else() {
    let upstream_dir = tempfile::tempdir().unwrap();
    write_files(upstream_dir.path(), FIXTURE);
    let token = "s3cret-import-token-4821";
    let mut options = directory_options(upstream_dir.path());
    options.api.read_token = Some(token.into());
    let upstream = Service::start_with(options).await;
    upstream.wait_served().await;

    let local = tempfile::tempdir().unwrap();
    let token_file = local.path().join("../token-for-import");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let repo = repo_arg(local.path());
    let without = mcp_gitops(args(&[
        "import",
        "--from",
        &upstream.base,
        "--repo",
        &repo,
        "com.example/alpha",
    ]))
    .await;
    assert_ran(&without, 2);
    assert!(without.stderr.contains("401"), "{}", without.stderr);

    let with = mcp_gitops(args(&[
        "import",
        "--from",
        &upstream.base,
        "--token-file",
        &token_file.display().to_string(),
        "--repo",
        &repo,
        "com.example/alpha",
    ]))
    .await;
    assert_ran(&with, 0);
    let update = mcp_gitops(args(&[
        "import",
        "--update",
        "--from",
        &upstream.base,
        "--token-file",
        &token_file.display().to_string(),
        "--repo",
        &repo,
    ]))
    .await;
    assert_ran(&update, 0);
    for text in [&with.stdout, &with.stderr, &update.stdout, &update.stderr] {
        assert!(!text.contains(token), "{text}");
    }
    for (path, bytes) in snapshot(local.path()) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(token),
            "{}",
            path.display()
        );
    }
    // With --update, a token goes only to the registry named by --from.
    let no_from = mcp_gitops(args(&[
        "import",
        "--update",
        "--token-file",
        &token_file.display().to_string(),
        "--repo",
        &repo,
    ]))
    .await;
    assert_ran(&no_from, 2);
    std::fs::remove_file(&token_file).unwrap();
    upstream.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_json_files_are_converted_and_what_would_not_lint_is_refused() {
    let local = tempfile::tempdir().unwrap();
    write_files(
        local.path(),
        &[("registry.yaml", "allowedNamespaces: [com.example]\n")],
    );
    let inputs = tempfile::tempdir().unwrap();
    let doc = |name: &str, version: &str, description: &str| {
        serde_json::json!({
            "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
            "name": name, "description": description, "version": version,
            "packages": [{"registryType": "npm", "identifier": "@example/x", "version": version,
                          "transport": {"type": "stdio"}}]
        })
        .to_string()
    };
    let files = [
        (
            "one.json",
            doc("com.example/fromfile", "1.0.0", "From a file"),
        ),
        (
            "two.json",
            doc("com.example/fromfile", "1.1.0", "From a file, again"),
        ),
        (
            "other.json",
            doc("io.github.other/x", "1.0.0", "Not allowed here"),
        ),
    ];
    let mut list = args(&["import", "--repo", &repo_arg(local.path()), "--file"]);
    for (name, text) in &files {
        std::fs::write(inputs.path().join(name), text).unwrap();
        list.push(inputs.path().join(name).display().to_string());
    }
    let dry = {
        let mut l = list.clone();
        l.insert(1, "--dry-run".into());
        mcp_gitops(l).await
    };
    assert_ran(&dry, 1);
    assert!(dry.stdout.contains("would change"), "{}", dry.stdout);
    assert!(!local.path().join("servers").exists());

    let run = mcp_gitops(list.clone()).await;
    assert_ran(&run, 1);
    assert!(
        run.stdout.contains("[namespace-not-allowed]"),
        "{}",
        run.stdout
    );
    let written =
        std::fs::read_to_string(local.path().join("servers/com.example/fromfile.yaml")).unwrap();
    assert!(written.contains("versions:"), "{written}");
    assert!(!written.contains("upstream:"), "{written}");
    assert!(!local.path().join("servers/io.github.other").exists());
    let checked = lint(local.path(), None);
    assert_eq!((checked.errors(), checked.versions()), (0, 2));

    // Again: the same versions are there, nothing to write (the refused one still is).
    let again = mcp_gitops(list).await;
    assert_ran(&again, 1);
    assert!(!again.stdout.contains("### Changes"), "{}", again.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_follows_another_name_is_left_alone_and_said_so() {
    let (base, _task) = answering(|_| {
        Some(json_response(
            200,
            r#"{"servers":[],"metadata":{"count":0}}"#,
        ))
    })
    .await;
    let local = tempfile::tempdir().unwrap();
    let renamed = format!(
        "name: com.example/alpha\ndescription: Alpha\nversion: \"1.0.0\"\nupstream:\n  registry: {base}\n  name: com.example/original\n  updatedAt: \"2025-01-01T00:00:00Z\"\n"
    );
    write_files(
        local.path(),
        &[("servers/com.example/alpha.yaml", &renamed)],
    );
    let before = snapshot(local.path());
    let run = update(local.path()).await;
    assert_ran(&run, 0);
    assert!(
        run.stdout
            .contains("**No changes**: nothing new for the 1 server"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("- `com.example/alpha`: the file follows com.example/original upstream"),
        "{}",
        run.stdout
    );
    assert_eq!(snapshot(local.path()), before);
}
