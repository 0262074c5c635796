#!/usr/bin/env bash
# Runs every fuzz target in turn for SECONDS each (default 60), one process
# at a time, and prints per target: seconds, executions, CPU time, result.
#   bash fuzz/run.sh 600            # all targets, 10 minutes each
#   bash fuzz/run.sh 60 parse capi  # some targets
# Installs cargo-fuzz if missing. Needs a nightly toolchain (rustup's
# `nightly`), or falls back to stable with RUSTC_BOOTSTRAP=1.
# A crash, leak or timeout stops the run with the reproducer's path
# (fuzz/artifacts/TARGET/); turn it into a regression test in tests/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
secs="${1:-60}"
shift || true
targets="${*:-status_codes classify parse mbox_split rules_loader policy_loader capi}"
# A slow input is a bug too: anything over this many seconds is reported.
timeout_s="${FUZZ_TIMEOUT:-20}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    tc="+nightly"
else
    echo "run.sh: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1" >&2
    tc=""
    export RUSTC_BOOTSTRAP=1
fi

# The seed corpus is built once; `rm -r fuzz/corpus` rebuilds it.
[ -d "$here/corpus/capi" ] || bash "$here/seeds.sh" >/dev/null
CARGO_BUILD_JOBS="${FUZZ_BUILD_JOBS:-2}" cargo $tc fuzz build 2>&1 | tail -n 3
mkdir -p "$here/logs"

printf '%-14s %8s %12s %10s  %s\n' target seconds executions cpu_s result
for t in $targets; do
    log="$here/logs/$t.log"
    status=0
    # -jobs=1 would fork a worker; one plain process is the same and keeps the log here.
    /usr/bin/time -f '%U %S' -o "$here/logs/$t.time" \
        cargo $tc fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout="$timeout_s" -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
    cpu="$(awk '{printf "%.0f", $1 + $2}' "$here/logs/$t.time" 2>/dev/null || echo '?')"
    ran="$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || echo '?')"
    if [ "$status" -eq 0 ]; then
        result="ok, corpus $(ls "corpus/$t" | wc -l) inputs"
    else
        result="FAILED ($(grep -m1 -o 'ERROR: libFuzzer: [a-z-]*\|ERROR: AddressSanitizer: [a-z-]*\|ERROR: LeakSanitizer: [a-z-]*\|panicked at [^:]*' "$log" || echo "exit $status")); see $log"
    fi
    printf '%-14s %8s %12s %10s  %s\n' "$t" "$ran" "$execs" "$cpu" "$result"
    if [ "$status" -ne 0 ]; then
        ls -1 "artifacts/$t" 2>/dev/null | sed 's/^/  reproducer: fuzz\/artifacts\/'"$t"'\//' || true
        exit 1
    fi
done
