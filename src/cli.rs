//! The command line. Every flag's doc comment is its `--help` text.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "mcp-gitops",
    version,
    about = "A private MCP registry served from a git repository of YAML files"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a registry repository: every problem at once, with file, line and column.
    Lint(LintArgs),
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
