#!/usr/bin/env bash
# The main job on a bundled example: classify the sample diagnostics and
# print the verdicts.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bouncekit-target}"
cargo build --release --locked -q -p bouncekit-cli
"$CARGO_TARGET_DIR/release/bouncekit" classify - < examples/diagnostics.txt
