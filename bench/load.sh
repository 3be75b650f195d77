#!/usr/bin/env bash
# Load benchmark: mcp-gitops serve against nginx handing out the very same bytes as static files,
# on this machine, over loopback only. Run by hand (not in CI); see bench/README.md.
#
#   bench/load.sh                    the whole run (~12 minutes at the defaults)
#   ROUNDS=1 RELOADS=10 bench/load.sh   a quicker one
#
# Steps: build (release); generate SERVERS × VERSIONS; for each layout of the cores in LAYOUTS
# (below), start `mcp-gitops serve` and nginx on the servers' cores (the first time, fetch each
# scenario's body once from mcp-gitops and write it under nginx's root, so that nginx serves the
# very same bytes), then drive both with the same wrk settings, alternating, ROUNDS times per
# scenario, and print the medians and the ratio. Then, in the last layout: resident memory
# after the load, reloads under load (files touched while wrk runs), and memory across RELOADS
# reloads. Every process started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVERS=${SERVERS:-10000}
VERSIONS=${VERSIONS:-5}
LAYOUTS=${LAYOUTS:-split shared}  # see layout_* below
THREADS=${THREADS:-2}             # wrk threads in the shared layout
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-5}           # seconds per wrk run
ROUNDS=${ROUNDS:-3}               # runs per scenario and server (the median is printed)
RELOAD_WINDOW=${RELOAD_WINDOW:-30}  # seconds of load during which reloads are triggered
RELOADS=${RELOADS:-100}           # reloads for the memory check

need=()
for tool in nginx wrk curl python3; do  # taskset: util-linux, always there
  command -v "$tool" >/dev/null || need+=("$tool")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin mcp-gitops --example gen-registry
  BIN=target/release/mcp-gitops
fi
GEN=${GEN:-target/release/examples/gen-registry}
[ -x "$GEN" ] || cargo build --release --quiet --example gen-registry

work=$(mktemp -d /tmp/mcp-gitops-load.XXXXXX)
chmod 755 "$work"   # nginx workers run as an unprivileged user
mcp_pid="" ngx_pid="" wrk_pid=""
cleanup() {
  for pid in $wrk_pid $ngx_pid $mcp_pid; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
rss() { python3 bench/prepare.py rss "$1"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
served_reloads() {
  curl -sf "http://127.0.0.1:$mcp_port/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["reloads"]["served"])'
}
last_reload_ms() {
  curl -sf "http://127.0.0.1:$mcp_port/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lastAttempt"]["durationMs"])'
}

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tools: $(nginx -v 2>&1 | cut -d' ' -f3), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), mcp-gitops $BIN"

"$GEN" --servers "$SERVERS" --versions "$VERSIONS" --out "$work/repo" 2>/dev/null
entries=$((SERVERS * VERSIONS))
echo "registry: $SERVERS servers × $VERSIONS versions = $entries entries ($(du -sh "$work/repo" | cut -f1))"

# The layouts of the machine's cores (bench/README.md, "Layouts"):
#   split   the servers on cores 1..N-1, wrk (one thread) on core 0: client and server do not
#           wait for each other's CPU, so the latency printed is the server's
#   shared  everything on every core, wrk with THREADS threads: the busiest the machine gets,
#           and every thread may wait a scheduler tick for another's
cores=$(nproc)
[ "$cores" -ge 2 ] || LAYOUTS=shared
layout_server_cpus() { [ "$1" = split ] && echo "1-$((cores - 1))" || echo "0-$((cores - 1))"; }
layout_wrk_cpus() { [ "$1" = split ] && echo 0 || echo "0-$((cores - 1))"; }
layout_wrk_threads() { [ "$1" = split ] && echo 1 || echo "$THREADS"; }
layout_nginx_workers() { [ "$1" = split ] && echo $((cores - 1)) || echo "$cores"; }

mcp_port=$(free_port)
ngx_port=$(free_port)

# Starts mcp-gitops on the cores $1 and waits until it serves.
start_mcp() {
  local started
  started=$(date +%s.%N)
  taskset -c "$1" "$BIN" serve --repo "$work/repo" --listen "127.0.0.1:$mcp_port" 2>>"$work/serve.log" &
  mcp_pid=$!
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$mcp_port/readyz" >/dev/null && break
    kill -0 "$mcp_pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$mcp_port/readyz" >/dev/null || { echo "mcp-gitops never became ready"; exit 1; }
  echo "mcp-gitops on cores $1 ready in $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f s", e - s }') (first load $(last_reload_ms) ms); RSS $(mib "$(rss $mcp_pid)")"
}

