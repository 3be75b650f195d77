//! The registry API of DESIGN §2 at `/v0.1` and `/v0`, and `router(state)`, which builds the
//! whole service (API, ops routes, the rules every response follows). Handlers take one
//! snapshot per request and assemble bodies from the index's pre-serialized entries; a
//! response, once made, is kept for the revision (body, ETags, compressed bodies), so the
//! requests every client repeats are answered from ready bytes, like static files.
//!
//! Errors: `ApiError` is the one error type of the HTTP layer; every 4xx/5xx body has both
//! shapes clients parse, `{"title","status","detail","error"}`. The library's own errors
//! (`thiserror` types elsewhere) never reach a client: a failed reload shows in `/status`.

use crate::index::Entry;
use crate::ops::{self, Metrics};
use crate::query::{self, ListQuery, QueryError};
use crate::store::{Snapshot, Store};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{OnceLock, RwLock, Weak};
use std::time::Instant;

/// The API is served under each of these, by the same handlers.
pub const PREFIXES: [&str; 2] = ["/v0.1", "/v0"];
pub const REVISION_HEADER: HeaderName = HeaderName::from_static("x-registry-revision");
/// How long a browser may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "86400";
/// Bodies smaller than this are not worth compressing.
const MIN_COMPRESS: usize = 256;

/// What the API needs besides the store.
#[derive(Clone, Debug, Default)]
pub struct ApiConfig {
    /// `Cache-Control: max-age` of API responses, in seconds.
    pub cache_max_age: u64,
    /// With a token, `/v0.1` and `/v0` need `Authorization: Bearer <token>`.
    pub read_token: Option<String>,
}

/// The state every handler shares. One `Arc`: axum clones the state for every request and
/// every middleware, and one reference count is cheaper than one per field (the fields are
/// read through `Deref`).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What `AppState` holds.
#[derive(Clone)]
pub struct Shared {
    pub store: Arc<Store>,
    pub config: Arc<ApiConfig>,
    /// Fired to sync now (a webhook); the sync loop coalesces the wake-ups.
    pub sync_now: Arc<tokio::sync::Notify>,
    /// With a secret, `POST /webhook` triggers a sync; without, it does not exist.
    pub webhook_secret_file: Option<Arc<std::path::Path>>,
    pub metrics: Arc<Metrics>,
    responses: Arc<ResponseCache>,
    /// `Cache-Control` and `Vary` of API responses, fixed by the configuration.
    cache_control: HeaderValue,
    vary: HeaderValue,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(store: Arc<Store>, config: ApiConfig) -> AppState {
        let private = config.read_token.is_some();
        let cache_control = header_value(&format!(
            "{}, max-age={}",
            if private { "private" } else { "public" },
            config.cache_max_age
        ));
        let vary = HeaderValue::from_static(if private {
            "Accept-Encoding, Authorization"
        } else {
            "Accept-Encoding"
        });
        AppState(Arc::new(Shared {
            store,
            config: Arc::new(config),
            sync_now: Arc::new(tokio::sync::Notify::new()),
            webhook_secret_file: None,
            metrics: Arc::new(Metrics::default()),
            responses: Arc::new(ResponseCache::default()),
            cache_control,
            vary,
        }))
    }

    /// Turns on `POST /webhook`, checked against the secret in `file`.
    pub fn with_webhook(self, file: Option<std::path::PathBuf>) -> AppState {
        let mut shared = Arc::unwrap_or_clone(self.0);
        shared.webhook_secret_file = file.map(Arc::from);
        AppState(Arc::new(shared))
    }

    /// The snapshot this request is answered from, start to end.
    fn snapshot(&self) -> Result<Arc<Snapshot>, ApiError> {
        self.store.current().ok_or(ApiError::NotReady)
    }
}

/// The whole service: the API under each prefix, the ops routes, JSON 404/405, and the rules
/// of every response (CORS, revision header, NUL and trailing-slash handling, metrics).
pub fn router(state: AppState) -> Router {
    let mut api = Router::new();
    for prefix in PREFIXES {
        api = api
            .route(
                &format!("{prefix}/servers"),
                get(list_servers).options(preflight),
            )
            .route(
                &format!("{prefix}/servers/{{*rest}}"),
                get(server_path).options(preflight),
            );
    }
    // Without a read token the check has nothing to do: leave the layer out of the hot path.
    if state.config.read_token.is_some() {
        api = api.route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    }
    Router::new()
        .merge(api)
        .merge(ops::routes())
        .merge(crate::webhook::routes())
        .merge(crate::web::routes(state.clone()))
        .fallback(unknown_route)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            every_response,
        ))
        .with_state(state)
}

