//! What `mcp-gitops lint` takes on the command line. Every flag's doc comment is its `--help`.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct LintArgs {
    /// The registry to check: its folder (the one holding `servers/`; default: here), or files
    /// of it (`servers/a/b.yaml`, `registry.yaml`, as pre-commit passes them), which are checked
    /// as part of their registry and are the only ones reported.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Where the registry is inside the folder given (a registry in a subfolder of its git
    /// repository); with files, the registry's folder.
    #[arg(long, env = "MCP_GITOPS_PATH", value_name = "DIR")]
    pub path: Option<PathBuf>,

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

/// What `mcp-gitops allowlist` takes.
#[derive(Debug, Args)]
pub struct AllowlistArgs {
    /// The registry (the folder holding `servers/`).
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Where the registry is inside PATH, when not at its top.
    #[arg(long = "path", env = "MCP_GITOPS_PATH", value_name = "DIR")]
    pub registry: Option<PathBuf>,

    /// The client whose managed settings to write. GitHub's (Copilot in VS Code, JetBrains,
    /// the CLI) and Claude Code's use the same keys and matchers today.
    #[arg(long, value_enum, default_value_t = Client::Github)]
    pub client: Client,

    /// Leave deprecated versions out of the allowed list (they are allowed by default).
    #[arg(long)]
    pub no_deprecated: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Client {
    /// GitHub's managed settings (`managed-settings.json`).
    Github,
    /// Claude Code's managed settings (`managed-settings.json`).
    ClaudeCode,
}
