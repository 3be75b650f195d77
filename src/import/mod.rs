//! `mcp-gitops import`: servers of another registry (or server.json files) written into this
//! one as server files that record where they came from, and `--update` to follow them by pull
//! request. One way through: fetch everything (`fetch`), decide each file's new versions and
//! statuses (`plan`) and its text (`file_form`, `yaml`), check the texts with lint's checks on
//! the repository as it would be (`gate`), and only then write them whole (`write`); print what
//! happened in Markdown (`summary`). A fault before the writes leaves the repository untouched.
//!
//! Exit codes: 0 done (changed or not; with `--update`, also when some server was not written:
//! the summary says why), 1 some named server or file was not written (it would not lint, or it
//! conflicts with a published version), 2 could not run (bad arguments, an unreadable
//! repository, any network fault or bad answer: then nothing is written).

pub mod args;
mod fetch;
mod file_form;
mod from_files;
mod gate;
mod plan;
mod summary;
mod write;
mod yaml;

pub use args::{ImportArgs, OFFICIAL_REGISTRY};
pub use fetch::FetchFailed;
pub use summary::Report;

use crate::check::diagnostic::Diagnostic;
use crate::check::model::{ServerDef, Status};
use crate::check::upstream::{self, Upstream};
use crate::check::{dir, validate};
use crate::remote::{Limits, Remote, RemoteError};
use fetch::Entry;
use gate::{Candidate, Refused};
use plan::{Adding, Planned};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;

pub const EXIT_DONE: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_CANNOT_RUN: u8 = 2;

/// How long all the fetches of one import may take together, whatever each request's
/// timeout: a registry that answers each request just in time cannot keep it running.
const MAX_FETCH_TIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Requests in flight at once when servers are named: enough to hide a round trip, few enough
/// not to load a registry.
const CONCURRENCY: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Read(#[from] dir::ReadError),
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error(transparent)]
    Fetch(#[from] FetchFailed),
    #[error(transparent)]
    File(#[from] from_files::FileError),
    #[error(transparent)]
    Write(#[from] write::WriteError),
    #[error("the fetches took longer than {}; stopped", humantime::format_duration(*.0))]
    TooSlow(std::time::Duration),
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

pub fn run(args: &ImportArgs) -> ExitCode {
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ImportError::Runtime)
        .and_then(|runtime| runtime.block_on(import(args)));
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            eprintln!(
                "mcp-gitops import: {}; nothing was written",
                crate::error_chain::error_chain(&e)
            );
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    };
    let text = summary::markdown(&report);
    print!("{text}");
    if let Some(path) = &args.summary_file
        && let Err(e) = std::fs::write(path, &text)
    {
        eprintln!(
            "mcp-gitops import: cannot write the summary to {}: {e}",
            path.display()
        );
        return ExitCode::from(EXIT_CANNOT_RUN);
    }
    let findings = !report.refused.is_empty() || !report.conflicts.is_empty();
    ExitCode::from(if findings && !args.update {
        EXIT_FINDINGS
    } else {
        EXIT_DONE
    })
}

/// One server's entries and how to merge them.
struct Work {
    name: String,
    entries: Vec<Entry>,
    record: Option<Upstream>,
    adding: Adding,
}

/// The whole import: fetch, plan, gate, write. Returns what happened.
pub async fn import(args: &ImportArgs) -> Result<Report, ImportError> {
    let modes = [!args.servers.is_empty(), !args.file.is_empty(), args.update];
    if modes.iter().filter(|m| **m).count() != 1 {
        return Err(ImportError::Usage(
            "name the servers to import (NAME[@VERSION]…), or give --file FILE…, or --update"
                .to_string(),
        ));
    }
    if args.update && args.token_file.is_some() && args.from.is_none() {
        return Err(ImportError::Usage(
            "with --update, --token-file needs --from: the token is sent to that registry only"
                .to_string(),
        ));
    }
    if !args.repo.is_dir() {
        return Err(ImportError::Usage(format!(
            "{} is not a folder (--repo: the registry, the folder holding servers/)",
            args.repo.display()
        )));
    }
    let tree = dir::read_dir(&args.repo)?;
    let files = tree.files.clone();
    let checked = validate::check(tree);
    let local = Local::new(&checked.servers, &checked.diagnostics);
    let limits = Limits {
        timeout: args.timeout,
        ..Limits::default()
    };

    let mut report = Report {
        dry_run: args.dry_run,
        ..Report::default()
    };
    let fetching = async {
        if args.update {
            report.command = "import --update".to_string();
            update_work(args, &local, limits, &mut report).await
        } else if !args.file.is_empty() {
            report.command = "import --file".to_string();
            file_work(&args.file)
        } else {
            report.command = "import".to_string();
            named_work(args, limits, &mut report).await
        }
    };
    let work = tokio::time::timeout(MAX_FETCH_TIME, fetching)
        .await
        .map_err(|_| ImportError::TooSlow(MAX_FETCH_TIME))??;
    report.considered += work.len();

    // Every fetch succeeded: now decide each file, in memory.
    let mut candidates = Vec::new();
    for w in work {
        let existing = local.by_name.get(w.name.as_str());
        let path = existing.map_or_else(|| format!("servers/{}.yaml", w.name), |d| d.file.clone());
        if let Some(found) = local.errors.get(path.as_str()) {
            report.refused.push(Refused {
                name: w.name,
                path,
                findings: found.clone(),
            });
            continue;
        }
        let form = match existing.map(|d| file_form::from_def(d)) {
            None => None,
            Some(Some(form)) => Some(form),
            Some(None) => {
                // Never the case for a file without errors; never overwrite what is not read.
                let why = "the file could not be read back into its versions; left as it is";
                report.conflicts.push((
                    w.name,
                    plan::Conflict {
                        version: String::new(),
                        why: why.to_string(),
                    },
                ));
                continue;
            }
        };
        let planned: Planned = plan::merge(&w.name, &path, form, w.entries, w.record, w.adding);
        report.conflicts.extend(
            planned
                .conflicts
                .iter()
                .map(|c| (planned.name.clone(), c.clone())),
        );
        if planned.changed() {
            let text = file_form::render(&planned.form);
            candidates.push(Candidate {
                plan: planned,
                text,
            });
        }
    }
    let (accepted, refused) = gate::gate(&files, candidates);
    report.refused.extend(refused);
    if !args.dry_run {
        let texts: Vec<(String, String)> = accepted
            .iter()
            .map(|c| (c.plan.path.clone(), c.text.clone()))
            .collect();
        write::write_all(&args.repo, &texts)?;
    }
    report.written = accepted.into_iter().map(|c| c.plan).collect();
    Ok(report)
}

/// The repository as it is: its servers by name, and the errors of each file.
struct Local<'a> {
    by_name: HashMap<&'a str, &'a ServerDef>,
    errors: HashMap<&'a str, Vec<Diagnostic>>,
}

