//! The read token: with one configured, the API and the pages need
//! `Authorization: Bearer <token>`. Secrets are compared in constant time here, for every face.

use crate::http::error::HttpError;
use crate::http::scope::view_param;
use crate::http::state::AppState;
use axum::extract::{RawPathParams, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Refuses a request without the read token (when one is configured); a CORS preflight
/// carries no credentials and is exempt; a view's request may give the view's own token
/// instead.
pub async fn require_token(
    State(state): State<AppState>,
    params: RawPathParams,
    req: Request,
    next: Next,
) -> Response {
    if let Some(token) = &state.read_token
        && req.method() != Method::OPTIONS
    {
        let token = token.load();
        let given = bearer(req.headers());
        let by_registry = given.is_some_and(|g| same_secret(g.as_bytes(), token.as_bytes()));
        if !by_registry && !by_view_token(&state, &params, given) {
            return HttpError::Unauthorized.into_response();
        }
    }
    next.run(req).await
}

/// Whether `given` is the own token of the view the route names.
fn by_view_token(state: &AppState, params: &RawPathParams, given: Option<&str>) -> bool {
    let (Some(name), Some(given)) = (view_param(params), given) else {
        return false;
    };
    let Some(root) = state.store.current() else {
        return false;
    };
    root.view(name)
        .and_then(|v| v.view.as_ref()?.token.as_ref()?.as_ref().ok().cloned())
        .is_some_and(|t| same_secret(given.as_bytes(), t.as_bytes()))
}

/// The token of `Authorization: Bearer <token>`, when the request has one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
}

/// Two secrets are equal, in time independent of where they differ and of their lengths: both
/// are hashed first, so the comparison always runs over 32 bytes.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    Sha256::digest(a).ct_eq(&Sha256::digest(b)).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(!same_secret(b"", b"a"));
        assert!(same_secret(b"", b""));
    }
}
