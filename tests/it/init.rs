//! `mcp-gitops init`: a new registry that lints clean, whose editor settings point at schemas
//! that exist and accept the documented examples, and that is never written over.

use std::path::Path;
use std::process::Command;

fn run(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mcp-gitops"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// The YAML blocks of a Markdown file.
fn yaml_blocks(markdown: &str) -> Vec<String> {
    markdown
        .split("```yaml\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next().map(str::to_string))
        .collect()
}

#[test]
fn a_new_registry_lints_clean_and_its_editor_settings_work() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&["init", "registry"], tmp.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let repo = tmp.path().join("registry");
    let lint = run(&["lint", "registry"], tmp.path());
    assert_eq!(
        lint.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&lint.stdout)
    );

    // The editor settings name schema files that exist.
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join(".vscode/settings.json")).unwrap())
            .unwrap();
    let schemas = settings["yaml.schemas"].as_object().unwrap();
    assert_eq!(schemas.len(), 2);
    for schema in schemas.keys() {
        assert!(repo.join(schema).is_file(), "{schema}");
    }
    let server_schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join(".mcp-gitops/server.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft202012::new(&server_schema).unwrap();

    // The examples of servers/README.md, as files: lint and the schema accept both forms.
    let examples = yaml_blocks(&std::fs::read_to_string(repo.join("servers/README.md")).unwrap());
    assert_eq!(examples.len(), 2);
    for (i, example) in examples.iter().enumerate() {
        let file = repo.join("servers/com.example/weather.yaml");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, example).unwrap();
        let lint = run(&["lint", "registry"], tmp.path());
        assert_eq!(
            lint.status.code(),
            Some(0),
            "example {i}: {}",
            String::from_utf8_lossy(&lint.stdout)
        );
        let source = mcp_gitops::check::files::SourceFile {
            path: "servers/com.example/weather.yaml".into(),
            bytes: example.as_bytes().to_vec(),
        };
        let doc = mcp_gitops::check::load::parse(&source).unwrap().to_json();
        assert!(validator.is_valid(&doc), "example {i}");
        // Its `$schema=` line, when it has one, names the schema from where the file is.
        if let Some(line) = example.lines().find(|l| l.contains("$schema=")) {
            let rel = line.split("$schema=").nth(1).unwrap().trim();
            assert!(file.parent().unwrap().join(rel).is_file(), "{rel}");
        }
    }

    // Again: refused, nothing written over.
    let before = std::fs::read_to_string(repo.join("README.md")).unwrap();
    std::fs::write(repo.join("README.md"), "ours\n").unwrap();
    let again = run(&["init", "registry"], tmp.path());
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing was written"));
    assert_eq!(
        std::fs::read_to_string(repo.join("README.md")).unwrap(),
        "ours\n"
    );
    assert!(before.contains("MCP registry"));
}
