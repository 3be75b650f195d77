#!/usr/bin/env bash
# A self-contained Linux x86_64 binary, built with the installed toolchain only (no extra rustup
# target): the glibc target with the C runtime linked in (`+crt-static`, a static-pie). libgit2
# and libssh2 are built from source by their -sys crates; OpenSSL and zlib come from Debian's
# static libraries (libssl-dev and zlib1g-dev ship libssl.a, libcrypto.a and libz.a; libc6-dev
# ships libc.a). Then proves it: no dynamic section, and `--version` and `lint example-repo` run
# in an empty root (bubblewrap, no /lib, no /usr, no /etc).
#
# The release workflow (.github/workflows/release.yml) builds the published Linux binaries for
# musl instead; this is the recipe that can be shown on a machine with only the gnu target.
#
#   deploy/ci/static-build.sh            # builds into target/static, checks, prints the size
#   STATIC_BUILD_JOBS=1 STATIC_BUILD_NICE=19 deploy/ci/static-build.sh   # beside other builds
set -euo pipefail
cd "$(dirname "$0")/../.."

target=x86_64-unknown-linux-gnu
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/static}"
# With --target, these flags reach the binary only, not build scripts (which run on the host).
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static"
# openssl-sys links libssl.a and libcrypto.a rather than asking for the shared libraries.
export OPENSSL_STATIC=1

jobs=()
[ -n "${STATIC_BUILD_JOBS:-}" ] && jobs=(-j "$STATIC_BUILD_JOBS")
echo "== static build ($target, +crt-static) into $CARGO_TARGET_DIR"
start=$(date +%s)
nice -n "${STATIC_BUILD_NICE:-0}" \
  cargo build --release --locked --target "$target" --bin mcp-gitops "${jobs[@]}"
echo "built in $(($(date +%s) - start)) s"
bin="$CARGO_TARGET_DIR/$target/release/mcp-gitops"

echo "== $bin has no dynamic dependencies"
if command -v file >/dev/null 2>&1; then file "$bin"; fi
# No program interpreter (ld.so) and no needed shared library (readelf is in binutils, with gcc).
if readelf -l "$bin" | grep -q 'INTERP' || readelf -d "$bin" | grep -q '(NEEDED)'; then
  echo "error: the binary needs a dynamic loader or shared libraries:" >&2
  readelf -l "$bin" | grep -A1 'INTERP' >&2 || true
  readelf -d "$bin" | grep '(NEEDED)' >&2 || true
  exit 1
fi
# ldd says "statically linked" (or "not a dynamic executable") and exits non-zero for those.
ldd "$bin" 2>&1 || true

echo "== runs in an empty root (bubblewrap: the binary and example-repo only)"
empty_root=(bwrap --unshare-all --die-with-parent --clearenv
  --ro-bind "$bin" /mcp-gitops --ro-bind example-repo /repo --proc /proc --dev /dev)
"${empty_root[@]}" /mcp-gitops --version
"${empty_root[@]}" /mcp-gitops lint /repo

echo "== size: $(stat -c %s "$bin") bytes ($(du -h "$bin" | cut -f1))"
