#!/usr/bin/env bash
# Measures the server's resident memory for a synthetic registry, as deploy/README.md reports:
#
#   deploy/measure-memory.sh 1000 10000      # servers (5 versions each), one run per count
#
# For each count: generate the registry, commit it, serve the bare repository over file:// (the
# git mode a deployment uses), read VmRSS from /proc once /readyz is 200, then push a second
# commit and read VmRSS and the peak (VmHWM) once it is served (each 3 s after, to settle).
# Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- 1000 10000
cargo build --quiet --release --bin mcp-gitops --example gen-registry
bin=target/release/mcp-gitops
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
kib() { awk -v k="$1" '/^'"$1"':/ {print $2}' "/proc/$pid/status"; }
mib() { echo "$(( ($1 + 512) / 1024 )) MiB"; }
wait_for() { # wait_for URL-PATH PREDICATE-ON-BODY
  for _ in $(seq 1 1200); do
    body=$(curl -sf "http://127.0.0.1:$port$1" || true)
    if eval "$2"; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2; exit 1
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '| servers | versions | ready after | RSS when ready | peak until ready | RSS after a new commit | peak after it | mirror |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for n in "$@"; do
  reg="$work/reg-$n"
  target/release/examples/gen-registry --servers "$n" --versions 5 --out "$reg" 2>/dev/null
  git -C "$reg" init -q -b main
  git -C "$reg" add -A
  git -C "$reg" -c user.name=m -c user.email=m@example.com commit -qm "registry"
  git clone -q --bare "$reg" "$reg.git"
  git -C "$reg.git" config receive.autogc false   # no background gc racing the cleanup
  cache="$work/cache-$n"
  start=$(date +%s.%N)
  "$bin" serve --repo "file://$reg.git" --ref main --cache-dir "$cache" --poll-interval 1s \
    --listen "127.0.0.1:$port" 2>"$work/serve-$n.log" &
  pid=$!
  wait_for /readyz '[ -n "$body" ]'
  ready=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f} s')")
  sleep 3
  rss_ready=$(kib VmRSS)
  hwm_ready=$(kib VmHWM)
  first=$body
  f=$(cd "$reg" && find servers -name "*.yaml" -print -quit)
  printf '\n# a second commit\n' >> "$reg/$f"
  git -C "$reg" -c user.name=m -c user.email=m@example.com commit -qam "change"
  git -C "$reg" push -q "$reg.git" HEAD:main
  wait_for /readyz '[ -n "$body" ] && [ "$body" != "$first" ]'
  sleep 3
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$((n * 5))" "$ready" \
    "$(mib "$rss_ready")" "$(mib "$hwm_ready")" "$(mib "$(kib VmRSS)")" "$(mib "$(kib VmHWM)")" \
    "$(du -sh "$cache" | cut -f1)"
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
done
