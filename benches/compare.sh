#!/bin/sh
# Side-by-side: bouncekit vs Sisimai (Debian libsisimai-perl) vs flufl.bounce (PyPI).
# Builds a big mbox by repeating the corpus, runs each tool on it, prints
# messages/s, peak RSS and the ratios; then each tool's accuracy on the corpus
# through score_corpus.py. Not part of the test suite.
#
#   benches/compare.sh [REPEAT]     (default REPEAT=20: 589 x 20 = 11,780 messages)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$here/../shared}
corpus=$shared/corpus/sisimai
repeat=${1:-20}
work=${WORK:-$(mktemp -d /tmp/bouncekit-compare.XXXXXX)}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/target}

echo "== installing peers (apt: libsisimai-perl; pip: flufl.bounce)" >&2
if ! perl -MSisimai -e1 2>/dev/null; then
    apt-get install -y -q libsisimai-perl >/dev/null || sudo apt-get install -y -q libsisimai-perl >/dev/null
fi
if ! python3 -c 'import flufl.bounce' 2>/dev/null; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install -q flufl.bounce
    py=$work/venv/bin/python3
else
    py=python3
fi
[ -x "$work/venv/bin/python3" ] && py=$work/venv/bin/python3

echo "== building bouncekit (release)" >&2
cargo build -q --release -j2 -p bouncekit-cli --manifest-path "$here/Cargo.toml"
bk=$CARGO_TARGET_DIR/release/bouncekit

