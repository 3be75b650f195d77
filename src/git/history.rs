//! Time comes from git. For every name+version of the registry, `publishedAt` is the commit
//! time of the first commit (first-parent history of the served ref) in which it appeared,
//! `updatedAt` the last commit that changed its merged document or status, `statusChangedAt`
//! the last that changed its status. A version removed from its file stays as a `deleted`
//! tombstone dated by the removing commit.
//!
//! History is walked once, oldest first, diffing each commit's tree with its first parent's
//! and parsing only the files that changed; then `advance` adds new commits one by one.
//! A file that does not parse at some commit is skipped there: its last good state stands.

use crate::check::files::{self, Role, SourceFile};
use crate::check::model::{self, NameVersion, Status, Tombstone, VersionTimes, from_unix};
use crate::git::tree;
use crate::git::tree_diff::{self, Changed};
use crate::parallel;
use git2::{Oid, Repository};
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use time::OffsetDateTime;

type Key = NameVersion;

/// What one file defined at the last commit where it parsed.
#[derive(Clone, Debug)]
struct FileState {
    blob: Oid,
    versions: Vec<VersionState>,
}

#[derive(Clone, Debug)]
struct VersionState {
    key: Key,
    doc_hash: u64,
    status: Status,
}

/// A blob a commit brought: its versions already known (validation parsed it), or its file.
enum NewBlob<'a> {
    Known(&'a [VersionState]),
    /// `None` when it cannot be read or is too large.
    Read(Option<SourceFile>),
}

/// A file a commit changed, as the registry sees it.
struct Change {
    /// The server file it was, unless the commit added it.
    old: Option<String>,
    /// The server file and blob it is now, unless the commit deleted it.
    new: Option<(String, Oid)>,
}

#[derive(Debug, Default)]
pub struct History {
    /// The newest commit processed.
    pub head: Option<Oid>,
    /// The registry's folder inside the repository: `""` or `"a/b/"`.
    prefix: String,
    pub times: HashMap<Key, VersionTimes>,
    /// Versions no longer in any file, keyed like `times`.
    pub tombstones: HashMap<Key, Tombstone>,
    /// True when the history is shallow: versions in the oldest known commit are dated by it.
    pub shallow: bool,
    files: HashMap<String, FileState>,
    /// Last known (doc hash, status) of each live version.
    live: HashMap<Key, (u64, Status)>,
}

/// What some blobs define, known without parsing them.
type Known = HashMap<Oid, Vec<VersionState>>;

impl History {
    /// Walks the first-parent history of `head`, oldest first.
    pub fn build(repo: &Repository, head: Oid, prefix: &str) -> Result<History, git2::Error> {
        History::build_reusing(repo, head, prefix, &[])
    }

