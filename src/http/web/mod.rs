//! The registry's own web page: `/` lists the servers of the served revision
//! (paged on the server, searchable as you type), `/servers/<namespace>/<name>` shows one with
//! its versions, packages, remotes and install links. Rendered from the snapshot per request;
//! the search index is derived once per revision (`catalog`). Assets are embedded in the
//! binary, the page requests nothing from another origin, and a strict CSP says so.

mod catalog;
mod detail;
mod frame;
mod list;

use crate::check::model::Status;
use crate::http::auth::require_token;
use crate::http::error::HttpError;
use crate::http::headers::{Encoding, REVISION_HEADER, header_value, if_none_match};
use crate::http::scope::scoped;
use crate::http::state::AppState;
use crate::store::{Outcome, Snapshot};
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawPathParams, RawQuery, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router, middleware};
use catalog::Catalogs;
use detail::Version;
use frame::{Banner, Esc, Frame};
use list::ListView;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// No script, style, image, font or connection from anywhere but this origin; no inline
/// script or style; not framed; forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const PAGE_CSS: &str = include_str!("page.css");
const SEARCH_JS: &str = include_str!("search.js");
const FAVICON_SVG: &str = include_str!("favicon.svg");

/// The page's routes. With a read token, the pages and the search index need it like the API
/// does; the assets do not (they are the same for every registry and say nothing about it).
pub fn routes(state: &AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(list_page))
        .route("/servers/{namespace}/{name}", get(detail_page))
        .route("/search.json", get(search_index))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .merge(pages)
        .route("/assets/{file}", get(asset))
        .layer(Extension(Arc::new(Catalogs::default())))
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// The snapshot a page shows: the view's under `/{view}`, else the root's.
fn page_snapshot(
    state: &AppState,
    params: &RawPathParams,
    headers: &HeaderMap,
) -> Result<Arc<Snapshot>, Box<Response>> {
    match scoped(state, params, headers) {
        Ok(s) => Ok(s.snap),
        Err(HttpError::NotReady) => Err(Box::new(not_ready(state))),
        Err(e) => Err(Box::new(e.into_response())),
    }
}

async fn list_page(
    State(state): State<AppState>,
    Extension(catalogs): Extension<Arc<Catalogs>>,
    params: RawPathParams,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let snap = match page_snapshot(&state, &params, &headers) {
        Ok(snap) => snap,
        Err(response) => return *response,
    };
    let mut q = String::new();
    let mut page = 1;
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "q" => q = v.trim().to_string(),
            "page" => page = v.parse().unwrap_or(1),
            _ => {}
        }
    }
    let catalog = catalogs.get(&snap).await;
    let main = list::list(&catalog, &snap, &ListView { query: &q, page });
    let title = if q.is_empty() {
        "MCP servers".to_string()
    } else {
        format!("“{q}” · MCP servers")
    };
    let body = frame::document(&frame(&state, &snap), &title, &main);
    html(&state, &snap, &headers, StatusCode::OK, body)
}

async fn detail_page(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    raw: RawPathParams,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let snap = match page_snapshot(&state, &raw, &headers) {
        Ok(snap) => snap,
        Err(response) => return *response,
    };
    // Under `/{view}` the path has the view's name too.
    let part = |k: &str| params.get(k).map_or("", String::as_str);
    let name = format!("{}/{}", part("namespace"), part("name"));
    let wanted = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "version")
        .map(|(_, v)| v.into_owned());
    let frame = frame(&state, &snap);
    let Some(entries) = snap.index.server(&name) else {
        return not_found(&state, &snap, &headers, &frame, "No server has this name.");
    };
    let versions: Vec<Version> = entries
        .iter()
        .filter_map(|entry| {
            serde_json::from_slice(&entry.json)
                .ok()
                .map(|json| Version { entry, json })
        })
        .collect();
    let selected = match &wanted {
        Some(w) if w == "latest" => versions.iter().position(|v| v.entry.is_latest),
        Some(w) => versions.iter().position(|v| &v.entry.version == w),
        None => versions
            .iter()
            .position(|v| v.entry.is_latest && v.entry.status != Status::Deleted)
            .or_else(|| {
                versions
                    .iter()
                    .rposition(|v| v.entry.status != Status::Deleted)
            })
            .or(versions.len().checked_sub(1)),
    };
    let Some(selected) = selected else {
        return not_found(
            &state,
            &snap,
            &headers,
            &frame,
            "This server has no such version.",
        );
    };
    let main = detail::detail(&name, &versions, selected, &frame);
    let v = &versions[selected];
    let title = format!(
        "{} {} · MCP servers",
        v.json["server"]["title"].as_str().unwrap_or(&name),
        v.entry.version
    );
    let body = frame::document(&frame, &title, &main);
    html(&state, &snap, &headers, StatusCode::OK, body)
}

