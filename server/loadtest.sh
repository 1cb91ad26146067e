#!/usr/bin/env bash
# A bounded loopback load test with Debian's wrk: verify_access_token, an authenticated
# GET /user/tokens/named (token auth, then a database read), and GET /health (an axum route
# with no token and no store: the baseline), each for $LOAD_SECONDS (default 10) with
# $LOAD_CONNECTIONS (default 16) connections on 2 threads. Prints requests/s and p99 for each,
# and the ratio to the baseline. Only 127.0.0.1 is used.
#
#   server/loadtest.sh             one node on a SQLite file
#   server/loadtest.sh postgres    two nodes on one PostgreSQL database, loaded at once (half
#                                  the connections each; requests/s are the sum, p99 the worse
#                                  node's). The database: a new one on the cluster of
#                                  $CAVEAT_TEST_PG_DIR (server/pg/cluster.sh), or a cluster of
#                                  its own, stopped at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${CARGO_TARGET_DIR:-$here/../target}
bin=${CAVEAT_SERVER:-$target/release/caveat-server}
seconds=${LOAD_SECONDS:-10}
connections=${LOAD_CONNECTIONS:-16}
mode=${1:-sqlite}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[ -x "$bin" ] || { echo "loadtest: no binary at $bin (cargo build --release -p caveat-server)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
own_cluster=
cleanup() {
    for p in "${pids[@]}"; do
        if kill -0 "$p" 2>/dev/null; then kill -KILL "$p"; fi
    done
    if [ -n "$own_cluster" ]; then bash "$here/pg/cluster.sh" stop "$own_cluster" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

case "$mode" in
sqlite)
    database="sqlite://$work/caveat.db"
    nodes=1
    ;;
postgres)
    cluster=${CAVEAT_TEST_PG_DIR:-}
    if [ -z "$cluster" ]; then
        out=$(bash "$here/pg/cluster.sh" start)
        cluster=$(sed -n 's/^CAVEAT_TEST_PG_DIR=//p' <<<"$out")
        own_cluster=$cluster
    fi
    database=$(bash "$here/pg/cluster.sh" createdb "$cluster" "load_$(date +%s)_$$")
    nodes=2
    ;;
*)
    echo "usage: loadtest.sh [sqlite|postgres]" >&2
    exit 2
    ;;
esac
export CAVEAT_DATABASE=$database

echo 'alice-password' | "$bin" user add alice >/dev/null
urls=()
for n in $(seq 1 "$nodes"); do
    "$bin" serve --listen 127.0.0.1:0 --rate-limit 100000000 --rate-burst 100000000 \
        >"$work/ready$n.txt" 2>"$work/server$n.log" &
    pids+=($!)
    for _ in $(seq 1 300); do
        grep -q '^caveat-server ready on ' "$work/ready$n.txt" 2>/dev/null && break
        sleep 0.1
    done
    urls+=("$(sed -n 's/^caveat-server ready on //p' "$work/ready$n.txt")")
done
URL=${urls[0]}
TOKEN=$(curl -sf -u alice:alice-password -X POST "$URL/api/v3/onezone/user/tokens/named" \
    -d '{"name":"load"}' | jq -r .token)
# Every node knows the token before the clock starts.
for u in "${urls[@]}"; do
    curl -sf -X POST "$u/api/v3/onezone/tokens/verify_access_token" -d "{\"token\":\"$TOKEN\"}" >/dev/null
done

cat >"$work/verify.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"token":"$TOKEN"}'
wrk.headers["Content-Type"] = "application/json"
LUA

p99_ms() { # wrk's latency text (e.g. 1.23ms, 850.00us, 1.10s) in ms
    awk '$1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
         if (u == "us") v /= 1000; else if (u == "s") v *= 1000; printf "%.2f", v}' "$1"
}

run() { # name, path, then wrk arguments
    local name=$1 path=$2 n rps=0 p99=0 r p
    shift 2
    local per=$((connections / nodes)) threads=$((2 / nodes)) loaders=()
    for n in $(seq 1 "$nodes"); do
        wrk -t"$threads" -c"$per" -d"${seconds}s" --latency "$@" "${urls[$((n - 1))]}$path" \
            >"$work/$name.$n.txt" &
        loaders+=($!)
    done
    for l in "${loaders[@]}"; do wait "$l"; done
    for n in $(seq 1 "$nodes"); do
        if grep -q 'Non-2xx' "$work/$name.$n.txt"; then
            echo "loadtest: $name had non-2xx responses on node $n" >&2
            cat "$work/$name.$n.txt" >&2
            exit 1
        fi
        r=$(awk '/^Requests\/sec:/ {print $2}' "$work/$name.$n.txt")
        p=$(p99_ms "$work/$name.$n.txt")
        rps=$(awk -v a="$rps" -v b="$r" 'BEGIN {print a + b}')
        p99=$(awk -v a="$p99" -v b="$p" 'BEGIN {print (b > a) ? b : a}')
    done
    printf '%s %s %s\n' "$name" "$rps" "$p99" >>"$work/results.txt"
}
run plain /health
run verify /api/v3/onezone/tokens/verify_access_token -s "$work/verify.lua"
run named /api/v3/onezone/user/tokens/named -H "X-Auth-Token: $TOKEN"

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "$mode, $nodes node(s); wrk, $connections connections in all, ${seconds}s, loopback, release build"
awk 'NR == 1 {base = $2}
     {printf "%-8s %10.0f req/s  p99 %8.2f ms  %5.1f%% of the plain route\n", $1, $2, $3, 100 * $2 / base}' \
    "$work/results.txt"
for p in "${pids[@]}"; do
    kill -TERM "$p"
    wait "$p"
done
pids=()
