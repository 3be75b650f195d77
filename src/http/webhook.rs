//! `POST /webhook`: a push notification from GitHub (`X-Hub-Signature-256`, an HMAC-SHA256 of
//! the body) or GitLab (`X-Gitlab-Token`) triggers an immediate sync, coalesced with any sync
//! under way; a ping is answered, other events are ignored. The secret is read from its file at
//! each delivery (off the async runtime, with a timeout), so a rotated secret is picked up;
//! comparisons are constant-time. Without a configured secret the endpoint does not exist.

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
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

/// Larger push payloads are refused with a JSON 413 (GitHub caps its own at 25 MB; pushes to a
/// registry of YAML files are far smaller).
pub const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

/// How long reading the secret file may take (a file on a hung network mount must not hold
/// deliveries, nor anything else, for long); past it the delivery gets a 503.
pub const SECRET_READ_TIMEOUT: Duration = Duration::from_secs(2);

/// `POST /webhook`, its body bounded in size and time (`--request-timeout`, `--body-timeout`).
pub fn routes(state: &AppState) -> Router<AppState> {
    let limits = state.limits;
    Router::new().route("/webhook", post(receive)).layer(
        ServiceBuilder::new()
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                limits.request_timeout,
            ))
            .layer(RequestBodyTimeoutLayer::new(limits.body_timeout))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
    )
}

async fn receive(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret_file) = app.webhook_secret_file.clone() else {
        return HttpError::NotFound("no webhook is configured (see --webhook-secret-file)".into())
            .into_response();
    };
    let gate = Arc::clone(&app.webhook_gate);
    let secret = match read_secret(secret_file.to_path_buf(), gate).await {
        Ok(secret) => secret,
        Err(e) => return e.into_response(),
    };
    if !verify(&headers, &body, secret.as_bytes()) {
        tracing::warn!("webhook refused: signature or token missing or wrong");
        return HttpError::BadSignature.into_response();
    }
    let (status, detail) = match Event::of(&headers) {
        Event::Push => {
            tracing::info!("webhook: a push; syncing now");
            app.sync_now.notify_one();
            (StatusCode::ACCEPTED, "a sync is triggered")
        }
        Event::Ping => (
            StatusCode::OK,
            "pong: the webhook is set up; pushes trigger a sync",
        ),
        Event::Other(name) => {
            tracing::debug!(event = %name, "webhook: not a push; ignored");
            (StatusCode::OK, "ignored: only push events trigger a sync")
        }
    };
    let body = serde_json::json!({"status": status.as_u16(), "detail": detail});
    (status, axum::Json(body)).into_response()
}

/// What a delivery is about, from GitHub's `X-GitHub-Event` or GitLab's `X-Gitlab-Event`.
#[derive(Debug, PartialEq, Eq)]
enum Event {
    /// A branch or tag was pushed: sync.
    Push,
    /// GitHub's check when a webhook is created.
    Ping,
    Other(String),
}

impl Event {
    fn of(headers: &HeaderMap) -> Event {
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        match (header("x-github-event"), header("x-gitlab-event")) {
            (Some("push"), _) | (_, Some("Push Hook" | "Tag Push Hook")) => Event::Push,
            (Some("ping"), _) => Event::Ping,
            (Some(other), _) | (None, Some(other)) => Event::Other(other.to_string()),
            (None, None) => Event::Other("none".to_string()),
        }
    }
}

/// The secret, read again for this delivery (a rotated secret is picked up) off the async
/// runtime, one read at a time, within `SECRET_READ_TIMEOUT`.
async fn read_secret(path: PathBuf, gate: Arc<Semaphore>) -> Result<String, HttpError> {
    let unavailable =
        || HttpError::Unavailable("the webhook secret cannot be read now; see the server log");
    let Ok(Ok(permit)) = tokio::time::timeout(SECRET_READ_TIMEOUT, gate.acquire_owned()).await
    else {
        tracing::error!(file = %path.display(), "the webhook secret file is still being read (a hung mount?)");
        return Err(unavailable());
    };
    let shown = path.display().to_string();
    let read = tokio::task::spawn_blocking(move || {
        // The gate stays taken until the read returns, however long it hangs.
        let _permit = permit;
        crate::secret_file::read(&path)
    });
    match tokio::time::timeout(SECRET_READ_TIMEOUT, read).await {
        Ok(Ok(Ok(secret))) => Ok(secret),
        Ok(Ok(Err(e))) => {
            tracing::error!(file = %shown, error = %e, "cannot read the webhook secret");
            Err(unavailable())
        }
        Ok(Err(_)) => Err(HttpError::Internal(
            "the webhook failed; see the server log",
        )),
        Err(_) => {
            tracing::error!(file = %shown, timeout = ?SECRET_READ_TIMEOUT, "reading the webhook secret file timed out (a hung mount?)");
            Err(unavailable())
        }
    }
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
