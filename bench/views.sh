#!/usr/bin/env bash
# Views at 10,000 servers: what 5 views cost a registry (build time, memory) and whether a view
# is served as fast as the root. One run, on loopback only: the same synthetic registry is
# served twice, once without views and once with 5 (registry.yaml below; every 10th server
# carries the label `gold`); each server on core 1, wrk (one thread) on core 0, alternating
# round by round. Run by hand, not in CI (bench/README.md, "Views").
#
#   bench/views.sh                     # SERVERS=10000 VERSIONS=5 ROUNDS=3 DURATION=3
#   BIN=target/release/mcp-gitops bench/views.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh

SERVERS=${SERVERS:-10000}
VERSIONS=${VERSIONS:-5}
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-3}
ROUNDS=${ROUNDS:-3}

command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin mcp-gitops --example gen-registry
  BIN=target/release/mcp-gitops
fi
GEN=${GEN:-target/release/examples/gen-registry}

work=$(mktemp -d /tmp/mcp-gitops-views.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "machine: $(nproc) cores, $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$GEN" --servers "$SERVERS" --versions "$VERSIONS" --out "$work/plain" 2>/dev/null
# Every 10th file (in name order) gets a label a view selects by.
find "$work/plain/servers" -name '*.yaml' | sort | awk 'NR % 10 == 0' |
  while read -r f; do sed -i '1i labels: [gold]' "$f"; done
cp -r "$work/plain" "$work/views"
cat >>"$work/views/registry.yaml" <<'YAML'
views:
  companies:
    namespaces: ["com.*"]
  active:
    status: [active]
  gold:
    labels: [gold]
  org-1x:
    namespaces: ["io.github.*-1?"]
  curated:
    include: ["*-mcp-1??"]
    exclude: ["*-mcp-10?"]
YAML
echo "registry: $SERVERS servers × $VERSIONS versions; 5 views in the second copy"

names=(none five) ports=()
for name in "${names[@]}"; do
  dir=$work/plain
  [ "$name" = five ] && dir=$work/views
  port=$(free_port)
  taskset -c 1 "$BIN" serve --repo "$dir" --listen "127.0.0.1:$port" 2>>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 1200); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/$name.log"; exit 1; }
  ports+=("$port")
  status=$(curl -sf "http://127.0.0.1:$port/status")
  took=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["lastAttempt"]["durationMs"])' <<<"$status")
  echo "$name views: first reload ${took} ms, RSS $(awk '/VmRSS/ { printf "%.0f MiB", $2 / 1024 }' "/proc/${pids[-1]}/status") when ready"
done
for view in companies active gold org-1x curated; do
  n=$(curl -sf "http://127.0.0.1:${ports[1]}/$view/v0.1/servers?limit=100&version=latest" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["servers"]))')
  echo "  view $view: first page of latest holds $n servers"
done
# Reloads: touch one file and time the reload each registry makes, three times.
for i in 0 1; do
  dir=$work/plain
  [ "$i" = 1 ] && dir=$work/views
  took=()
  for round in 1 2 3; do
    f=$(find "$dir/servers" -name '*.yaml' | sort | sed -n "${round}p")
    sed -i "s/^description: .*/description: changed in round $round/" "$f"
    before=$(curl -sf "http://127.0.0.1:${ports[$i]}/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["served"]["revision"])')
    for _ in $(seq 600); do
      now=$(curl -sf "http://127.0.0.1:${ports[$i]}/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["served"]["revision"])')
      [ "$now" != "$before" ] && break
      sleep 0.1
    done
    took+=("$(curl -sf "http://127.0.0.1:${ports[$i]}/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lastAttempt"]["durationMs"])')")
  done
  echo "${names[$i]} views: reloads ${took[*]} ms, RSS $(awk '/VmRSS/ { printf "%.0f MiB", $2 / 1024 }' "/proc/${pids[$i]}/status")"
done

one=$(curl -sf "http://127.0.0.1:${ports[1]}/gold/v0.1/servers?limit=1" |
  python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.load(sys.stdin)["servers"][0]["server"]["name"], safe=""))')
# label|port index|path
scenarios=(
  "root, no views: first page|0|/v0.1/servers"
  "root, 5 views: first page|1|/v0.1/servers"
  "view active: first page|1|/active/v0.1/servers"
  "view gold: first page|1|/gold/v0.1/servers"
  "root, 5 views: one version|1|/v0.1/servers/$one/versions/latest"
  "view gold: one version|1|/gold/v0.1/servers/$one/versions/latest"
  "view gold: latest, limit=100|1|/gold/v0.1/servers?limit=100&version=latest"
  "root, 5 views: latest, limit=100|1|/v0.1/servers?limit=100&version=latest"
)


printf '%-36s | %9s %7s | %s\n' scenario "r/s" p99 rounds
for k in "${!scenarios[@]}"; do : >"$work/runs.$k"; done
for round in $(seq "$ROUNDS"); do
  # Every scenario once a round, so that the machine's drift spreads over all of them.
  for k in "${!scenarios[@]}"; do
    IFS='|' read -r label i path <<<"${scenarios[$k]}"
    run_wrk "${ports[$i]}" "$path" >>"$work/runs.$k"
  done
done
for k in "${!scenarios[@]}"; do
  IFS='|' read -r label i path <<<"${scenarios[$k]}"
  printf '%-36s | %9s %7s | %s\n' "$label" "$(awk '{ print $1 }' "$work/runs.$k" | median)" \
    "$(awk '{ print $2 }' "$work/runs.$k" | median)" "$(awk '{ printf "%s ", $1 }' "$work/runs.$k")"
done
for i in 0 1; do
  echo "${names[$i]} views: RSS $(awk '/VmRSS/ { printf "%.0f MiB", $2 / 1024 }' "/proc/${pids[$i]}/status") after the load"
done