// ---------------------------------------------------------------------------------------------
// Handlers

async fn list_servers(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let snap = state.snapshot()?;
    let cached = match state.responses.get(&snap, req.uri()) {
        Some(hit) => hit,
        None => {
            let q = ListQuery::parse(req.uri().query())?;
            let (page, more) = q.page(&snap.index);
            let next = more
                .then(|| page.last().map(|e| q.cursor_after(e)))
                .flatten();
            let body = list_body(&page, next.as_deref());
            state.remember(&snap, req.uri(), body, LIST_ROUTE)
        }
    };
    Ok(respond(&state, &cached, req.headers()))
}

/// `/servers/{serverName}/versions` and `/servers/{serverName}/versions/{version}`.
async fn server_path(State(state): State<AppState>, req: Request) -> Response {
    let uri = req.uri();
    let v0 = usize::from(!uri.path().starts_with("/v0.1/"));
    // A response already made for this revision is sent before the path is even decoded.
    if let Ok(snap) = state.snapshot()
        && let Some(hit) = state.responses.get(&snap, uri)
    {
        let mut response = respond(&state, &hit, req.headers());
        response.extensions_mut().insert(RouteLabel(hit.label[v0]));
        return response;
    }
    let (label, result) = match ServerPath::parse(uri.path()) {
        Ok(path) => {
            let label = if path.version.is_some() {
                VERSION_ROUTE
            } else {
                VERSIONS_ROUTE
            };
            (label, one_server(&state, uri, req.headers(), path, label))
        }
        Err(e) => (UNKNOWN_ROUTE, Err(e)),
    };
    let mut response = result.into_response();
    response.extensions_mut().insert(RouteLabel(label[v0]));
    response
}

/// Metric labels of the server routes, under `/v0.1` and `/v0`.
const VERSION_ROUTE: [&str; 2] = [
    "/v0.1/servers/{serverName}/versions/{version}",
    "/v0/servers/{serverName}/versions/{version}",
];
const VERSIONS_ROUTE: [&str; 2] = [
    "/v0.1/servers/{serverName}/versions",
    "/v0/servers/{serverName}/versions",
];
const UNKNOWN_ROUTE: [&str; 2] = ["/v0.1/servers/{unknown}", "/v0/servers/{unknown}"];
const LIST_ROUTE: [&str; 2] = ["/v0.1/servers", "/v0/servers"];

fn one_server(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    path: ServerPath,
    label: [&'static str; 2],
) -> Result<Response, ApiError> {
    let snap = state.snapshot()?;
    let include_deleted = query::include_deleted(uri.query())?;
    let visible = |e: &&Entry| include_deleted || e.status != crate::model::Status::Deleted;
    let versions = snap
        .index
        .server(&path.name)
        .ok_or_else(|| ApiError::NotFound("Server not found".into()))?;
    let body = match &path.version {
        None => {
            let mut list: Vec<(usize, &Entry)> =
                versions.iter().filter(visible).enumerate().collect();
            if list.is_empty() {
                return Err(ApiError::NotFound("Server not found".into()));
            }
            // Newest publishedAt first; among equal times, the higher version first.
            list.sort_by(|(i, a), (j, b)| (b.published_at, j).cmp(&(a.published_at, i)));
            let list: Vec<&Entry> = list.into_iter().map(|(_, e)| e).collect();
            list_body(&list, None)
        }
        Some(v) => {
            let entry = snap
                .index
                .version(&path.name, v)
                .filter(visible)
                .ok_or_else(|| ApiError::NotFound("Server version not found".into()))?;
            // A copy, so that what the cache keeps never holds on to the index's buffers.
            entry.json.to_vec()
        }
    };
    let cached = state.remember(&snap, uri, body, label);
    Ok(respond(state, &cached, headers))
}

async fn preflight() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    r
}

async fn unknown_route() -> ApiError {
    ApiError::NotFound(
        "No such route. The registry API is at /v0.1/servers (also /v0/servers); \
         /healthz, /readyz, /status and /metrics are for operators."
            .into(),
    )
}

