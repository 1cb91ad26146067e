#!/usr/bin/env bash
# The libmacaroons and go-macaroon differential: real peers mint and verify against the
# `caveat` command line in both directions (tests/peers/differential.py says what is covered).
#
# 1. Installs the peers' Debian packages when missing (libmacaroons-dev 0.3.0, golang-go,
#    golang-gopkg-macaroon.v2-dev), but only when CI=true or running as root; it prints the
#    apt-get commands it runs. Otherwise a missing package is an error.
# 2. Builds the peers under target/peers/: tests/peers/libmacaroons_peer.c against
#    libmacaroons, tests/peers/gomacaroon/ against gopkg.in/macaroon.v2 from Debian's GOPATH
#    (/usr/share/gocode, GO111MODULE=off: offline, no module download).
# 3. Builds `caveat` (cargo build --release --features cli) and runs the differential, which
#    prints "N passed, M failed" and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

packages=(libmacaroons-dev pkg-config golang-go golang-gopkg-macaroon.v2-dev)
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if ((${#missing[@]})); then
    if [[ "${CI:-}" == "true" || "$(id -u)" == 0 ]]; then
        sudo=()
        [[ "$(id -u)" == 0 ]] || sudo=(sudo)
        echo "+ ${sudo[*]} apt-get update -qq"
        "${sudo[@]}" apt-get update -qq
        echo "+ ${sudo[*]} apt-get install -y --no-install-recommends ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
            --no-install-recommends "${missing[@]}"
    else
        echo "missing packages: ${missing[*]} (install them, or run with CI=true or as root)" >&2
        exit 1
    fi
fi

out=target/peers
mkdir -p "$out"
echo "+ building $out/libmacaroons_peer"
# shellcheck disable=SC2046 # pkg-config prints several words
gcc -std=c99 -Wall -Wextra -Werror -O1 -o "$out/libmacaroons_peer" \
    tests/peers/libmacaroons_peer.c $(pkg-config --cflags --libs libmacaroons)
echo "+ building $out/gomacaroon"
(
    cd tests/peers/gomacaroon
    GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE="$PWD/../../../$out/gocache" \
        go build -o "../../../$out/gomacaroon" .
)

cargo build --release --features cli --quiet
python3 tests/peers/differential.py target/release/caveat \
    "libmacaroons=$out/libmacaroons_peer" "gomacaroon=$out/gomacaroon"