impl<'a> Local<'a> {
    fn new(servers: &'a [ServerDef], diagnostics: &'a [Diagnostic]) -> Self {
        let by_name = servers
            .iter()
            .filter_map(|s| Some((s.name()?, s)))
            .collect();
        let mut errors: HashMap<&str, Vec<Diagnostic>> = HashMap::new();
        for d in diagnostics.iter().filter(|d| d.is_error()) {
            errors.entry(d.file.as_str()).or_default().push(d.clone());
        }
        Local { by_name, errors }
    }
}

/// `import NAME[@VERSION]…`: each named server from `--from`, fetched a few at a time.
async fn named_work(
    args: &ImportArgs,
    limits: Limits,
    report: &mut Report,
) -> Result<Vec<Work>, ImportError> {
    let from = args.from.as_deref().unwrap_or(OFFICIAL_REGISTRY);
    let remote = Remote::new(from, args.token_file.as_deref(), limits)?;
    // The URL goes into every file it writes, for everyone who reads the repository.
    if let Err(why) = upstream::registry_url(remote.base()) {
        return Err(ImportError::Usage(format!("--from {why}")));
    }
    report.registries.push(remote.base().to_string());
    let mut wanted = Vec::new();
    for arg in &args.servers {
        let (name, version) = match arg.split_once('@') {
            Some((n, v)) if !v.is_empty() => (n, Some(v)),
            Some(_) => {
                return Err(ImportError::Usage(format!(
                    "`{arg}`: a version must follow `@`"
                )));
            }
            None => (arg.as_str(), None),
        };
        if !safe_name(name) {
            return Err(ImportError::Usage(format!(
                "`{name}` is not a server name (namespace/name, e.g. io.github.acme/weather)"
            )));
        }
        wanted.push((name.to_string(), version.map(str::to_string)));
    }
    let all = args.all_versions;
    let mut set = tokio::task::JoinSet::new();
    let mut results: Vec<Option<Vec<Entry>>> = vec![None; wanted.len()];
    let mut next = 0;
    while next < wanted.len() || !set.is_empty() {
        while next < wanted.len() && set.len() < CONCURRENCY {
            let (remote, (name, version), i) = (remote.clone(), wanted[next].clone(), next);
            set.spawn(async move {
                let got = match (version, all) {
                    (Some(v), _) => fetch::one(&remote, &name, &v).await.map(|e| vec![e]),
                    (None, false) => fetch::one(&remote, &name, "latest").await.map(|e| vec![e]),
                    (None, true) => fetch::versions(&remote, &name, false).await,
                };
                (i, got)
            });
            next += 1;
        }
        let Some(joined) = set.join_next().await else {
            break;
        };
        // A task only ends by returning; a panic in one is a bug worth its message.
        let (i, got) = joined.map_err(|e| ImportError::Usage(format!("a fetch failed: {e}")))?;
        let mut entries = got?;
        entries.retain(|e| e.status != Status::Deleted);
        if entries.is_empty() {
            return Err(ImportError::Usage(format!(
                "`{}`: upstream has no version of it that is not deleted",
                wanted[i].0
            )));
        }
        results[i] = Some(entries);
    }
    // The versions of one name, named more than once, go into one file.
    let mut by_name: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for ((name, _), entries) in wanted.into_iter().zip(results) {
        by_name
            .entry(name)
            .or_default()
            .extend(entries.unwrap_or_default());
    }
    Ok(by_name
        .into_iter()
        .map(|(name, entries)| Work {
            record: Some(Upstream {
                registry: remote.base().to_string(),
                name: name.clone(),
                updated_at: None,
                pos: Default::default(),
            }),
            name,
            entries,
            adding: Adding::All,
        })
        .collect())
}

