//! Writes a synthetic registry repository of N servers × M versions (see `mcp_gitops::synth`).
//!
//! cargo run --release --example gen-registry -- --servers 10000 --versions 5 --out /tmp/reg

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
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    mcp_gitops::synth::write_registry(&args.out, args.servers, args.versions, args.seed)?;
    eprintln!(
        "wrote {} servers × {} versions to {}",
        args.servers,
        args.versions,
        args.out.display()
    );
    Ok(())
}
