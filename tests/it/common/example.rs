//! The `example-repo/` registry shipped in this repository, and reading server names from a
//! registry directory.

use mcp_gitops::check::validate;
use std::collections::BTreeSet;
use std::path::Path;

pub const EXAMPLE_REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/example-repo");

/// Every server name defined under `dir/servers`.
pub fn names_in(dir: &Path) -> BTreeSet<String> {
    let checked = validate::check(mcp_gitops::check::dir::read_dir(dir).unwrap());
    checked
        .servers
        .iter()
        .filter_map(|s| s.name().map(str::to_string))
        .collect()
}