/// `import --file FILE…`: server.json files, the versions of one server into one file.
fn file_work(paths: &[PathBuf]) -> Result<Vec<Work>, ImportError> {
    let mut by_name: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for (path, entry) in from_files::read(paths)? {
        if !safe_name(&entry.name) {
            return Err(from_files::FileError::Bad {
                path,
                why: format!("`{}` is not a server name (namespace/name)", entry.name),
            }
            .into());
        }
        by_name.entry(entry.name.clone()).or_default().push(entry);
    }
    Ok(by_name
        .into_iter()
        .map(|(name, entries)| Work {
            name,
            entries,
            record: None,
            adding: Adding::All,
        })
        .collect())
}

/// `import --update`: every file that records an upstream (at `--from`, when given) asks its
/// registry what changed after the oldest `updatedAt` they record, in one paged listing per
/// registry; a file that records none asks for its server's versions.
async fn update_work(
    args: &ImportArgs,
    local: &Local<'_>,
    limits: Limits,
    report: &mut Report,
) -> Result<Vec<Work>, ImportError> {
    let only = match &args.from {
        Some(from) => Some(Remote::new(from, args.token_file.as_deref(), limits)?),
        None => None,
    };
    let mut by_registry: BTreeMap<&str, Vec<(&ServerDef, &Upstream)>> = BTreeMap::new();
    let mut followed: Vec<&ServerDef> = local.by_name.values().copied().collect();
    followed.sort_by(|a, b| a.file.cmp(&b.file));
    for def in followed {
        let Some(up) = &def.upstream else { continue };
        let registry = up.registry.trim_end_matches('/');
        if only.as_ref().is_some_and(|r| r.base() != registry) {
            continue;
        }
        by_registry.entry(registry).or_default().push((def, up));
    }
    let mut work = Vec::new();
    for (registry, defs) in by_registry {
        let remote = match &only {
            Some(r) => r.clone(),
            None => Remote::new(registry, None, limits)?,
        };
        report.registries.push(remote.base().to_string());
        let marks: Vec<_> = defs
            .iter()
            .filter_map(|(_, up)| up.updated_at.as_deref())
            .filter_map(|at| Some((plan::parse_time(at)?, at)))
            .collect();
        let listed: HashMap<String, Vec<Entry>> = match marks.iter().min() {
            Some((_, since)) => {
                let mut by_name: HashMap<String, Vec<Entry>> = HashMap::new();
                for e in fetch::updated_since(&remote, since).await? {
                    by_name.entry(e.name.clone()).or_default().push(e);
                }
                by_name
            }
            None => HashMap::new(),
        };
        for (def, up) in defs {
            let name = def.name().unwrap_or(&up.name).to_string();
            if up.name != name {
                // Upstream's documents carry their own name: following them under another
                // would rename every version.
                let why = format!(
                    "the file follows {} upstream but defines {name}; import follows a server under its own name only, so it is left as it is",
                    up.name
                );
                report.considered += 1;
                report.conflicts.push((
                    name,
                    plan::Conflict {
                        version: String::new(),
                        why,
                    },
                ));
                continue;
            }
            let mark = up.updated_at.as_deref().and_then(plan::parse_time);
            let entries = match mark {
                Some(_) => listed.get(&up.name).cloned().unwrap_or_default(),
                None => fetch::versions(&remote, &up.name, true).await?,
            };
            work.push(Work {
                name,
                entries,
                record: Some(Upstream {
                    registry: up.registry.clone(),
                    name: up.name.clone(),
                    updated_at: None,
                    pos: Default::default(),
                }),
                adding: Adding::PublishedAfter(mark),
            });
        }
    }
    Ok(work)
}

/// `namespace/name` in the characters server names use: safe as a path below `servers/`.
fn safe_name(name: &str) -> bool {
    let Some((namespace, server)) = name.split_once('/') else {
        return false;
    };
    let part = |s: &str, extra: &str| {
        !s.is_empty()
            && !s.starts_with('.')
            && !s.contains("..")
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || extra.contains(c))
    };
    part(namespace, "") && part(server, "_") && name.len() <= 200
}

#[cfg(test)]
mod tests {
    use super::safe_name;

    #[test]
    fn names_that_are_safe_paths() {
        assert!(safe_name("io.github.acme/weather"));
        assert!(safe_name("com.example/my_server-2"));
        for bad in [
            "a", "a/", "/a", "../x/y", "a/../b", "a/b/c", "a/.b", "a b/c", "a/b\n",
        ] {
            assert!(!safe_name(bad), "{bad:?}");
        }
    }
}