/// `{"servers":[…],"metadata":{"nextCursor"?,"count"}}` from pre-serialized entries.
fn list_body(entries: &[&Entry], next_cursor: Option<&str>) -> Vec<u8> {
    let size: usize = entries.iter().map(|e| e.json.len() + 1).sum();
    let mut out = Vec::with_capacity(size + 96);
    out.extend_from_slice(b"{\"servers\":[");
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&e.json);
    }
    out.extend_from_slice(b"],\"metadata\":{");
    if let Some(c) = next_cursor {
        // base64url: nothing to escape.
        out.extend_from_slice(b"\"nextCursor\":\"");
        out.extend_from_slice(c.as_bytes());
        out.extend_from_slice(b"\",");
    }
    out.extend_from_slice(format!("\"count\":{}}}}}", entries.len()).as_bytes());
    out
}

// ---------------------------------------------------------------------------------------------
// Paths

/// A server path, decoded. The name arrives percent-encoded (`io.github.acme%2Fweather`), twice
/// encoded (`%252F`, accepted like the official registry does), or with a bare `/`.
#[derive(Debug, PartialEq, Eq)]
struct ServerPath {
    name: String,
    version: Option<String>,
}

impl ServerPath {
    /// Parses the raw (still encoded) request path.
    fn parse(path: &str) -> Result<ServerPath, ApiError> {
        let not_found = || {
            ApiError::NotFound(
                "No such route. Server routes are /v0.1/servers/{serverName}/versions and \
                 /v0.1/servers/{serverName}/versions/{version}, the name URL-encoded"
                    .into(),
            )
        };
        let rest = path
            .split_once("/servers/")
            .map(|(_, rest)| rest)
            .ok_or_else(not_found)?;
        let seg: Vec<&str> = rest.split('/').collect();
        if seg.iter().any(|s| s.is_empty()) {
            return Err(not_found());
        }
        let joined = |a: &str, b: &str| Ok::<_, ApiError>(format!("{}/{}", decode(a)?, decode(b)?));
        let (name, version) = match seg.as_slice() {
            [name, "versions"] => (decode(name)?, None),
            [name, "versions", v] if decode(name)?.contains('/') => (decode(name)?, Some(*v)),
            [ns, name, "versions"] => (joined(ns, name)?, None),
            [ns, name, "versions", v] => (joined(ns, name)?, Some(*v)),
            _ => return Err(not_found()),
        };
        Ok(ServerPath {
            name,
            version: version.map(decode).transpose()?,
        })
    }
}

/// Percent-decodes a path segment twice, as the official registry does (its router decodes
/// once, its handler again), so `%2F` and `%252F` both give `/`; `+` stays `+`.
fn decode(raw: &str) -> Result<String, ApiError> {
    let once = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| not_utf8())?;
    let twice = percent_decode_str(&once)
        .decode_utf8()
        .map_err(|_| not_utf8())?
        .into_owned();
    if twice.contains('\0') {
        return Err(ApiError::BadRequest(
            "the path holds a NUL character".into(),
        ));
    }
    Ok(twice)
}

fn not_utf8() -> ApiError {
    ApiError::BadRequest("the path is not valid UTF-8 once percent-decoded".into())
}

fn is_api_path(path: &str) -> bool {
    PREFIXES.iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|r| r.is_empty() || r.starts_with('/'))
    })
}

// ---------------------------------------------------------------------------------------------
// Responses: caching, compression

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
    Br,
}

impl Encoding {
    fn as_str(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
            Encoding::Br => "br",
        }
    }

    /// The best encoding the client accepts: br, then gzip, else none.
    fn negotiate(accept: Option<&HeaderValue>) -> Encoding {
        let Some(accept) = accept.and_then(|v| v.to_str().ok()) else {
            return Encoding::Identity;
        };
        let q = |name: &str| -> Option<f32> {
            accept.split(',').find_map(|item| {
                let mut parts = item.split(';');
                let token = parts.next()?.trim();
                if !token.eq_ignore_ascii_case(name) {
                    return None;
                }
                let q = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |v| v.trim().parse::<f32>().ok())?;
                Some(q)
            })
        };
        let star = q("*");
        let accepts = |named: Option<f32>| named.or(star).is_some_and(|q| q > 0.0);
        if accepts(q("br")) {
            Encoding::Br
        } else if accepts(q("gzip")) {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }

    fn compress(self, body: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Encoding::Identity => Ok(body.to_vec()),
            Encoding::Gzip => {
                let mut w = flate2::write::GzEncoder::new(
                    Vec::with_capacity(body.len() / 4),
                    flate2::Compression::new(6),
                );
                w.write_all(body)?;
                w.finish()
            }
            Encoding::Br => {
                let mut out = Vec::with_capacity(body.len() / 4);
                {
                    // Quality 5: most of brotli's gain at a fraction of the CPU of 11.
                    let mut w = brotli::CompressorWriter::new(&mut out, 16 * 1024, 5, 22);
                    w.write_all(body)?;
                    w.flush()?;
                }
                Ok(out)
            }
        }
    }
}

