//! GitOps sync end to end: a bare upstream repository in a temp dir, a working clone that
//! commits (with controlled dates) and pushes, and the real `serve` following it over
//! `file://`. Webhooks are sent to the real socket.

use crate::common::service::Service;
use mcp_gitops::git::fetch::{Credentials, GitConfig, GitSource};
use mcp_gitops::http::ApiConfig;
use mcp_gitops::server::Options;
use mcp_gitops::store::source::Source;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub(crate) const T0: i64 = 1_750_000_000;
pub(crate) const WEATHER: &str = "servers/io.github.acme/weather.yaml";
pub(crate) const V1: &str =
    "name: io.github.acme/weather\ndescription: Forecasts\nversions:\n  - version: \"1.0.0\"\n";

/// An upstream bare repository and a working clone that pushes to it.
pub(crate) struct Upstream {
    _tmp: tempfile::TempDir,
    pub(crate) bare: PathBuf,
    pub(crate) work: PathBuf,
    pub(crate) cache: PathBuf,
}

impl Upstream {
    pub(crate) fn new() -> Upstream {
        let tmp = tempfile::tempdir().unwrap();
        let (bare, work, cache) = (
            tmp.path().join("up.git"),
            tmp.path().join("work"),
            tmp.path().join("cache"),
        );
        std::fs::create_dir_all(&work).unwrap();
        crate::common::git(
            tmp.path(),
            &["init", "-q", "--bare", "-b", "main", "up.git"],
        );
        crate::common::git(&work, &["init", "-q", "-b", "main"]);
        crate::common::git(&work, &["remote", "add", "origin", bare.to_str().unwrap()]);
        Upstream {
            _tmp: tmp,
            bare,
            work,
            cache,
        }
    }

    fn url(&self) -> String {
        format!("file://{}", self.bare.display())
    }

    /// Writes files, commits everything at `T0 + hours`, pushes; returns the commit id.
    pub(crate) fn commit(&self, hours: i64, files: &[(&str, &str)]) -> String {
        crate::common::write_files(&self.work, files);
        self.git_at(hours, &["add", "-A"]);
        self.git_at(hours, &["commit", "-qm", "change", "--allow-empty"]);
        self.git_at(hours, &["push", "-qf", "origin", "HEAD:main"]);
        self.git_at(hours, &["rev-parse", "HEAD"])
            .trim()
            .to_string()
    }

    pub(crate) fn git_at(&self, hours: i64, args: &[&str]) -> String {
        crate::common::git_dated(&self.work, T0 + hours * 3600, args)
    }

    pub(crate) async fn serve(
        &self,
        poll: Duration,
        webhook_secret_file: Option<PathBuf>,
    ) -> Service {
        serve_url(&self.url(), &self.cache, poll, webhook_secret_file).await
    }
}

async fn serve_url(
    url: &str,
    cache: &Path,
    poll: Duration,
    webhook_secret_file: Option<PathBuf>,
) -> Service {
    let git = GitSource::new(GitConfig {
        url: url.to_string(),
        reference: None,
        cache_dir: cache.to_path_buf(),
        credentials: Credentials::default(),
        timeouts: crate::common::GIT_TIMEOUTS,
    })
    .unwrap();
    Service::start_with(Options {
        source: Source::Git(Arc::new(git)),
        api: ApiConfig {
            cache_max_age: 5,
            read_token: None,
        },
        debounce: Duration::from_millis(50),
        poll_interval: poll,
        webhook_secret_file,
        read_token_file: None,
    })
    .await
}