    /// `build`, taking what `head_servers` (the servers validation read from `head`'s tree)
    /// define instead of parsing their files again wherever history meets the same blob: on a
    /// first sync every file alive at `head` is met once.
    pub fn build_reusing(
        repo: &Repository,
        head: Oid,
        prefix: &str,
        head_servers: &[model::ServerDef],
    ) -> Result<History, git2::Error> {
        let mut history = History {
            prefix: prefix.to_string(),
            ..History::default()
        };
        // One walk of the tree (looking each path up instead re-reads its folders every time).
        let at_head = tree::server_blobs(repo, &repo.find_commit(head)?.tree()?, prefix)?;
        let blobs: Vec<(Oid, &model::ServerDef)> = head_servers
            .iter()
            .filter_map(|def| Some((*at_head.get(&def.file)?, def)))
            .collect();
        let known: Known = parallel::chunks(&blobs, 256, |part| {
            part.iter()
                .filter_map(|(blob, def)| Some((*blob, versions_of(def)?)))
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect();
        history.walk(repo, head, &known)?;
        Ok(history)
    }

    /// Moves to `new_head`: only the commits since the last head are processed when it descends
    /// from it; after a force-push to another line of history, everything is walked again.
    pub fn advance(&mut self, repo: &Repository, new_head: Oid) -> Result<(), git2::Error> {
        self.walk(repo, new_head, &Known::new())
    }

    /// `advance`, taking the versions of the blobs in `known` as they are.
    fn walk(&mut self, repo: &Repository, new_head: Oid, known: &Known) -> Result<(), git2::Error> {
        if self.head == Some(new_head) {
            return Ok(());
        }
        let (chain, reached_old_head) = first_parent_chain(repo, new_head, self.head)?;
        if self.head.is_some() && !reached_old_head {
            *self = History {
                prefix: std::mem::take(&mut self.prefix),
                ..History::default()
            };
            return self.walk(repo, new_head, known);
        }
        // libgit2 shows a shallow clone's oldest commit without parents.
        if !reached_old_head && repo.is_shallow() {
            self.shallow = true;
        }
        for oid in chain.iter().rev() {
            let commit = repo.find_commit(*oid)?;
            let parent_tree = match commit.parent_ids().next() {
                None => None,
                Some(p) => match repo.find_commit(p) {
                    Ok(parent) => Some(parent.tree()?),
                    // A shallow clone: the oldest known commit stands for all before it.
                    Err(_) => {
                        self.shallow = true;
                        None
                    }
                },
            };
            self.apply(
                repo,
                parent_tree.as_ref(),
                &commit.tree()?,
                from_unix(commit.time().seconds()),
                known,
            )?;
        }
        self.head = Some(new_head);
        Ok(())
    }

    /// Applies one commit: the files that changed between `old` and `new`.
    fn apply(
        &mut self,
        repo: &Repository,
        old: Option<&git2::Tree>,
        new: &git2::Tree,
        time: OffsetDateTime,
        known: &Known,
    ) -> Result<(), git2::Error> {
        let changed: Vec<Changed> = tree_diff::changed_server_files(repo, old, new, &self.prefix)?
            .into_iter()
            .filter(|c| files::role(&c.path) == Role::Server)
            .collect();
        let changes: Vec<Change> = changed
            .iter()
            .map(|c| Change {
                old: c.old.map(|_| c.path.clone()),
                new: c.new.map(|blob| (c.path.clone(), blob)),
            })
            .collect();
        // What each new blob defines, parsed on every core (the first commit holds every file).
        let blobs: Vec<NewBlob> = changes
            .iter()
            .filter_map(|change| change.new.as_ref())
            .map(|(path, blob)| match known.get(blob) {
                Some(known) => NewBlob::Known(known),
                None => NewBlob::Read(read_blob(repo, path, *blob)),
            })
            .collect();
        let mut parsed = parallel::chunks(&blobs, 64, |part| {
            part.iter()
                .map(|blob| match blob {
                    NewBlob::Known(known) => Some(known.to_vec()),
                    NewBlob::Read(file) => parse_versions(file.as_ref()?),
                })
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten();

        // Versions whose file changed or left, with the file and blob that defined them.
        let mut removed: HashMap<Key, (String, Oid)> = HashMap::new();
        let mut added: Vec<(String, VersionState)> = Vec::new();
        for Change { old, new } in changes {
            if let Some(p) = old {
                // The file's last good state leaves, unless the new blob fails to parse below.
                if let Some(state) = self.files.get(&p) {
                    for v in &state.versions {
                        removed.insert(v.key.clone(), (p.clone(), state.blob));
                    }
                }
            }
            let Some((p, blob)) = new else {
                continue;
            };
            match parsed.next().flatten() {
                Some(versions) => {
                    self.files.insert(
                        p.clone(),
                        FileState {
                            blob,
                            versions: versions.clone(),
                        },
                    );
                    added.extend(versions.into_iter().map(|v| (p.clone(), v)));
                }
                None => {
                    // Skipped for history: keep what the file defined before.
                    if let Some(state) = self.files.get(&p) {
                        for v in &state.versions {
                            removed.remove(&v.key);
                        }
                    }
                }
            }
        }
        for c in changed.iter().filter(|c| c.new.is_none()) {
            self.files.remove(&c.path);
        }

        for (_, v) in &added {
            removed.remove(&v.key);
            self.tombstones.remove(&v.key);
            let before = self.live.insert(v.key.clone(), (v.doc_hash, v.status));
            match (before, self.times.get_mut(&v.key)) {
                (_, None) => {
                    self.times.insert(v.key.clone(), VersionTimes::all(time));
                }
                (Some((hash, status)), Some(t)) => {
                    if hash != v.doc_hash || status != v.status {
                        t.updated_at = time;
                    }
                    if status != v.status {
                        t.status_changed_at = time;
                    }
                }
                // Back after a removal: its status changed from deleted.
                (None, Some(t)) => {
                    t.updated_at = time;
                    t.status_changed_at = time;
                }
            }
        }
        for (key, (file, blob)) in removed {
            self.live.remove(&key);
            if let Some(t) = self.times.get_mut(&key) {
                t.updated_at = time;
                t.status_changed_at = time;
            }
            if let Some(doc) = last_doc(repo, blob, &file, &key) {
                self.tombstones.insert(key, Tombstone { doc, file });
            }
        }
        Ok(())
    }
}

/// The first-parent chain from `head` back to `stop` (exclusive) or the root, newest first,
/// and whether `stop` was reached.
fn first_parent_chain(
    repo: &Repository,
    head: Oid,
    stop: Option<Oid>,
) -> Result<(Vec<Oid>, bool), git2::Error> {
    let mut chain = Vec::new();
    let mut at = Some(head);
    while let Some(oid) = at {
        if Some(oid) == stop {
            return Ok((chain, true));
        }
        chain.push(oid);
        let commit = repo.find_commit(oid)?;
        // A shallow clone's oldest commit names a parent that is not in the object database.
        at = commit
            .parent_ids()
            .next()
            .filter(|p| repo.find_commit(*p).is_ok());
    }
    Ok((chain, false))
}

/// The file `path` as it is in `blob`, or `None` when the blob is missing or larger than any
/// server file may be.
fn read_blob(repo: &Repository, path: &str, blob: Oid) -> Option<SourceFile> {
    // The size from the object's header first: a 200 MB blob anywhere in history (pushed once,
    // reverted) must not be loaded to learn that it is too large.
    let (size, _) = repo.odb().ok()?.read_header(blob).ok()?;
    if size as u64 > files::MAX_FILE_BYTES {
        return None;
    }
    let blob = repo.find_blob(blob).ok()?;
    Some(SourceFile {
        path: path.to_string(),
        bytes: blob.content().to_vec(),
    })
}

fn parse_versions(file: &SourceFile) -> Option<Vec<VersionState>> {
    versions_of(&model::from_file(file)?)
}

fn versions_of(def: &model::ServerDef) -> Option<Vec<VersionState>> {
    let name = def.name()?.to_string();
    Some(
        def.versions
            .iter()
            .filter_map(|v| {
                let key = (name.clone(), v.version()?.to_string());
                Some(VersionState {
                    key,
                    doc_hash: hash_json(&v.doc.to_json()),
                    status: v.status,
                })
            })
            .collect(),
    )
}

fn last_doc(repo: &Repository, blob: Oid, path: &str, key: &Key) -> Option<serde_json::Value> {
    let def = model::from_file(&read_blob(repo, path, blob)?)?;
    def.versions
        .iter()
        .find(|v| v.version() == Some(key.1.as_str()))
        .map(|v| v.doc.to_json())
}

fn hash_json(doc: &serde_json::Value) -> u64 {
    let mut h = DefaultHasher::new();
    doc.to_string().hash(&mut h);
    h.finish()
}
