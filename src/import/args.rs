//! What `mcp-gitops import` takes on the command line. Every flag's doc comment is its `--help`.

use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// The official registry, where `import` reads by default.
pub const OFFICIAL_REGISTRY: &str = "https://registry.modelcontextprotocol.io";

#[derive(Clone, Debug, Args)]
// Each flag's help under it, as `lint --help` prints them (and the workflow tests read them).
#[command(next_line_help = true)]
pub struct ImportArgs {
    /// The servers to import by name, each the latest version, or the one after `@`
    /// (`io.github.github/github-mcp-server@0.18.0`).
    #[arg(value_name = "NAME[@VERSION]")]
    pub servers: Vec<String>,

    /// The registry to read from: any that speaks the v0.1 API (its base URL, before
    /// `/v0.1/`). With --update: follow only the files that record this registry.
    #[arg(long, env = "MCP_GITOPS_IMPORT_FROM", value_name = "URL")]
    pub from: Option<String>,

    /// The registry to write into: the folder holding `servers/`.
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub repo: PathBuf,

    /// Import every version that is not deleted, not only the latest.
    #[arg(long, conflicts_with = "update")]
    pub all_versions: bool,

    /// Convert server.json files into the repository's layout instead of reading a registry
    /// (one or more files; the versions of one server go into one file).
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["servers", "update", "from", "all_versions", "token_file"])]
    pub file: Vec<PathBuf>,

    /// For every server file that records an upstream, ask that registry what changed and add
    /// its new versions and mirror its status changes; prints a summary for a pull request
    /// and exits 0 whether or not anything changed.
    #[arg(long, conflicts_with = "servers")]
    pub update: bool,

    /// A file holding a bearer token for the registry of --from (a private upstream); sent
    /// to that registry only, never written or printed. With --update, --from is required.
    #[arg(long, env = "MCP_GITOPS_IMPORT_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// How long one request may take, from connecting to the last byte (`500ms`, `20s`).
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = crate::duration::parse_duration)]
    pub timeout: Duration,

    /// Print what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Also write the Markdown summary to this file (a pull request's body).
    #[arg(long, value_name = "FILE")]
    pub summary_file: Option<PathBuf>,
}
