//! Server paths: `/servers/{serverName}/versions[/{version}]`, the name percent-encoded once or
//! twice, or with a bare `/`.

use crate::http::error::HttpError;
use percent_encoding::percent_decode_str;

/// A server path, decoded. The name arrives percent-encoded (`io.github.acme%2Fweather`), twice
/// encoded (`%252F`, accepted like the official registry does), or with a bare `/`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ServerPath {
    pub name: String,
    pub version: Option<String>,
}

impl ServerPath {
    /// Parses the raw (still encoded) request path.
    pub fn parse(path: &str) -> Result<ServerPath, HttpError> {
        let not_found = || {
            HttpError::NotFound(
                "No such route. Server routes are /v0.1/servers/{serverName}/versions and \
                 /v0.1/servers/{serverName}/versions/{version}, the name URL-encoded"
                    .into(),
            )
        };
        let rest = path
            .split_once("/servers/")
            .map(|(_, rest)| rest)
            .ok_or_else(not_found)?;
        let seg: Vec<&str> = rest.split('/').collect();
        if seg.iter().any(|s| s.is_empty()) {
            return Err(not_found());
        }
        let joined =
            |a: &str, b: &str| Ok::<_, HttpError>(format!("{}/{}", decode(a)?, decode(b)?));
        let (name, version) = match seg.as_slice() {
            [name, "versions"] => (decode(name)?, None),
            [name, "versions", v] if decode(name)?.contains('/') => (decode(name)?, Some(*v)),
            [ns, name, "versions"] => (joined(ns, name)?, None),
            [ns, name, "versions", v] => (joined(ns, name)?, Some(*v)),
            _ => return Err(not_found()),
        };
        Ok(ServerPath {
            name,
            version: version.map(decode).transpose()?,
        })
    }
}

/// Percent-decodes a path segment twice, as the official registry does (its router decodes
/// once, its handler again), so `%2F` and `%252F` both give `/`; `+` stays `+`.
fn decode(raw: &str) -> Result<String, HttpError> {
    let once = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| not_utf8())?;
    let twice = percent_decode_str(&once)
        .decode_utf8()
        .map_err(|_| not_utf8())?
        .into_owned();
    if twice.contains('\0') {
        return Err(HttpError::BadRequest(
            "the path holds a NUL character".into(),
        ));
    }
    Ok(twice)
}

fn not_utf8() -> HttpError {
    HttpError::BadRequest("the path is not valid UTF-8 once percent-decoded".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(name: &str, version: Option<&str>) -> ServerPath {
        ServerPath {
            name: name.into(),
            version: version.map(Into::into),
        }
    }

    #[test]
    fn server_paths() {
        let p = |s: &str| ServerPath::parse(s).ok();
        assert_eq!(
            p("/v0.1/servers/io.github.a%2Fw/versions"),
            Some(path("io.github.a/w", None))
        );
        assert_eq!(
            p("/v0.1/servers/io.github.a%252Fw/versions/1.0.0%2Bb"),
            Some(path("io.github.a/w", Some("1.0.0+b")))
        );
        assert_eq!(
            p("/v0/servers/io.github.a/w/versions/1.0.0+b"),
            Some(path("io.github.a/w", Some("1.0.0+b")))
        );
        assert_eq!(
            p("/v0/servers/com.a/versions/versions"),
            Some(path("com.a/versions", None))
        );
        assert_eq!(
            p("/v0/servers/com.a%2Fx/versions/versions"),
            Some(path("com.a/x", Some("versions")))
        );
        assert_eq!(p("/v0/servers/com.a%2Fx"), None);
        assert_eq!(p("/v0/servers/com.a%2Fx/version"), None);
        assert_eq!(p("/v0/servers/a/b/c/versions"), None);
    }
}
