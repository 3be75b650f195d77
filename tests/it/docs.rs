//! The README is the user's manual: its rule table must list every rule with its severity.

use mcp_gitops::check::diagnostic::Rule;

#[test]
fn readme_lists_every_rule_with_its_severity() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .filter(|r| !readme.contains(&format!("| `{}` | {} |", r.id(), r.severity().as_str())))
        .map(|r| r.id())
        .collect();
    assert!(
        missing.is_empty(),
        "README.md's rule table lacks: {missing:?}"
    );
}
