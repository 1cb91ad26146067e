#!/usr/bin/env bash
# A bounded loopback load test with Debian's wrk: verify_access_token, an authenticated
# GET /user/tokens/named (token auth, then a SQLite read), and GET /health (an axum route with
# no token and no store: the baseline) against the same release server, each for
# $LOAD_SECONDS (default 10) with $LOAD_CONNECTIONS (default 16) connections on 2 threads.
# Prints requests/s and p99 for each, and the ratio to the baseline. Only 127.0.0.1 is used.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${CARGO_TARGET_DIR:-$here/../target}
bin=${CAVEAT_SERVER:-$target/release/caveat-server}
seconds=${LOAD_SECONDS:-10}
connections=${LOAD_CONNECTIONS:-16}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[ -x "$bin" ] || { echo "loadtest: no binary at $bin (cargo build --release -p caveat-server)" >&2; exit 1; }
work=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
echo 'alice-password' | "$bin" user add alice >/dev/null
"$bin" serve --listen 127.0.0.1:0 --rate-limit 100000000 --rate-burst 100000000 \
    >"$work/ready.txt" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 300); do
    grep -q '^caveat-server ready on ' "$work/ready.txt" 2>/dev/null && break
    sleep 0.1
done
URL=$(sed -n 's/^caveat-server ready on //p' "$work/ready.txt")
TOKEN=$(curl -sf -u alice:alice-password -X POST "$URL/api/v3/onezone/user/tokens/named" \
    -d '{"name":"load"}' | jq -r .token)

cat >"$work/verify.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"token":"$TOKEN"}'
wrk.headers["Content-Type"] = "application/json"
LUA

run() { # name, then wrk arguments
    local name=$1
    shift
    wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@" >"$work/$name.txt"
    local rps p99
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/$name.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$work/$name.txt")
    if grep -q 'Non-2xx' "$work/$name.txt"; then
        echo "loadtest: $name had non-2xx responses" >&2
        cat "$work/$name.txt" >&2
        exit 1
    fi
    printf '%s %s %s\n' "$name" "$rps" "$p99" >>"$work/results.txt"
}
run plain "$URL/health"
run verify -s "$work/verify.lua" "$URL/api/v3/onezone/tokens/verify_access_token"
run named -H "X-Auth-Token: $TOKEN" "$URL/api/v3/onezone/user/tokens/named"

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "wrk -t2 -c$connections -d${seconds}s, loopback, release build"
awk 'NR == 1 {base = $2}
     {printf "%-8s %10.0f req/s  p99 %-9s  %5.1f%% of the plain route\n", $1, $2, $3, 100 * $2 / base}' \
    "$work/results.txt"
kill -TERM "$pid"
wait "$pid"
pid=
