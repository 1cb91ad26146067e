#!/usr/bin/env bash
# Starts the `protected` example as documented (key from CAVEAT_KEY, port 0 on loopback) and
# checks GET /health (200) and GET /whoami without a token (401 unauthorized). The example's
# routes are tested in depth by axum/tests/example.rs; this checks the binary and its argv.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p caveat-token-axum --example protected
out=$(mktemp)
CAVEAT_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
    "${CARGO_TARGET_DIR:-target}/debug/examples/protected" --listen 127.0.0.1:0 --trust-proxy 10.0.0.0/8 >"$out" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do
    grep -q '^listening on ' "$out" && break
    sleep 0.1
done
addr=$(sed -n 's/^listening on //p' "$out")
[ -n "$addr" ] || { echo "the example did not start"; exit 1; }
python3 - "$addr" <<'PY'
import json, sys, urllib.error, urllib.request
base = "http://" + sys.argv[1]
# Loopback only: never through a proxy from the environment.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
with opener.open(base + "/health", timeout=10) as r:
    assert r.status == 200, r.status
try:
    opener.open(base + "/whoami", timeout=10)
    sys.exit("whoami without a token was accepted")
except urllib.error.HTTPError as e:
    body = json.load(e)
    assert e.code == 401 and body["error"]["id"] == "unauthorized", (e.code, body)
    assert e.headers["WWW-Authenticate"] == "Bearer", e.headers
print("example: /health 200, /whoami without a token 401 unauthorized")
PY
