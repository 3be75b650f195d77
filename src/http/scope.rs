//! Which registry a request reads: the root (`/v0.1/…`, `/`) or one of registry.yaml's views
//! (`/{view}/v0.1/…`, `/{view}/`). The view faces (API, allowlists, web page) are mounted a
//! second time under `/{view}`; `resolve` finds the view in the served snapshot, checks its
//! token, and hands the faces the view's own snapshot, so that they serve it with the code that
//! serves the root.

use crate::http::auth::{bearer, same_secret};
use crate::http::error::HttpError;
use crate::http::headers::api_cors;
use crate::http::paths::is_api_path;
use crate::http::state::AppState;
use crate::store::Snapshot;
use axum::extract::{RawPathParams, Request, State};
use axum::http::{Extensions, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The registry a request reads, taken once per request: the served snapshot (`root`, which
/// the response caches are checked against) and the one answered from (`snap`: the root, or
/// the view's).
#[derive(Clone)]
pub struct Scoped {
    pub root: Arc<Snapshot>,
    pub snap: Arc<Snapshot>,
}

/// Set on the request by `resolve` once the view's token (if any) was given: the registry's
/// own token is then not asked for.
#[derive(Clone, Copy)]
pub struct ViewAuthorized;

impl Scoped {
    /// The view's name; `None` for the root registry.
    pub fn view(&self) -> Option<&str> {
        self.snap.view_name()
    }

    /// Where this registry's URLs start: `""` for the root, `/{view}` for a view.
    pub fn base(&self) -> String {
        self.view().map(|v| format!("/{v}")).unwrap_or_default()
    }
}

/// The registry this request reads: the view `resolve` chose, else the root (unless
/// registry.yaml turned it off).
pub fn scoped(state: &AppState, extensions: &Extensions) -> Result<Scoped, HttpError> {
    if let Some(s) = extensions.get::<Scoped>() {
        return Ok(s.clone());
    }
    let root = state.store.current().ok_or(HttpError::NotReady)?;
    if root.root_off {
        return Err(HttpError::NotFound(root_off_message(&root)));
    }
    Ok(Scoped {
        snap: Arc::clone(&root),
        root,
    })
}

fn root_off_message(root: &Snapshot) -> String {
    let views: Vec<String> = root
        .views
        .iter()
        .filter_map(|v| v.view_name().map(|n| format!("/{n}/v0.1/servers")))
        .collect();
    format!(
        "This registry serves its views only (rootRegistry: false): {}",
        views.join(", ")
    )
}

/// On the routes under `/{view}`: the view of the served snapshot named by the first segment
/// (a JSON 404 when there is none), its token checked, and its snapshot handed to the face.
pub async fn resolve(
    State(state): State<AppState>,
    params: RawPathParams,
    mut req: Request,
    next: Next,
) -> Response {
    let name = params
        .iter()
        .find(|(k, _)| *k == "view")
        .map_or("", |(_, v)| v);
    // Under `nest`, the request's path is the part after `/{view}`.
    let api = is_api_path(req.uri().path());
    let refuse = |e: HttpError| {
        let response = e.into_response();
        if api { api_cors(response) } else { response }
    };
    let Some(root) = state.store.current() else {
        return refuse(HttpError::NotReady);
    };
    let Some(view) = root.view(name).cloned() else {
        return refuse(HttpError::NotFound(if root.views.is_empty() {
            "No such route. The registry API is at /v0.1/servers (also /v0/servers)".to_string()
        } else {
            let names: Vec<&str> = root.views.iter().filter_map(|v| v.view_name()).collect();
            format!(
                "No view `{name}`; this registry's views are {}",
                names.join(", ")
            )
        }));
    };
    if let Some(token) = view.view.as_ref().and_then(|v| v.token.as_ref())
        && req.method() != Method::OPTIONS
    {
        let given = bearer(req.headers());
        let by_view =
            matches!((token, given), (Ok(t), Some(g)) if same_secret(g.as_bytes(), t.as_bytes()));
        let by_registry = state
            .read_token
            .as_ref()
            .zip(given)
            .is_some_and(|(t, g)| same_secret(g.as_bytes(), t.load().as_bytes()));
        if !by_view && !by_registry {
            return refuse(HttpError::Unauthorized);
        }
        req.extensions_mut().insert(ViewAuthorized);
    }
    req.extensions_mut().insert(Scoped { root, snap: view });
    next.run(req).await
}
