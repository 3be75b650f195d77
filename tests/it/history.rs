//! History from real git repositories with controlled commit dates: publishedAt, updatedAt,
//! statusChangedAt, tombstones, broken commits, incremental updates, force-pushes, shallow clones.

use crate::common::{git, git_dated, write_files};
use mcp_gitops::check::model::{VersionTimes, from_unix};
use mcp_gitops::git::history::History;
use std::path::Path;
use time::OffsetDateTime;

const T0: i64 = 1_700_000_000;

/// Commits everything in the work tree at `T0 + step` hours.
fn commit_at(repo: &Path, step: i64, message: &str) -> git2::Oid {
    git_dated(
        repo,
        T0 + step * 3600,
        &["commit", "-qam", message, "--allow-empty"],
    );
    head(repo)
}

/// All three times at `T0 + step` hours.
fn same_time(step: i64) -> VersionTimes {
    VersionTimes {
        published_at: at(step),
        updated_at: at(step),
        status_changed_at: at(step),
    }
}

fn head(repo: &Path) -> git2::Oid {
    git2::Repository::open(repo)
        .unwrap()
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
}

fn at(step: i64) -> OffsetDateTime {
    from_unix(T0 + step * 3600)
}

fn times(h: &History, name: &str, version: &str) -> VersionTimes {
    *h.times
        .get(&(name.to_string(), version.to_string()))
        .unwrap_or_else(|| panic!("no times for {name} {version}"))
}

fn build(repo: &Path) -> History {
    let r = git2::Repository::open(repo).unwrap();
    History::build(&r, head(repo), "").unwrap()
}

const WEATHER: &str = "servers/com.example/weather.yaml";
const V1: &str =
    "name: com.example/weather\ndescription: Forecasts\nversions:\n  - version: \"1.0.0\"\n";

fn new_repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    git(tmp.path(), &["init", "-q", "-b", "main"]);
    write_files(tmp.path(), &[(WEATHER, V1), ("README.md", "registry\n")]);
    git(tmp.path(), &["add", "-A"]);
    commit_at(tmp.path(), 0, "add weather 1.0.0");
    tmp
}

#[test]
fn dates_follow_the_commits_that_changed_each_version() {
    let tmp = new_repo();
    let repo = tmp.path();
    write_files(repo, &[("README.md", "unrelated\n")]);
    commit_at(repo, 1, "unrelated");
    let h = build(repo);
    assert_eq!(times(&h, "com.example/weather", "1.0.0"), same_time(0));

    write_files(
        repo,
        &[(
            WEATHER,
            &format!(
                "{V1}    status: deprecated\n    statusMessage: old\n  - version: \"1.1.0\"\n"
            ),
        )],
    );
    commit_at(repo, 2, "deprecate 1.0.0, add 1.1.0");
    write_files(
        repo,
        &[(
            WEATHER,
            &format!(
                "{V1}    status: deprecated\n    statusMessage: old\n  - version: \"1.1.0\"\n    title: Weather\n"
            ),
        )],
    );
    commit_at(repo, 3, "edit 1.1.0");
    let h = build(repo);
    assert_eq!(
        times(&h, "com.example/weather", "1.0.0"),
        VersionTimes {
            published_at: at(0),
            updated_at: at(2),
            status_changed_at: at(2)
        }
    );
    assert_eq!(
        times(&h, "com.example/weather", "1.1.0"),
        VersionTimes {
            published_at: at(2),
            updated_at: at(3),
            status_changed_at: at(2)
        }
    );
    assert!(h.tombstones.is_empty());
    assert!(!h.shallow);
}