pub(crate) fn rfc3339(hours: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(T0 + hours * 3600).unwrap();
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Waits until the served revision is `commit`.
pub(crate) async fn wait_for_commit(service: &Service, commit: &str) {
    service
        .wait_for(&format!("commit {commit} served"), async |s: &Service| {
            let (status, j) = s.get("/readyz").await;
            (status == 200 && j["revision"] == commit).then_some(())
        })
        .await;
}

pub(crate) async fn status(service: &Service) -> Json {
    service.get("/status").await.1
}

#[tokio::test]
async fn merged_servers_appear_and_a_bad_commit_is_never_served() {
    let up = Upstream::new();
    let first = up.commit(0, &[(WEATHER, V1)]);
    let service = up.serve(Duration::from_millis(200), None).await;
    wait_for_commit(&service, &first).await;
    let (_, j) = service.get("/v0.1/servers").await;
    assert_eq!(j["metadata"]["count"], 1);

    // A merged new server appears within the poll interval.
    let other = "name: io.github.acme/other\ndescription: Another\nversion: \"0.1.0\"\n";
    let second = up.commit(1, &[("servers/io.github.acme/other.yaml", other)]);
    wait_for_commit(&service, &second).await;
    let (status_code, _) = service
        .get("/v0.1/servers/io.github.acme%2Fother/versions/latest")
        .await;
    assert_eq!(status_code, 200);

    // A commit with an invalid file is not served; /status names the commit and each error.
    let broken = "name: io.github.acme/other\nversion: \"0.2.0\"\n";
    let bad = up.commit(2, &[("servers/io.github.acme/other.yaml", broken)]);
    let s = service
        .wait_for("the bad commit to be tried", async |s: &Service| {
            let j = status(s).await;
            (j["lastAttempt"]["outcome"] == "invalid").then_some(j)
        })
        .await;
    assert_eq!(s["git"]["attemptedCommit"], bad.as_str());
    assert_eq!(s["lastAttempt"]["revision"], bad.as_str());
    assert_eq!(s["served"]["revision"], second.as_str());
    assert_eq!(s["degraded"], true);
    let errors = s["lastAttempt"]["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["file"] == "servers/io.github.acme/other.yaml"
                && e["line"] == 1
                && e["rule"] == "schema-required"),
        "{errors:#?}"
    );
    let (_, j) = service
        .get("/v0.1/servers/io.github.acme%2Fother/versions/latest")
        .await;
    assert_eq!(j["server"]["version"], "0.1.0", "the old content stays");
    let (ready, _) = service.get("/readyz").await;
    assert_eq!(ready, 200, "a bad commit does not make the service unready");

    // The next good commit is served.
    let fixed = "name: io.github.acme/other\ndescription: Fixed\nversion: \"0.2.0\"\n";
    let good = up.commit(3, &[("servers/io.github.acme/other.yaml", fixed)]);
    wait_for_commit(&service, &good).await;
    let (_, j) = service
        .get("/v0.1/servers/io.github.acme%2Fother/versions/latest")
        .await;
    assert_eq!(j["server"]["version"], "0.2.0");
    assert_eq!(status(&service).await["degraded"], false);
    crate::common::assert_check_clean(&service.base).await;
    service.stop().await;
}

#[tokio::test]
async fn force_pushes_and_a_deleted_branch_are_followed_and_survived() {
    let up = Upstream::new();
    let first = up.commit(0, &[(WEATHER, V1)]);
    let second = up.commit(1, &[(WEATHER, &format!("{V1}  - version: \"1.1.0\"\n"))]);
    let service = up.serve(Duration::from_millis(200), None).await;
    wait_for_commit(&service, &second).await;

    // Backwards.
    up.git_at(2, &["push", "-qf", "origin", &format!("{first}:main")]);
    wait_for_commit(&service, &first).await;
    let (_, j) = service
        .get("/v0.1/servers/io.github.acme%2Fweather/versions")
        .await;
    assert_eq!(
        j["metadata"]["count"], 1,
        "1.1.0 is gone with its commit: {j}"
    );

    // The branch is deleted: the last good index stays, the failure is reported.
    crate::common::git(&up.bare, &["update-ref", "-d", "refs/heads/main"]);
    let s = service
        .wait_for("the fetch to fail", async |s: &Service| {
            let j = status(s).await;
            (j["git"]["consecutiveFailures"].as_u64() >= Some(1)).then_some(j)
        })
        .await;
    assert_eq!(s["served"]["revision"], first.as_str());
    assert_eq!(s["git"]["lastFetchOutcome"], "failed");
    assert!(
        s["git"]["lastFetchError"]
            .as_str()
            .unwrap()
            .contains("main")
            || s["git"]["lastFetchError"]
                .as_str()
                .unwrap()
                .contains("branch"),
        "{s}"
    );
    assert_eq!(service.get("/readyz").await.0, 200);
    let metrics =
        crate::common::client::fetch(&service.client, &format!("{}/metrics", service.base))
            .await
            .unwrap();
    assert!(
        String::from_utf8_lossy(&metrics.body)
            .contains("mcp_gitops_git_fetches_total{outcome=\"failed\"}")
    );

    // It comes back; the server recovers.
    let third = up.commit(3, &[("README.md", "back\n")]);
    wait_for_commit(&service, &third).await;
    assert_eq!(status(&service).await["git"]["consecutiveFailures"], 0);
    service.stop().await;
}

