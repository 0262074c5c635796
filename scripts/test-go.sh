#!/usr/bin/env bash
# The Go binding's suite, from a fresh machine: builds libbouncekit
# (release) and installs it into a staging prefix, then in go/: gofmt,
# go vet, go test (with the race detector on the concurrency tests), and a
# short benchmark. No network: the module has no dependencies.
#
# Environment: CARGO_TARGET_DIR (default ~/.cache/bouncekit-target),
# BK_JOBS (cargo -j, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bouncekit-target}"
export BK_JOBS="${BK_JOBS:-2}"
export RUST_BACKTRACE=0
mkdir -p "$CARGO_TARGET_DIR"
stage="$CARGO_TARGET_DIR/bouncekit-go-stage"

step() { printf '\n== %s\n' "$*"; }

if ! command -v go >/dev/null 2>&1; then
    echo "test-go: go is not installed" >&2
    exit 1
fi
go version

step "build: make install PREFIX=$stage (release)"
rm -rf "$stage"
make -s --no-print-directory install PREFIX="$stage"

# The #cgo directives in go/bouncekit.go name libbouncekit.a (static) and
# the header; these point them at the staged install.
export CGO_ENABLED=1
export CGO_CFLAGS="-I$stage/include"
export CGO_LDFLAGS="-L$stage/lib"
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod
cd go

step "gofmt, go vet"
unformatted="$(gofmt -l .)"
if [ -n "$unformatted" ]; then
    echo "gofmt: not formatted: $unformatted" >&2
    exit 1
fi
go vet ./...
echo "vet ok"

step "go test"
go test -count=1 -v ./... 2>&1 | grep -Ev '^(=== RUN|    --- PASS)' | grep -v '^\s*$'

step "go test -race (concurrency and stress tests, -short: fewer messages)"
go test -count=1 -race -short -run 'Concurrent|Stress|Close|Finalizer|Panic' ./...

step "go test -bench (short)"
go test -count=1 -run '^$' -bench . -benchtime 200ms ./...
