use clap::Parser;
use mcp_gitops::cli::{Cli, Command, LogFormat, ServeArgs};
use mcp_gitops::lint::EXIT_CANNOT_RUN;
use std::io::IsTerminal;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than the system allocator: a reload allocates and frees the parsed trees of
/// every file on every core, and glibc's per-thread arenas keep much of that memory resident
/// afterwards (and more with each reload); mimalloc returns it. Measured in bench/README.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match Cli::parse().command() {
        Command::Lint(args) => mcp_gitops::lint::run(&args),
        Command::Allowlist(args) => mcp_gitops::lint::allowlist::run(&args),
        Command::Import(args) => mcp_gitops::import::run(&args),
        Command::Serve(args) => serve(&args),
        Command::Check(args) => mcp_gitops::probe::run(&args),
        Command::Init(args) => match mcp_gitops::init::init(&args.dir) {
            Ok(written) => {
                for path in written {
                    println!("wrote {}", args.dir.join(path).display());
                }
                println!(
                    "next: add servers under servers/ (see servers/README.md), then `mcp-gitops lint {}`",
                    args.dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!(
                    "mcp-gitops init: {}",
                    mcp_gitops::error_chain::error_chain(&e)
                );
                ExitCode::from(EXIT_CANNOT_RUN)
            }
        },
        Command::Schema(args) => {
            let text = serde_json::to_string_pretty(&args.file.schema()).unwrap_or_default();
            println!("{text}");
            ExitCode::SUCCESS
        }
    }
}

fn serve(args: &ServeArgs) -> ExitCode {
    init_tracing(args.log_format);
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|runtime| {
            runtime
                .block_on(mcp_gitops::server::run(args))
                .map_err(|e| mcp_gitops::error_chain::error_chain(&e))
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!(error = %message, "mcp-gitops serve stopped");
            eprintln!("mcp-gitops serve: {message}");
            ExitCode::from(EXIT_CANNOT_RUN)
        }
    }
}

/// Logs go to stderr; RUST_LOG sets the level (default `info`).
fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
