//! The command line. Every flag's doc comment is its `--help` text.

pub use crate::duration::parse_duration;
pub use crate::import::args::ImportArgs;
pub use crate::lint::args::{AllowlistArgs, Format, LintArgs};
pub use crate::probe::CheckArgs;
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
            Command::Serve(Box::new(ServeOnly::parse_from(["mcp-gitops serve"]).args))
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the registry API (v0.1, and v0) from a repository, reloading it as it changes.
    Serve(Box<ServeArgs>),
    /// Check a registry repository: every problem at once, with file, line and column.
    Lint(LintArgs),
    /// Print the JSON Schema of a server file or of registry.yaml, for editors (the YAML
    /// extension's `# yaml-language-server: $schema=` line or `yaml.schemas` setting).
    Schema(SchemaArgs),
    /// Start a new registry repository in DIR (default: here): servers/, registry.yaml, the
    /// lint workflow, pre-commit and editor settings, and a README for contributors. Writes
    /// nothing when any of these files exists.
    Init(InitArgs),
    /// Print the managed-settings allowlist of a registry (`allowedMcpServers`,
    /// `deniedMcpServers`): the exact commands and URLs its install links use, for clients that
    /// enforce an allowlist. A registry with errors gets none (exit 1).
    Allowlist(AllowlistArgs),
    /// Check a deployed registry (this one or any other) as its clients use it: VS Code's
    /// version probe, paging and search, Copilot CLI's lookups by name, a browser's CORS
    /// preflight. Every finding names the request that produced it. Exit 0 clean, 1 findings, 2
    /// could not run.
    Check(CheckArgs),
    /// Import servers from another registry (default: the official one) into server files
    /// that record where they came from, or convert server.json files (--file); --update
    /// follows them: new versions and status changes, with a Markdown summary for a pull
    /// request. Only what passes lint is written, and nothing at all when a fetch fails.
    Import(ImportArgs),
}

#[derive(Clone, Debug, Args)]
pub struct InitArgs {
    /// Where to create the registry (created when missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Clone, Debug, Args)]
pub struct SchemaArgs {
    /// Which file's schema.
    #[arg(long, value_enum, default_value_t = SchemaFile::Server)]
    pub file: SchemaFile,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SchemaFile {
    /// A file under servers/, in either form.
    Server,
    /// registry.yaml.
    Registry,
}

impl SchemaFile {
    pub fn schema(self) -> serde_json::Value {
        match self {
            SchemaFile::Server => crate::check::file_schema::server_file(),
            SchemaFile::Registry => crate::check::file_schema::registry_file(),
        }
    }
}

#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    /// The registry to serve: a git URL (`https://…`, `ssh://…`, `git@host:org/repo.git`,
    /// `file://…`), fetched into --cache-dir and polled; or a local directory holding
    /// `servers/` (a working tree, or a folder kept up to date by a git-sync sidecar), watched
    /// for changes. A revision with errors is never served: the last good one stays.
    /// Without it, `example-repo/` in the working directory, when there is one.
    #[arg(long, env = "MCP_GITOPS_REPO", value_name = "PATH|URL")]
    pub repo: Option<String>,

    /// Where the registry (the folder holding `servers/`) is inside the repository or
    /// directory, when it is not at the top, e.g. `registry` or `mcp/registry`.
    #[arg(long, env = "MCP_GITOPS_PATH", value_name = "DIR")]
    pub path: Option<String>,

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

    /// With a git URL: the branch, tag or commit id to serve (default: the remote's default
    /// branch). Force-pushes are followed.
    #[arg(long = "ref", env = "MCP_GITOPS_REF", value_name = "BRANCH|TAG|COMMIT")]
    pub reference: Option<String>,

    /// With a git URL: where the local mirror is kept (reused across restarts; in Kubernetes an
    /// `emptyDir`).
    #[arg(long, env = "MCP_GITOPS_CACHE_DIR", value_name = "DIR", default_value_os_t = default_cache_dir())]
    pub cache_dir: PathBuf,

    /// With a git URL: how often to fetch, e.g. `10s`, `30s`, `5m` (±10% jitter, so replicas
    /// spread out). A webhook syncs at once.
    #[arg(long, env = "MCP_GITOPS_POLL_INTERVAL", value_name = "DURATION", default_value = "30s", value_parser = parse_poll_interval)]
    pub poll_interval: std::time::Duration,

