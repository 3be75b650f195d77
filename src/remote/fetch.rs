//! One request and its answer, read whole but never past the size limit, and each way it can
//! fail named in words a registry admin acts on.

use super::Limits;
use std::time::{Duration, Instant};

/// What a server answered.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The method and the URL asked for.
    pub method: reqwest::Method,
    pub url: String,
    /// Where the answer came from, when redirects were followed to another URL.
    pub redirected_to: Option<String>,
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: bytes::Bytes,
    pub elapsed: Duration,
}

impl Answer {
    /// A header's value as text, when present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON, or why it is not JSON (with what it looks like instead).
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let start = String::from_utf8_lossy(&self.body[..self.body.len().min(60)])
                .trim()
                .replace(['\n', '\r'], " ");
            let kind = self.header("content-type").unwrap_or("no content type");
            if start.is_empty() {
                "the body is empty, not JSON".to_string()
            } else {
                format!("the body is not JSON ({kind}, starts `{start}`): {e}")
            }
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: no answer within {}", humantime::format_duration(*after))]
    Timeout { url: String, after: Duration },
    #[error("{url}: TLS failed ({reason})")]
    Tls { url: String, reason: String },
    #[error("{url}: cannot connect ({reason})")]
    Connect { url: String, reason: String },
    #[error("{url}: more than {} redirects", super::MAX_REDIRECTS)]
    Redirects { url: String },
    #[error("{url}: the body is larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: {reason}")]
    Request { url: String, reason: String },
}

impl FetchError {
    /// What went wrong, without the URL (for reports that show the URL beside it).
    pub fn reason(&self) -> String {
        match self {
            FetchError::Timeout { after, .. } => {
                format!("no answer within {}", humantime::format_duration(*after))
            }
            FetchError::Tls { reason, .. } => format!("TLS failed ({reason})"),
            FetchError::Connect { reason, .. } => format!("cannot connect ({reason})"),
            FetchError::Redirects { .. } => {
                format!("more than {} redirects", super::MAX_REDIRECTS)
            }
            FetchError::TooLarge { limit, .. } => {
                format!("the body is larger than {limit} bytes")
            }
            FetchError::Request { reason, .. } => reason.clone(),
        }
    }

    /// A short name of the kind of failure, for JSON reports.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Timeout { .. } => "timeout",
            FetchError::Tls { .. } => "tls",
            FetchError::Connect { .. } => "connect",
            FetchError::Redirects { .. } => "redirects",
            FetchError::TooLarge { .. } => "too-large",
            FetchError::Request { .. } => "request",
        }
    }
}

pub(super) async fn send(
    builder: reqwest::RequestBuilder,
    method: reqwest::Method,
    url: &str,
    limits: Limits,
) -> Result<Answer, FetchError> {
    let started = Instant::now();
    let classify = |e: reqwest::Error| classify(e, url, limits.timeout);
    let mut response = builder.send().await.map_err(classify)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let final_url = response.url().to_string();
    let too_large = || FetchError::TooLarge {
        url: url.to_string(),
        limit: limits.max_body,
    };
    if response
        .content_length()
        .is_some_and(|n| n > limits.max_body as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if body.len() + chunk.len() > limits.max_body {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let asked = reqwest::Url::parse(url).map(|u| u.to_string()).ok();
    Ok(Answer {
        method,
        url: url.to_string(),
        redirected_to: (asked.as_deref() != Some(final_url.as_str())).then_some(final_url),
        status,
        headers,
        body: body.into(),
        elapsed: started.elapsed(),
    })
}

/// reqwest's error, sorted by what the admin should look at.
fn classify(e: reqwest::Error, url: &str, timeout: Duration) -> FetchError {
    let url = url.to_string();
    let chain = crate::error_chain::error_chain(&e);
    if e.is_timeout() {
        FetchError::Timeout {
            url,
            after: timeout,
        }
    } else if e.is_redirect() {
        FetchError::Redirects { url }
    } else if e.is_connect() {
        let lower = chain.to_ascii_lowercase();
        let reason = innermost(&e);
        if ["certificate", "ssl", "tls", "handshake"]
            .iter()
            .any(|w| lower.contains(w))
        {
            FetchError::Tls { url, reason }
        } else {
            FetchError::Connect { url, reason }
        }
    } else {
        FetchError::Request { url, reason: chain }
    }
}

/// The deepest cause: reqwest's own words ("error sending request for url …") repeat the URL.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest: &dyn std::error::Error = e;
    let mut parts = Vec::new();
    while let Some(next) = deepest.source() {
        parts.push(next.to_string());
        deepest = next;
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}
