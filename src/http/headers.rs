//! Header helpers every face uses, one copy each: content negotiation, compression, ETag
//! matching, the revision header.

use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use std::io::Write;

/// The revision a response was made from, on every response that has one.
pub const REVISION_HEADER: HeaderName = HeaderName::from_static("x-registry-revision");

/// A content coding this service can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Br,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
            Encoding::Br => "br",
        }
    }

    /// The coding of `offered` the client prefers (RFC 9110 §12.5.3): the highest q-value
    /// wins, `*` stands for codings not named, `q=0` refuses, and an item whose q-value does
    /// not parse is skipped. Among equal q-values the earlier of `offered` wins. Identity
    /// when nothing offered is acceptable.
    pub fn negotiate(req: &HeaderMap, offered: &[Encoding]) -> Encoding {
        let Some(accept) = req
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
        else {
            return Encoding::Identity;
        };
        // Scanned once per coding offered (two at most): no allocation on the hot path.
        let items = || accept.split(',').filter_map(accept_item);
        let q_of = |name: &str| {
            items()
                .find(|(token, _)| token.eq_ignore_ascii_case(name))
                .or_else(|| items().find(|(token, _)| *token == "*"))
                .map(|(_, q)| q)
        };
        let mut best = (Encoding::Identity, 0.0f32);
        for &coding in offered {
            if let Some(q) = q_of(coding.as_str())
                && q > best.1
            {
                best = (coding, q);
            }
        }
        best.0
    }

    /// `body` in this coding.
    pub fn compress(self, body: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Encoding::Identity => Ok(body.to_vec()),
            Encoding::Gzip => {
                let mut w = flate2::write::GzEncoder::new(
                    Vec::with_capacity(body.len() / 4),
                    flate2::Compression::new(6),
                );
                w.write_all(body)?;
                w.finish()
            }
            Encoding::Br => {
                let mut out = Vec::with_capacity(body.len() / 4);
                {
                    // Quality 5: most of brotli's gain at a fraction of the CPU of 11.
                    let mut w = brotli::CompressorWriter::new(&mut out, 16 * 1024, 5, 22);
                    w.write_all(body)?;
                    w.flush()?;
                }
                Ok(out)
            }
        }
    }
}

/// One `Accept-Encoding` item: its coding and q-value (1 when absent); `None` when the
/// q-value is malformed or out of 0..=1.
fn accept_item(item: &str) -> Option<(&str, f32)> {
    let mut parts = item.split(';');
    let token = parts.next()?.trim();
    if token.is_empty() {
        return None;
    }
    let mut q = 1.0;
    for param in parts {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            q = value.trim().parse::<f32>().ok()?;
            if !(0.0..=1.0).contains(&q) {
                return None;
            }
        }
    }
    Some((token, q))
}

/// `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for this header) or is `*`.
pub fn if_none_match(req: &HeaderMap, etag: &[u8]) -> bool {
    req.get_all(header::IF_NONE_MATCH)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .map(|t| t.trim_ascii())
        .any(|t| t == b"*" || t.strip_prefix(b"W/").unwrap_or(t) == etag)
}

/// A header value from text this service made (a revision, an ETag, a location); such text is
/// always valid, and a value that is not reads `invalid` rather than failing the response.
pub fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// The CORS headers of every API response, preflight or not, in the words of GitHub's
/// documentation; and `204` for a preflight (tower-http answers `200` with an empty body).
/// With any origin allowed they are the same for every request, so they are set here rather
/// than by `CorsLayer` on every `GET`: that cost the smallest responses a tenth of their
/// throughput (bench/README.md, "Builds side by side").
pub fn api_cors(mut response: Response) -> Response {
    let preflight = response
        .headers()
        .contains_key(header::ACCESS_CONTROL_MAX_AGE);
    let h = response.headers_mut();
    for (name, value) in [
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, OPTIONS"),
        (
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Authorization, Content-Type",
        ),
        (
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            "ETag, X-Registry-Revision",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    if preflight && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Encoding; 2] = [Encoding::Br, Encoding::Gzip];

    fn n(accept: &str) -> Encoding {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept).unwrap(),
        );
        Encoding::negotiate(&h, &ALL)
    }

    #[test]
    fn encodings() {
        assert_eq!(n("gzip, deflate, br"), Encoding::Br);
        assert_eq!(n("gzip"), Encoding::Gzip);
        assert_eq!(n("br;q=0, gzip"), Encoding::Gzip);
        assert_eq!(n("*"), Encoding::Br);
        assert_eq!(n("identity"), Encoding::Identity);
        assert_eq!(n("gzip;q=0"), Encoding::Identity);
        assert_eq!(
            Encoding::negotiate(&HeaderMap::new(), &ALL),
            Encoding::Identity
        );
    }

    #[test]
    fn q_values_decide_and_malformed_items_are_skipped() {
        assert_eq!(n("br;q=0.1, gzip;q=1"), Encoding::Gzip);
        assert_eq!(n("gzip;q=0.5, br;q=0.4"), Encoding::Gzip);
        assert_eq!(n("br;q=0.5, *;q=0.9"), Encoding::Gzip);
        // A malformed q-value skips its item, on every face alike.
        assert_eq!(n("br;q=high, gzip"), Encoding::Gzip);
        assert_eq!(n("br;q=2"), Encoding::Identity);
        assert_eq!(n("gzip;q=x"), Encoding::Identity);
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip"),
        );
        assert_eq!(Encoding::negotiate(&h, &[Encoding::Gzip]), Encoding::Gzip);
    }
}
