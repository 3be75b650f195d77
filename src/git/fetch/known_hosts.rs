//! OpenSSH known_hosts matching, for checking the host key an SSH server offers.

use crate::check::config::glob_match;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// An OpenSSH known_hosts file: plain host names and `[host]:port`, comma lists, `*`/`?`
/// wildcards, `!` negations, hashed `|1|salt|hash` names, and the `@revoked` marker.
/// `@cert-authority` lines are ignored: libgit2 does not show host certificates.
pub(super) struct KnownHosts {
    pub(super) path: PathBuf,
    pub(super) entries: Vec<KnownHost>,
}

pub(super) struct KnownHost {
    pub(super) revoked: bool,
    pub(super) patterns: String,
    pub(super) key_type: String,
    pub(super) key: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum HostCheck {
    Match,
    Revoked,
    /// The host is listed with a key of the offered type, but a different key.
    Mismatch,
    /// No key of the offered type for this host; the types it has.
    Unknown {
        known_types: Vec<String>,
    },
}

impl KnownHosts {
    /// Lines that do not parse are skipped, as OpenSSH does.
    pub(super) fn parse(text: &str, path: PathBuf) -> KnownHosts {
        use base64::Engine as _;
        let mut entries = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let mut first = fields.next().unwrap_or_default();
            let mut revoked = false;
            if let Some(marker) = first.strip_prefix('@') {
                match marker {
                    "revoked" => revoked = true,
                    _ => continue,
                }
                first = fields.next().unwrap_or_default();
            }
            let (Some(key_type), Some(key)) = (fields.next(), fields.next()) else {
                continue;
            };
            let Ok(key) = base64::engine::general_purpose::STANDARD.decode(key) else {
                continue;
            };
            entries.push(KnownHost {
                revoked,
                patterns: first.to_string(),
                key_type: key_type.to_string(),
                key,
            });
        }
        KnownHosts { path, entries }
    }

    /// Checks the key `key` (SSH wire format) offered by `name` (`host` or `[host]:port`).
    pub(super) fn check(&self, name: &str, key: &[u8]) -> HostCheck {
        let offered_type = key_type(key).unwrap_or_default();
        let mut listed_same_type = false;
        let mut known_types = Vec::new();
        let mut matched = false;
        for entry in self
            .entries
            .iter()
            .filter(|e| host_matches(&e.patterns, name))
        {
            let same_key = entry.key == key;
            if entry.revoked {
                if same_key {
                    return HostCheck::Revoked;
                }
                continue;
            }
            if same_key {
                matched = true;
            } else if entry.key_type == offered_type {
                listed_same_type = true;
            } else if !known_types.contains(&entry.key_type) {
                known_types.push(entry.key_type.clone());
            }
        }
        if matched {
            HostCheck::Match
        } else if listed_same_type {
            HostCheck::Mismatch
        } else {
            HostCheck::Unknown { known_types }
        }
    }
}

/// How known_hosts names a host: plain on port 22, else `[host]:port`.
pub(super) fn known_hosts_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

/// Whether a known_hosts pattern list (`a,b,!c,|1|salt|hash`) names `name`.
pub(super) fn host_matches(patterns: &str, name: &str) -> bool {
    let mut matched = false;
    for pattern in patterns.split(',') {
        if let Some(hashed) = pattern.strip_prefix("|1|") {
            matched |= hashed_matches(hashed, name);
            continue;
        }
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern),
        };
        if glob_match(&pattern.to_ascii_lowercase(), name) {
            if negated {
                return false;
            }
            matched = true;
        }
    }
    matched
}

/// `salt|hash` (base64 each): HMAC-SHA1 of the name keyed with the salt.
pub(super) fn hashed_matches(hashed: &str, name: &str) -> bool {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let Some((salt, hash)) = hashed.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (b64.decode(salt), b64.decode(hash)) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(&salt) else {
        return false;
    };
    mac.update(name.as_bytes());
    mac.verify_slice(&hash).is_ok()
}

