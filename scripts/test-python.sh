#!/usr/bin/env bash
# The Python suite from a fresh machine: a cached virtualenv with the pinned
# test dependencies, the package built by maturin and installed (`pip
# install .`), then pytest over tests/python. Exits non-zero on any failure;
# pytest's summary line is the last thing printed.
#
#   BOUNCEKIT_VENV      the virtualenv (default: $XDG_CACHE_HOME/bouncekit-venv)
#   CARGO_TARGET_DIR    cargo's target dir (default: $XDG_CACHE_HOME/bouncekit-target,
#                       shared with scripts/test.sh)
#   PYTHON              the interpreter for a new venv (default: python3; >= 3.10)
#   extra arguments go to pytest (e.g. -k arrow, -m "not slow")
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}"
VENV="${BOUNCEKIT_VENV:-$CACHE/bouncekit-venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/bouncekit-target}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export PYTHONDONTWRITEBYTECODE=1
export MYPY_CACHE_DIR="${MYPY_CACHE_DIR:-$CACHE/bouncekit-mypy}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
REQ="tests/python/requirements.txt"

step() { printf '\n== %s\n' "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
    step "python: new virtualenv $VENV"
    "${PYTHON:-python3}" -m venv "$VENV"
fi
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"   # the maturin backend runs `maturin` from PATH
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
    echo "test-python.sh: $VENV has Python < 3.10; remove it or set PYTHON" >&2
    exit 1
}

# Reinstall the dependencies only when the pins change.
STAMP="$VENV/.bouncekit-requirements"
if ! cmp -s "$REQ" "$STAMP"; then
    step "python: test dependencies ($REQ)"
    "$PY" -m pip install -q -r "$REQ"
    cp "$REQ" "$STAMP"
fi

step "python: build and install bouncekit (maturin, release)"
# No build isolation: the venv's pinned maturin builds, without a download.
"$PY" -m pip install -q --no-build-isolation --no-deps --force-reinstall "$ROOT"

step "python: pytest"
cd "$ROOT"
exec "$PY" -m pytest -p no:cacheprovider tests/python "$@"
