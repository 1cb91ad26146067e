#!/usr/bin/env bash
# The comparison harness links two system libraries through pkg-config: libsodium (for the
# `macaroon` crate) and libmacaroons 0.3.0 (the C reference, through shim/libmacaroons_shim.c),
# and compiles the shim with the system C compiler. This checks them and says how to install
# what is missing; with INSTALL=1 (as root, Debian/Ubuntu) it installs them.
#
#   bash benches/compare/check-deps.sh          check; exit 1 with the apt-get line when missing
#   INSTALL=1 bash benches/compare/check-deps.sh
set -euo pipefail
packages="pkg-config libsodium-dev libmacaroons-dev gcc"
missing() {
    command -v pkg-config >/dev/null 2>&1 || return 0
    command -v cc >/dev/null 2>&1 || return 0
    pkg-config --exists libsodium || return 0
    pkg-config --exists libmacaroons || return 0
    [ -f "$(pkg-config --variable=includedir libmacaroons)/macaroons.h" ] || return 0
    return 1
}
if missing; then
    if [ "${INSTALL:-0}" = 1 ] || { [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ]; }; then
        apt-get update -qq && apt-get install -y -qq $packages >/dev/null
    else
        echo "benches/compare needs system packages; on Debian/Ubuntu:" >&2
        echo "    sudo apt-get install $packages" >&2
        echo "(or run INSTALL=1 bash benches/compare/check-deps.sh as root)" >&2
        exit 1
    fi
fi
echo "benches/compare: libsodium $(pkg-config --modversion libsodium)," \
    "libmacaroons $(pkg-config --modversion libmacaroons), $(cc --version | head -1)"
