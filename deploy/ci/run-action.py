#!/usr/bin/env python3
"""Runs a composite action's steps the way a GitHub runner would, for deploy/ci/check-dist.sh.

    run-action.py ACTION_YML [--input NAME=VALUE]... [--github NAME=VALUE]...

Just enough of the runner for action.yml: `${{ inputs.X }}`, `${{ github.X }}` and
`${{ steps.ID.outputs.X }}` in strings, `if:` of the form `steps.ID.outputs.X != 'v'` (or ==),
`run` steps with `shell: bash` (run as `bash --noprofile --norc -eo pipefail FILE` in
GITHUB_WORKSPACE, with GITHUB_OUTPUT and GITHUB_PATH honoured), and `actions/cache`, whose
restore is emulated: a hit when its path already exists (a tool cache kept between runs).
Anything else is refused, so a change to the action that this cannot emulate is noticed.

The runner's variables (RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE, RUNNER_TEMP,
GITHUB_WORKSPACE, GITHUB_ACTION_PATH, GITHUB_SERVER_URL, GITHUB_STEP_SUMMARY, ...) come from the
environment. Prints each step's outputs as `STEP.NAME=VALUE`; exits with the status of the
first step that fails.
"""

import os
import re
import subprocess
import sys
import tempfile

import yaml


def main() -> int:
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    with open(args.pop(0)) as f:
        action = yaml.safe_load(f)
    given: dict[str, dict[str, str]] = {"input": {}, "github": {}}
    while args:
        flag, pair = args.pop(0), args.pop(0)
        name, _, value = pair.partition("=")
        given[flag.removeprefix("--")][name] = value

    ctx = {"github": given["github"], "steps": {}, "inputs": {}}
    for name, spec in (action.get("inputs") or {}).items():
        default = expand(str(spec.get("default", "")), ctx)
        ctx["inputs"][name] = given["input"].pop(name, default)
    if given["input"]:
        sys.exit(f"run-action: no such input: {', '.join(given['input'])}")

    paths: list[str] = []
    for number, step in enumerate(action["runs"]["steps"], 1):
        step_id = step.get("id", f"step{number}")
        outputs: dict[str, str] = {}
        ctx["steps"][step_id] = {"outputs": outputs}
        if "if" in step and not condition(step["if"], ctx):
            continue
        if "uses" in step:
            if not step["uses"].startswith("actions/cache@"):
                sys.exit(f"run-action: cannot emulate `uses: {step['uses']}`")
            path = expand(step["with"]["path"], ctx)
            outputs["cache-hit"] = "true" if os.path.isdir(path) and os.listdir(path) else "false"
        else:
            if step.get("shell") != "bash":
                sys.exit(f"run-action: step {step_id}: only `shell: bash` is emulated")
            env = dict(os.environ)
            env.update({k: expand(str(v), ctx) for k, v in (step.get("env") or {}).items()})
            env["PATH"] = os.pathsep.join(paths[::-1] + [env["PATH"]])
            with tempfile.TemporaryDirectory() as tmp:
                script, output, path_file = (os.path.join(tmp, n) for n in ("s.sh", "o", "p"))
                with open(script, "w") as f:
                    f.write(expand(step["run"], ctx))
                open(output, "w").close()
                open(path_file, "w").close()
                env.update(GITHUB_OUTPUT=output, GITHUB_PATH=path_file)
                status = subprocess.call(
                    ["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
                    env=env,
                    cwd=os.environ["GITHUB_WORKSPACE"],
                )
                with open(output) as f:
                    for line in f.read().splitlines():
                        name, _, value = line.partition("=")
                        outputs[name] = value
                with open(path_file) as f:
                    paths += f.read().splitlines()
            if status != 0:
                print(f"run-action: step {number} ({step.get('name', step_id)}) exited {status}")
                return status
        for name, value in outputs.items():
            print(f"{step_id}.{name}={value}")
    return 0


def lookup(path: str, ctx: dict) -> str:
    value = ctx
    for part in path.strip().split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part, "")
    return value if isinstance(value, str) else ""


def expand(text: str, ctx: dict) -> str:
    def one(match: re.Match) -> str:
        inner = match.group(1).strip()
        if not re.fullmatch(r"(inputs|github|steps)(\.[A-Za-z0-9_-]+)+", inner):
            sys.exit(f"run-action: cannot evaluate `{inner}`")
        return lookup(inner, ctx)

    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


def condition(text: str, ctx: dict) -> bool:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*(==|!=)\s*'([^']*)'\s*", text)
    if not m:
        sys.exit(f"run-action: cannot evaluate `if: {text}`")
    equal = lookup(m.group(1), ctx) == m.group(3)
    return equal if m.group(2) == "==" else not equal


if __name__ == "__main__":
    sys.exit(main())
