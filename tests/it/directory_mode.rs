//! Directory mode end to end: the real `start` (watch, reload, serve) on a temp directory and
//! port 0. Edit a file and see it served; break it and see the old content still served and the
//! error in /status; fix it and see it served. Also a git-sync style symlink swap.

use crate::common::service::Service;
use std::path::Path;
use std::time::Duration;

const WEATHER: &str = "servers/io.github.acme/weather.yaml";

fn weather(description: &str) -> String {
    format!(
        "name: io.github.acme/weather\ndescription: {description}\nversions:\n  - version: \"1.0.0\"\n  - version: \"1.1.0\"\n"
    )
}

const OTHER: (&str, &str) = (
    "servers/io.github.acme/other.yaml",
    "name: io.github.acme/other\ndescription: Another server\nversion: \"0.1.0\"\n",
);

fn write(root: &Path, path: &str, text: &str) {
    crate::common::write_files(root, &[(path, text)]);
}

#[tokio::test]
async fn edit_break_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    crate::common::write_files(
        &repo,
        &[(WEATHER, &weather("Forecasts, first edition")), OTHER],
    );
    let service = Service::start(repo.clone()).await;
    service
        .wait_for("readiness", async |s: &Service| {
            (s.get("/readyz").await.0 == 200).then_some(())
        })
        .await;
    assert_eq!(
        service.description().await.as_deref(),
        Some("Forecasts, first edition")
    );
    let (_, status) = service.get("/status").await;
    let first_revision = status["served"]["revision"].as_str().unwrap().to_string();
    assert_eq!(first_revision.len(), 40);
    assert_eq!(status["lastAttempt"]["outcome"], "served");

    // Edit: the change is served, under a new revision.
    write(&repo, WEATHER, &weather("Forecasts, second edition"));
    service
        .wait_for_description("Forecasts, second edition")
        .await;
    let (_, status) = service.get("/status").await;
    let second_revision = status["served"]["revision"].as_str().unwrap().to_string();
    assert_ne!(second_revision, first_revision);

    // Break: a required field goes missing. The last good content stays, and /status says why.
    write(
        &repo,
        WEATHER,
        "name: io.github.acme/weather\nversions:\n  - version: \"1.0.0\"\n  - version: \"1.1.0\"\n",
    );
    let status = service
        .wait_for("the failed attempt in /status", async |s: &Service| {
            let (_, j) = s.get("/status").await;
            (j["lastAttempt"]["outcome"] == "invalid").then_some(j)
        })
        .await;
    assert_eq!(status["degraded"], true);
    assert_eq!(status["ready"], true);
    assert_eq!(status["served"]["revision"], second_revision.as_str());
    let errors = status["lastAttempt"]["errors"].as_array().unwrap();
    assert!(!errors.is_empty());
    assert!(
        errors.iter().any(|e| e["file"] == WEATHER
            && e["line"].as_u64().is_some_and(|l| l >= 1)
            && e["text"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{WEATHER}:"))),
        "{errors:?}"
    );
    assert_eq!(
        service.description().await.as_deref(),
        Some("Forecasts, second edition")
    );
    assert_eq!(
        service.get("/readyz").await.0,
        200,
        "a bad revision does not unready"
    );
    let (_, list) = service.get("/v0.1/servers").await;
    assert_eq!(
        list["metadata"]["count"], 3,
        "nothing partial: both servers, all versions"
    );

    // A YAML syntax error too.
    write(&repo, WEATHER, "name: [unclosed\n");
    service
        .wait_for("the syntax error in /status", async |s: &Service| {
            let (_, j) = s.get("/status").await;
            j["lastAttempt"]["errors"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["rule"] == "yaml-syntax"))
                .then_some(())
        })
        .await;
    assert_eq!(
        service.description().await.as_deref(),
        Some("Forecasts, second edition")
    );

    // Fix: served again, and no longer degraded.
    write(&repo, WEATHER, &weather("Forecasts, third edition"));
    service
        .wait_for_description("Forecasts, third edition")
        .await;
    let (_, status) = service.get("/status").await;
    assert_eq!(status["degraded"], false);
    assert_eq!(status["lastAttempt"]["errorCount"], 0);
    let metrics = reqwest::get(format!("{}/metrics", service.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let count = |outcome: &str| -> u64 {
        let prefix = format!("mcp_gitops_reloads_total{{outcome=\"{outcome}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(count("served") >= 3, "{metrics}");
    assert!(count("invalid") >= 2, "{metrics}");

    // A new file and a removed one.
    write(
        &repo,
        "servers/io.github.acme/third.yaml",
        "name: io.github.acme/third\ndescription: Third\nversion: \"1.0.0\"\n",
    );
    std::fs::remove_file(repo.join(OTHER.0)).unwrap();
    service
        .wait_for(
            "the new file, without the removed one",
            async |s: &Service| {
                let (_, j) = s.get("/v0.1/servers?version=latest").await;
                let names: Vec<&str> = j["servers"]
                    .as_array()?
                    .iter()
                    .map(|e| e["server"]["name"].as_str().unwrap())
                    .collect();
                (names == ["io.github.acme/third", "io.github.acme/weather"]).then_some(())
            },
        )
        .await;
    service.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn a_swapped_symlink_is_followed() {
    // git-sync keeps `root/current -> root/worktrees/<hash>` and swaps the link atomically.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (one, two) = (root.join("worktrees/one"), root.join("worktrees/two"));
    crate::common::write_files(&one, &[(WEATHER, &weather("From worktree one")), OTHER]);
    crate::common::write_files(&two, &[(WEATHER, &weather("From worktree two")), OTHER]);
    let current = root.join("current");
    std::os::unix::fs::symlink(&one, &current).unwrap();
    let service = Service::start(current.clone()).await;
    service.wait_for_description("From worktree one").await;

    let tmp_link = root.join("current.tmp");
    std::os::unix::fs::symlink(&two, &tmp_link).unwrap();
    std::fs::rename(&tmp_link, &current).unwrap();
    service.wait_for_description("From worktree two").await;

    // And changes inside the new target are watched.
    write(&two, WEATHER, &weather("Edited in worktree two"));
    service.wait_for_description("Edited in worktree two").await;
    // The old worktree no longer matters.
    write(&one, WEATHER, &weather("Edited in the old worktree"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        service.description().await.as_deref(),
        Some("Edited in worktree two")
    );
    service.stop().await;
}

#[tokio::test]
async fn a_missing_directory_is_served_once_it_appears() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("later");
    let service = Service::start(repo.clone()).await;
    let status = service
        .wait_for("the failed first attempt", async |s: &Service| {
            let (_, j) = s.get("/status").await;
            (j["lastAttempt"]["outcome"] == "failed").then_some(j)
        })
        .await;
    assert!(
        status["lastAttempt"]["message"]
            .as_str()
            .unwrap()
            .contains("later")
    );
    assert_eq!(service.get("/readyz").await.0, 503);
    assert_eq!(service.get("/v0.1/servers").await.0, 503);

    // Created elsewhere and moved in whole, as a deploy would.
    let staged = tmp.path().join("staged");
    crate::common::write_files(&staged, &[(WEATHER, &weather("Arrived late")), OTHER]);
    std::fs::rename(&staged, &repo).unwrap();
    service.wait_for_description("Arrived late").await;
    assert_eq!(service.get("/readyz").await.0, 200);
    service.stop().await;
}

#[tokio::test]
async fn only_whole_trees_are_served_while_a_directory_is_deleted_and_copied_back() {
    const SERVERS: usize = 600;
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let files: Vec<(String, String)> = (0..SERVERS)
        .map(|i| {
            (
                format!("servers/io.github.acme/s{i:04}.yaml"),
                format!(
                    "name: io.github.acme/s{i:04}\ndescription: Server {i}\nversion: \"1.0.0\"\n"
                ),
            )
        })
        .collect();
    let write_all = move |repo: &Path, pause: Duration| {
        for (path, text) in &files {
            write(repo, path, text);
            std::thread::sleep(pause);
        }
    };
    write_all(&repo, Duration::ZERO);
    let service = Service::start(repo.clone()).await;
    service
        .wait_for("the first revision", async |s: &Service| {
            (s.get("/status").await.1["served"]["servers"] == SERVERS).then_some(())
        })
        .await;

    // Twice: delete the folder, then copy it back slowly (about 3 s, longer than the watcher
    // ever waits for quiet), while the served server count is sampled.
    let churn = {
        let repo = repo.clone();
        std::thread::spawn(move || {
            for _ in 0..2 {
                std::fs::remove_dir_all(repo.join("servers")).unwrap();
                std::thread::sleep(Duration::from_millis(600));
                write_all(&repo, Duration::from_millis(5));
                std::thread::sleep(Duration::from_millis(600));
            }
        })
    };
    let mut seen = std::collections::BTreeSet::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !churn.is_finished() {
        assert!(std::time::Instant::now() < deadline, "the copy never ended");
        if let Some(n) = service.get("/status").await.1["served"]["servers"].as_u64() {
            seen.insert(n);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    churn.join().unwrap();
    assert_eq!(
        seen,
        std::collections::BTreeSet::from([SERVERS as u64]),
        "a partial tree was served"
    );
    // And the deletion was noticed and refused, not served as an empty registry.
    let (_, status) = service.get("/status").await;
    assert!(status["reloads"]["failed"].as_u64() >= Some(1), "{status}");
    service.stop().await;
}

#[tokio::test]
async fn a_failed_reload_is_retried_without_other_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    crate::common::write_files(&repo, &[(WEATHER, &weather("First")), OTHER]);
    let service = Service::start(repo.clone()).await;
    service.wait_for_description("First").await;
    // The servers folder goes away (a failed read: an empty registry is not served), then
    // comes back, changed, by a rename.
    let aside = tmp.path().join("aside");
    std::fs::rename(repo.join("servers"), &aside).unwrap();
    let failed = service
        .wait_for("the failed attempt", async |s: &Service| {
            let j = s.get("/status").await.1;
            (j["lastAttempt"]["outcome"] == "failed").then(|| j["reloads"]["failed"].as_u64())
        })
        .await
        .unwrap();
    // Nothing changes now, and still it is tried again (1 s, then 2 s, ...).
    service
        .wait_for("a retry", async |s: &Service| {
            (s.get("/status").await.1["reloads"]["failed"].as_u64() > Some(failed)).then_some(())
        })
        .await;
    let in_servers = WEATHER.strip_prefix("servers/").unwrap();
    crate::common::write_files(&aside, &[(in_servers, &weather("Second"))]);
    std::fs::rename(&aside, repo.join("servers")).unwrap();
    // Served by the retry, whether or not the watcher saw the rename.
    service.wait_for_description("Second").await;
    service.stop().await;
}

#[tokio::test]
async fn in_a_git_work_tree_committed_files_are_dated_by_history() {
    const T0: i64 = 1_750_000_000;
    let tmp = tempfile::tempdir().unwrap();
    // The registry in a subfolder of a repository, as example-repo/ is in this one.
    let repo = tmp.path().join("project");
    let registry = repo.join("registry");
    crate::common::git(tmp.path(), &["init", "-q", "-b", "main", "project"]);
    write(&registry, WEATHER, &weather("Forecasts"));
    crate::common::git_dated(&repo, T0, &["add", "-A"]);
    crate::common::git_dated(&repo, T0, &["commit", "-qm", "weather"]);
    write(&registry, OTHER.0, OTHER.1);
    crate::common::git_dated(&repo, T0 + 3600, &["add", "-A"]);
    crate::common::git_dated(&repo, T0 + 3600, &["commit", "-qm", "other"]);
    // Not committed: a third server, dated by its modification time.
    let third = "servers/io.github.acme/third.yaml";
    write(
        &registry,
        third,
        "name: io.github.acme/third\ndescription: Third\nversion: \"2.0.0\"\n",
    );

    let service = Service::start(registry.clone()).await;
    let published = async |s: &Service, name: &str, version: &str| {
        let (code, j) = s
            .get(&format!(
                "/v0.1/servers/io.github.acme%2F{name}/versions/{version}"
            ))
            .await;
        (code == 200).then(|| {
            j["_meta"]["io.modelcontextprotocol.registry/official"]["publishedAt"]
                .as_str()
                .unwrap()
                .to_string()
        })
    };
    let at = |seconds: i64| {
        time::OffsetDateTime::from_unix_timestamp(seconds)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let weather_at = service
        .wait_for("weather", async |s: &Service| {
            published(s, "weather", "1.0.0").await
        })
        .await;
    assert_eq!(weather_at, at(T0), "the commit that added it");
    assert_eq!(
        published(&service, "other", "0.1.0").await.unwrap(),
        at(T0 + 3600)
    );
    let third_at = published(&service, "third", "2.0.0").await.unwrap();
    assert!(
        third_at.as_str() > "2026",
        "uncommitted: its mtime, {third_at}"
    );

    // Edited in place without a commit: dated by the edit.
    write(
        &registry,
        OTHER.0,
        &OTHER.1.replace("Another server", "Edited"),
    );
    let edited = service
        .wait_for("the edit", async |s: &Service| {
            let at = published(s, "other", "0.1.0").await?;
            (at.as_str() > "2026").then_some(at)
        })
        .await;
    assert!(edited.as_str() > "2026", "{edited}");
    assert_eq!(
        published(&service, "weather", "1.0.0").await.unwrap(),
        at(T0)
    );
    service.stop().await;
}