    /// A file holding an HTTPS access token for the git remote (re-read at every fetch, so a
    /// rotated token is picked up).
    #[arg(long, env = "MCP_GITOPS_GIT_TOKEN_FILE", value_name = "FILE")]
    pub git_token_file: Option<PathBuf>,

    /// The user name for HTTPS (with --git-password-file, or instead of `x-access-token` with a
    /// token) or SSH (default: the URL's, else `git`).
    #[arg(long, env = "MCP_GITOPS_GIT_USERNAME", value_name = "NAME")]
    pub git_username: Option<String>,

    /// A file holding the HTTPS password for --git-username (re-read at every fetch).
    #[arg(long, env = "MCP_GITOPS_GIT_PASSWORD_FILE", value_name = "FILE")]
    pub git_password_file: Option<PathBuf>,

    /// A file holding an unencrypted SSH private key for `ssh://` and `git@host:` URLs.
    #[arg(long, env = "MCP_GITOPS_SSH_KEY_FILE", value_name = "FILE")]
    pub ssh_key_file: Option<PathBuf>,

    /// The known_hosts file the SSH server's host key is checked against; an unknown or
    /// different host key is refused.
    #[arg(long, env = "MCP_GITOPS_SSH_KNOWN_HOSTS_FILE", value_name = "FILE")]
    pub ssh_known_hosts_file: Option<PathBuf>,

    /// Turn on `POST /webhook`: a file holding the secret of GitHub (`X-Hub-Signature-256`) or
    /// GitLab (`X-Gitlab-Token`) push webhooks, which trigger an immediate sync. Re-read at
    /// every delivery.
    #[arg(long, env = "MCP_GITOPS_WEBHOOK_SECRET_FILE", value_name = "FILE")]
    pub webhook_secret_file: Option<PathBuf>,

    /// A second address for the operators' endpoints, e.g. 0.0.0.0:9090: `/status` and
    /// `/metrics` move there (keep it off the public network); `/healthz` and `/readyz` answer
    /// on both.
    #[arg(long, env = "MCP_GITOPS_OPS_LISTEN", value_name = "ADDR")]
    pub ops_listen: Option<String>,

    /// Open client connections at most; more wait in the kernel's backlog until one closes.
    /// Lowered to stay below the open-files limit (whose soft value is raised to the hard one at
    /// start).
    #[arg(
        long,
        env = "MCP_GITOPS_MAX_CONNECTIONS",
        value_name = "N",
        default_value_t = 4096
    )]
    pub max_connections: usize,

    /// How long a connection may take to send a complete request head, counted from when it
    /// opens or from the end of its previous response: slow senders and idle keep-alive
    /// connections are closed when it passes.
    #[arg(long, env = "MCP_GITOPS_HEADER_TIMEOUT", value_name = "DURATION", default_value = "15s", value_parser = parse_duration)]
    pub header_timeout: std::time::Duration,

    /// How long a request may take from its head to its response, reading its body included;
    /// past it the answer is 408.
    #[arg(long, env = "MCP_GITOPS_REQUEST_TIMEOUT", value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: std::time::Duration,

    /// How long a request body may pause between two pieces.
    #[arg(long, env = "MCP_GITOPS_BODY_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub body_timeout: std::time::Duration,

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

/// The mirror's default home: the system's temporary folder.
fn default_cache_dir() -> PathBuf {
    std::env::temp_dir().join("mcp-gitops-cache")
}

/// Fetching more often than this only loads the git host (a webhook syncs at once anyway).
pub const MIN_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// `--poll-interval`: a duration of at least `MIN_POLL_INTERVAL`.
fn parse_poll_interval(text: &str) -> Result<std::time::Duration, String> {
    let d = parse_duration(text)?;
    if d < MIN_POLL_INTERVAL {
        return Err(format!(
            "the poll interval must be at least 1s (got {text}): fetching more often only loads \
             the git host; a webhook (--webhook-secret-file) syncs at once"
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::parse_poll_interval;
    use std::time::Duration;

    #[test]
    fn poll_intervals_have_a_floor() {
        assert_eq!(parse_poll_interval("1s"), Ok(Duration::from_secs(1)));
        let e = parse_poll_interval("1ms").unwrap_err();
        assert!(e.contains("at least 1s"), "{e}");
        assert!(parse_poll_interval("500ms").is_err());
    }
}
