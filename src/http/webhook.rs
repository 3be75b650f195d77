//! `POST /webhook`: a push notification from GitHub (`X-Hub-Signature-256`, an HMAC-SHA256 of
//! the body) or GitLab (`X-Gitlab-Token`) triggers an immediate sync, coalesced with any sync
//! under way. The secret is read from its file at each request, so a rotated secret is picked
//! up; comparisons are constant-time. Without a configured secret the endpoint does not exist.

use crate::http::auth::same_secret;
use crate::http::error::HttpError;
use crate::http::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;

/// Larger push payloads are refused (GitHub caps its own at 25 MB; pushes to a registry of
/// YAML files are far smaller).
pub const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhook", post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret_file) = state.webhook_secret_file.as_deref() else {
        return HttpError::NotFound("no webhook is configured (see --webhook-secret-file)".into())
            .into_response();
    };
    let secret = match read_secret(secret_file) {
        Ok(secret) => secret,
        Err(e) => {
            tracing::error!(file = %secret_file.display(), error = %e, "cannot read the webhook secret");
            return HttpError::Internal("the webhook secret cannot be read; see the server log")
                .into_response();
        }
    };
    if !verify(&headers, &body, secret.as_bytes()) {
        tracing::warn!("webhook refused: signature or token missing or wrong");
        return HttpError::BadSignature.into_response();
    }
    let event = headers
        .get("x-github-event")
        .or_else(|| headers.get("x-gitlab-event"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown");
    tracing::info!(event, "webhook accepted: syncing now");
    state.sync_now.notify_one();
    let body = serde_json::json!({"status": "accepted", "detail": "a sync is triggered"});
    (StatusCode::ACCEPTED, axum::Json(body)).into_response()
}

fn read_secret(path: &Path) -> std::io::Result<String> {
    let secret = std::fs::read_to_string(path)?.trim().to_string();
    if secret.is_empty() {
        return Err(std::io::Error::other("the file is empty"));
    }
    Ok(secret)
}

/// GitHub's signature when present, else GitLab's token; neither is a refusal.
pub fn verify(headers: &HeaderMap, body: &[u8], secret: &[u8]) -> bool {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(signature) = header("x-hub-signature-256") {
        let Some(expected) = signature
            .strip_prefix("sha256=")
            .and_then(|hex| hex::decode(hex).ok())
        else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
            return false;
        };
        mac.update(body);
        // `verify_slice` compares in constant time.
        return mac.verify_slice(&expected).is_ok();
    }
    header("x-gitlab-token").is_some_and(|token| same_secret(token.as_bytes(), secret))
}

/// The `X-Hub-Signature-256` value GitHub sends for `body` (for tests and tools).
pub fn github_signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!("sha256={}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn github_signatures_are_checked_against_the_body() {
        // The example from GitHub's documentation on validating webhook deliveries.
        let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(
            github_signature(b"It's a Secret to Everybody", b"Hello, World!"),
            sig
        );
        let body = b"Hello, World!";
        assert!(verify(
            &headers("x-hub-signature-256", sig),
            body,
            b"It's a Secret to Everybody"
        ));
        assert!(!verify(
            &headers("x-hub-signature-256", sig),
            b"Hello, World?",
            b"It's a Secret to Everybody"
        ));
        assert!(!verify(
            &headers("x-hub-signature-256", sig),
            body,
            b"another secret"
        ));
        assert!(!verify(
            &headers("x-hub-signature-256", "sha256=zz"),
            body,
            b"s"
        ));
        assert!(!verify(
            &headers("x-hub-signature-256", "sha1=abcd"),
            body,
            b"s"
        ));
        assert!(!verify(&HeaderMap::new(), body, b"s"));
    }

    #[test]
    fn gitlab_tokens_must_match_exactly() {
        assert!(verify(&headers("x-gitlab-token", "t0ken"), b"{}", b"t0ken"));
        assert!(!verify(&headers("x-gitlab-token", "t0ke"), b"{}", b"t0ken"));
        assert!(!verify(
            &headers("x-gitlab-token", "t0kenn"),
            b"{}",
            b"t0ken"
        ));
    }
}
