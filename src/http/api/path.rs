//! Server paths: `/servers/{serverName}/versions[/{version}]`, the name percent-encoded once or
//! twice, or with a bare `/`.

use crate::http::error::HttpError;
use percent_encoding::percent_decode_str;
use std::borrow::Cow;

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
        // At most four segments matter; a fifth means no route. No list is allocated: this
        // runs for every request to a server path.
        let mut seg = [""; 5];
        let mut count = 0;
        for part in rest.split('/') {
            if part.is_empty() || count == seg.len() {
                return Err(not_found());
            }
            seg[count] = part;
            count += 1;
        }
        let joined = |a: &str, b: &str| {
            let (a, b) = (decode(a)?, decode(b)?);
            let mut name = String::with_capacity(a.len() + 1 + b.len());
            name.push_str(&a);
            name.push('/');
            name.push_str(&b);
            Ok::<_, HttpError>(name)
        };
        let (name, version) = match &seg[..count] {
            [name, "versions"] => (decode(name)?.into_owned(), None),
            // An encoded name holds its `/`; otherwise this is `{namespace}/{name}/versions`.
            [name, "versions", v] if decode(name)?.contains('/') => {
                (decode(name)?.into_owned(), Some(*v))
            }
            [ns, name, "versions"] => (joined(ns, name)?, None),
            [ns, name, "versions", v] => (joined(ns, name)?, Some(*v)),
            _ => return Err(not_found()),
        };
        Ok(ServerPath {
            name,
            version: version
                .map(|v| decode(v).map(Cow::into_owned))
                .transpose()?,
        })
    }
}

/// Percent-decodes a path segment twice, as the official registry does (its router decodes
/// once, its handler again), so `%2F` and `%252F` both give `/`; `+` stays `+`.
fn decode(raw: &str) -> Result<Cow<'_, str>, HttpError> {
    let once = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| not_utf8())?;
    let twice = if once.contains('%') {
        Cow::Owned(
            percent_decode_str(&once)
                .decode_utf8()
                .map_err(|_| not_utf8())?
                .into_owned(),
        )
    } else {
        once
    };
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
