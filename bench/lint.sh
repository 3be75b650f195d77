#!/usr/bin/env bash
# Lint benchmark: generates a synthetic registry of SERVERS files (VERSIONS versions each) and
# times `mcp-gitops lint` on it RUNS times, printing wall time and CPU time, so the parallel
# use of every core shows as CPU time above wall time. Usage: bench/lint.sh [SERVERS] [VERSIONS] [RUNS]
set -euo pipefail
servers=${1:-10000}
versions=${2:-5}
runs=${3:-5}
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin mcp-gitops --example gen-registry
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target/release/examples/gen-registry --servers "$servers" --versions "$versions" --out "$work/repo"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "lint of $servers server files × $versions versions ($(du -sh "$work/repo" | cut -f1)):"
TIMEFORMAT='  wall %3R s   user %3U s   sys %3S s   cpu %P%%'
for _ in $(seq "$runs"); do
  time target/release/mcp-gitops lint --format json "$work/repo" > "$work/out.json"
done
python3 -c 'import json,sys; print("  summary:", json.load(open(sys.argv[1]))["summary"])' "$work/out.json"
