//! An HTTP GET over a real socket, as a browser-based client sends it, the body decoded.

use serde_json::Value as Json;
use std::io::Read;

pub struct Fetched {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// GET as a browser-based client does (asking for compression), the body decoded.
pub async fn fetch(client: &reqwest::Client, url: &str) -> Result<Fetched, reqwest::Error> {
    let resp = client
        .get(url)
        .header("accept-encoding", "gzip, deflate, br")
        .header("accept", "application/json")
        .send()
        .await?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let raw = resp.bytes().await?.to_vec();
    let mut body = Vec::new();
    match headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
    {
        Some("gzip") => {
            flate2::read::GzDecoder::new(raw.as_slice())
                .read_to_end(&mut body)
                .unwrap();
        }
        Some("br") => {
            brotli::Decompressor::new(raw.as_slice(), 4096)
                .read_to_end(&mut body)
                .unwrap();
        }
        None => body = raw,
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
    Ok(Fetched {
        status,
        headers,
        body,
    })
}