#[test]
fn a_removed_version_becomes_a_tombstone_dated_by_its_removal() {
    let tmp = new_repo();
    let repo = tmp.path();
    write_files(repo, &[(WEATHER, &format!("{V1}  - version: \"1.1.0\"\n"))]);
    commit_at(repo, 1, "add 1.1.0");
    write_files(
        repo,
        &[(
            WEATHER,
            "name: com.example/weather\ndescription: Forecasts\nversions:\n  - version: \"1.1.0\"\n",
        )],
    );
    commit_at(repo, 2, "remove 1.0.0");
    let h = build(repo);
    let key = ("com.example/weather".to_string(), "1.0.0".to_string());
    let stone = h.tombstones.get(&key).expect("1.0.0 is a tombstone");
    assert_eq!(stone.file, WEATHER);
    assert_eq!(stone.doc["version"], "1.0.0");
    assert_eq!(stone.doc["description"], "Forecasts");
    assert_eq!(
        times(&h, "com.example/weather", "1.0.0"),
        VersionTimes {
            published_at: at(0),
            updated_at: at(2),
            status_changed_at: at(2)
        }
    );

    // Deleting the whole file makes tombstones of every version.
    std::fs::remove_file(repo.join(WEATHER)).unwrap();
    commit_at(repo, 3, "remove the server");
    let h = build(repo);
    assert_eq!(h.tombstones.len(), 2);
    assert_eq!(times(&h, "com.example/weather", "1.1.0").updated_at, at(3));
}

#[test]
fn a_commit_whose_file_does_not_parse_is_skipped_for_history() {
    let tmp = new_repo();
    let repo = tmp.path();
    write_files(repo, &[(WEATHER, "name: [broken\n")]);
    commit_at(repo, 1, "break it");
    let h = build(repo);
    assert!(h.tombstones.is_empty(), "a broken file removes nothing");
    assert_eq!(times(&h, "com.example/weather", "1.0.0").updated_at, at(0));

    write_files(repo, &[(WEATHER, &format!("{V1}  - version: \"1.1.0\"\n"))]);
    commit_at(repo, 2, "fix it and add 1.1.0");
    let h = build(repo);
    assert_eq!(
        times(&h, "com.example/weather", "1.0.0").updated_at,
        at(0),
        "1.0.0 is unchanged"
    );
    assert_eq!(
        times(&h, "com.example/weather", "1.1.0").published_at,
        at(2)
    );
}

#[test]
fn moving_a_file_keeps_published_at() {
    let tmp = new_repo();
    let repo = tmp.path();
    git(repo, &["mv", WEATHER, "servers/com.example/weather.yml"]);
    commit_at(repo, 1, "rename the file");
    let h = build(repo);
    assert_eq!(times(&h, "com.example/weather", "1.0.0"), same_time(0));
    assert!(h.tombstones.is_empty());
}

#[test]
fn incremental_advance_equals_a_full_walk_and_force_pushes_are_followed() {
    let tmp = new_repo();
    let repo = tmp.path();
    let r = git2::Repository::open(repo).unwrap();
    let mut h = History::build(&r, head(repo), "").unwrap();
    let first = head(repo);
    for step in 1..=5 {
        write_files(
            repo,
            &[(WEATHER, &format!("{V1}  - version: \"1.{step}.0\"\n"))],
        );
        let oid = commit_at(repo, step, "next");
        h.advance(&r, oid).unwrap();
    }
    let full = build(repo);
    assert_eq!(h.times, full.times);
    assert_eq!(h.tombstones, full.tombstones);
    assert_eq!(h.tombstones.len(), 4, "1.1.0 to 1.4.0 were each replaced");

    // Backwards to the first commit: nothing of the later commits remains.
    h.advance(&r, first).unwrap();
    assert_eq!(h.head, Some(first));
    assert_eq!(h.times.len(), 1);
    assert!(h.tombstones.is_empty());
}

#[test]
fn a_shallow_clone_dates_versions_by_its_oldest_commit() {
    let tmp = new_repo();
    let repo = tmp.path();
    for step in 1..=3 {
        write_files(repo, &[("README.md", &format!("change {step}\n"))]);
        commit_at(repo, step, "unrelated");
    }
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.display());
    git(clone.path(), &["clone", "-q", "--depth", "2", &url, "c"]);
    let h = build(&clone.path().join("c"));
    assert!(h.shallow);
    assert_eq!(
        times(&h, "com.example/weather", "1.0.0").published_at,
        at(2),
        "the oldest known commit"
    );
}

