//! The responses made for the revision being served, kept by what the request asks (its
//! parsed parameters, never the raw URL): the body, the ETag of each encoding, and the
//! compressed bodies, made the first time a client asks for them. A response is a function of
//! revision and request, so the requests every client repeats are answered from ready bytes,
//! like static files. Bounded by construction: every entry is weighed (key, body and the most
//! its compressed bodies can take) against `BUDGET`, and cold entries are evicted first.

use super::ApiState;
use crate::http::headers::{Encoding, REVISION_HEADER, header_value, if_none_match};
use crate::store::Snapshot;
use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock, PoisonError, RwLock, Weak};

/// Bodies smaller than this are not worth compressing.
const MIN_COMPRESS: usize = 256;

impl ApiState {
    /// Keeps the response to the request `key` stands for, for the snapshot's revision, and
    /// returns it.
    pub(super) fn remember(
        &self,
        snap: &Arc<Snapshot>,
        key: Box<str>,
        body: Vec<u8>,
    ) -> Arc<Cached> {
        let cached = Arc::new(Cached::new(&snap.revision, &key, Bytes::from(body)));
        // Only the revision being served is cached: a request still finishing with the one
        // before must not take the cache over.
        let current = self
            .app
            .store
            .current()
            .is_some_and(|c| Arc::ptr_eq(&c, snap));
        if current {
            self.responses.put(snap, key, Arc::clone(&cached));
            let metrics = &self.app.metrics;
            metrics.set_response_cache(self.responses.weight(), self.responses.len());
        }
        cached
    }
}

/// A successful API response: `ETag` (a function of revision, request and encoding, since the
/// body is one), `304` on a matching `If-None-Match`, caching and revision headers, and the
/// body compressed when the client asks (once per revision and request).
pub(super) fn respond(state: &ApiState, cached: &Cached, req: &HeaderMap) -> Response {
    let encoding = if cached.body.len() < MIN_COMPRESS {
        Encoding::Identity
    } else {
        Encoding::negotiate(req, &[Encoding::Br, Encoding::Gzip])
    };
    let etag = &cached.etags[encoding as usize];
    let mut headers = HeaderMap::with_capacity(12);
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::CACHE_CONTROL, state.cache_control.clone());
    headers.insert(header::VARY, state.vary.clone());
    headers.insert(REVISION_HEADER, cached.revision.clone());
    if if_none_match(req, etag.as_bytes()) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = match cached.encoded(encoding) {
        Some(body) if encoding == Encoding::Identity => body,
        Some(body) => {
            headers.insert(
                header::CONTENT_ENCODING,
                HeaderValue::from_static(encoding.as_str()),
            );
            body
        }
        None => {
            headers.insert(header::ETAG, cached.etags[0].clone());
            cached.body.clone()
        }
    };
    (StatusCode::OK, headers, Body::from(body)).into_response()
}

/// One response of one revision: its body, the ETag of each encoding, and the compressed
/// bodies, made the first time a client asks for them.
pub(super) struct Cached {
    body: Bytes,
    /// By `Encoding as usize`.
    etags: [HeaderValue; 3],
    revision: HeaderValue,
    gzip: OnceLock<Option<Bytes>>,
    br: OnceLock<Option<Bytes>>,
    /// What the entry may come to hold, fixed when it is made (the cache's weights must not
    /// change): the body, room for both compressed bodies (never larger than the body plus
    /// their framing), and the ETags and bookkeeping.
    weight: u64,
}

impl Cached {
    fn new(revision: &str, key: &str, body: Bytes) -> Cached {
        let tag = |e| header_value(&etag(revision, key, e));
        let weight = 3 * body.len() as u64 + 1024;
        Cached {
            body,
            etags: [
                tag(Encoding::Identity),
                tag(Encoding::Gzip),
                tag(Encoding::Br),
            ],
            revision: header_value(revision),
            gzip: OnceLock::new(),
            br: OnceLock::new(),
            weight,
        }
    }

    /// The body in `encoding`; `None` when it could not be compressed (it cannot happen
    /// writing to memory; the identity body is served then, under its own ETag).
    fn encoded(&self, encoding: Encoding) -> Option<Bytes> {
        let slot = match encoding {
            Encoding::Identity => return Some(self.body.clone()),
            Encoding::Gzip => &self.gzip,
            Encoding::Br => &self.br,
        };
        slot.get_or_init(|| match encoding.compress(&self.body) {
            // A compressed body larger than its room is not kept (incompressible bytes could
            // come out a little larger); the identity body is served instead.
            Ok(c) if c.len() <= self.body.len() + 1024 => Some(Bytes::from(c)),
            Ok(_) => None,
            Err(e) => {
                tracing::error!(error = %e, "compression failed");
                None
            }
        })
        .clone()
    }
}

