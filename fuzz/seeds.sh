#!/usr/bin/env bash
# Builds fuzz/corpus/<target>/ (not checked in) from the shared Sisimai corpus
# beside the checkout, the project's own rules and examples, and the small
# hostile seeds checked in under fuzz/seeds/<target>/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
shared="${BOUNCEKIT_SHARED:-$root/../shared}"
out="$here/corpus"
targets="status_codes classify parse mbox_split rules_loader policy_loader capi"

if [ ! -d "$shared/corpus/sisimai" ]; then
    echo "seeds.sh: $shared/corpus/sisimai not found (set BOUNCEKIT_SHARED)" >&2
    exit 1
fi
for t in $targets; do mkdir -p "$out/$t"; done

# A seed file per input, named by its content's hash: reruns add nothing twice.
put() {
    local tmp h; tmp="$(mktemp)"
    cat > "$tmp"
    h="$(sha1sum "$tmp" | cut -c1-16)"
    mv "$tmp" "$out/$1/seed-$h"
}

# Whole messages: parse, and the C ABI's bk_parse (selector byte 0); some
# also for the classifier with user rules (4: three limit bytes, then a message).
find "$shared/corpus/sisimai" -name '*.eml' -type f | sort | while read -r f; do
    put parse < "$f"
    { printf '\x00'; cat "$f"; } | put capi
done
find "$shared/corpus/sisimai" -name '*.eml' -type f | sort | awk 'NR % 20 == 1' | while read -r f; do
    { printf '\x04\x20\xff\xff'; cat "$f"; } | put capi
done

# Mailboxes: the corpus's mbox files, and runs of messages joined as an mbox.
find "$shared/corpus/sisimai/mailbox" -type f | sort | while read -r f; do put mbox_split < "$f"; done
find "$shared/corpus/sisimai" -name '*.eml' -type f | sort | awk 'NR % 40 == 1' | while read -r f; do
    for g in "$f" "$f"; do printf 'From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n'; cat "$g"; printf '\n'; done | put mbox_split
done

# Diagnostic texts: the example file and the corpus's Diagnostic-Code and Status lines.
diag() {
    cat "$root/examples/diagnostics.txt"
    find "$shared/corpus/sisimai" -name '*.eml' -type f -print0 | xargs -0 grep -ahi '^\(diagnostic-code\|status\):' | sed 's/^[^:]*: *//' | sort -u | head -400
}
diag | while IFS= read -r line; do
    printf '%s' "$line" | put classify
    printf '%s' "$line" | put status_codes
    { printf '\x01%s' "$line"; } | put capi
done
for c in 2.0.0 4.2.2 5.1.1 5.7.26 5.9.999 X.7.1 4.4.7 5.4.1; do
    printf '%s' "$c" | put status_codes
    printf '\x02%s' "$c" | put capi
done

# Rules files (the built-in ones are valid user rules files) and policy files.
for f in "$root"/data/rules/*.toml; do put rules_loader < "$f"; done
for f in $(ls "$root"/data/rules/*.toml | head -n 8); do
    { printf '\x03'; cat "$f"; } | put capi
done
put policy_loader < "$root/examples/policy.toml"
{ printf '\x05'; cat "$root/examples/policy.toml"; } | put capi
# Each table of the example policy on its own: small valid policies to mutate.
awk '/^\[/{n++} n{print > ("'"$out"'/policy_loader/table-" n)}' "$root/examples/policy.toml"

# The hand-made hostile seeds.
for t in $targets; do
    if [ -d "$here/seeds/$t" ]; then cp "$here/seeds/$t"/* "$out/$t/"; fi
done

for t in $targets; do printf '%-14s %5d seeds\n' "$t" "$(ls "$out/$t" | wc -l)"; done