#[test]
fn a_registry_in_a_subfolder_is_read_under_its_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    git(repo, &["init", "-q", "-b", "main"]);
    write_files(
        repo,
        &[
            (&format!("registry/{WEATHER}"), V1),
            (WEATHER, "not: ours\n"),
        ],
    );
    git(repo, &["add", "-A"]);
    commit_at(repo, 0, "add");
    let r = git2::Repository::open(repo).unwrap();
    let h = History::build(&r, head(repo), "registry/").unwrap();
    assert_eq!(h.times.len(), 1);
    assert_eq!(
        times(&h, "com.example/weather", "1.0.0").published_at,
        at(0)
    );
}

/// Commits that change hundreds of files at once (their blobs are parsed on several threads):
/// every file's versions keep their own dates, a broken file keeps its last good state, a
/// moved file keeps publishedAt, and removed files leave tombstones.
#[test]
fn commits_touching_hundreds_of_files_date_each_one() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    git(repo, &["init", "-q", "-b", "main"]);
    let file = |i: usize| format!("servers/com.example/s{i:03}.yaml");
    let doc = |i: usize, description: &str| {
        format!("name: com.example/s{i:03}\ndescription: {description}\nversion: \"1.0.0\"\n")
    };
    let all: Vec<(String, String)> = (0..400).map(|i| (file(i), doc(i, "first"))).collect();
    let refs: Vec<(&str, &str)> = all.iter().map(|(p, d)| (p.as_str(), d.as_str())).collect();
    write_files(repo, &refs);
    git(repo, &["add", "-A"]);
    commit_at(repo, 0, "add 400 servers");

    // Step 1: the even ones change, every tenth is broken, 300–349 move, 350–399 leave.
    let mut changed = Vec::new();
    for i in (0..300).step_by(2) {
        let text = if i % 10 == 0 {
            "name: [unclosed\n".to_string()
        } else {
            doc(i, "second")
        };
        changed.push((file(i), text));
    }
    let refs: Vec<(&str, &str)> = changed
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_str()))
        .collect();
    write_files(repo, &refs);
    for i in 300..350 {
        git(
            repo,
            &[
                "mv",
                &file(i),
                &format!("servers/com.example/moved-{i:03}.yaml"),
            ],
        );
    }
    for i in 350..400 {
        git(repo, &["rm", "-q", &file(i)]);
    }
    git(repo, &["add", "-A"]);
    commit_at(repo, 1, "change, break, move and remove many");

    let h = build(repo);
    // What a first sync does: reuse what validation parsed from the head commit's files.
    let r = git2::Repository::open(repo).unwrap();
    let tree = r.find_commit(head(repo)).unwrap().tree().unwrap();
    let checked =
        mcp_gitops::check::validate::check(mcp_gitops::git::tree::read(&r, &tree, "").unwrap());
    assert_eq!(
        checked.servers.len(),
        400 - 50 - 30,
        "the broken and removed files are not read"
    );
    let reused = History::build_reusing(&r, head(repo), "", &checked.servers).unwrap();
    assert_eq!(reused.times, h.times);
    assert_eq!(reused.tombstones, h.tombstones);
    for i in 0..400 {
        let name = format!("com.example/s{i:03}");
        let t = times(&h, &name, "1.0.0");
        let removed = i >= 350;
        let updated = removed || (i < 300 && i % 2 == 0 && i % 10 != 0);
        assert_eq!(t.published_at, at(0), "{name}");
        assert_eq!(t.updated_at, at(if updated { 1 } else { 0 }), "{name}");
        assert_eq!(
            h.tombstones
                .contains_key(&(name.clone(), "1.0.0".to_string())),
            removed,
            "{name}"
        );
    }
}
