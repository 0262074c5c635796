#!/usr/bin/env bash
# Builds the C library in release mode and lays out what `make install`
# copies, under OUT (default: $CARGO_TARGET_DIR/bouncekit-c):
#
#   OUT/include/bouncekit.h
#   OUT/lib/libbouncekit.a              static, only bk_* symbols global
#   OUT/lib/libbouncekit.so.X.Y.Z       shared, SONAME libbouncekit.so.X
#   OUT/lib/libbouncekit.so.X -> libbouncekit.so.X.Y.Z
#   OUT/lib/libbouncekit.so   -> libbouncekit.so.X
#   OUT/native-static-libs             what a static link needs besides
#   OUT/VERSION
#
# Environment: CARGO_TARGET_DIR (default ./target), BK_JOBS (cargo -j,
# default 2), BK_PRELINK=0 to skip the static library's symbol hiding.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
out="${1:-$CARGO_TARGET_DIR/bouncekit-c}"
jobs="${BK_JOBS:-2}"

# The crate is named bouncekit_capi (the core crate owns the name
# bouncekit); `cargo rustc` lets us ask rustc for the native libraries a
# static link needs. Cargo replays the note when nothing was rebuilt.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! cargo rustc --release --locked -j "$jobs" -p bouncekit-capi --lib -- --print native-static-libs 2>"$log"; then
    cat "$log" >&2
    exit 1
fi
native="$(sed -n 's/^note: native-static-libs: //p' "$log" | tail -n 1)"
if [ -z "$native" ]; then
    native="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
fi

version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)"
major="${version%%.*}"
rel="$CARGO_TARGET_DIR/release"

rm -rf "$out.tmp"
mkdir -p "$out.tmp/lib" "$out.tmp/include"
cp include/bouncekit.h "$out.tmp/include/"
printf '%s\n' "$native" >"$out.tmp/native-static-libs"
printf '%s\n' "$version" >"$out.tmp/VERSION"

# Shared library: Rust exports only the #[no_mangle] bk_* functions.
cp "$rel/libbouncekit_capi.so" "$out.tmp/lib/libbouncekit.so.$version"
ln -s "libbouncekit.so.$version" "$out.tmp/lib/libbouncekit.so.$major"
ln -s "libbouncekit.so.$major" "$out.tmp/lib/libbouncekit.so"

# Static library. A Rust staticlib carries every dependency's objects with
# their Rust symbols global (and LLVM bitcode that confuses nm and other
# binutils). We link them into one relocatable object and keep only bk_*
# global, so libbouncekit.a can sit beside other Rust static libraries in
# one program without duplicate-symbol clashes.
work="$(mktemp -d)"
trap 'rm -f "$log"; rm -rf "$work"' EXIT
objcopy -R .llvmbc -R .llvmcmd "$rel/libbouncekit_capi.a" "$work/nobc.a"
if [ "${BK_PRELINK:-1}" != 0 ] && ld -r --whole-archive "$work/nobc.a" -o "$work/bouncekit.o" 2>"$work/ld.log"; then
    nm -g --defined-only "$work/bouncekit.o" | awk '$3 ~ /^bk_/ {print $3}' >"$work/keep"
    if [ ! -s "$work/keep" ]; then
        echo "build-dist: no bk_* symbols found in the static library" >&2
        exit 1
    fi
    objcopy --keep-global-symbols="$work/keep" "$work/bouncekit.o" "$work/bouncekit-hidden.o"
    ar rcs "$out.tmp/lib/libbouncekit.a" "$work/bouncekit-hidden.o"
else
    [ -s "$work/ld.log" ] && cat "$work/ld.log" >&2
    cp "$work/nobc.a" "$out.tmp/lib/libbouncekit.a"
fi

rm -rf "$out"
mv "$out.tmp" "$out"
echo "build-dist: $out (bouncekit $version; static link also needs: $native)"
