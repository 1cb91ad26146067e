#!/usr/bin/env bash
# The pymacaroons differential test of the libmacaroons formats: builds the `caveat` command line, makes a
# virtualenv with pymacaroons (PyNaCl's wheels bundle libsodium) under target/ if there is none,
# and runs tests/pymacaroons_oracle.py. Exits non-zero on any disagreement.
#
# PYMACAROONS_VENV overrides where the virtualenv lives.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${PYMACAROONS_VENV:-target/pymacaroons-venv}"
# The version the oracle was written against; a newer one is a deliberate change.
pymacaroons="pymacaroons==0.13.0"

if ! "$venv/bin/python" -c 'import pymacaroons' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$pymacaroons"
fi

cargo build --release --features cli --quiet
"$venv/bin/python" tests/pymacaroons_oracle.py target/release/caveat
