//! The registry API at `/v0.1` and `/v0` (the README's API section has every rule). Handlers
//! take one snapshot per request and assemble bodies from the index's pre-serialized entries;
//! a response, once made, is kept for the revision (`cache`).

mod cache;
mod extra;
mod path;

use crate::check::model::Status;
use crate::http::auth::require_token;
use crate::http::error::HttpError;
use crate::http::headers::{REVISION_HEADER, api_cors};
use crate::http::middleware::RouteLabel;
use crate::http::paths::API_PREFIXES;
use crate::http::scope::{Scoped, scoped};
use crate::http::state::AppState;
use crate::store::index::ServerEntry;
use crate::store::query::{self, ListQuery};
use axum::Router;
use axum::extract::{RawPathParams, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, options, post};
use cache::{ResponseCache, respond};
use path::ServerPath;
use std::sync::Arc;
use std::time::Duration;
use tower::util::MapResponseLayer;
use tower_http::cors::{Any, CorsLayer};

/// How long a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(86400);

/// The API face's state: the shared state, its response cache, and the caching headers its
/// configuration fixes. One `Arc`, cloned per request.
#[derive(Clone)]
struct ApiState(Arc<ApiShared>);

struct ApiShared {
    app: AppState,
    responses: ResponseCache,
    /// `Cache-Control` and `Vary` of API responses.
    cache_control: HeaderValue,
    vary: HeaderValue,
}

impl std::ops::Deref for ApiState {
    type Target = ApiShared;

    fn deref(&self) -> &ApiShared {
        &self.0
    }
}

/// The API's routes under each prefix, guarded by the read token when one is configured.
pub fn routes(state: &AppState) -> Router<AppState> {
    let private = state.is_private();
    let cache_control = crate::http::headers::header_value(&format!(
        "{}, max-age={}",
        if private { "private" } else { "public" },
        state.config.cache_max_age
    ));
    let vary = HeaderValue::from_static(if private {
        "Accept-Encoding, Authorization"
    } else {
        "Accept-Encoding"
    });
    let api_state = ApiState(Arc::new(ApiShared {
        app: state.clone(),
        responses: ResponseCache::default(),
        cache_control,
        vary,
    }));
    let mut api = Router::new();
    for prefix in API_PREFIXES {
        api = api
            .route(
                &format!("{prefix}/servers"),
                get(list_servers).merge(preflight()),
            )
            .route(
                &format!("{prefix}/servers/{{*rest}}"),
                get(server_path).merge(preflight()).patch(extra::read_only),
            )
            .route(&format!("{prefix}/ping"), extra::ping().merge(preflight()))
            .route(
                &format!("{prefix}/version"),
                extra::version().merge(preflight()),
            )
            .route(
                &format!("{prefix}/health"),
                extra::health().merge(preflight()),
            )
            .route(&format!("{prefix}/validate"), extra::validate(state.limits))
            .route(&format!("{prefix}/publish"), post(extra::read_only))
            // The rest of the API's space answers a JSON 404 here, with the API's CORS.
            .route(prefix, get(no_such_route).merge(preflight()))
            .route(
                &format!("{prefix}/{{*rest}}"),
                get(no_such_route).merge(preflight()),
            );
    }
    // Without a read token the check has nothing to do: leave the layer out of the hot path.
    if private {
        api = api.route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    }
    // Outside the token check, so that a browser can read a 401 too.
    api.layer(MapResponseLayer::new(api_cors))
        .with_state(api_state)
}

/// `OPTIONS`: a CORS preflight, answered by tower-http's `CorsLayer` (which checks it and
/// writes the allowed method, headers and max-age).
fn preflight<S: Clone + Send + Sync + 'static>() -> MethodRouter<S> {
    options(|| async { StatusCode::NO_CONTENT }).layer(cors())
}

/// CORS for browser clients, as GitHub documents it for a registry: any origin, `GET` and
/// `OPTIONS`, the `Authorization` and `Content-Type` request headers; and the `ETag` and
/// revision headers readable by browser code. A preflight is answered before the token check
/// (it carries no credentials).
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::ETAG, REVISION_HEADER])
        .max_age(PREFLIGHT_MAX_AGE)
        // Any origin gets the same answer: nothing for a cache to tell apart.
        .vary([] as [header::HeaderName; 0])
}

