//! The responses made for the revision being served, kept by request: the body, the ETag of
//! each encoding, and the compressed bodies, made the first time a client asks for them. A
//! response is a function of revision and request, so the requests every client repeats are
//! answered from ready bytes, like static files.

use super::ApiState;
use crate::http::headers::{Encoding, REVISION_HEADER, header_value, if_none_match};
use crate::store::Snapshot;
use axum::body::{Body, Bytes};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock, Weak};

/// Bodies smaller than this are not worth compressing.
const MIN_COMPRESS: usize = 256;

impl ApiState {
    /// Keeps the response to `uri` for the snapshot's revision and returns it.
    pub(super) fn remember(
        &self,
        snap: &Arc<Snapshot>,
        uri: &Uri,
        body: Vec<u8>,
        label: [&'static str; 2],
    ) -> Arc<Cached> {
        let cached = Arc::new(Cached::new(&snap.revision, uri, Bytes::from(body), label));
        // Only the revision being served is cached: a request still finishing with the one
        // before must not take the cache over.
        let current = self
            .app
            .store
            .current()
            .is_some_and(|c| Arc::ptr_eq(&c, snap));
        if current {
            self.responses.put(snap, uri, Arc::clone(&cached));
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
    let body = match cached.encoded(encoding, &state.responses.bytes) {
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
    /// The route's metric label under `/v0.1` and `/v0`.
    pub(super) label: [&'static str; 2],
    gzip: OnceLock<Option<Bytes>>,
    br: OnceLock<Option<Bytes>>,
}

impl Cached {
    fn new(revision: &str, uri: &Uri, body: Bytes, label: [&'static str; 2]) -> Cached {
        let tag = |e| header_value(&etag(revision, uri, e));
        Cached {
            body,
            etags: [
                tag(Encoding::Identity),
                tag(Encoding::Gzip),
                tag(Encoding::Br),
            ],
            revision: header_value(revision),
            label,
            gzip: OnceLock::new(),
            br: OnceLock::new(),
        }
    }

    /// The body in `encoding`; `None` when it could not be compressed (it cannot happen
    /// writing to memory; the identity body is served then, under its own ETag). A body
    /// compressed here is added to `held`, the cache's count of bytes.
    fn encoded(&self, encoding: Encoding, held: &AtomicUsize) -> Option<Bytes> {
        let slot = match encoding {
            Encoding::Identity => return Some(self.body.clone()),
            Encoding::Gzip => &self.gzip,
            Encoding::Br => &self.br,
        };
        slot.get_or_init(|| match encoding.compress(&self.body) {
            Ok(c) => {
                held.fetch_add(c.len(), Ordering::Relaxed);
                Some(Bytes::from(c))
            }
            Err(e) => {
                tracing::error!(error = %e, "compression failed");
                None
            }
        })
        .clone()
    }

    fn size(&self) -> usize {
        let len = |slot: &OnceLock<Option<Bytes>>| {
            slot.get().and_then(|b| b.as_ref()).map_or(0, Bytes::len)
        };
        self.body.len() + len(&self.gzip) + len(&self.br) + 256
    }
}

/// The responses made for the revision being served, by path and query. A response is a
/// function of revision and request, so one made for a client serves every later client
/// asking the same, and the clients of a registry mostly ask the same few pages. Emptied when
/// the served revision changes (it holds a weak reference to its snapshot, and copies, never
/// slices, of the index's bytes, so it keeps no replaced revision alive) and when over its
/// budget. Why `RwLock`: many readers per write; a read is one hash lookup, never held
/// across an `.await`.
#[derive(Default)]
pub(super) struct ResponseCache {
    inner: RwLock<CacheInner>,
    /// Bytes held, compressed bodies included (counted when they are added).
    bytes: AtomicUsize,
}

#[derive(Default)]
struct CacheInner {
    snapshot: Weak<Snapshot>,
    responses: HashMap<Box<str>, Arc<Cached>>,
}

impl ResponseCache {
    const BUDGET: usize = 48 << 20;
    const MAX_RESPONSES: usize = 100_000;

    fn key(uri: &Uri) -> &str {
        uri.path_and_query().map_or(uri.path(), |pq| pq.as_str())
    }

    pub(super) fn get(&self, snap: &Arc<Snapshot>, uri: &Uri) -> Option<Arc<Cached>> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        if !std::ptr::eq(inner.snapshot.as_ptr(), Arc::as_ptr(snap)) {
            return None;
        }
        inner.responses.get(Self::key(uri)).cloned()
    }

    fn put(&self, snap: &Arc<Snapshot>, uri: &Uri, cached: Arc<Cached>) {
        let size = cached.size();
        if size > Self::BUDGET / 16 {
            return;
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let stale = !std::ptr::eq(inner.snapshot.as_ptr(), Arc::as_ptr(snap));
        if stale
            || self.bytes.load(Ordering::Relaxed) + size > Self::BUDGET
            || inner.responses.len() >= Self::MAX_RESPONSES
        {
            inner.responses = HashMap::new();
            inner.snapshot = Arc::downgrade(snap);
            self.bytes.store(0, Ordering::Relaxed);
        }
        self.bytes.fetch_add(size, Ordering::Relaxed);
        inner.responses.insert(Self::key(uri).into(), cached);
    }
}

fn etag(revision: &str, uri: &Uri, encoding: Encoding) -> String {
    let mut h = Sha256::new();
    for part in [
        revision,
        uri.path(),
        uri.query().unwrap_or(""),
        encoding.as_str(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("\"{}\"", &hex::encode(h.finalize())[..32])
}