# Starts nginx with $1 worker processes on the cores $2.
start_nginx() {
  mkdir -p "$work/nginx"
  cat >"$work/nginx/nginx.conf" <<EOF
worker_processes $1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  # tcp_nopush (off by default) would hold a response's last partial segment back: 42 ms p99
  # on the 99 KB page here, at the same throughput.
  tcp_nopush off;
  keepalive_requests 10000000;
  default_type application/json;
  client_body_temp_path $work/nginx/tmp;
  proxy_temp_path $work/nginx/tmp;
  fastcgi_temp_path $work/nginx/tmp;
  uwsgi_temp_path $work/nginx/tmp;
  scgi_temp_path $work/nginx/tmp;
  server {
    listen 127.0.0.1:$ngx_port;
    root $work/www;
    # A list response is the file named by its query string.
    location = /v0.1/servers { try_files /q/\$args =404; }
    location / { }
  }
}
EOF
  taskset -c "$2" nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" 2>"$work/nginx/stderr" &
  ngx_pid=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$ngx_port/" && break
    sleep 0.1
  done
  echo "nginx on cores $2 with $1 workers"
}

stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# wrk, parsed: "req/s p50_ms p99_ms failures" (failures: non-2xx/3xx and socket errors). The
# layout in $layout says which cores wrk runs on, with how many threads.
run_wrk() {
  local port=$1 path=$2 script=$3 seconds=$4 out
  local args=(-t"$(layout_wrk_threads "$layout")" -c"$CONNECTIONS" -d"${seconds}s" --latency --timeout 5s)
  [ -n "$script" ] && args+=(-s "$work/$script")
  out=$(taskset -c "$(layout_wrk_cpus "$layout")" wrk "${args[@]}" "http://127.0.0.1:$port$path")
  echo "$out" >>"$work/wrk.log"
  awk '
    function ms(v) {
      if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v
    }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
    /^Requests\/sec/ { rps = $2 }
    /Non-2xx/ { bad += $NF }
    /Socket errors/ { gsub(/,/, ""); bad += $4 + $6 + $8 + $10 }
    END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, bad }' <<<"$out"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# One table: every scenario, ROUNDS rounds alternating which server goes first.
scenarios() {
  echo "wrk -t$(layout_wrk_threads "$layout") -c$CONNECTIONS -d${DURATION}s on cores $(layout_wrk_cpus "$layout"), $ROUNDS rounds alternating nginx and mcp-gitops; medians; latency in ms"
  printf '%-46s | %9s %6s %6s | %9s %6s %6s | %5s\n' scenario "nginx r/s" p50 p99 "mcp r/s" p50 p99 ratio
  printf '%s\n' "-------------------------------------------------------------------------------------------------------"
  while IFS=$'\t' read -r label path mcp_script ngx_script; do
    : >"$work/ngx.runs"
    : >"$work/mcp.runs"
    for round in $(seq "$ROUNDS"); do
      if [ $((round % 2)) -eq 1 ]; then
        run_wrk "$ngx_port" "$path" "$ngx_script" "$DURATION" >>"$work/ngx.runs"
        run_wrk "$mcp_port" "$path" "$mcp_script" "$DURATION" >>"$work/mcp.runs"
      else
        run_wrk "$mcp_port" "$path" "$mcp_script" "$DURATION" >>"$work/mcp.runs"
        run_wrk "$ngx_port" "$path" "$ngx_script" "$DURATION" >>"$work/ngx.runs"
      fi
    done
    col() { awk -v c="$2" '{ print $c }' "$1" | median; }
    bad=$(awk '{ s += $4 } END { print s }' "$work/mcp.runs" "$work/ngx.runs")
    n_rps=$(col "$work/ngx.runs" 1) m_rps=$(col "$work/mcp.runs" 1)
    printf '%-46s | %9s %6s %6s | %9s %6s %6s | %5s%s\n' "$label" \
      "$n_rps" "$(col "$work/ngx.runs" 2)" "$(col "$work/ngx.runs" 3)" \
      "$m_rps" "$(col "$work/mcp.runs" 2)" "$(col "$work/mcp.runs" 3)" \
      "$(awk -v a="$m_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", a / b }')" \
      "$([ "$bad" -gt 0 ] && echo "  ($bad failed requests)")"
    rounds() { awk '{ printf " %s/%s", $1, $3 }' "$1"; }
    echo "    rounds (r/s / p99 ms): nginx$(rounds "$work/ngx.runs"); mcp-gitops$(rounds "$work/mcp.runs")"
  done <"$work/scenarios.tsv"
}