/// Weighs an entry: its key and everything its value may hold.
#[derive(Clone)]
struct Weight;

impl quick_cache::Weighter<Box<str>, Arc<Cached>> for Weight {
    fn weight(&self, key: &Box<str>, cached: &Arc<Cached>) -> u64 {
        key.len() as u64 + cached.weight
    }
}

/// The responses made for the revision being served, by what the request asks. Emptied when
/// the served revision changes: it holds a weak reference to its snapshot, and copies, never
/// slices, of the index's bytes, so it keeps no replaced revision alive. Eviction is
/// quick_cache's CLOCK-Pro: an entry asked for once is evicted before the pages every client
/// repeats.
pub(super) struct ResponseCache {
    /// Why `RwLock`: every request reads it, only a new revision writes it; never held across
    /// an `.await`.
    snapshot: RwLock<Weak<Snapshot>>,
    entries: quick_cache::sync::Cache<Box<str>, Arc<Cached>, Weight>,
}

impl Default for ResponseCache {
    fn default() -> Self {
        ResponseCache {
            snapshot: RwLock::new(Weak::new()),
            entries: quick_cache::sync::Cache::with_weighter(4096, BUDGET, Weight),
        }
    }
}

/// What the response cache may hold, in bytes, keys included (README, "Limits and hardening").
pub const BUDGET: u64 = 64 << 20;

impl ResponseCache {
    pub(super) fn get(&self, snap: &Arc<Snapshot>, key: &str) -> Option<Arc<Cached>> {
        let current = self.snapshot.read().unwrap_or_else(PoisonError::into_inner);
        if !std::ptr::eq(current.as_ptr(), Arc::as_ptr(snap)) {
            return None;
        }
        self.entries.get(key)
    }

    fn put(&self, snap: &Arc<Snapshot>, key: Box<str>, cached: Arc<Cached>) {
        // One response may take a sixteenth of the budget at most.
        if key.len() as u64 + cached.weight > BUDGET / 16 {
            return;
        }
        {
            let current = self.snapshot.read().unwrap_or_else(PoisonError::into_inner);
            if std::ptr::eq(current.as_ptr(), Arc::as_ptr(snap)) {
                self.entries.insert(key, cached);
                return;
            }
        }
        let mut current = self
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if !std::ptr::eq(current.as_ptr(), Arc::as_ptr(snap)) {
            self.entries.clear();
            *current = Arc::downgrade(snap);
        }
        self.entries.insert(key, cached);
    }

    /// Bytes held, as weighed.
    pub(super) fn weight(&self) -> u64 {
        self.entries.weight()
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// The ETag of a response: the revision, what the request asks and the encoding.
fn etag(revision: &str, key: &str, encoding: Encoding) -> String {
    let mut h = Sha256::new();
    for part in [revision, key, encoding.as_str()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("\"{}\"", &hex::encode(h.finalize())[..32])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::index::{Index, Input, Times};

    fn snapshot() -> Arc<Snapshot> {
        let index = Index::build(&Input {
            servers: &[],
            commit: None,
            times: &Times::new(),
            fallback_time: time::OffsetDateTime::UNIX_EPOCH,
            tombstones: &Default::default(),
            view: None,
            reuse: None,
        });
        Arc::new(Snapshot {
            revision: "r".into(),
            commit: None,
            index,
            allowlist: Default::default(),
            views: Vec::new(),
            view: None,
            root_off: false,
            served_at: time::OffsetDateTime::UNIX_EPOCH,
        })
    }

    #[test]
    fn the_cache_stays_within_its_budget_and_evicts_instead_of_emptying() {
        let cache = ResponseCache::default();
        let snap = snapshot();
        let body = Bytes::from(vec![b'x'; 1 << 20]);
        // 40 responses of 1 MiB, each weighed at 3 MiB and more: twice the budget.
        for i in 0..40 {
            let key: Box<str> = format!("list\nsearch:{i}").into();
            let cached = Arc::new(Cached::new("r", &key, body.clone()));
            cache.put(&snap, key, cached);
            assert!(cache.weight() <= BUDGET, "{} after {i}", cache.weight());
        }
        // Full, not emptied: it holds what the budget allows, the newest among them.
        // 64 MiB / 3 MiB: at most 21 fit, so the bodies were weighed.
        assert!((10..=21).contains(&cache.len()), "{} entries", cache.len());
        assert!(cache.get(&snap, "list\nsearch:39").is_some());
        // A response larger than a sixteenth of the budget is never kept.
        let big = Bytes::from(vec![b'x'; 2 << 20]);
        cache.put(&snap, "big".into(), Arc::new(Cached::new("r", "big", big)));
        assert!(cache.get(&snap, "big").is_none());
        // A new revision starts empty.
        let next = snapshot();
        assert!(cache.get(&next, "list\nsearch:39").is_none());
    }
}