/// The compact index the search box filters. Its URL names the revision (`?r=`), so a browser
/// may keep it for good; asked for under an older revision, it says to check again.
async fn search_index(
    State(state): State<AppState>,
    Extension(catalogs): Extension<Arc<Catalogs>>,
    params: RawPathParams,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let snap = match page_snapshot(&state, &params, &headers) {
        Ok(snap) => snap,
        Err(response) => return *response,
    };
    let catalog = catalogs.get(&snap).await;
    let asked = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "r")
        .map(|(_, v)| v.into_owned());
    let cache = match (
        asked.as_deref() == Some(snap.revision.as_str()),
        state.is_private(),
    ) {
        (true, false) => "public, max-age=31536000, immutable",
        (true, true) => "private, max-age=31536000, immutable",
        (false, false) => "no-cache",
        (false, true) => "private, no-cache",
    };
    let gzip = Encoding::negotiate(&headers, &[Encoding::Gzip]) == Encoding::Gzip;
    let etag = format!(
        "\"{}-{}\"",
        snap.revision.get(..32).unwrap_or(&snap.revision),
        if gzip { "gz" } else { "id" }
    );
    let mut h = common(&state, Some(&snap), cache);
    h.insert(header::ETAG, header_value(&etag));
    if if_none_match(&headers, etag.as_bytes()) {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        catalog.search_gzip.clone()
    } else {
        catalog.search_json.clone()
    };
    (StatusCode::OK, h, Body::from(body)).into_response()
}

async fn asset(Path(file): Path<String>, RawQuery(query): RawQuery) -> Response {
    let (body, kind) = match file.as_str() {
        "page.css" => (PAGE_CSS, "text/css; charset=utf-8"),
        "search.js" => (SEARCH_JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (FAVICON_SVG, "image/svg+xml"),
        _ => {
            return HttpError::NotFound("No such asset.".into()).into_response();
        }
    };
    // The page links each asset with its digest; such a URL can be kept for good.
    let pinned = query.as_deref() == Some(&format!("v={}", asset_digest(&file)));
    let cache = if pinned {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    (StatusCode::OK, h, body).into_response()
}

// ---------------------------------------------------------------------------------------------
// Pieces

/// What frames every page: the snapshot, the banner when the last attempt failed, and where
/// the source can be browsed.
fn frame<'a>(state: &AppState, snap: &'a Snapshot) -> Frame<'a> {
    let banner = state
        .store
        .last_attempt()
        .filter(|a| matches!(a.outcome, Outcome::Invalid | Outcome::Failed))
        .map(|a| Banner {
            revision: a.revision.clone(),
            rejected: a.outcome == Outcome::Invalid,
            errors: a.errors.len(),
            detail: a
                .errors
                .first()
                .map(|d| d.to_string())
                .or_else(|| a.message.clone()),
        });
    let source = state.store.source();
    let browse = source.host.clone();
    Frame {
        snap: Some(snap),
        banner,
        browse,
    }
}

