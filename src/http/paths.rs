//! Which paths belong to the registry API: the router mounts it there, and the rules every
//! response follows (the revision header, the `Allow` of a 405) depend on it.

/// The API is served under each of these, by the same handlers.
pub const API_PREFIXES: [&str; 2] = ["/v0.1", "/v0"];

/// `path` is an API prefix or under one, at the root or under a view's segment
/// (`/{view}/v0.1/…`).
pub fn is_api_path(path: &str) -> bool {
    let under = |path: &str| {
        API_PREFIXES.iter().any(|p| {
            path.strip_prefix(p)
                .is_some_and(|r| r.is_empty() || r.starts_with('/'))
        })
    };
    under(path)
        || path
            .strip_prefix('/')
            .and_then(|p| p.find('/').map(|i| &p[i..]))
            .is_some_and(under)
}
