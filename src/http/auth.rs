//! The read token: with one configured, the API and the pages need
//! `Authorization: Bearer <token>`. Secrets are compared in constant time here, for every face.

use crate::http::error::HttpError;
use crate::http::state::AppState;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Refuses a request without the read token (when one is configured); a CORS preflight
/// carries no credentials and is exempt.
pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(token) = &state.read_token
        && req.method() != Method::OPTIONS
    {
        let token = token.load();
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            });
        if !given.is_some_and(|g| same_secret(g.as_bytes(), token.as_bytes())) {
            return HttpError::Unauthorized.into_response();
        }
    }
    next.run(req).await
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
