//! `import --file`: server.json documents from files, as entries like the ones a registry
//! serves (active, no times). A registry entry (`{"server":…,"_meta":…}`) is read as one too.
//! Each file is bounded in size like the repository's own.

use super::fetch::{self, Entry};
use crate::check::files::MAX_FILE_BYTES;
use crate::check::model::Status;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {why}", path.display())]
    Bad { path: PathBuf, why: String },
}

/// Every file's entry, with the file it came from.
pub fn read(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Entry)>, FileError> {
    paths
        .iter()
        .map(|path| Ok((path.clone(), read_one(path)?)))
        .collect()
}

fn read_one(path: &Path) -> Result<Entry, FileError> {
    let read = |source| FileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let bad = |why: String| FileError::Bad {
        path: path.to_path_buf(),
        why,
    };
    let size = std::fs::metadata(path).map_err(read)?.len();
    if size > MAX_FILE_BYTES {
        return Err(bad(format!(
            "the file is {size} bytes; a server file may hold {MAX_FILE_BYTES} (1 MiB)"
        )));
    }
    let bytes = std::fs::read(path).map_err(read)?;
    let json: Json =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("not a JSON server.json: {e}")))?;
    let is_entry = json.get("server").is_some_and(Json::is_object) && json.get("name").is_none();
    if is_entry {
        return fetch::entry(&json).map_err(bad);
    }
    let Json::Object(server) = json else {
        return Err(bad("expected a server.json object".to_string()));
    };
    let text = |key: &str| {
        server
            .get(key)
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| bad(format!("`{key}` is not a non-empty string")))
    };
    Ok(Entry {
        name: text("name")?,
        version: text("version")?,
        server,
        status: Status::Active,
        status_message: None,
        updated_at: None,
        published_at: None,
    })
}