async fn no_such_route() -> HttpError {
    HttpError::NotFound(
        "No such route. The registry API is at /v0.1/servers (also /v0/servers)".into(),
    )
}

// ---------------------------------------------------------------------------------------------
// Handlers

async fn list_servers(
    State(state): State<ApiState>,
    params: RawPathParams,
    req: Request,
) -> Result<Response, HttpError> {
    let scoped = scoped(&state.app, &params, req.headers())?;
    let key = scoped_key(&scoped, query::list_key(req.uri().query()));
    let cached = match state.responses.get(&scoped.root, &key) {
        Some(hit) => hit,
        None => {
            let q = ListQuery::parse_in(req.uri().query(), scoped.view())?;
            let (page, more) = q.page(&scoped.snap.index);
            let next = more
                .then(|| page.last().map(|e| q.cursor_after(e)))
                .flatten();
            let body = list_body(&page, next.as_deref());
            state.remember(&scoped.root, key.into_boxed_str(), body)
        }
    };
    Ok(respond(&state, &cached, req.headers()))
}

/// `/servers/{serverName}/versions` and `/servers/{serverName}/versions/{version}`.
async fn server_path(
    State(state): State<ApiState>,
    params: RawPathParams,
    req: Request,
) -> Response {
    let uri = req.uri();
    let v0 = usize::from(!uri.path().starts_with("/v0.1/"));
    let (label, result) = match ServerPath::parse(uri.path()) {
        Ok(path) => {
            let label = if path.version.is_some() {
                VERSION_ROUTE
            } else {
                VERSIONS_ROUTE
            };
            let scoped = scoped(&state.app, &params, req.headers());
            (
                label,
                scoped.and_then(|scoped| one_server(&state, &scoped, uri, req.headers(), path)),
            )
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

fn one_server(
    state: &ApiState,
    scoped: &Scoped,
    uri: &Uri,
    headers: &HeaderMap,
    path: ServerPath,
) -> Result<Response, HttpError> {
    let snap = &scoped.snap;
    let include_deleted = query::include_deleted(uri.query())?;
    // What the request asks, decoded: `%2F`, `%252F` and `/` in the name are one entry.
    let version = path.version.as_deref().unwrap_or("\0");
    let mut key = String::with_capacity(16 + path.name.len() + version.len());
    for part in ["server\n", &path.name, "\n", version] {
        key.push_str(part);
    }
    key.push_str(if include_deleted { "\ntrue" } else { "\nfalse" });
    let key = scoped_key(scoped, key);
    if let Some(hit) = state.responses.get(&scoped.root, &key) {
        return Ok(respond(state, &hit, headers));
    }
    let visible = |e: &&ServerEntry| include_deleted || e.status != Status::Deleted;
    let versions = snap
        .index
        .server(&path.name)
        .ok_or_else(|| HttpError::NotFound("Server not found".into()))?;
    let body = match &path.version {
        None => {
            let mut list: Vec<(usize, &ServerEntry)> =
                versions.iter().filter(visible).enumerate().collect();
            if list.is_empty() {
                return Err(HttpError::NotFound("Server not found".into()));
            }
            // Newest publishedAt first; among equal times, the higher version first.
            list.sort_by(|(i, a), (j, b)| (b.published_at, j).cmp(&(a.published_at, i)));
            let list: Vec<&ServerEntry> = list.into_iter().map(|(_, e)| e).collect();
            list_body(&list, None)
        }
        Some(v) => {
            let entry = snap
                .index
                .version(&path.name, v)
                .filter(visible)
                .ok_or_else(|| HttpError::NotFound("Server version not found".into()))?;
            // A copy, so that what the cache keeps never holds on to the index's buffers.
            entry.json.to_vec()
        }
    };
    let cached = state.remember(&scoped.root, key.into_boxed_str(), body);
    Ok(respond(state, &cached, headers))
}

/// A response cache key of a view's request: the view's name first, so that views and the
/// root never share a response (nor, since the ETag is made from the key, an ETag).
fn scoped_key(scoped: &Scoped, key: String) -> String {
    match scoped.view() {
        None => key,
        Some(view) => format!("view:{view}\n{key}"),
    }
}

/// `{"servers":[…],"metadata":{"nextCursor"?,"count"}}` from pre-serialized entries.
fn list_body(entries: &[&ServerEntry], next_cursor: Option<&str>) -> Vec<u8> {
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