#[tokio::test]
async fn a_branch_restored_at_the_served_commit_is_healthy_at_once() {
    let up = Upstream::new();
    let first = up.commit(0, &[(WEATHER, V1)]);
    let poll = Duration::from_secs(1);
    let service = up.serve(poll, None).await;
    wait_for_commit(&service, &first).await;
    // The branch goes away for a few polls (failures, backoff), then comes back unchanged.
    crate::common::git(&up.bare, &["update-ref", "-d", "refs/heads/main"]);
    service
        .wait_for("two failed fetches", async |s: &Service| {
            (status(s).await["git"]["consecutiveFailures"].as_u64() >= Some(2)).then_some(())
        })
        .await;
    crate::common::git(&up.bare, &["update-ref", "refs/heads/main", &first]);
    let s = service
        .wait_for("a good fetch", async |s: &Service| {
            let j = status(s).await;
            (j["git"]["consecutiveFailures"] == 0).then_some(j)
        })
        .await;
    // The commit already served is "unchanged", not "failed", and nothing is degraded.
    assert_eq!(s["lastAttempt"]["outcome"], "unchanged", "{s}");
    assert_eq!(s["degraded"], false, "{s}");
    assert_eq!(s["git"]["lastFetchOutcome"], "ok", "{s}");
    // The backoff is reset: a new commit is served within two poll intervals (plus jitter and
    // the reload), not after a doubled wait.
    let second = up.commit(1, &[(WEATHER, &format!("{V1}  - version: \"1.1.0\"\n"))]);
    let started = std::time::Instant::now();
    wait_for_commit(&service, &second).await;
    assert!(
        started.elapsed() < 3 * poll,
        "served {:?} after the commit",
        started.elapsed()
    );
    service.stop().await;
}

/// Truncates every pack of the mirrors under `cache`, as a full disk or a crash can leave them.
fn damage_mirror(cache: &Path) -> usize {
    let mut damaged = 0;
    for mirror in std::fs::read_dir(cache).unwrap() {
        let packs = mirror.unwrap().path().join("objects/pack");
        for pack in std::fs::read_dir(&packs).into_iter().flatten() {
            let pack = pack.unwrap().path();
            if pack.extension().is_some_and(|e| e == "pack") {
                let file = std::fs::OpenOptions::new().write(true).open(&pack).unwrap();
                file.set_len(100).unwrap();
                damaged += 1;
            }
        }
    }
    damaged
}

#[tokio::test]
async fn a_damaged_mirror_is_fetched_anew_while_serving_and_at_restart() {
    let up = Upstream::new();
    const TIDES: &str = "servers/io.github.acme/tides.yaml";
    let tides = "name: io.github.acme/tides\ndescription: Tides\nversion: \"1.0.0\"\n";
    let first = up.commit(0, &[(WEATHER, V1), (TIDES, tides)]);
    let poll = Duration::from_secs(1);
    let service = up.serve(poll, None).await;
    wait_for_commit(&service, &first).await;
    assert!(damage_mirror(&up.cache) > 0);
    // The next commit keeps tides.yaml, whose blob only the damaged pack holds.
    let second = up.commit(1, &[(WEATHER, &format!("{V1}  - version: \"1.1.0\"\n"))]);
    wait_for_commit(&service, &second).await;
    let s = status(&service).await;
    assert_eq!(s["git"]["mirrorRebuilds"], 1, "{s}");
    assert_eq!(s["served"]["servers"], 2, "{s}");
    let metrics =
        crate::common::client::fetch(&service.client, &format!("{}/metrics", service.base))
            .await
            .unwrap();
    assert!(
        String::from_utf8_lossy(&metrics.body).contains("mcp_gitops_git_mirror_rebuilds_total 1")
    );
    service.stop().await;

    // A restart on a damaged mirror, the remote up: fetched anew, served.
    assert!(damage_mirror(&up.cache) > 0);
    let service = up.serve(poll, None).await;
    wait_for_commit(&service, &second).await;
    assert_eq!(status(&service).await["git"]["mirrorRebuilds"], 1);
    service.stop().await;
}

