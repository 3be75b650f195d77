#!/usr/bin/env bash
# Service under abuse, on loopback only: the list page's throughput and p99 while 1,000
# slow-header connections (a header byte a second each, reconnecting when closed) and a
# URL-churn client (every request a new, ignored 8 KB query parameter) run beside it, against
# the same load without them, in one run; resident memory before and after. Run by hand, not in
# CI (bench/README.md, "Abuse").
#
#   bench/abuse.sh                       the release build of this checkout
#   BIN=/path/to/mcp-gitops bench/abuse.sh   another build
#
# Layout: the server on core 1; wrk (measured load and churn) and the slow-header script on
# core 0. Every client stops by itself after its time; every process started here is stopped
# on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVERS=${SERVERS:-10000}
VERSIONS=${VERSIONS:-5}
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-10}
SLOW=${SLOW:-1000}
ROUNDS=${ROUNDS:-3}

command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin mcp-gitops
  BIN=target/release/mcp-gitops
fi
GEN=${GEN:-target/release/examples/gen-registry}
[ -x "$GEN" ] || cargo build --release --quiet --example gen-registry

work=$(mktemp -d /tmp/mcp-gitops-abuse.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rss() { awk '/VmRSS/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$1/status"; }
metric() { curl -sf "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

echo "machine: $(nproc) cores, $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$GEN" --servers "$SERVERS" --versions "$VERSIONS" --out "$work/repo" 2>/dev/null
echo "registry: $SERVERS servers × $VERSIONS versions; mcp-gitops $BIN"
taskset -c 1 "$BIN" serve --repo "$work/repo" --listen "127.0.0.1:$port" 2>"$work/serve.log" &
server=$!
pids+=("$server")
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/serve.log"; exit 1; }

# The URL-churn client: each request a fresh ignored parameter of 8 KB.
cat >"$work/churn.lua" <<'EOF'
local n = 0
local filler = string.rep("x", 8192)
request = function()
  n = n + 1
  return wrk.format(nil, "/v0.1/servers?limit=30&junk" .. n .. "=" .. filler)
end
EOF

# The slow-header clients: SLOW connections, each sending one header byte a second, opening a
# new connection whenever the server closes one; they stop after $1 seconds.
cat >"$work/slow.py" <<'EOF'
import asyncio, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
closed = 0
async def one(deadline):
    global closed
    loop = asyncio.get_running_loop()
    while loop.time() < deadline:
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(b"GET /v0.1/servers HTTP/1.1\r\nHost: x\r\n")
            while loop.time() < deadline:
                await asyncio.sleep(1)
                w.write(b"X")
                await w.drain()
                if r.at_eof():
                    closed += 1
                    break
            else:
                w.close()
        except (ConnectionError, OSError):
            closed += 1
        await asyncio.sleep(0.1)
async def main():
    deadline = asyncio.get_running_loop().time() + seconds
    await asyncio.gather(*(one(deadline) for _ in range(count)))
    print(f"slow-header connections closed by the server: {closed}")
asyncio.run(main())
EOF

# "req/s p99_ms" of one measured run on the list page.
measure() {
  taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$port/v0.1/servers" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    END { printf "%.0f %.3f\n", rps, p99 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

measure >/dev/null # warm the response cache
echo "RSS before: $(rss "$server")"
: >"$work/quiet" ; : >"$work/abused"
for round in $(seq "$ROUNDS"); do
  measure >>"$work/quiet"
  taskset -c 0 python3 "$work/slow.py" "$port" "$SLOW" "$((DURATION + 4))" >>"$work/slow.out" &
  slow=$!
  taskset -c 0 wrk -t1 -c1 -d"$((DURATION + 3))s" -s "$work/churn.lua" "http://127.0.0.1:$port" >"$work/churn.$round" &
  churn=$!
  sleep 2 # let the slow connections open
  echo "  round $round: $(metric mcp_gitops_http_connections_open) connections open during the abuse"
  measure >>"$work/abused"
  wait "$churn" "$slow"
done
col() { awk -v c="$2" '{ print $c }' "$1" | median; }
q_rps=$(col "$work/quiet" 1) q_p99=$(col "$work/quiet" 2)
a_rps=$(col "$work/abused" 1) a_p99=$(col "$work/abused" 2)
printf '%-34s %9s %8s\n' "list page (wrk -c$CONNECTIONS, ${DURATION}s)" "req/s" "p99 ms"
printf '%-34s %9s %8s\n' "alone" "$q_rps" "$q_p99"
printf '%-34s %9s %8s\n' "beside $SLOW slow + URL churn" "$a_rps" "$a_p99"
echo "ratio (abused / alone): throughput $(awk -v a="$a_rps" -v b="$q_rps" 'BEGIN { printf "%.2f", a / b }'), p99 $(awk -v a="$a_p99" -v b="$q_p99" 'BEGIN { printf "%.2f", a / b }')"
echo "rounds (req/s/p99): alone $(awk '{ printf " %s/%s", $1, $2 }' "$work/quiet"); abused $(awk '{ printf " %s/%s", $1, $2 }' "$work/abused")"
echo "churn requests: $(awk '/requests in/ { s += $1 } END { print s }' "$work"/churn.*), non-2xx: $(awk '/Non-2xx/ { s += $NF } END { print s + 0 }' "$work"/churn.*)"
tail -"$ROUNDS" "$work/slow.out" | sed 's/^/  /'
echo "response cache: $(metric mcp_gitops_response_cache_entries) entries, $(metric mcp_gitops_response_cache_bytes) bytes weighed"
echo "RSS after: $(rss "$server")"
