//! Text percent-encoded as JavaScript's `encodeURIComponent` does it, which is how the clients
//! encode a server name in a URL and VS Code decodes an install link.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What `encodeURIComponent` leaves alone.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// `encodeURIComponent(text)`.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, URI_COMPONENT).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn as_javascript_encodes() {
        assert_eq!(super::encode("a.b/c d"), "a.b%2Fc%20d");
        assert_eq!(super::encode("x!~*'()-_"), "x!~*'()-_");
        assert_eq!(super::encode("é"), "%C3%A9");
    }
}
