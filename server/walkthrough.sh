#!/usr/bin/env bash
# Runs every ```sh block of the Walkthrough in server/README.md, as written, against a server
# started in an empty directory with no other setup, then stops it with SIGTERM and checks that
# it exits cleanly. Needs curl, jq and python3. The binary: $CAVEAT_SERVER, or the debug build.
# With CAVEAT_DATABASE set (e.g. an empty PostgreSQL database), the server and every CLI call
# use that database instead of a SQLite file in the empty directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${CARGO_TARGET_DIR:-$here/../target}
bin=${CAVEAT_SERVER:-$target/debug/caveat-server}
[ -x "$bin" ] || { echo "walkthrough: no binary at $bin (cargo build -p caveat-server)" >&2; exit 1; }
work=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/bin" "$work/run"
ln -s "$bin" "$work/bin/caveat-server"
export PATH="$work/bin:$PATH"
cd "$work/run"

caveat-server serve --listen 127.0.0.1:0 >"$work/ready.txt" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 300); do
    grep -q '^caveat-server ready on ' "$work/ready.txt" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
URL=$(sed -n 's/^caveat-server ready on //p' "$work/ready.txt")
[ -n "$URL" ] || { echo "walkthrough: the server never said it was ready" >&2; exit 1; }
export URL

python3 - "$here/README.md" >"$work/steps.sh" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
section = text.split("\n## Walkthrough\n", 1)[1]
blocks, inside = [], None
for line in section.splitlines():
    if inside is None and line.strip() == "```sh":
        inside = []
    elif inside is not None and line.strip() == "```":
        blocks.append("\n".join(inside))
        inside = None
    elif inside is not None:
        inside.append(line)
if len(blocks) < 6:
    sys.exit(f"walkthrough: expected the six flows, found {len(blocks)} blocks")
print("\n\n".join(blocks))
PY
bash -euo pipefail ${WALKTHROUGH_TRACE:+-x} "$work/steps.sh"
steps=$(grep -c 'curl' "$work/steps.sh")

kill -TERM "$pid"
if wait "$pid"; then status=0; else status=$?; fi
pid=
[ "$status" -eq 0 ] || { echo "walkthrough: the server exited with $status" >&2; cat "$work/server.log" >&2; exit 1; }
grep -q 'stopped' "$work/server.log"
printf '\n'
echo "walkthrough: every step passed ($steps curl calls), clean shutdown"
