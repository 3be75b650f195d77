//! The one error type of the HTTP layer. Every 4xx/5xx body has both shapes clients parse,
//! `{"title","status","detail","error"}`: a 4xx says what was wrong, a 5xx says nothing
//! internal (the log has the cause). The library's own errors (`thiserror` types in `check/`,
//! `git/`, `store/`) never reach a client as they are: a failed reload shows in `/status`.

use crate::store::query::QueryError;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// A parameter or path is malformed; the message says which.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("this registry needs a read token: send Authorization: Bearer <token>")]
    Unauthorized,
    #[error("method not allowed: this service is read-only")]
    MethodNotAllowed,
    /// A write route of the official API, refused with where changes are made.
    #[error("{0}")]
    ReadOnly(&'static str),
    #[error("the request took too long to arrive; send it again")]
    Timeout,
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("no good revision of the registry is served yet; see /status")]
    NotReady,
    #[error("webhook refused: X-Hub-Signature-256 or X-Gitlab-Token is missing or wrong")]
    BadSignature,
    /// Something this service depends on cannot answer now; the log has the cause.
    #[error("{0}")]
    Unavailable(&'static str),
    /// A fault of ours; the log has the cause, the response says nothing internal.
    #[error("{0}")]
    Internal(&'static str),
}

impl From<QueryError> for HttpError {
    fn from(e: QueryError) -> Self {
        HttpError::BadRequest(e.0)
    }
}

impl HttpError {
    /// The error a bare status of a layer below the handlers stands for (axum's 405, the
    /// request timeout's 408, the body limit's 413).
    pub fn from_bare(status: StatusCode) -> Option<HttpError> {
        match status {
            StatusCode::METHOD_NOT_ALLOWED => Some(HttpError::MethodNotAllowed),
            StatusCode::REQUEST_TIMEOUT => Some(HttpError::Timeout),
            StatusCode::PAYLOAD_TOO_LARGE => Some(HttpError::PayloadTooLarge),
            _ => None,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::Unauthorized => StatusCode::UNAUTHORIZED,
            HttpError::MethodNotAllowed | HttpError::ReadOnly(_) => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::Timeout => StatusCode::REQUEST_TIMEOUT,
            HttpError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::NotReady => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::BadSignature => StatusCode::UNAUTHORIZED,
            HttpError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for HttpError {
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
            HttpError::Unauthorized => {
                h.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"mcp-gitops\""),
                );
            }
            HttpError::MethodNotAllowed | HttpError::ReadOnly(_) => {
                h.insert(
                    header::ALLOW,
                    HeaderValue::from_static("GET, HEAD, OPTIONS"),
                );
            }
            HttpError::NotReady => {
                h.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}
