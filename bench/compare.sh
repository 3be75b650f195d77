#!/usr/bin/env bash
# Side-by-side throughput of several mcp-gitops builds on the same registry, in one run, on
# loopback only: each build on core 1, wrk (one thread) on core 0, the builds alternating
# round by round. Used to show that a change costs nothing (bench/README.md, "Builds side by
# side"). Run by hand, not in CI.
#
#   BINS="before:/path/to/old after:target/release/mcp-gitops" bench/compare.sh
#
# Prints one table: r/s and p99 per scenario and build (medians of ROUNDS), and each build's
# throughput as a ratio of the first's.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh

BINS=${BINS:?BINS=\"name:path name:path ...\"}
SERVERS=${SERVERS:-10000}
VERSIONS=${VERSIONS:-5}
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-3}
ROUNDS=${ROUNDS:-3}

command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
GEN=${GEN:-target/release/examples/gen-registry}
[ -x "$GEN" ] || cargo build --release --quiet --example gen-registry

work=$(mktemp -d /tmp/mcp-gitops-compare.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "machine: $(nproc) cores, $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$GEN" --servers "$SERVERS" --versions "$VERSIONS" --out "$work/repo" 2>/dev/null
echo "registry: $SERVERS servers × $VERSIONS versions"

names=() ports=()
for spec in $BINS; do
  name=${spec%%:*} bin=${spec#*:} port=$(free_port)
  taskset -c 1 "$bin" serve --repo "$work/repo" --listen "127.0.0.1:$port" 2>>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/$name.log"; exit 1; }
  names+=("$name") ports+=("$port")
done

# Pages every client asks for; names taken from the registry itself.
one=$(curl -sf "http://127.0.0.1:${ports[0]}/v0.1/servers?limit=1" |
  python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.load(sys.stdin)["servers"][0]["server"]["name"], safe=""))')
scenarios=(
  "first page (limit=30)|/v0.1/servers|"
  "limit=100, version=latest|/v0.1/servers?limit=100&version=latest|"
  "one version (latest)|/v0.1/servers/$one/versions/latest|"
  "first page, gzip|/v0.1/servers|Accept-Encoding: gzip"
  "rare search|/v0.1/servers?search=zzz-no-such|"
  "common search, latest|/v0.1/servers?search=mcp&version=latest|"
)


printf '%-28s' scenario
for name in "${names[@]}"; do printf ' | %9s %7s %5s' "$name r/s" p99 ratio; done
echo
for scenario in "${scenarios[@]}"; do
  IFS='|' read -r label path header <<<"$scenario"
  for i in "${!names[@]}"; do : >"$work/runs.$i"; done
  for round in $(seq "$ROUNDS"); do
    # Rotate who goes first, round by round.
    for k in "${!names[@]}"; do
      i=$(((k + round) % ${#names[@]}))
      run_wrk "${ports[$i]}" "$path" "$header" >>"$work/runs.$i"
    done
  done
  printf '%-28s' "$label"
  base=""
  for i in "${!names[@]}"; do
    rps=$(awk '{ print $1 }' "$work/runs.$i" | median)
    p99=$(awk '{ print $2 }' "$work/runs.$i" | median)
    [ -z "$base" ] && base=$rps
    printf ' | %9s %7s %5s' "$rps" "$p99" "$(awk -v a="$rps" -v b="$base" 'BEGIN { printf "%.2f", a / b }')"
  done
  echo
done
for i in "${!names[@]}"; do
  echo "${names[$i]}: RSS $(awk '/VmRSS/ { printf "%.0f MiB", $2 / 1024 }' "/proc/${pids[$i]}/status")"
done
