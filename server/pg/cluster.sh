#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and CI, on 127.0.0.1 only.
#
#   server/pg/cluster.sh start [--tls]  initdb in a new temporary directory (owned by the
#                                       postgres user), start it on a free loopback port, create
#                                       the database `caveat`; prints two shell lines:
#                                         CAVEAT_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/caveat
#                                         CAVEAT_TEST_PG_DIR=/tmp/caveat-pg.XXXXXX
#                                       with --tls, it accepts TLS connections only (a CA and a
#                                       server certificate for 127.0.0.1 made with openssl),
#                                       and prints two more lines:
#                                         CAVEAT_TEST_PG_CA=DIR/ca.pem (the CA to trust)
#                                         CAVEAT_TEST_PG_OTHER_CA=DIR/other-ca.pem (one that
#                                         signed nothing)
#   server/pg/cluster.sh stop DIR       stop the cluster in DIR (fast) and delete DIR
#   server/pg/cluster.sh pause DIR      stop the cluster in DIR, keeping its data
#   server/pg/cluster.sh resume DIR     start it again on the same port
#   server/pg/cluster.sh createdb DIR NAME   create one more database; prints its URL
#
# initdb and pg_ctl are found on the PATH or in /usr/lib/postgresql/*/bin; Debian's
# `postgresql` package is installed when neither has them. Authentication is `trust`, and the
# server listens on the loopback address only (its unix socket is inside DIR).
set -euo pipefail

find_bin() {
    local d
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(readlink -f "$(command -v pg_ctl)")"
        return
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return
        fi
    done
    return 1
}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then
        # From a directory the postgres user can read (not the caller's).
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

bin_dir() {
    local b
    if ! b=$(find_bin); then
        echo "cluster.sh: installing PostgreSQL from Debian's packages" >&2
        # Without a default cluster: the package would otherwise create one and start it on
        # port 5432, a server nobody stops. Only this script's clusters run.
        # (A drop-in, not the package's own conffile, so dpkg has nothing to ask about.)
        mkdir -p /etc/postgresql-common/createcluster.d
        echo "create_main_cluster = false" \
            >/etc/postgresql-common/createcluster.d/caveat-no-main-cluster.conf
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql; } >&2
        b=$(find_bin)
    fi
    echo "$b"
}

free_port() {
    local p
    for _ in $(seq 1 100); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    echo "cluster.sh: no free port" >&2
    return 1
}

start_server() { # dir port
    local dir=$1 port=$2 bin tls=
    bin=$(cat "$dir/bin")
    if [ -f "$dir/server.pem" ]; then
        tls="-c ssl=on -c ssl_cert_file=$dir/server.pem -c ssl_key_file=$dir/server.key"
    fi
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir $tls" \
        start >/dev/null
}

make_certificates() { # dir
    local dir=$1
    command -v openssl >/dev/null || { apt-get update -qq && apt-get install -y -qq openssl; } >&2
    (
        cd "$dir"
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=caveat-test-ca \
            -keyout ca.key -out ca.pem
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=caveat-other-ca \
            -keyout other-ca.key -out other-ca.pem
        openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr
        printf 'subjectAltName=IP:127.0.0.1\n' >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
            -extfile server.ext -out server.pem
        rm -f ca.key other-ca.key server.csr server.ext ca.srl
        chown postgres server.key server.pem
        chmod 600 server.key
    ) >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; return 1; }
    # TLS only: a plain connection over TCP is refused.
    printf 'local all all trust\nhostssl all all 127.0.0.1/32 trust\n' >"$dir/data/pg_hba.conf"
    chown postgres "$dir/data/pg_hba.conf"
}

cmd=${1:-}
case "$cmd" in
start)
    bin=$(bin_dir)
    id postgres >/dev/null 2>&1 || { echo "cluster.sh: no postgres user" >&2; exit 1; }
    dir=$(mktemp -d /tmp/caveat-pg.XXXXXX)
    chmod 755 "$dir"
    echo "$bin" >"$dir/bin"
    chown postgres "$dir"
    as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    if [ "${2:-}" = --tls ]; then
        make_certificates "$dir"
    fi
    started=
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        if start_server "$dir" "$port" 2>>"$dir/start.log"; then
            started=1
            break
        fi
    done
    [ -n "$started" ] || { cat "$dir/server.log" "$dir/start.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    # Over the unix socket, which needs no TLS.
    as_postgres "$bin/createdb" -h "$dir" -p "$port" -U postgres caveat
    echo "CAVEAT_TEST_POSTGRES=postgres://postgres@127.0.0.1:$port/caveat"
    echo "CAVEAT_TEST_PG_DIR=$dir"
    if [ -f "$dir/ca.pem" ]; then
        echo "CAVEAT_TEST_PG_CA=$dir/ca.pem"
        echo "CAVEAT_TEST_PG_OTHER_CA=$dir/other-ca.pem"
    fi
    ;;
stop | pause)
    dir=${2:?usage: cluster.sh $cmd DIR}
    [ -f "$dir/bin" ] || { echo "cluster.sh: $dir is not a cluster made by this script" >&2; exit 1; }
    bin=$(cat "$dir/bin")
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    fi
    if [ "$cmd" = stop ]; then
        rm -rf "$dir"
    fi
    ;;
resume)
    dir=${2:?usage: cluster.sh resume DIR}
    start_server "$dir" "$(cat "$dir/port")"
    ;;
createdb)
    dir=${2:?usage: cluster.sh createdb DIR NAME}
    name=${3:?usage: cluster.sh createdb DIR NAME}
    port=$(cat "$dir/port")
    as_postgres "$(cat "$dir/bin")/createdb" -h "$dir" -p "$port" -U postgres "$name"
    echo "postgres://postgres@127.0.0.1:$port/$name"
    ;;
*)
    echo "usage: cluster.sh start [--tls] | stop DIR | pause DIR | resume DIR | createdb DIR NAME" >&2
    exit 2
    ;;
esac