#[tokio::test]
async fn times_come_from_history_and_removed_versions_are_tombstones() {
    let up = Upstream::new();
    up.commit(0, &[(WEATHER, V1)]);
    up.commit(1, &[("README.md", "unrelated\n")]);
    let head = up.commit(2, &[("README.md", "unrelated again\n")]);
    let service = up.serve(Duration::from_millis(200), None).await;
    wait_for_commit(&service, &head).await;
    let (_, j) = service
        .get("/v0.1/servers/io.github.acme%2Fweather/versions/1.0.0")
        .await;
    let meta = &j["_meta"]["io.modelcontextprotocol.registry/official"];
    assert_eq!(
        meta["publishedAt"],
        rfc3339(0),
        "the commit that added it, not a later one: {j}"
    );
    assert_eq!(meta["updatedAt"], rfc3339(0));
    assert_eq!(
        j["_meta"]["io.github.mcp-gitops/source"]["commit"],
        head.as_str()
    );

    // 1.0.0 is removed from the file: it comes back as `deleted`, dated by the removal.
    let replaced =
        "name: io.github.acme/weather\ndescription: Forecasts\nversions:\n  - version: \"1.1.0\"\n";
    let removal = up.commit(3, &[(WEATHER, replaced)]);
    wait_for_commit(&service, &removal).await;
    let (code, _) = service
        .get("/v0.1/servers/io.github.acme%2Fweather/versions/1.0.0")
        .await;
    assert_eq!(code, 404, "hidden without include_deleted");
    let (_, j) = service
        .get("/v0.1/servers/io.github.acme%2Fweather/versions/1.0.0?include_deleted=true")
        .await;
    let meta = &j["_meta"]["io.modelcontextprotocol.registry/official"];
    assert_eq!(meta["status"], "deleted");
    assert_eq!(meta["publishedAt"], rfc3339(0));
    assert_eq!(meta["updatedAt"], rfc3339(3));
    let since = rfc3339(2).replace('+', "%2B");
    let (_, j) = service
        .get(&format!("/v0.1/servers?updated_since={since}"))
        .await;
    let listed: Vec<(String, String)> = j["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["server"]["version"].as_str().unwrap().to_string(),
                e["_meta"]["io.modelcontextprotocol.registry/official"]["status"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert!(
        listed.contains(&("1.0.0".into(), "deleted".into())),
        "{listed:?}"
    );
    assert!(
        listed.contains(&("1.1.0".into(), "active".into())),
        "{listed:?}"
    );
    service.stop().await;
}

#[tokio::test]
async fn an_unreachable_remote_at_start_is_retried_until_it_appears() {
    let up = Upstream::new();
    let missing = up.bare.with_file_name("later.git");
    let service = serve_url(
        &format!("file://{}", missing.display()),
        &up.cache,
        Duration::from_secs(3600),
        None,
    )
    .await;
    let s = service
        .wait_for("a failed first fetch", async |s: &Service| {
            let j = status(s).await;
            (j["lastAttempt"]["outcome"] == "failed").then_some(j)
        })
        .await;
    assert_eq!(service.get("/readyz").await.0, 503);
    assert!(
        s["lastAttempt"]["message"]
            .as_str()
            .unwrap()
            .contains("later.git"),
        "{s}"
    );

    // The repository appears; retries (1 s, 2 s, 4 s …, not the hour-long interval) find it.
    let head = up.commit(0, &[(WEATHER, V1)]);
    std::fs::rename(&up.bare, &missing).unwrap();
    wait_for_commit(&service, &head).await;
    service.stop().await;
}

#[tokio::test]
async fn a_signed_webhook_syncs_at_once_and_a_bad_one_changes_nothing() {
    let up = Upstream::new();
    let secret_file = up.cache.with_file_name("webhook-secret");
    std::fs::write(&secret_file, "s3cret\n").unwrap();
    let first = up.commit(0, &[(WEATHER, V1)]);
    // An hour-long poll: only the webhook can bring the next commit in time.
    let service = up
        .serve(Duration::from_secs(3600), Some(secret_file.clone()))
        .await;
    wait_for_commit(&service, &first).await;
    let second = up.commit(1, &[(WEATHER, &format!("{V1}  - version: \"1.1.0\"\n"))]);
    let body = br#"{"ref":"refs/heads/main"}"#.to_vec();
    let post = |headers: Vec<(&'static str, String)>| {
        let mut request = service
            .client
            .post(format!("{}/webhook", service.base))
            .body(body.clone());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };

    let wrong = mcp_gitops::http::webhook::github_signature(b"not the secret", &body);
    let r = post(vec![
        ("X-Hub-Signature-256", wrong),
        ("X-GitHub-Event", "push".into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        post(vec![]).await.unwrap().status(),
        401,
        "no signature at all"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        service.get("/readyz").await.1["revision"],
        first.as_str(),
        "a refused webhook triggers nothing"
    );

    let right = mcp_gitops::http::webhook::github_signature(b"s3cret", &body);
    let r = post(vec![
        ("X-Hub-Signature-256", right),
        ("X-GitHub-Event", "push".into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 202);
    wait_for_commit(&service, &second).await;

    // GitLab's token, and a rotated secret file, work the same way.
    std::fs::write(&secret_file, "rotated").unwrap();
    let third = up.commit(2, &[("README.md", "x\n")]);
    let gitlab_push = |token: &str| {
        vec![
            ("X-Gitlab-Token", token.to_string()),
            ("X-Gitlab-Event", "Push Hook".to_string()),
        ]
    };
    let r = post(gitlab_push("s3cret")).await.unwrap();
    assert_eq!(r.status(), 401, "the old secret no longer works");
    let r = post(gitlab_push("rotated")).await.unwrap();
    assert_eq!(r.status(), 202);
    wait_for_commit(&service, &third).await;
    service.stop().await;
}

#[tokio::test]
async fn without_a_secret_the_webhook_does_not_exist() {
    let up = Upstream::new();
    let first = up.commit(0, &[(WEATHER, V1)]);
    let service = up.serve(Duration::from_secs(3600), None).await;
    wait_for_commit(&service, &first).await;
    let r = service
        .client
        .post(format!("{}/webhook", service.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    service.stop().await;
}

/// A restart while the remote is unreachable serves, from the cache, the commit served before
/// (not a newer one that was fetched and rejected), reports the failing fetch, and follows the
/// remote again once it is back.
#[tokio::test]
async fn a_restart_while_the_remote_is_down_serves_the_last_good_commit_from_the_cache() {
    let up = Upstream::new();
    let good = up.commit(0, &[(WEATHER, V1)]);
    let service = up.serve(Duration::from_millis(200), None).await;
    wait_for_commit(&service, &good).await;
    let bad = up.commit(1, &[(WEATHER, "name: [unclosed\n")]);
    service
        .wait_for("the bad commit rejected", async |s: &Service| {
            let j = status(s).await;
            (j["lastAttempt"]["revision"] == bad.as_str()).then_some(())
        })
        .await;
    service.stop().await;

    let away = up.bare.with_file_name("away.git");
    std::fs::rename(&up.bare, &away).unwrap();
    let service = up.serve(Duration::from_millis(200), None).await;
    wait_for_commit(&service, &good).await;
    let (_, listed) = service.get("/v0.1/servers").await;
    assert_eq!(
        listed["servers"][0]["server"]["name"], "io.github.acme/weather",
        "{listed}"
    );
    let j = status(&service).await;
    assert!(
        j["git"]["lastFetchError"].is_string() && j["git"]["consecutiveFailures"] != 0,
        "{j}"
    );

    std::fs::rename(&away, &up.bare).unwrap();
    let fixed = up.commit(
        2,
        &[(WEATHER, V1.replace("Forecasts", "Forecasts again").as_str())],
    );
    wait_for_commit(&service, &fixed).await;
    service.stop().await;
}

#[tokio::test]
async fn a_registry_in_a_subfolder_is_served_with_path_and_a_commit_without_it_is_refused() {
    let up = Upstream::new();
    let first = up.commit(
        0,
        &[
            (&format!("mcp/registry/{WEATHER}"), V1),
            ("README.md", "app\n"),
        ],
    );
    let git = GitSource::new(GitConfig {
        url: up.url(),
        reference: None,
        cache_dir: up.cache.clone(),
        credentials: Credentials::default(),
        timeouts: crate::common::GIT_TIMEOUTS,
    })
    .unwrap()
    .with_path("mcp/registry/");
    let service = Service::start_with(Options {
        source: Source::Git(Arc::new(git)),
        poll_interval: Duration::from_millis(200),
        ..crate::common::service::directory_options(&up.work)
    })
    .await;
    wait_for_commit(&service, &first).await;
    let (code, j) = service
        .get("/v0.1/servers/io.github.acme%2Fweather/versions/latest")
        .await;
    assert_eq!(code, 200, "{j}");
    assert_eq!(
        j["_meta"]["io.github.mcp-gitops/source"]["file"], WEATHER,
        "paths are the registry's own"
    );

    // The registry moves away: the commit is refused, saying where it looked.
    up.git_at(1, &["mv", "mcp", "elsewhere"]);
    let moved = up.commit(1, &[]);
    let s = service
        .wait_for("the move to be tried", async |s: &Service| {
            let j = status(s).await;
            (j["lastAttempt"]["revision"] == moved.as_str()).then_some(j)
        })
        .await;
    assert_eq!(s["lastAttempt"]["outcome"], "invalid", "{s}");
    assert!(
        s["lastAttempt"]["message"]
            .as_str()
            .unwrap()
            .contains("has no mcp/registry/servers/ folder"),
        "{s}"
    );
    assert_eq!(s["served"]["revision"], first.as_str());
    service.stop().await;
}

#[test]
fn serve_with_nothing_to_serve_exits_2_and_says_what_to_do() {
    let empty = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-gitops"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(empty.path())
        .env_remove("MCP_GITOPS_REPO")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no registry to serve"), "{stderr}");
    assert!(stderr.contains("--repo"), "{stderr}");
}