echo "== building the test mailbox ($repeat x corpus)" >&2
"$py" - "$corpus/bsd" "$repeat" "$work/big.mbox" <<'PY'
import os, re, sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = sorted(os.listdir(src))
with open(out, "wb") as f:
    for _ in range(n):
        for name in files:
            data = open(os.path.join(src, name), "rb").read().replace(b"\r\n", b"\n")
            data = re.sub(rb"(?m)^(>*From )", rb">\1", data)
            f.write(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2015\n" + data.rstrip(b"\n") + b"\n\n")
PY
msgs=$(grep -c '^From MAILER-DAEMON Thu Jan  1 00:00:00 2015$' "$work/big.mbox")
echo "mailbox: $msgs messages, $(du -h "$work/big.mbox" | cut -f1)" >&2

cat > "$work/sisimai.pl" <<'PL'
# Sisimai driver: one JSON object per recipient, as bouncekit scan prints them.
use strict; use warnings; use Sisimai; use JSON::PP;
my $json = JSON::PP->new->canonical;
for my $path (@ARGV) {
    my @files = -d $path ? sort glob("$path/*") : ($path);
    for my $f (@files) {
        my $v = Sisimai->make($f, 'delivered' => 1, 'vacation' => 1) || [];
        (my $name = $f) =~ s{.*/}{};
        for my $e (@$v) {
            my $s = $e->deliverystatus // '';
            $s = undef if $s eq '' || $s =~ /\.9\d\d$/;
            print $json->encode({ source => $name, recipient => $e->recipient->address,
                status => $s, reason => $e->reason,
                bounce_type => ($e->softbounce == 0 ? 'hard' : 'soft') }), "\n";
        }
    }
}
PL

# (Not named flufl.py: the script's own name would shadow the package.)
cat > "$work/flufl_driver.py" <<'PY'
# flufl.bounce driver: one JSON object per recipient found (it gives no reason).
import email, json, mailbox, os, sys
from flufl.bounce import scan_message
def rows(name, msg):
    try:
        temp, perm = scan_message(msg)
    except Exception:
        return
    for a in sorted(perm):
        yield {"source": name, "recipient": a.decode() if isinstance(a, bytes) else a, "status": None, "reason": "undefined", "bounce_type": "hard"}
    for a in sorted(temp):
        yield {"source": name, "recipient": a.decode() if isinstance(a, bytes) else a, "status": None, "reason": "undefined", "bounce_type": "soft"}
out = sys.stdout
for path in sys.argv[1:]:
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            with open(os.path.join(path, name), "rb") as f:
                msg = email.message_from_binary_file(f)
            for r in rows(name, msg):
                out.write(json.dumps(r) + "\n")
    else:
        for i, msg in enumerate(mailbox.mbox(path, create=False)):
            for r in rows(f"{path}#{i+1}", msg):
                out.write(json.dumps(r) + "\n")
PY

# GNU time gives the wall clock in hundredths of a second: on bouncekit's
# ~0.2 s run that is a step of 5%. The wall time is taken in nanoseconds
# around the same run instead; time still gives RSS and CPU.
timed() { # name, run number, command...: $work/NAME.N.time and NAME.N.wall
    name=$1; n=$2; shift 2
    t0=$(date +%s%N)
    /usr/bin/time -v -o "$work/$name.$n.time" "$@" > "$work/$name.out" 2>"$work/$name.err" || true
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN{ printf "%.4f\n", (b - a) / 1e9 }' > "$work/$name.$n.wall"
}

measure() { # name, command...
    name=$1; shift
    timed "$name" 1 "$@"
    report "$name" 1
}

# bouncekit's runs last a fraction of a second, where one stall of the
# machine moves the figure by a tenth: it runs three times and the median
# run (by wall time) is the one reported. The peers' runs last many seconds
# and run once.
measure3() { # name, command...
    name=$1; shift
    for i in 1 2 3; do timed "$name" "$i" "$@"; done
    report "$name" "$(for i in 1 2 3; do echo "$(cat "$work/$name.$i.wall") $i"; done | sort -n | sed -n 2p | cut -d' ' -f2)"
}

report() { # name, run number: prints the line of that measured run
    name=$1; n=$2
    if [ ! -s "$work/$name.out" ]; then
        echo "$name printed nothing; its errors:" >&2
        tail -5 "$work/$name.err" >&2
    fi
    secs=$(cat "$work/$name.$n.wall")
    rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$work/$name.$n.time")
    rate=$(awk -v m="$msgs" -v s="$secs" 'BEGIN{ if (s>0) printf "%.0f", m/s; else print "inf" }')
    # CPU time (user + system) as well: on a loaded machine the wall-clock
    # rate drops with the load, the CPU seconds much less.
    cpu=$(awk -F': ' '/User time|System time/{s+=$2} END{printf "%.2f", s}' "$work/$name.$n.time")
    echo "$name $secs $rss $rate" >> "$work/results"
    printf '%-14s %8.3f s %10s KB peak RSS %10s messages/s %8s s CPU\n' "$name" "$secs" "$rss" "$rate" "$cpu"
}
: > "$work/results"
echo "== speed on $msgs messages (load average $(cut -d' ' -f1-3 /proc/loadavg))"
measure3 bouncekit "$bk" scan --format jsonl "$work/big.mbox"
measure3 bouncekit-1core env RAYON_NUM_THREADS=1 "$bk" scan --format jsonl "$work/big.mbox"
measure sisimai perl "$work/sisimai.pl" "$work/big.mbox"
measure flufl.bounce "$py" "$work/flufl_driver.py" "$work/big.mbox"
# The peers run on one core: the ratios are given with bouncekit on every
# core (what a user gets) and on one core (the same means as the peers).
awk '{r[$1]=$4; m[$1]=$3} END{for (k in r) if (k !~ /^bouncekit/ && r[k]>0) {
        printf "bouncekit is %.1fx faster than %s (RSS %s KB vs %s KB)\n", r["bouncekit"]/r[k], k, m["bouncekit"], m[k]
        printf "bouncekit on one core is %.1fx faster than %s\n", r["bouncekit-1core"]/r[k], k }}' "$work/results"

echo "== accuracy on the corpus (score_corpus.py)"
"$bk" scan --format jsonl "$corpus/bsd" > "$work/acc-bouncekit.jsonl"
perl "$work/sisimai.pl" "$corpus/bsd" > "$work/acc-sisimai.jsonl" 2>/dev/null || true
"$py" "$work/flufl_driver.py" "$corpus/bsd" > "$work/acc-flufl.jsonl" 2>/dev/null || true
for t in bouncekit sisimai flufl; do
    printf '%-10s ' "$t"
    python3 "$shared/tools/score_corpus.py" "$corpus/expected.json" "$work/acc-$t.jsonl" --show 0 | tail -1
done
echo "(work files in $work)"
