//! Versions that were served and then vanished without a removal that history can date: after
//! a force-push or a rewritten history, or when a directory's file is deleted. They are served
//! as `deleted`, dated when this registry saw them go, so clients that sync with
//! `updated_since` remove them too. Kept `RETENTION` after they went; in git mode saved beside
//! the mirror, so a restart keeps them.

use crate::check::model::{NameVersion, Status, Tombstone, VersionTimes};
use crate::store::index::{Index, SOURCE_META, Times, Tombstones, rfc3339};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// How long a vanished version is served as deleted: a client that has not synced for longer
/// should list everything again.
pub const RETENTION: Duration = Duration::days(90);

#[derive(Debug, Default)]
pub struct Gone {
    versions: HashMap<NameVersion, (Tombstone, VersionTimes)>,
    /// Where they are saved, when anywhere.
    file: Option<PathBuf>,
}

/// One vanished version as saved.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Saved {
    name: String,
    version: String,
    file: String,
    server: serde_json::Value,
    published_at: String,
    gone_at: String,
}

impl Gone {
    /// Vanished versions saved in `file`; none when it is absent or unreadable (said in the log).
    pub fn load(file: PathBuf) -> Gone {
        let mut gone = Gone {
            file: Some(file.clone()),
            ..Gone::default()
        };
        let saved: Vec<Saved> = match std::fs::read(&file) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(saved) => saved,
                Err(e) => {
                    tracing::warn!(file = %file.display(), error = %e, "cannot read the versions seen to vanish; starting without them");
                    return gone;
                }
            },
            Err(_) => return gone,
        };
        let date = |s: &str| OffsetDateTime::parse(s, &Rfc3339).ok();
        for s in saved {
            let (Some(published_at), Some(gone_at)) = (date(&s.published_at), date(&s.gone_at))
            else {
                continue;
            };
            let times = VersionTimes {
                published_at,
                updated_at: gone_at,
                status_changed_at: gone_at,
            };
            let tombstone = Tombstone {
                file: s.file,
                doc: s.server,
            };
            gone.versions
                .insert((s.name, s.version), (tombstone, times));
        }
        gone
    }

    /// Notes what the next revision drops of what `served` served, at `now`: `present` holds
    /// every (name, version) the next revision serves, live or as history's tombstones. A
    /// version that comes back is forgotten here. True when anything changed.
    pub fn update(
        &mut self,
        served: Option<&Index>,
        present: &HashSet<(&str, &str)>,
        now: OffsetDateTime,
    ) -> bool {
        let before = self.versions.len();
        self.versions.retain(|(name, version), (_, times)| {
            !present.contains(&(name.as_str(), version.as_str()))
                && now - times.updated_at < RETENTION
        });
        let mut changed = self.versions.len() != before;
        for entry in served.map_or(&[][..], Index::entries) {
            if present.contains(&(entry.name.as_str(), entry.version.as_str())) {
                continue;
            }
            let key = (entry.name.clone(), entry.version.clone());
            if self.versions.contains_key(&key) {
                continue;
            }
            let Some(tombstone) = tombstone_of(&entry.json) else {
                continue;
            };
            // A version already served as deleted: clients know; its date stands.
            let went = if entry.status == Status::Deleted {
                entry.updated_at
            } else {
                now
            };
            let times = VersionTimes {
                published_at: entry.published_at,
                updated_at: went,
                status_changed_at: went,
            };
            self.versions.insert(key, (tombstone, times));
            changed = true;
        }
        changed
    }

    /// Adds the vanished versions to what an index is built from; history's own say wins.
    pub fn add_to(&self, times: &mut Times, tombstones: &mut Tombstones) {
        for (key, (tombstone, at)) in &self.versions {
            if !tombstones.contains_key(key) {
                tombstones.insert(key.clone(), tombstone.clone());
                times.insert(key.clone(), *at);
            }
        }
    }

    /// How many vanished versions are kept.
    pub fn count(&self) -> usize {
        self.versions.len()
    }

    /// Saves them where they were loaded from (written beside and renamed: never half a file).
    pub fn save(&self) -> std::io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let mut saved: Vec<Saved> = self
            .versions
            .iter()
            .map(|((name, version), (t, at))| Saved {
                name: name.clone(),
                version: version.clone(),
                file: t.file.clone(),
                server: t.doc.clone(),
                published_at: rfc3339(at.published_at),
                gone_at: rfc3339(at.updated_at),
            })
            .collect();
        saved.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        write_whole(
            file,
            &serde_json::to_vec(&saved).map_err(std::io::Error::other)?,
        )
    }
}

/// The server.json and file of a served entry (`{"server":…,"_meta":{…}}`).
fn tombstone_of(json: &[u8]) -> Option<Tombstone> {
    let mut entry: serde_json::Value = serde_json::from_slice(json).ok()?;
    let file = entry["_meta"][SOURCE_META]["file"].as_str()?.to_string();
    let doc = entry.get_mut("server")?.take();
    Some(Tombstone { file, doc })
}

fn write_whole(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let part = file.with_extension("part");
    std::fs::write(&part, bytes)?;
    std::fs::rename(&part, file)
}
