#!/usr/bin/env bash
# The C API suite, from a fresh machine:
#   - installs what it needs if missing (gcc, g++, valgrind, pkg-config, binutils)
#   - builds libbouncekit (release) and installs it into a staging prefix
#     with `make install` (so the install step is tested too)
#   - the capi crate's Rust tests, including the header drift test
#   - the header compiled as C99/C11 and C++11/C++17 with -Wall -Wextra -Werror -pedantic
#   - tests/c/ programs: plain (static and shared), under valgrind, under ASan/UBSan
#   - exported symbols (only bk_*), SONAME, pkg-config, the example program
# Ends with the line "N passed, M failed"; exits non-zero on any failure.
#
# Environment: CARGO_TARGET_DIR (default ~/.cache/bouncekit-target),
# BK_JOBS (cargo -j, default 2), BK_SKIP_VALGRIND=1 / BK_SKIP_ASAN=1 to skip those runs.
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bouncekit-target}"
export BK_JOBS="${BK_JOBS:-2}"
# bk_test_panic panics on purpose: one line on stderr, not a backtrace.
export RUST_BACKTRACE=0
mkdir -p "$CARGO_TARGET_DIR"

stage="$CARGO_TARGET_DIR/bouncekit-c-stage"
out="$CARGO_TARGET_DIR/bouncekit-c-tests"
logs="$out/logs"
rm -rf "$out"
mkdir -p "$out" "$logs"

passed=0
failed=0
failures=()
step() { printf '\n== %s\n' "$*"; }

# check NAME CMD...: runs CMD, output to a log; prints the log's tail on failure.
check() {
    local name="$1"
    shift
    local log="$logs/${name//[^A-Za-z0-9_.-]/_}.log"
    local t0=$SECONDS
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        printf 'ok    %-44s (%ds)\n' "$name" $((SECONDS - t0))
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf 'FAIL  %-44s (%ds)\n' "$name" $((SECONDS - t0))
        tail -n 40 "$log" | sed 's/^/    | /'
    fi
}

finish() {
    echo
    if [ "$failed" -gt 0 ]; then
        printf 'failed: %s\n' "${failures[*]}"
    fi
    echo "C: $passed passed, $failed failed"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

step "tools"
missing=()
for tool in gcc g++ make valgrind pkg-config nm objcopy ld ar readelf; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    pkgs=()
    for tool in "${missing[@]}"; do
        case "$tool" in
            gcc) pkgs+=(gcc libc6-dev) ;;
            g++) pkgs+=(g++) ;;
            make) pkgs+=(make) ;;
            valgrind) pkgs+=(valgrind) ;;
            pkg-config) pkgs+=(pkgconf) ;;
            *) pkgs+=(binutils) ;;
        esac
    done
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}"; } >"$logs/apt.log" 2>&1; then
        tail -n 20 "$logs/apt.log"
        echo "test-c: could not install ${pkgs[*]}" >&2
    fi
fi
gcc --version | head -n 1
valgrind --version 2>/dev/null || true

step "build: make install PREFIX=$stage (release)"
rm -rf "$stage"
if ! make -s --no-print-directory install PREFIX="$stage" >"$logs/build.log" 2>&1; then
    tail -n 60 "$logs/build.log"
    failed=$((failed + 1))
    failures+=("build")
    finish
fi
tail -n 2 "$logs/build.log"
native="$(cat "$CARGO_TARGET_DIR/bouncekit-c/native-static-libs")"
static_libs=("$stage/lib/libbouncekit.a" $native -lpthread)
cflags=(-std=c99 -Wall -Wextra -Werror -g -O1 -I"$stage/include" -Itests/c)

step "rust: capi unit tests and the header drift test"
check "cargo test -p bouncekit-capi" cargo test --locked -q -j "$BK_JOBS" -p bouncekit-capi

step "header: C and C++, -Wall -Wextra -Werror -pedantic"
for std in c99 c11; do
    check "header as $std" bash -c 'gcc -std='"$std"' -Wall -Wextra -Werror -pedantic -I"$1/include" tests/c/header_c.c -o "$2/header_'"$std"'" "${@:3}" && "$2/header_'"$std"'"' _ "$stage" "$out" "${static_libs[@]}"
