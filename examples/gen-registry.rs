//! Writes a synthetic registry repository of N servers × M versions (see `mcp_gitops::synth`),
//! optionally as a git repository of K commits (the first adds every server, each later one
//! adds a version to one server).
//!
//! cargo run --release --example gen-registry -- --servers 10000 --versions 5 --out /tmp/reg
//! cargo run --release --example gen-registry -- --servers 10000 --commits 2000 --out /tmp/reg

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser)]
struct Args {
    /// How many servers.
    #[arg(long, default_value_t = 1000)]
    servers: usize,
    /// Versions per server (1 writes the single-document form).
    #[arg(long, default_value_t = 5)]
    versions: usize,
    /// The folder to write.
    #[arg(long)]
    out: PathBuf,
    /// Seed of the pseudo-random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Make the folder a git repository with this many commits (0: no git).
    #[arg(long, default_value_t = 0)]
    commits: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.commits == 0 {
        mcp_gitops::synth::write_registry(&args.out, args.servers, args.versions, args.seed)?;
    } else {
        mcp_gitops::synth::write_git_registry(
            &args.out,
            args.servers,
            args.versions,
            args.seed,
            args.commits,
        )?;
    }
    eprintln!(
        "wrote {} servers × {} versions to {}{}",
        args.servers,
        args.versions,
        args.out.display(),
        if args.commits > 0 {
            format!(" as a git repository of {} commits", args.commits)
        } else {
            String::new()
        }
    );
    Ok(())
}
