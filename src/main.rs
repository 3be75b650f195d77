use clap::Parser;
use mcp_gitops::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Lint(args) => mcp_gitops::lint::run(&args),
    }
}
