//! The layering docs/architecture.md states, checked on the source: each floor imports only the
//! floors below it, and no HTTP face imports another face or is imported by a shared file.

use std::path::{Path, PathBuf};

/// The root leaves: every floor may use them, and they use nothing of ours.
const LEAVES: [&str; 6] = [
    "parallel",
    "error_chain",
    "secret_file",
    "synth",
    "duration",
    "uri_component",
];

/// Which floors (besides the leaves) each may name with `crate::`; `None`: anything (the root).
fn allowed(floor: &str) -> Option<&'static [&'static str]> {
    match floor {
        "check" => Some(&["check"]),
        "git" => Some(&["git", "check"]),
        "store" => Some(&["store", "git", "check", "clients"]),
        "lint" => Some(&["lint", "git", "check", "clients"]),
        "http" => Some(&["http", "store", "git", "check", "clients"]),
        "clients" => Some(&["clients", "check"]),
        "remote" => Some(&["remote"]),
        "probe" => Some(&["probe", "remote"]),
        "import" => Some(&["import", "remote", "check"]),
        leaf if LEAVES.contains(&leaf) => Some(&[]),
        _ => None,
    }
}

const FACES: [&str; 5] = ["api", "ops", "webhook", "web", "allowlists"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::a::b` path named in `text`, as (a, b).
fn crate_paths(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let ident = |s: &str| -> String {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        };
        let first = ident(rest);
        let second = rest[first.len()..]
            .strip_prefix("::")
            .map(ident)
            .unwrap_or_default();
        found.push((first, second));
    }
    found
}

#[test]
fn no_floor_imports_a_floor_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let mut parts = rel.iter().map(|p| p.to_string_lossy().into_owned());
        let top = parts.next().unwrap();
        let floor = top.trim_end_matches(".rs").to_string();
        let face = if floor == "http" {
            parts
                .next()
                .map(|p| p.trim_end_matches(".rs").to_string())
                .filter(|p| FACES.contains(&p.as_str()))
        } else {
            None
        };
        let text = std::fs::read_to_string(file).unwrap();
        for (module, sub) in crate_paths(&text) {
            let leaf = LEAVES.contains(&floor.as_str());
            let ok = match allowed(&floor) {
                None => true,
                Some(floors) => {
                    floors.contains(&module.as_str())
                        || (!leaf && LEAVES.contains(&module.as_str()))
                }
            };
            if !ok {
                wrong.push(format!("{}: crate::{module}", rel.display()));
            }
            // HTTP needs of git only what a remote URL is (links into the forge).
            if floor == "http" && module == "git" && sub != "remote" {
                wrong.push(format!("{}: crate::git::{sub}", rel.display()));
            }
            // Inside http/, a face names only itself and the shared files; `mod.rs` composes.
            if floor == "http"
                && module == "http"
                && FACES.contains(&sub.as_str())
                && face.as_deref() != Some(&sub)
            {
                let composer = rel == Path::new("http/mod.rs");
                if !composer {
                    wrong.push(format!("{}: crate::http::{sub}", rel.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against docs/architecture.md:\n{}",
        wrong.join("\n")
    );
}