impl AppState {
    /// Keeps the response to `uri` for the snapshot's revision and returns it.
    fn remember(
        &self,
        snap: &Arc<Snapshot>,
        uri: &Uri,
        body: Vec<u8>,
        label: [&'static str; 2],
    ) -> Arc<Cached> {
        let cached = Arc::new(Cached::new(&snap.revision, uri, Bytes::from(body), label));
        // Only the revision being served is cached: a request still finishing with the one
        // before must not take the cache over.
        let current = self.store.current().is_some_and(|c| Arc::ptr_eq(&c, snap));
        if current {
            self.responses.put(snap, uri, Arc::clone(&cached));
        }
        cached
    }
}

/// A successful API response: `ETag` (a function of revision, request and encoding, since the
/// body is one), `304` on a matching `If-None-Match`, caching and revision headers, and the
/// body compressed when the client asks (once per revision and request).
fn respond(state: &AppState, cached: &Cached, req: &HeaderMap) -> Response {
    let encoding = if cached.body.len() < MIN_COMPRESS {
        Encoding::Identity
    } else {
        Encoding::negotiate(req.get(header::ACCEPT_ENCODING))
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
struct Cached {
    body: Bytes,
    /// By `Encoding as usize`.
    etags: [HeaderValue; 3],
    revision: HeaderValue,
    /// The route's metric label under `/v0.1` and `/v0`.
    label: [&'static str; 2],
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
struct ResponseCache {
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

    fn get(&self, snap: &Arc<Snapshot>, uri: &Uri) -> Option<Arc<Cached>> {
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
    format!("\"{}\"", &crate::index::hex(&h.finalize())[..32])
}

/// `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for this header) or is `*`.
fn if_none_match(req: &HeaderMap, etag: &[u8]) -> bool {
    req.get_all(header::IF_NONE_MATCH)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .map(|t| t.trim_ascii())
        .any(|t| t == b"*" || t.strip_prefix(b"W/").unwrap_or(t) == etag)
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

// ---------------------------------------------------------------------------------------------
// Middleware

/// A label for metrics set by a handler whose route pattern says too little: the whole route,
/// prefix included.
#[derive(Clone, Copy, Debug)]
pub struct RouteLabel(pub &'static str);

/// What every request goes through, outermost first: it is counted, timed and logged; its
/// response gets CORS, JSON for a bare 405 and the served revision; and the path rules are
/// checked before any handler runs. One middleware rather than three: each layer costs a
/// boxed future and a clone of the state per request.
async fn every_response(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    // Taken before the request moves on: cheap clones (an `Arc<str>`, shared bytes).
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let (method, uri) = (req.method().clone(), req.uri().clone());
    let response = match path_rules(&uri) {
        Some(refused) => refused,
        None => next.run(req).await,
    };
    let response = common_headers(&state, &uri, response);

    let elapsed = started.elapsed();
    let route = match (&matched, response.extensions().get::<RouteLabel>()) {
        (_, Some(RouteLabel(label))) => label,
        (Some(m), None) => m.as_str(),
        (None, None) => "unmatched",
    };
    let status = response.status().as_u16();
    state.metrics.observe(route, status, elapsed);
    // A line per request only at debug: at info, writing it halved the throughput of a
    // saturated core (bench/README.md), and /metrics already counts and times every route.
    let micros = elapsed.as_micros() as u64;
    let path = uri.path();
    if status >= 500 {
        tracing::warn!(%method, %path, status, micros, "request failed");
    } else {
        tracing::debug!(%method, %path, status, micros, "request");
    }
    response
}

/// CORS on every response, JSON for axum's bare 405s, and the served revision on every API
/// response a handler did not already mark.
fn common_headers(state: &AppState, uri: &Uri, mut response: Response) -> Response {
    let api = is_api_path(uri.path());
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        response = ApiError::MethodNotAllowed.into_response();
        if !api {
            // The ops routes answer GET only (and HEAD, which axum derives from it).
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
    }
    let status = response.status();
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type"),
    );
    // Not to a client without the read token: it learns nothing of the registry.
    if api
        && status != StatusCode::UNAUTHORIZED
        && !h.contains_key(REVISION_HEADER)
        && let Some(snap) = state.store.current()
    {
        h.insert(REVISION_HEADER, header_value(&snap.revision));
    }
    response
}

/// NUL in the path or query is 400; a trailing slash is 308 to the clean path, query kept.
fn path_rules(uri: &Uri) -> Option<Response> {
    // `%00` has no letters: no case to fold.
    let has_nul = |s: &str| s.contains("%00");
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        return Some(
            ApiError::BadRequest("the path or query holds a NUL character (%00)".into())
                .into_response(),
        );
    }
    let path = uri.path();
    if path.len() > 1 && path.ends_with('/') {
        let clean = path.trim_end_matches('/');
        let clean = if clean.is_empty() { "/" } else { clean };
        let location = match uri.query() {
            Some(q) => format!("{clean}?{q}"),
            None => clean.to_string(),
        };
        return Some(
            (
                StatusCode::PERMANENT_REDIRECT,
                [(header::LOCATION, header_value(&location))],
            )
                .into_response(),
        );
    }
    None
}

/// With a read token configured, API requests need `Authorization: Bearer <token>`; a CORS
/// preflight carries no credentials and is exempt.
pub(crate) async fn require_token(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(token) = &state.config.read_token
        && req.method() != Method::OPTIONS
    {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            });
        if !given.is_some_and(|g| same_secret(g, token)) {
            return ApiError::Unauthorized.into_response();
        }
    }
    next.run(req).await
}

/// Compares two secrets in time independent of where they differ (and of their lengths:
/// both are hashed first).
pub fn same_secret(a: &str, b: &str) -> bool {
    let (da, db) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    da.iter()
        .zip(db.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

// ---------------------------------------------------------------------------------------------
// Errors

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A parameter or path is malformed; the message says which.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("this registry needs a read token: send Authorization: Bearer <token>")]
    Unauthorized,
    #[error("method not allowed: this service is read-only")]
    MethodNotAllowed,
    #[error("no good revision of the registry is served yet; see /status")]
    NotReady,
    #[error("webhook refused: X-Hub-Signature-256 or X-Gitlab-Token is missing or wrong")]
    BadSignature,
    /// A fault of ours; the log has the cause, the response says nothing internal.
    #[error("{0}")]
    Internal(&'static str),
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        ApiError::BadRequest(e.0)
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotReady => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadSignature => StatusCode::UNAUTHORIZED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = self.to_string();
        let body = serde_json::json!({
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": detail,
            "error": detail,
        });
        let mut response = (status, axum::Json(body)).into_response();
        let h = response.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match self {
            ApiError::Unauthorized => {
                h.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"mcp-gitops\""),
                );
            }
            ApiError::MethodNotAllowed => {
                h.insert(
                    header::ALLOW,
                    HeaderValue::from_static("GET, HEAD, OPTIONS"),
                );
            }
            ApiError::NotReady => {
                h.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(name: &str, version: Option<&str>) -> ServerPath {
        ServerPath {
            name: name.into(),
            version: version.map(Into::into),
        }
    }

    #[test]
    fn server_paths() {
        let p = |s: &str| ServerPath::parse(s).ok();
        assert_eq!(
            p("/v0.1/servers/io.github.a%2Fw/versions"),
            Some(path("io.github.a/w", None))
        );
        assert_eq!(
            p("/v0.1/servers/io.github.a%252Fw/versions/1.0.0%2Bb"),
            Some(path("io.github.a/w", Some("1.0.0+b")))
        );
        assert_eq!(
            p("/v0/servers/io.github.a/w/versions/1.0.0+b"),
            Some(path("io.github.a/w", Some("1.0.0+b")))
        );
        assert_eq!(
            p("/v0/servers/com.a/versions/versions"),
            Some(path("com.a/versions", None))
        );
        assert_eq!(
            p("/v0/servers/com.a%2Fx/versions/versions"),
            Some(path("com.a/x", Some("versions")))
        );
        assert_eq!(p("/v0/servers/com.a%2Fx"), None);
        assert_eq!(p("/v0/servers/com.a%2Fx/version"), None);
        assert_eq!(p("/v0/servers/a/b/c/versions"), None);
    }

    #[test]
    fn encodings() {
        let n = |s: &str| Encoding::negotiate(Some(&HeaderValue::from_str(s).unwrap()));
        assert_eq!(n("gzip, deflate, br"), Encoding::Br);
        assert_eq!(n("gzip"), Encoding::Gzip);
        assert_eq!(n("br;q=0, gzip"), Encoding::Gzip);
        assert_eq!(n("*"), Encoding::Br);
        assert_eq!(n("identity"), Encoding::Identity);
        assert_eq!(n("gzip;q=0"), Encoding::Identity);
        assert_eq!(Encoding::negotiate(None), Encoding::Identity);
    }

    #[test]
    fn secrets() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
