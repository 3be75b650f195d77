//! A client of any registry that speaks the v0.1 API, over HTTP or HTTPS. Every answer is
//! bounded in size and time, and every failure is one sentence that says what happened at
//! which URL. `check URL` judges the answers it gets; `import` reads servers from them.
//!
//! The URL of a request is the base URL joined with a path and query written as clients write
//! them (VS Code appends a cursor without encoding it), then parsed the way browsers and
//! `fetch` parse it.

mod fetch;
pub mod shape;

pub use fetch::{Answer, FetchError};

use std::path::Path;
use std::time::Duration;

/// Bounds on one request.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// From connecting to the last byte of the body.
    pub timeout: Duration,
    /// A body larger than this is refused (a page of 100 servers is well under 1 MiB).
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(20),
            max_body: 16 * 1024 * 1024,
        }
    }
}

/// Redirects followed at most, as `fetch` would (and then reported by the caller).
const MAX_REDIRECTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("`{0}` is not an http:// or https:// URL")]
    NotHttp(String),
    #[error("`{url}` is not a URL: {source}")]
    BadUrl {
        url: String,
        source: url::ParseError,
    },
    #[error("cannot read the token file {}", path.display())]
    Token {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start an HTTP client")]
    Client(#[source] reqwest::Error),
}

/// A registry at a base URL (the part before `/v0.1/…`).
#[derive(Clone, Debug)]
pub struct Remote {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
    limits: Limits,
}

impl Remote {
    /// `base` without a trailing slash; `token_file` holds a bearer token sent with every
    /// request (never logged or printed).
    pub fn new(base: &str, token_file: Option<&Path>, limits: Limits) -> Result<Self, RemoteError> {
        let trimmed = base.trim().trim_end_matches('/');
        let parsed = url::Url::parse(trimmed).map_err(|source| RemoteError::BadUrl {
            url: trimmed.to_string(),
            source,
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(RemoteError::NotHttp(trimmed.to_string()));
        }
        let token = match token_file {
            None => None,
            Some(path) => {
                Some(
                    crate::secret_file::read(path).map_err(|source| RemoteError::Token {
                        path: path.to_path_buf(),
                        source,
                    })?,
                )
            }
        };
        let client = reqwest::Client::builder()
            .user_agent(concat!("mcp-gitops/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .connect_timeout(limits.timeout)
            .timeout(limits.timeout)
            .build()
            .map_err(RemoteError::Client)?;
        Ok(Remote {
            client,
            base: trimmed.to_string(),
            token,
            limits,
        })
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `base` + `path_and_query` (which starts with `/`), exactly as a client concatenates it.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base)
    }

    /// `GET base + path_and_query`, with the token when there is one.
    pub async fn get(&self, path_and_query: &str) -> Result<Answer, FetchError> {
        self.send(Request::get(path_and_query)).await
    }

    /// Any request: a method, extra headers, with or without the token.
    pub async fn send(&self, request: Request<'_>) -> Result<Answer, FetchError> {
        let url = self.url(request.path_and_query);
        let method = request.method.clone();
        let mut builder = self.client.request(request.method, &url);
        for (name, value) in request.headers {
            builder = builder.header(*name, *value);
        }
        if request.with_token
            && let Some(token) = &self.token
        {
            let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| FetchError::Request {
                    url: url.clone(),
                    reason: "the token holds characters a header cannot carry".to_string(),
                })?;
            value.set_sensitive(true);
            builder = builder.header(reqwest::header::AUTHORIZATION, value);
        }
        fetch::send(builder, method, &url, self.limits).await
    }
}

/// One request to send.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub method: reqwest::Method,
    pub path_and_query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub with_token: bool,
}

impl<'a> Request<'a> {
    pub fn get(path_and_query: &'a str) -> Self {
        Request {
            method: reqwest::Method::GET,
            path_and_query,
            headers: &[],
            with_token: true,
        }
    }
}
