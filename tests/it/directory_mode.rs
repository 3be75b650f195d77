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
