#!/usr/bin/env python3
"""Helper of bench/load.sh (run by it; standard library only).

  prepare.py bodies MCP_PORT ROOT WORK   fetch every scenario's response body once from
                                         mcp-gitops and write it under the nginx root ROOT, so
                                         nginx serves the very same bytes; write WORK/scenarios.tsv
                                         and the wrk Lua scripts for mcp-gitops
  prepare.py etags NGX_PORT MCP_PORT WORK  check that nginx serves the same bytes and write the
                                         304 script with nginx's own ETags
  prepare.py rss PID                     print VmRSS of PID in bytes

List responses live in ROOT/q/<query string>; nginx maps /v0.1/servers?<query> to them with
`try_files /q/$args`. One-version responses live at their own path: nginx decodes
`io.x%2Fy` to `io.x/y`, so /v0.1/servers/io.x%2Fy/versions/latest is the file
ROOT/v0.1/servers/io.x/y/versions/latest.
"""
import http.client
import json
import os
import sys
import urllib.parse


def client(port):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=60)


def get(conn, path, headers=None):
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


def write(path, body):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(body)


def lua_table(items):
    return "{" + ",".join(json.dumps(s) for s in items) + "}"


def rotating_script(path, paths, etags=None):
    """A wrk script that sends the paths in turn (with If-None-Match when etags are given)."""
    with open(path, "w") as f:
        f.write(f"local paths = {lua_table(paths)}\n")
        if etags:
            f.write(f"local etags = {lua_table(etags)}\n")
        f.write("local i = math.random(#paths) - 1\n")
        f.write("request = function()\n  i = i % #paths + 1\n")
        if etags:
            f.write('  return wrk.format("GET", paths[i], {["If-None-Match"] = etags[i]})\n')
        else:
            f.write('  return wrk.format("GET", paths[i])\n')
        f.write("end\n")


def one_version_path(name):
    return "/v0.1/servers/" + urllib.parse.quote(name, safe="") + "/versions/latest"


def bodies(port, root, work):
    conn = client(port)
    # Every name, and a cursor from the middle of the full listing.
    names, cursor = [], None
    while True:
        q = "limit=100&version=latest" + (f"&cursor={cursor}" if cursor else "")
        status, _, body = get(conn, f"/v0.1/servers?{q}")
        assert status == 200, (q, status)
        page = json.loads(body)
        names += [s["server"]["name"] for s in page["servers"]]
        cursor = page["metadata"].get("nextCursor")
        if not cursor:
            break
    cursor, walked, cursors = None, 0, []
    while True:
        q = "limit=100" + (f"&cursor={cursor}" if cursor else "")
        status, _, body = get(conn, f"/v0.1/servers?{q}")
        page = json.loads(body)
        walked += page["metadata"]["count"]
        cursor = page["metadata"].get("nextCursor")
        if not cursor:
            break
        cursors.append((walked, cursor))
    total = walked
    middle_at, middle_cursor = min(cursors, key=lambda c: abs(c[0] - total // 2), default=(0, ""))

    # A term users type (a topic: one server in 18 has it) and one that only a scan of every
    # name can rule out.
    lists = [
        ("first page ?limit=30", "limit=30"),
        ("?limit=100&version=latest", "limit=100&version=latest"),
        ("search ?search=kubernetes", "search=kubernetes"),
        ("search, rare ?search=mcp-9999", "search=mcp-9999"),
        (f"mid-list cursor page (after entry {middle_at})", f"cursor={middle_cursor}&limit=30"),
    ]
    rows = []
    for label, q in lists:
        status, _, body = get(conn, f"/v0.1/servers?{q}")
        assert status == 200, (label, status, body[:200])
        write(os.path.join(root, "q", q), body)
        rows.append((label, f"/v0.1/servers?{q}", "", ""))

    paths, etags = [], []
    for name in names:
        path = one_version_path(name)
        status, headers, body = get(conn, path)
        assert status == 200, (path, status)
        write(os.path.join(root, "v0.1", "servers", name, "versions", "latest"), body)
        paths.append(path)
        etags.append(headers["etag"])
    rotating_script(os.path.join(work, "names.lua"), paths)
    rotating_script(os.path.join(work, "mcp-304.lua"), paths, etags)
    with open(os.path.join(work, "paths.json"), "w") as f:
        json.dump(paths, f)
    rows.append((f"/servers/{{name}}/versions/latest, {len(names)} names", paths[0], "names.lua", "names.lua"))
    rows.append((f"304 revalidation, {len(names)} names", paths[0], "mcp-304.lua", "ngx-304.lua"))
    with open(os.path.join(work, "scenarios.tsv"), "w") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")
    print(f"prepared {len(rows)} scenarios: {len(names)} names, {total} entries in the full listing")


def etags(ngx_port, mcp_port, work):
    with open(os.path.join(work, "paths.json")) as f:
        paths = json.load(f)
    ngx, mcp = client(ngx_port), client(mcp_port)
    # The same bytes from both, for every list scenario and a sample of names.
    with open(os.path.join(work, "scenarios.tsv")) as f:
        lists = [line.split("\t")[1] for line in f if line.split("\t")[2] == ""]
    for path in lists + paths[:: max(1, len(paths) // 200)]:
        a, b = get(ngx, path), get(mcp, path)
        assert a[0] == b[0] == 200 and a[2] == b[2], (
            f"nginx and mcp-gitops differ on {path}: {a[0]} {len(a[2])} bytes, {b[0]} {len(b[2])} bytes"
        )
    tags = []
    for path in paths:
        status, headers, _ = get(ngx, path)
        assert status == 200, (path, status)
        tags.append(headers["etag"])
    rotating_script(os.path.join(work, "ngx-304.lua"), paths, tags)
    # Both answer 304 to their own tag.
    for conn, tag in ((ngx, tags[0]), (mcp, None)):
        if tag is None:
            _, headers, _ = get(conn, paths[0])
            tag = headers["etag"]
        status, _, body = get(conn, paths[0], {"If-None-Match": tag})
        assert status == 304 and body == b"", (status, body[:100])
    print(f"nginx serves the same bytes ({len(lists)} lists, {len(paths[:: max(1, len(paths) // 200)])} sampled names); both answer 304")


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                print(int(line.split()[1]) * 1024)
                return
    print(0)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "bodies":
        bodies(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif cmd == "etags":
        etags(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif cmd == "rss":
        rss(sys.argv[2])
    else:
        sys.exit(f"unknown command {cmd}")