/// The key type named inside an SSH wire-format public key (`ssh-ed25519`, ...).
pub(super) fn key_type(key: &[u8]) -> Option<&str> {
    let len = u32::from_be_bytes(key.get(..4)?.try_into().ok()?) as usize;
    std::str::from_utf8(key.get(4..4 + len)?).ok()
}

/// OpenSSH's fingerprint: `SHA256:` and the unpadded base64 of the key's SHA-256.
pub(super) fn fingerprint(key: &[u8]) -> String {
    use base64::Engine as _;
    let digest = Sha256::digest(key);
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIACpOK48tTVTCXZv5jhDjfpb1fxKMJbCH13mpqf2Y6ft";
    const KEY_B: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJSaIY/aUGT3BZFnXGVB9OeQIFSHetbkcxUdEZNgz5Ue";

    fn key(b64: &str) -> Vec<u8> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    }

    fn hosts(text: &str) -> KnownHosts {
        KnownHosts::parse(text, PathBuf::from("known_hosts"))
    }

    #[test]
    fn known_hosts_match_plain_bracketed_and_listed_names() {
        let file = hosts(&format!(
            "# comment\n\
             github.com,140.82.121.4 ssh-ed25519 {KEY_A}\n\
             [127.0.0.1]:2222 ssh-ed25519 {KEY_B} test@host\n\
             garbage line\n"
        ));
        assert_eq!(file.check("github.com", &key(KEY_A)), HostCheck::Match);
        assert_eq!(file.check("140.82.121.4", &key(KEY_A)), HostCheck::Match);
        assert_eq!(
            file.check("[127.0.0.1]:2222", &key(KEY_B)),
            HostCheck::Match
        );
        assert_eq!(file.check("github.com", &key(KEY_B)), HostCheck::Mismatch);
        // Port 22 and another port are different hosts.
        assert_eq!(
            file.check("127.0.0.1", &key(KEY_B)),
            HostCheck::Unknown {
                known_types: vec![]
            }
        );
        assert_eq!(known_hosts_name("Host", 22), "host");
        assert_eq!(known_hosts_name("127.0.0.1", 2222), "[127.0.0.1]:2222");
    }

    #[test]
    fn known_hosts_wildcards_negations_and_revocations() {
        let file = hosts(&format!(
            "*.example.com,!evil.example.com ssh-ed25519 {KEY_A}\n\
             @revoked * ssh-ed25519 {KEY_B}\n\
             @cert-authority *.example.com ssh-ed25519 {KEY_B}\n\
             other.org ecdsa-sha2-nistp256 {KEY_B}\n"
        ));
        assert_eq!(file.check("git.example.com", &key(KEY_A)), HostCheck::Match);
        assert_eq!(
            file.check("evil.example.com", &key(KEY_A)),
            HostCheck::Unknown {
                known_types: vec![]
            }
        );
        assert_eq!(
            file.check("git.example.com", &key(KEY_B)),
            HostCheck::Revoked
        );
        assert_eq!(
            file.check("other.org", &key(KEY_A)),
            HostCheck::Unknown {
                known_types: vec!["ecdsa-sha2-nistp256".into()]
            }
        );
        assert!(glob_match("a*b?c", "axxbyc"));
        assert!(!glob_match("a*b?c", "axxbc"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn hashed_known_hosts_names_match_with_hmac_sha1() {
        // From `ssh-keygen -H` on a file naming `[127.0.0.1]:2222`.
        let hashed = "|1|f8QFF9MUAKaRSuwr2scYlyEQauo=|z/bAei0ppf5LfRB5Drj8wVI6FXs=";
        assert!(host_matches(hashed, "[127.0.0.1]:2222"));
        assert!(!host_matches(hashed, "[127.0.0.1]:2223"));
        assert!(!host_matches("|1|bad", "x"));
    }

    #[test]
    fn key_types_and_fingerprints_come_from_the_key() {
        assert_eq!(key_type(&key(KEY_A)), Some("ssh-ed25519"));
        assert_eq!(key_type(b"\0\0"), None);
        assert!(fingerprint(&key(KEY_A)).starts_with("SHA256:"));
    }
}
