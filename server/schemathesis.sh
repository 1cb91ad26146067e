#!/usr/bin/env bash
# Runs schemathesis (from PyPI, in a venv it creates) against a server started in an empty
# directory, with the server's own /openapi.json, for a bounded number of cases: no 5xx, every
# status documented, every body matching its schema. The binary: $CAVEAT_SERVER, or the debug
# build. The venv: $SCHEMATHESIS_VENV (default: target/schemathesis-venv).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${CARGO_TARGET_DIR:-$here/../target}
bin=${CAVEAT_SERVER:-$target/debug/caveat-server}
venv=${SCHEMATHESIS_VENV:-$target/schemathesis-venv}
examples=${SCHEMATHESIS_EXAMPLES:-30}
[ -x "$bin" ] || { echo "schemathesis: no binary at $bin" >&2; exit 1; }
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q 'schemathesis>=4.32,<5'
fi
work=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
echo 'alice-password' | "$bin" user add alice >/dev/null
# The generous limit lets the generated cases reach the routes rather than the limiter.
"$bin" serve --listen 127.0.0.1:0 --rate-limit 100000 --rate-burst 100000 \
    >"$work/ready.txt" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 300); do
    grep -q '^caveat-server ready on ' "$work/ready.txt" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
URL=$(sed -n 's/^caveat-server ready on //p' "$work/ready.txt")
[ -n "$URL" ] || { echo "schemathesis: the server never said it was ready" >&2; exit 1; }

"$venv/bin/schemathesis" run "$URL/openapi.json" \
    --auth alice:alice-password \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing \
    --max-examples "$examples" \
    --seed 20261201 \
    --workers 2 \
    --no-color

kill -TERM "$pid"
wait "$pid"
pid=
