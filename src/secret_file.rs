//! A secret kept in a file (a Kubernetes Secret mounted as files): its content with surrounding
//! whitespace trimmed, never empty. The git credentials, the webhook secret and the read token
//! all read theirs this way; each caller says in its own error what the file was for.

use std::path::Path;

/// The secret in `path`; an empty (or whitespace-only) file is an `InvalidData` error.
pub fn read(path: &Path) -> std::io::Result<String> {
    let text = std::fs::read_to_string(path)?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file is empty",
        ));
    }
    Ok(secret.to_string())
}