fn not_found(
    state: &AppState,
    snap: &Snapshot,
    headers: &HeaderMap,
    frame: &Frame,
    why: &str,
) -> Response {
    let main = format!(
        "<h1>Not found</h1><p>{}</p><p><a href=\"{}/\">See every server</a>.</p>\n",
        Esc(why),
        Esc(&frame.base())
    );
    let body = frame::document(frame, "Not found · MCP servers", &main);
    html(state, snap, headers, StatusCode::NOT_FOUND, body)
}

/// No good revision yet: say so, and where to look.
fn not_ready(state: &AppState) -> Response {
    let attempt = state.store.last_attempt();
    let frame = Frame {
        snap: None,
        banner: attempt.filter(|a| !a.outcome.is_good()).map(|a| Banner {
            revision: a.revision.clone(),
            rejected: a.outcome == Outcome::Invalid,
            errors: a.errors.len(),
            detail: a
                .errors
                .first()
                .map(|d| d.to_string())
                .or_else(|| a.message.clone()),
        }),
        browse: None,
    };
    let main = "<h1>Not ready</h1><p>No good revision of the registry is served yet. \
                See <a href=\"/status\">/status</a>.</p>\n";
    let body = frame::document(&frame, "Not ready · MCP servers", main);
    let mut h = common(state, None, "no-store");
    page_headers(&mut h);
    h.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    (StatusCode::SERVICE_UNAVAILABLE, h, body).into_response()
}

/// An HTML response: revalidated on every use (a banner can appear without a new revision),
/// with an ETag of the body, so a revisit costs a 304.
fn html(
    state: &AppState,
    snap: &Snapshot,
    req: &HeaderMap,
    status: StatusCode,
    body: String,
) -> Response {
    let digest = Sha256::digest(body.as_bytes());
    let gzip = Encoding::negotiate(req, &[Encoding::Gzip]) == Encoding::Gzip && body.len() > 1024;
    let etag = format!(
        "\"{}-{}\"",
        &hex::encode(digest)[..32],
        if gzip { "gz" } else { "id" }
    );
    let cache = if state.is_private() {
        "private, no-cache"
    } else {
        "no-cache"
    };
    let mut h = common(state, Some(snap), cache);
    page_headers(&mut h);
    h.insert(header::ETAG, header_value(&etag));
    if status == StatusCode::OK && if_none_match(req, etag.as_bytes()) {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    let body = if gzip {
        match Encoding::Gzip.compress(body.as_bytes()) {
            Ok(z) => {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                Bytes::from(z)
            }
            Err(_) => {
                h.insert(header::ETAG, header_value(&etag.replace("-gz\"", "-id\"")));
                Bytes::from(body)
            }
        }
    } else {
        Bytes::from(body)
    };
    (status, h, Body::from(body)).into_response()
}

/// The headers of every response here: caching, the policy, no sniffing, and the revision the
/// body comes from (when one is served).
fn common(state: &AppState, snap: Option<&Snapshot>, cache: &'static str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::VARY,
        HeaderValue::from_static(if state.is_private() {
            "Accept-Encoding, Authorization"
        } else {
            "Accept-Encoding"
        }),
    );
    if let Some(snap) = snap {
        h.insert(REVISION_HEADER, header_value(&snap.revision));
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h
}

/// What an HTML page adds: its type, no referrer sent with its links, never framed.
fn page_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// `/assets/<file>?v=<digest>`: a new binary with a changed asset gets a new URL.
pub fn asset_href(file: &str) -> String {
    format!("/assets/{file}?v={}", asset_digest(file))
}

fn asset_digest(file: &str) -> &'static str {
    static DIGESTS: OnceLock<[(String, String); 3]> = OnceLock::new();
    let all = DIGESTS.get_or_init(|| {
        [
            ("page.css", PAGE_CSS),
            ("search.js", SEARCH_JS),
            ("favicon.svg", FAVICON_SVG),
        ]
        .map(|(name, text)| {
            let d = hex::encode(Sha256::digest(text.as_bytes()));
            (name.to_string(), d[..16].to_string())
        })
    });
    all.iter()
        .find(|(name, _)| name == file)
        .map_or("0", |(_, d)| d.as_str())
}
