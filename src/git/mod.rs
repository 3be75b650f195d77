//! Everything that names git2: the mirror `serve` fetches into (`fetch`), a registry read
//! straight from a commit's tree (`tree`), dates from first-parent history (`history`), and
//! what a remote URL is (`remote`). Built on `check/`; nothing here knows about HTTP.

pub mod fetch;
pub mod history;
pub mod remote;
pub mod tree;
pub mod tree_diff;
