//! `mcp-gitops check URL`: replays, against any registry, what its clients ask of it — VS
//! Code's version probe, paging and search, Copilot CLI's lookups by name, a browser's CORS
//! preflight — and judges every answer by the v0.1 shapes and the rules clients apply. Bounded
//! in pages, requests and time, so that it is safe to point at a large public registry.

mod browser;
mod copilot_cli;
pub mod report;
mod session;
mod vscode;

use crate::remote::{Limits, Remote, RemoteError};
pub use report::Report;
pub use session::Bounds;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Exit codes, as lint's: clean, findings, could not run.
const EXIT_CLEAN: u8 = 0;
const EXIT_FINDINGS: u8 = 1;
const EXIT_CANNOT_RUN: u8 = 2;

#[derive(Clone, Debug, clap::Args)]
pub struct CheckArgs {
    /// The registry's base URL, the part before `/v0.1` (as configured in GitHub's policy or
    /// VS Code's `chat.mcp.gallery.serviceUrl`).
    #[arg(value_name = "URL")]
    pub url: String,

    /// A file holding a bearer token, sent as VS Code and a browser would send it (Copilot
    /// CLI's lookups go without one, as Copilot CLI sends them). Never printed.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// How to print the report.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,

    /// How long one request may take, body included.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = crate::duration::parse_duration)]
    pub timeout: Duration,

    /// How long the whole check may take; later checks are skipped (and said so) past it.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = crate::duration::parse_duration)]
    pub time_budget: Duration,

    /// List pages followed at most (50 servers each).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_pages: usize,

    /// Requests sent at most.
    #[arg(long, value_name = "N", default_value_t = 400)]
    pub max_requests: usize,

    /// Listed servers looked up by name at most (spread over the list).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub max_lookups: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Human,
    Json,
}

pub fn run(args: &CheckArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return cannot_run(&e),
    };
    let report = match runtime.block_on(check(args)) {
        Ok(report) => report,
        Err(e) => return cannot_run(&e),
    };
    let mut out = std::io::stdout().lock();
    let _ = match args.format {
        CheckFormat::Human => report.human(&mut out),
        CheckFormat::Json => {
            use std::io::Write;
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()
            )
        }
    };
    ExitCode::from(if report.errors() > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

fn cannot_run(e: &dyn std::error::Error) -> ExitCode {
    eprintln!("mcp-gitops check: {}", crate::error_chain::error_chain(e));
    ExitCode::from(EXIT_CANNOT_RUN)
}

/// The whole check; `Err` only when it could not start (a bad URL, an unreadable token file).
pub async fn check(args: &CheckArgs) -> Result<Report, RemoteError> {
    let base = base_url(&args.url);
    let limits = Limits {
        timeout: args.timeout,
        ..Limits::default()
    };
    let remote = Remote::new(base, args.token_file.as_deref(), limits)?;
    let bounds = Bounds {
        max_pages: args.max_pages.max(1),
        max_requests: args.max_requests.max(1),
        time_budget: args.time_budget,
        max_lookups: args.max_lookups,
    };
    let mut s = session::Session::new(remote, bounds);
    if base.len() != args.url.trim().trim_end_matches('/').len() {
        s.report
            .notes
            .push(format!("base URL {base} (the part before /v0.1)"));
    }
    if vscode::probe(&mut s).await {
        let listing = vscode::list(&mut s).await;
        vscode::search(&mut s, &listing).await;
        vscode::versions(&mut s, &listing).await;
        copilot_cli::lookups(&mut s, &listing).await;
    } else if !s.stopped() {
        s.report
            .notes
            .push("the version probe failed; nothing else was asked of the API".to_string());
    }
    if s.answered {
        browser::cors(&mut s).await;
    }
    Ok(s.finish())
}

/// The base URL when `url` names an API path under it (`…/v0.1`, `…/v0.1/servers`, `…/v0`).
fn base_url(url: &str) -> &str {
    let url = url.trim().trim_end_matches('/');
    for suffix in ["/v0.1/servers", "/v0/servers", "/v0.1", "/v0"] {
        if let Some(base) = url.strip_suffix(suffix) {
            return base;
        }
    }
    url
}

#[cfg(test)]
mod tests {
    #[test]
    fn base_urls() {
        assert_eq!(super::base_url("https://r.example/"), "https://r.example");
        assert_eq!(
            super::base_url("https://r.example/v0.1/servers"),
            "https://r.example"
        );
        assert_eq!(
            super::base_url("https://r.example/mcp/v0"),
            "https://r.example/mcp"
        );
    }
}
