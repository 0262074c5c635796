#!/usr/bin/env bash
# Static checks, run by scripts/test.sh: clippy (warnings are errors),
# cargo-deny (licenses, bans, sources offline; advisories when the database
# can be fetched) and, opt-in with BOUNCEKIT_MIRI=1, miri on the core's
# pure-logic modules (needs a nightly toolchain; miri and rust-src are added
# to it). Tools missing from ~/.cargo/bin are installed from crates.io once.
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
# --debug: cargo-deny's own release profile is fat LTO with one codegen unit,
# the slowest build of all for one tool. Its debug build took 3.6 CPU-minutes
# here (cold, 2 cores); its checks then take 3.3 CPU-seconds instead of 1.3,
# with the same findings, byte for byte.
if ! cargo deny --version 2>/dev/null | grep -q '^cargo-deny 0\.20\.'; then
    cargo install cargo-deny --version '=0.20.2' --locked -q --debug
fi
cargo deny --offline check licenses bans sources
# Advisories need the RustSec database from GitHub: checked when it can be
# fetched, skipped with a note otherwise (CI may have no route to GitHub).
if timeout 120 cargo deny fetch db >/tmp/bouncekit-deny-fetch.log 2>&1; then
    cargo deny check --disable-fetch advisories
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