done
for std in c++11 c++17; do
    check "header as $std" bash -c 'g++ -std='"$std"' -Wall -Wextra -Werror -pedantic -I"$1/include" tests/c/header_cxx.cpp -o "$2/header_'"$std"'" "${@:3}" && "$2/header_'"$std"'"' _ "$stage" "$out" "${static_libs[@]}"
done

step "build the C tests (static, shared, ASan/UBSan)"
tests=(test_api test_threads test_big test_parse test_scan test_ledger test_hostile)
for t in "${tests[@]}"; do
    check "compile $t (static)" gcc "${cflags[@]}" "tests/c/$t.c" -o "$out/$t" "${static_libs[@]}"
    check "compile $t (asan+ubsan)" gcc "${cflags[@]}" -fsanitize=address,undefined -fno-sanitize-recover=all \
        -fno-omit-frame-pointer "tests/c/$t.c" -o "$out/$t.asan" "${static_libs[@]}"
done
check "compile test_api (shared)" gcc "${cflags[@]}" tests/c/test_api.c -o "$out/test_api.shared" \
    -L"$stage/lib" -lbouncekit -Wl,-rpath,"$stage/lib"

step "example: examples/c/bounce_classify.c"
export PKG_CONFIG_PATH="$stage/lib/pkgconfig"
example_runs() {
    local bin="$1"
    "$bin" <examples/diagnostics.txt >"$out/example.tsv" || return 1
    [ "$(wc -l <"$out/example.tsv")" -eq "$(grep -c . examples/diagnostics.txt)" ] || return 1
    head -n 3 "$out/example.tsv"
    grep -q "^userunknown	hard	suppress	5.1.1	" "$out/example.tsv" || return 1
    "$bin" --explain 5.7.26 | head -n 3 || return 1
    ! "$bin" --explain 5.9.9 2>/dev/null || return 1
    printf '[[rule]]\nid = "ex.vip"\nreason = "filtered"\npriority = 100\nphrases = ["vip only"]\nexamples = ["550 vip only"]\n' >"$out/rules.toml"
    "$bin" --rules "$out/rules.toml" "550 5.1.1 vip only" | grep -q "^filtered" || return 1
}
# Exactly the lines docs/c.md gives.
check "example: compile (shared, pkg-config)" bash -c 'cc -std=c99 -Wall -Wextra -Werror -O2 $(pkg-config --cflags bouncekit) examples/c/bounce_classify.c -o "$1/bounce_classify" $(pkg-config --libs bouncekit) -Wl,-rpath,"$(pkg-config --variable=libdir bouncekit)"' _ "$out"
check "example: compile (static)" bash -c 'cc -std=c99 -Wall -Wextra -Werror -O2 $(pkg-config --cflags bouncekit) examples/c/bounce_classify.c -o "$1/bounce_classify_static" "$(pkg-config --variable=libdir bouncekit)/libbouncekit.a" $(pkg-config --static --libs-only-l bouncekit | sed "s/-lbouncekit//")' _ "$out"
check "example: run (shared)" example_runs "$out/bounce_classify"
check "example: run (static)" example_runs "$out/bounce_classify_static"

