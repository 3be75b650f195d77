//! `mcp-gitops init [DIR]`: a new registry repository that lints clean: `servers/` (with a
//! README on the file forms), `registry.yaml`, the lint workflow, a pre-commit configuration,
//! the JSON Schemas (`mcp-gitops schema`) and the VS Code settings that use them, and a README
//! for contributors. Nothing is overwritten: when any of these files exists, nothing is written.

use crate::check::file_schema;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{} already has {}; nothing was written", dir.display(), existing.join(", "))]
    Exists { dir: PathBuf, existing: Vec<String> },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The files `init` writes, by path inside the new repository.
fn files() -> Vec<(&'static str, String)> {
    let schema = |v: serde_json::Value| serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
    vec![
        ("README.md", include_str!("init/README.md").to_string()),
        (
            "registry.yaml",
            include_str!("init/registry.yaml").to_string(),
        ),
        (
            "servers/README.md",
            include_str!("init/servers-README.md").to_string(),
        ),
        (
            ".github/workflows/lint.yml",
            include_str!("init/lint.yml").to_string(),
        ),
        (
            ".pre-commit-config.yaml",
            include_str!("init/pre-commit-config.yaml").to_string(),
        ),
        (
            ".vscode/settings.json",
            include_str!("init/vscode-settings.json").to_string(),
        ),
        (
            ".vscode/extensions.json",
            include_str!("init/vscode-extensions.json").to_string(),
        ),
        (
            ".mcp-gitops/server.schema.json",
            schema(file_schema::server_file()),
        ),
        (
            ".mcp-gitops/registry.schema.json",
            schema(file_schema::registry_file()),
        ),
    ]
}

/// Writes a new registry into `dir` (created when missing); returns the paths written.
pub fn init(dir: &Path) -> Result<Vec<&'static str>, InitError> {
    let files = files();
    let existing: Vec<String> = files
        .iter()
        .filter(|(path, _)| dir.join(path).exists())
        .map(|(path, _)| path.to_string())
        .collect();
    if !existing.is_empty() {
        return Err(InitError::Exists {
            dir: dir.to_path_buf(),
            existing,
        });
    }
    let mut written = Vec::new();
    for (path, text) in files {
        let at = dir.join(path);
        let write = || {
            if let Some(parent) = at.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&at, text)
        };
        write().map_err(|source| InitError::Write {
            path: at.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}