mkdir -p "$work/www"
prepared=""
for layout in $LAYOUTS; do
  echo
  echo "== layout: $layout"
  [ -n "$mcp_pid" ] && stop "$mcp_pid"
  [ -n "$ngx_pid" ] && stop "$ngx_pid"
  start_mcp "$(layout_server_cpus "$layout")"
  if [ -z "$prepared" ]; then
    python3 bench/prepare.py bodies "$mcp_port" "$work/www" "$work"
    prepared=yes
  fi
  start_nginx "$(layout_nginx_workers "$layout")" "$(layout_server_cpus "$layout")"
  python3 bench/prepare.py etags "$ngx_port" "$mcp_port" "$work"
  scenarios
done
first_page=$(head -1 "$work/scenarios.tsv" | cut -f2)

rss_after_load=$(rss $mcp_pid)

echo "RSS after the load: $(mib "$rss_after_load") for $entries entries = $((rss_after_load / entries)) bytes per entry"

# Reloads under load: the same first-page load, steady and then while files are touched.
echo
echo "reloads under load ($layout layout): wrk ${RELOAD_WINDOW}s on $first_page, steady and then with reloads"
steady=$(run_wrk "$mcp_port" "$first_page" "" "$RELOAD_WINDOW")
touched=$(find "$work/repo/servers" -name '*.yaml' -print -quit)
# Touches a server file and waits (up to $1 tenths of a second) until a new revision is served.
reload_once() {
  local n
  n=$(served_reloads)
  touch "$touched"
  for _ in $(seq "$1"); do
    [ "$(served_reloads)" -gt "$n" ] && break
    sleep 0.1
  done
}
before=$(served_reloads)
run_wrk "$mcp_port" "$first_page" "" "$RELOAD_WINDOW" >"$work/reload.run" &
wrk_pid=$!
end=$((SECONDS + RELOAD_WINDOW - 3))
while [ $SECONDS -lt $end ]; do
  reload_once 100
  sleep 0.5
done
wait "$wrk_pid"
wrk_pid=""
during=$(cat "$work/reload.run")
reloads=$(($(served_reloads) - before))
read -r s_rps _ s_p99 s_bad <<<"$steady"
read -r d_rps _ d_p99 d_bad <<<"$during"
echo "  steady:        $s_rps req/s, p99 $s_p99 ms, $s_bad failed"
echo "  $reloads reloads:    $d_rps req/s, p99 $d_p99 ms, $d_bad failed; p99 ratio $(awk -v a="$d_p99" -v b="$s_p99" 'BEGIN { printf "%.2f", a / b }') (target ≤ 2)"

# Memory across reloads (no load): touch a file, wait for the new revision, sample RSS.
echo
echo "memory across $RELOADS reloads (one file touched per reload):"
samples=() durations=()
for i in $(seq "$RELOADS"); do
  reload_once 300
  samples+=("$(rss $mcp_pid)")
  durations+=("$(last_reload_ms)")
  case $i in 1 | 10 | 25 | 50 | 75 | 100 | "$RELOADS") echo "  after reload $i: RSS $(mib "${samples[-1]}")" ;; esac
done
printf '%s\n' "${samples[@]}" | awk -v e="$entries" '
  { v[NR] = $1; if ($1 > max) max = $1 }
  END {
    h = int(NR / 2); for (i = 1; i <= h; i++) a += v[i]; for (i = h + 1; i <= NR; i++) b += v[i]
    printf "  max %.0f MiB (%d bytes per entry); mean of the first half %.0f MiB, of the second %.0f MiB\n",
      max / 1048576, max / e, a / (h ? h : 1) / 1048576, b / ((NR - h) ? NR - h : 1) / 1048576 }'
echo "  reload duration (from /status): median $(printf '%s\n' "${durations[@]}" | median) ms"