# examples/c/bounce_scan.c: scan the fixtures into a ledger, twice.
scan_example_runs() {
    local bin="$1" db="$out/example-$2.db"
    rm -f "$db" "$db"-*
    "$bin" "$db" tests/fixtures >"$out/scan1.csv" 2>"$out/scan1.err" || { cat "$out/scan1.err"; return 1; }
    cat "$out/scan1.csv" "$out/scan1.err"
    head -n 1 "$out/scan1.csv" | grep -qx "address,domain,scope,reason,bounce_type,since,until,why" || return 1
    [ "$(wc -l <"$out/scan1.csv")" -ge 2 ] || return 1
    grep -q " [1-9][0-9]* events recorded" "$out/scan1.err" || return 1
    # Scanning the same mail again records nothing and changes no entry.
    "$bin" "$db" tests/fixtures >"$out/scan2.csv" 2>"$out/scan2.err" || return 1
    grep -q " 0 events recorded" "$out/scan2.err" || return 1
    cmp "$out/scan1.csv" "$out/scan2.csv" || return 1
    "$bin" --format json "$db" tests/fixtures 2>/dev/null | head -c 1 | grep -q '\[' || return 1
    ! "$bin" "$db" /nonexistent/path 2>/dev/null || return 1
    ! "$bin" "$db" 2>/dev/null || return 1
}
check "example bounce_scan: compile (static)" bash -c 'cc -std=c99 -Wall -Wextra -Werror -O2 $(pkg-config --cflags bouncekit) examples/c/bounce_scan.c -o "$1/bounce_scan" "$(pkg-config --variable=libdir bouncekit)/libbouncekit.a" $(pkg-config --static --libs-only-l bouncekit | sed "s/-lbouncekit//")' _ "$out"
check "example bounce_scan: run" scan_example_runs "$out/bounce_scan" plain

step "run: plain"
check "test_api" "$out/test_api"
check "test_api (shared library)" "$out/test_api.shared"
check "test_threads (8 threads)" "$out/test_threads"
check "test_big (50 MB)" "$out/test_big" 50
check "test_parse" "$out/test_parse"
# The shared corpus (../shared, as README says), when present: every file scans.
corpus="$root/../shared/corpus/sisimai/bsd"
corpus_args=()
if [ -d "$corpus" ]; then
    corpus_args=("$corpus" "$(find "$corpus" -type f | wc -l)")
fi
check "test_scan (scanner, limits${corpus_args:+, corpus})" "$out/test_scan" "${corpus_args[@]}"
check "test_ledger (policy, ledger)" "$out/test_ledger"
check "test_hostile (NULLs, bad bytes, limits, bad rules/policy)" "$out/test_hostile"

if [ "${BK_SKIP_ASAN:-0}" != 1 ]; then
    step "run: ASan + UBSan"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    check "test_api (asan+ubsan)" "$out/test_api.asan"
    check "test_threads (asan+ubsan)" "$out/test_threads.asan"
    check "test_big 50 MB (asan+ubsan)" "$out/test_big.asan" 50
    check "test_parse (asan+ubsan)" "$out/test_parse.asan"
    check "test_scan (asan+ubsan)" "$out/test_scan.asan" "${corpus_args[@]}"
    check "test_ledger (asan+ubsan)" "$out/test_ledger.asan"
    check "test_hostile (asan+ubsan)" "$out/test_hostile.asan"
    unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if [ "${BK_SKIP_VALGRIND:-0}" != 1 ]; then
    step "run: valgrind --leak-check=full --error-exitcode=1"
    vg=(valgrind --leak-check=full --error-exitcode=1 --suppressions=tests/c/valgrind.supp)
    # Every run must end with "ERROR SUMMARY: 0 errors" and no definite or indirect leak.
    vgcheck() {
        local log="$1"
        shift
        "${vg[@]}" --log-file="$log" "$@" || { cat "$log"; return 1; }
        grep -q "ERROR SUMMARY: 0 errors" "$log" || { cat "$log"; return 1; }
        if grep -Eq "(definitely|indirectly) lost: [1-9]" "$log"; then cat "$log"; return 1; fi
        grep -E "ERROR SUMMARY|definitely lost|in use at exit" "$log"
    }
    vg_names=()
    vg_ids=()
    # vg_bg NAME ID CMD...: starts `vgcheck` of CMD in the background.
    vg_bg() {
        local name="$1" id="$2"
        shift 2
        vg_names+=("$name")
        vg_ids+=("$id")
        (vgcheck "$logs/$id.txt" "$@" >"$logs/$id.out" 2>&1; echo $? >"$logs/$id.rc") &
    }
    vg_result() {
        cat "$logs/$1.out"
        [ "$(cat "$logs/$1.rc" 2>/dev/null)" = 0 ]
    }
    # valgrind is single-threaded: the runs go in parallel, then are collected.
    vg_bg "test_api (valgrind)" vg-test_api "$out/test_api"
    vg_bg "test_threads 8 threads (valgrind)" vg-test_threads "$out/test_threads" 1
    # The rule set matches long texts at a few MB/s natively: 0.25 MB under valgrind.
    vg_bg "test_big (valgrind)" vg-test_big "$out/test_big" 0.25
    vg_bg "test_parse (valgrind)" vg-test_parse "$out/test_parse"
    vg_bg "test_scan (valgrind)" vg-test_scan "$out/test_scan"
    vg_bg "test_ledger (valgrind)" vg-test_ledger "$out/test_ledger"
    vg_bg "test_hostile (valgrind)" vg-test_hostile "$out/test_hostile"
    vg_bg "example (valgrind)" vg-example "$out/bounce_classify_static" "550 5.1.1 user unknown" "452 4.2.2 over quota"
    rm -f "$out/vg-scan.db" "$out/vg-scan.db"-*
    vg_bg "example bounce_scan (valgrind)" vg-example-scan "$out/bounce_scan" "$out/vg-scan.db" tests/fixtures
    wait
    for i in "${!vg_names[@]}"; do
        check "${vg_names[$i]}" vg_result "${vg_ids[$i]}"
    done
    grep -h "ERROR SUMMARY" "$logs"/vg-*.txt | sed 's/^==[0-9]*== /valgrind: /' | sort | uniq -c
