//! Which registry a request reads: the root (`/v0.1/…`, `/`) or one of registry.yaml's views
//! (`/{view}/v0.1/…`, `/{view}/`). The view faces (API, allowlists, web page) are mounted a
//! second time under `/{view}`; their handlers take the registry through `scoped`, which finds
//! the view in the served snapshot and checks its token, so that a view is served by the code
//! that serves the root.

use crate::http::auth::{bearer, same_secret};
use crate::http::error::HttpError;
use crate::http::state::AppState;
use crate::store::Snapshot;
use axum::extract::RawPathParams;
use axum::http::HeaderMap;
use std::sync::Arc;

/// The registry a request reads, taken once per request: the served snapshot (`root`, which
/// the response caches are checked against) and the one answered from (`snap`: the root, or
/// the view's).
#[derive(Clone)]
pub struct Scoped {
    pub root: Arc<Snapshot>,
    pub snap: Arc<Snapshot>,
}

impl Scoped {
    /// The view's name; `None` for the root registry.
    pub fn view(&self) -> Option<&str> {
        self.snap.view_name()
    }

    /// Where this registry's URLs start: `""` for the root, `/{view}` for a view.
    pub fn base(&self) -> String {
        base(&self.snap)
    }
}

/// Where the URLs of the registry `snap` serves start: `""` for the root, `/{view}` for a view.
pub fn base(snap: &Snapshot) -> String {
    snap.view_name()
        .map(|v| format!("/{v}"))
        .unwrap_or_default()
}

/// The view a request names: its route's `{view}` (the faces are mounted again under
/// `/{view}`); `None` on the root's routes.
pub fn view_param(params: &RawPathParams) -> Option<&str> {
    params.iter().find(|(k, _)| *k == "view").map(|(_, v)| v)
}

/// The registry this request reads: the view its route names (a 404 naming the views when
/// there is none; a 401 when the view has a token of its own and the request gives neither it
/// nor the registry's), else the root (unless registry.yaml turned it off). Taken once per
/// request, in the handler: no middleware of its own, so a view costs a root request nothing.
pub fn scoped(
    state: &AppState,
    params: &RawPathParams,
    headers: &HeaderMap,
) -> Result<Scoped, HttpError> {
    let root = state.store.current().ok_or(HttpError::NotReady)?;
    let Some(name) = view_param(params) else {
        if root.root_off {
            return Err(HttpError::NotFound(root_off_message(&root)));
        }
        return Ok(Scoped {
            snap: Arc::clone(&root),
            root,
        });
    };
    let Some(view) = root.view(name).cloned() else {
        let names: Vec<&str> = root.views.iter().filter_map(|v| v.view_name()).collect();
        return Err(HttpError::NotFound(if names.is_empty() {
            "No such route. The registry API is at /v0.1/servers (also /v0/servers)".to_string()
        } else {
            format!(
                "No view `{name}`; this registry's views are {}",
                names.join(", ")
            )
        }));
    };
    if !may_read(state, &view, headers) {
        return Err(HttpError::Unauthorized);
    }
    Ok(Scoped { root, snap: view })
}

/// Whether a request may read `view`: it has no token of its own, or the request gives that
/// token or the registry's (the registry's own token check, when there is one, comes after).
pub fn may_read(state: &AppState, view: &Snapshot, headers: &HeaderMap) -> bool {
    let Some(token) = view.view.as_ref().and_then(|v| v.token.as_ref()) else {
        return true;
    };
    let given = bearer(headers);
    let by_view =
        matches!((token, given), (Ok(t), Some(g)) if same_secret(g.as_bytes(), t.as_bytes()));
    by_view
        || state
            .read_token
            .as_ref()
            .zip(given)
            .is_some_and(|(t, g)| same_secret(g.as_bytes(), t.load().as_bytes()))
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
