//! The command line. Every flag's doc comment is its `--help` text.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "mcp-gitops",
    version,
    about = "A private MCP registry served from a git repository of YAML files",
    after_help = "With no command, `serve` runs with its defaults (and MCP_GITOPS_* environment variables)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The command to run: `serve` with its defaults and environment when none was given.
    pub fn command(self) -> Command {
        self.command.unwrap_or_else(|| {
            #[derive(Parser)]
            struct ServeOnly {
                #[command(flatten)]
                args: ServeArgs,
            }
            Command::Serve(ServeOnly::parse_from(["mcp-gitops serve"]).args)
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the registry API (v0.1, and v0) from a repository, reloading it as it changes.
    Serve(ServeArgs),
    /// Check a registry repository: every problem at once, with file, line and column.
    Lint(LintArgs),
}

#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    /// The registry to serve: a local directory holding `servers/` (for example a working tree,
    /// or a folder kept up to date by a git-sync sidecar). It is watched and reloaded on change;
    /// a revision with errors is not served, the last good one stays. (Serving straight from a
    /// git URL comes later.)
    #[arg(
        long,
        env = "MCP_GITOPS_REPO",
        value_name = "PATH|URL",
        default_value = "example-repo"
    )]
    pub repo: String,

    /// The address to listen on, e.g. 0.0.0.0:8080 in a container.
    #[arg(
        long,
        env = "MCP_GITOPS_LISTEN",
        value_name = "ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: String,

    /// How long clients and proxies may cache API responses (`Cache-Control: max-age`); a
    /// cached response is revalidated cheaply with its ETag.
    #[arg(
        long,
        env = "MCP_GITOPS_CACHE_MAX_AGE",
        value_name = "SECONDS",
        default_value_t = 30
    )]
    pub cache_max_age: u64,

    /// Make the registry private: a file holding a token that API requests must send as
    /// `Authorization: Bearer <token>` (surrounding whitespace in the file is ignored). The ops
    /// endpoints (/healthz, /readyz, /status, /metrics) stay open.
    #[arg(long, env = "MCP_GITOPS_READ_TOKEN_FILE", value_name = "FILE")]
    pub read_token_file: Option<PathBuf>,

    /// How to write logs (to stderr). The level is set with RUST_LOG (default: info).
    #[arg(long, env = "MCP_GITOPS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// The registry repository to check (the folder holding `servers/`).
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// How to print the findings.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Also compare with this git revision (e.g. the pull request's target branch): a changed
    /// or removed published version, or a renamed server, is an error.
    #[arg(long, value_name = "GIT-REV")]
    pub base: Option<String>,

    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `file:line:col: severity[rule]: message` with the source line, and a summary.
    Human,
    /// GitHub Actions workflow annotations, plus a step summary when GITHUB_STEP_SUMMARY is set.
    Github,
    /// One JSON object: diagnostics and a summary.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}
