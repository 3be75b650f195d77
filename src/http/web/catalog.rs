//! What the list page and its search need of one revision, derived from the index once per
//! served snapshot: one card per visible server (its latest live version) and the compact
//! JSON the search box filters, already compressed. Nothing here is a second copy of the
//! registry: it is rebuilt from the index whenever the snapshot changes.

use crate::check::model::Status;
use crate::store::Snapshot;
use crate::store::index::ServerEntry;
use axum::body::Bytes;
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// A server as the list shows it.
#[derive(Debug)]
pub struct Card {
    pub name: String,
    pub title: Option<String>,
    pub description: String,
    /// The version shown: the latest, or the highest live one when the latest is deleted.
    pub version: String,
    pub status: Status,
    /// `npm`, `oci`, `remote sse`, …: how it can be run.
    pub transports: Vec<String>,
    /// Lowercased name, title and description, for search.
    haystack: String,
}

impl Card {
    /// Every whitespace-separated word of `query` (lowercased) occurs in the name, title or
    /// description; the search box's JavaScript applies the same rule.
    pub fn matches(&self, words: &[String]) -> bool {
        words.iter().all(|w| self.haystack.contains(w.as_str()))
    }
}

/// The words of a search, lowercased.
pub fn words(query: &str) -> Vec<String> {
    query.split_whitespace().map(str::to_lowercase).collect()
}

pub struct Catalog {
    /// The snapshot this was built from. A `Weak` keeps the allocation (not the index) alive,
    /// so no later snapshot can have the same address while this catalog exists.
    snapshot: Weak<Snapshot>,
    /// Servers with at least one live version, in name order.
    pub cards: Vec<Card>,
    /// `{"revision":…,"servers":[[name,title,description,version,status,[transports]],…]}`.
    pub search_json: Bytes,
    pub search_gzip: Bytes,
}

impl Catalog {
    #[tracing::instrument(skip_all, fields(revision = %snap.revision))]
    pub fn build(snap: &Arc<Snapshot>) -> Catalog {
        let started = std::time::Instant::now();
        let entries = snap.index.entries();
        let mut cards = Vec::with_capacity(snap.index.server_count());
        let mut i = 0;
        while i < entries.len() {
            let end = entries[i].server_end.max(i + 1).min(entries.len());
            if let Some(card) = card(&entries[i..end]) {
                cards.push(card);
            }
            i = end;
        }
        let rows: Vec<Json> = cards
            .iter()
            .map(|c| {
                json!([
                    c.name,
                    c.title.as_deref().unwrap_or(""),
                    c.description,
                    c.version,
                    if c.status == Status::Active {
                        ""
                    } else {
                        c.status.as_str()
                    },
                    c.transports,
                ])
            })
            .collect();
        let search = serde_json::to_vec(&json!({"revision": snap.revision, "servers": rows}))
            .expect("JSON always serializes");
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(search.len() / 4),
            flate2::Compression::new(6),
        );
        let search_gzip = gz
            .write_all(&search)
            .and_then(|()| gz.finish())
            .unwrap_or_default();
        tracing::debug!(
            cards = cards.len(),
            bytes = search.len(),
            gzip = search_gzip.len(),
            micros = started.elapsed().as_micros() as u64,
            "web catalog built"
        );
        Catalog {
            snapshot: Arc::downgrade(snap),
            cards,
            search_json: Bytes::from(search),
            search_gzip: Bytes::from(search_gzip),
        }
    }

    fn is_for(&self, snap: &Arc<Snapshot>) -> bool {
        std::ptr::eq(self.snapshot.as_ptr(), Arc::as_ptr(snap))
    }
}

/// The catalog of the snapshot being served, and of each view's, built on first use after
/// each swap.
#[derive(Default)]
pub struct Catalogs {
    /// By view name (`""`: the root registry). Why `Mutex`: held only to look up or replace.
    current: Mutex<HashMap<String, Arc<Catalog>>>,
}

impl Catalogs {
    pub async fn get(&self, snap: &Arc<Snapshot>) -> Arc<Catalog> {
        let scope = snap.view_name().unwrap_or_default().to_string();
        if let Some(c) = self.lock().get(&scope).filter(|c| c.is_for(snap)) {
            return Arc::clone(c);
        }
        // Built off the async threads (thousands of entries parsed); two requests racing
        // after a swap may both build, and the second simply replaces the first.
        let for_build = Arc::clone(snap);
        let built = match tokio::task::spawn_blocking(move || Catalog::build(&for_build)).await {
            Ok(c) => Arc::new(c),
            Err(_) => Arc::new(Catalog::build(snap)),
        };
        let mut current = self.lock();
        // Catalogs of replaced snapshots (a view since removed, too) go.
        current.retain(|_, c| c.snapshot.strong_count() > 0);
        current.insert(scope, Arc::clone(&built));
        built
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Catalog>>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The card of one server (its entries in listing order), or `None` when every version is
/// deleted: the list hides deleted servers.
fn card(versions: &[ServerEntry]) -> Option<Card> {
    let shown = versions
        .iter()
        .find(|e| e.is_latest && e.status != Status::Deleted)
        .or_else(|| versions.iter().rfind(|e| e.status != Status::Deleted))?;
    let entry: Json = serde_json::from_slice(&shown.json).ok()?;
    let server = &entry["server"];
    let title = server["title"]
        .as_str()
        .filter(|t| !t.trim().is_empty())
        .map(str::to_string);
    let description = server["description"].as_str().unwrap_or("").to_string();
    let haystack = format!(
        "{}\n{}\n{}",
        shown.name,
        title.as_deref().unwrap_or(""),
        description
    )
    .to_lowercase();
    Some(Card {
        name: shown.name.clone(),
        title,
        description,
        version: shown.version.clone(),
        status: shown.status,
        transports: transports(server),
        haystack,
    })
}

/// How a version can be run: stdio packages by registry type, then remote endpoints by type,
/// each kind once.
pub fn transports(server: &Json) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    for p in server["packages"].as_array().into_iter().flatten() {
        let registry = p["registryType"].as_str().unwrap_or("package");
        match p["transport"]["type"].as_str().unwrap_or("stdio") {
            "stdio" => add(registry.to_string()),
            other => add(format!("{registry} ({other})")),
        }
    }
    for r in server["remotes"].as_array().into_iter().flatten() {
        add(format!(
            "remote {}",
            r["type"].as_str().unwrap_or("streamable-http")
        ));
    }
    out
}
