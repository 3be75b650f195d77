//! Files written whole: every new text goes to a temporary file beside its target first, and
//! only when all of them are written and synced are they renamed into place (a rename is
//! atomic on one file system). A failure before the renames removes the temporary files and
//! leaves the repository as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("cannot write {}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Writes `files` (repository-relative path, text) below `root`.
pub fn write_all(root: &Path, files: &[(String, String)]) -> Result<(), WriteError> {
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(files.len());
    for (rel, text) in files {
        let target = root.join(rel);
        match stage(&target, text) {
            Ok(temp) => staged.push((temp, target)),
            Err(e) => {
                for (temp, _) in &staged {
                    let _ = std::fs::remove_file(temp);
                }
                return Err(e);
            }
        }
    }
    for (i, (temp, target)) in staged.iter().enumerate() {
        if let Err(source) = std::fs::rename(temp, target) {
            for (temp, _) in &staged[i..] {
                let _ = std::fs::remove_file(temp);
            }
            return Err(WriteError {
                path: target.clone(),
                source,
            });
        }
    }
    Ok(())
}

/// `text` in a new temporary file beside `target` (a dot file that lint does not read).
fn stage(target: &Path, text: &str) -> Result<PathBuf, WriteError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError { path, source }
    };
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err(dir))?;
    if target.is_dir() {
        let source = std::io::Error::other("a folder is in the way");
        return Err(WriteError {
            path: target.to_path_buf(),
            source,
        });
    }
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.import-tmp", std::process::id()));
    let mut file = std::fs::File::create_new(&temp).map_err(err(&temp))?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(WriteError { path: temp, source });
    }
    Ok(temp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_leaves_no_temporary_ones() {
        let dir = std::env::temp_dir().join(format!("mcp-gitops-write-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let files = vec![
            ("servers/a/b.yaml".to_string(), "name: a/b\n".to_string()),
            ("servers/c/d.yaml".to_string(), "name: c/d\n".to_string()),
        ];
        write_all(&dir, &files).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("servers/a/b.yaml")).unwrap(),
            "name: a/b\n"
        );
        let left: Vec<_> = std::fs::read_dir(dir.join("servers/a")).unwrap().collect();
        assert_eq!(left.len(), 1);
        // A target whose folder cannot be made: nothing renamed, no temporary file left.
        let bad = vec![
            ("servers/a/b.yaml".to_string(), "changed\n".to_string()),
            ("servers/a/b.yaml/c.yaml".to_string(), "x\n".to_string()),
        ];
        assert!(write_all(&dir, &bad).is_err());
        assert_eq!(
            std::fs::read_to_string(dir.join("servers/a/b.yaml")).unwrap(),
            "name: a/b\n"
        );
        assert_eq!(std::fs::read_dir(dir.join("servers/a")).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
