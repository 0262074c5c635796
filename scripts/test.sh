#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need,
# then runs the Rust tests and doctests (and the bindings' suites as they land).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# A target directory outside the clone survives between CI runs on one machine.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bouncekit-target}"
mkdir -p "$CARGO_TARGET_DIR"

if [ ! -d ../shared/corpus ]; then
    echo "test.sh: ../shared (corpus and reference) must sit beside the checkout" >&2
    exit 1
fi

step() { printf '\n== %s\n' "$*"; }

step "rust: build + unit, integration and doc tests"
# One invocation for every crate, the binding's own unit tests (the batch
# runner) included; its Python-facing behaviour is tested by pytest below.
# One feature resolution: run on its own, `-p bouncekit-python` resolved
# other features and rebuilt 124 of its 242 units (the core, tokio, hickory,
# serde, syn, ...) a second time.
cargo test --workspace --locked -q

step "lint: clippy, cargo-deny, miri (scripts/lint.sh)"
bash scripts/lint.sh

step "python: build, install and pytest"
bash scripts/test-python.sh

step "c: library, header drift, C tests (plain, valgrind, ASan/UBSan), symbols, example"
bash scripts/test-c.sh

step "go: vet, test, bench"
bash scripts/test-go.sh