fi

step "symbols, SONAME, pkg-config"
symbols_shared() {
    local so="$stage/lib/libbouncekit.so"
    local bad
    bad="$(nm -D --defined-only "$so" | awk 'NF>=3 && $3 !~ /^bk_/ {print $3}')"
    [ -z "$bad" ] || { echo "non-bk_ symbols exported by $so:"; echo "$bad"; return 1; }
    # Every function the header declares is exported, and nothing else.
    nm -D --defined-only "$so" | awk 'NF>=3 {print $3}' | sort >"$out/exported.txt"
    grep -oE '\bbk_[a-z0-9_]+\(' "$stage/include/bouncekit.h" | tr -d '(' | sort -u >"$out/declared.txt"
    diff "$out/declared.txt" "$out/exported.txt" || { echo "header declarations and exports differ"; return 1; }
    echo "$(wc -l <"$out/exported.txt") symbols, all bk_*, all declared in bouncekit.h"
}
symbols_static() {
    local a="$stage/lib/libbouncekit.a"
    local bad
    bad="$(nm -g --defined-only "$a" | awk 'NF==3 && $3 !~ /^bk_/ {print $2, $3}')"
    [ -z "$bad" ] || { echo "global symbols other than bk_* in $a:"; echo "$bad" | head -n 50; return 1; }
    local n
    n="$(nm -g --defined-only "$a" | awk 'NF==3 && $2=="T"' | wc -l)"
    [ "$n" -eq "$(wc -l <"$out/declared.txt")" ] || { echo "$n global text symbols, expected $(wc -l <"$out/declared.txt")"; return 1; }
    echo "$n global text symbols, all bk_*"
}
soname() {
    readelf -d "$stage/lib/libbouncekit.so" | grep -q 'SONAME.*\[libbouncekit\.so\.0\]' &&
        readelf -d "$out/test_api.shared" | grep -q 'NEEDED.*\[libbouncekit\.so\.0\]'
}
check "symbols: shared library exports only bk_*" symbols_shared
check "symbols: static library globals only bk_*" symbols_static
check "SONAME libbouncekit.so.0" soname
# README's static link line names exactly the native libraries rustc printed.
check "README link line = native-static-libs" grep -qF "libbouncekit.a $native" README.md
check "pkg-config bouncekit" bash -c 'pkg-config --exists bouncekit && pkg-config --modversion bouncekit && pkg-config --cflags --libs bouncekit && pkg-config --static --libs bouncekit'

finish
