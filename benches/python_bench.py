#!/usr/bin/env python3
"""Python throughput of bouncekit: per call, batch, Arrow, and (once
``bouncekit.parse`` exists) parsing vs flufl.bounce on the same messages.

The texts are the Diagnostic-Code lines of ../shared/corpus/sisimai/bsd (the
mix `cargo bench --bench classify` uses). Run it from the repository root in
the test venv:

    python benches/python_bench.py [--seconds 2] [--json out.json]

Compare the per-call rate with the Rust core's single-thread rate from
`cargo bench --bench classify` (criterion's "thrpt" line, in elements/s).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import bouncekit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))
from conftest import SHARED, corpus_diagnostics  # noqa: E402


def rate(fn: Callable[[], object], items: int, seconds: float) -> tuple[float, int]:
    """items/s of fn() (which handles `items` items), best of repeated runs."""
    fn()  # warm up
    best = float("inf")
    runs = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or runs < 3:
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
        runs += 1
    return items / best, runs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--repeat", type=int, default=20, help="batch size = corpus x this")
    args = ap.parse_args()

    texts = corpus_diagnostics()
    big = texts * args.repeat
    results: dict[str, object] = {
        "python": platform.python_version(),
        "bouncekit": bouncekit.__version__,
        "cores": os.cpu_count(),
        "diagnostics": len(texts),
    }
    print(f"bouncekit {bouncekit.__version__}, Python {platform.python_version()}, {os.cpu_count()} cores")
    print(f"{len(texts)} Diagnostic-Code texts from {SHARED / 'corpus/sisimai/bsd'}\n")

    def row(name: str, per_s: float, note: str = "") -> None:
        results[name] = round(per_s)
        print(f"  {name:<34} {per_s:>12,.0f} /s   {1e6 / per_s:8.2f} us each  {note}")

    classify = bouncekit.classify
    r, _ = rate(lambda: [classify(t) for t in texts], len(texts), args.seconds)
    row("classify (per call)", r)
    r, _ = rate(lambda: [classify(t).reason for t in texts], len(texts), args.seconds)
    row("classify + read .reason", r)
    r, _ = rate(lambda: bouncekit.classify_many(texts), len(texts), args.seconds)
    row(f"classify_many ({len(texts)})", r)
    r, _ = rate(lambda: bouncekit.classify_many(big), len(big), args.seconds)
    row(f"classify_many ({len(big)})", r, "all cores")
    try:
        import pyarrow as pa

        arr = pa.array(big, pa.string())
        r, _ = rate(lambda: bouncekit.classify_arrow(arr), len(big), args.seconds)
        row(f"classify_arrow ({len(big)})", r, "all cores, no Python objects")
    except ImportError:
        print("  (pyarrow not installed: no classify_arrow figure)")
    r, _ = rate(lambda: [bouncekit.find_codes(t) for t in texts], len(texts), args.seconds)
    row("find_codes (per call)", r)
    codes = [k.replace("X", "5", 1) for k in bouncekit.registered_codes()]
    r, _ = rate(lambda: [bouncekit.explain(c) for c in codes], len(codes), args.seconds)
    row("explain (per call)", r)

    parse = getattr(bouncekit, "parse", None)
    if parse is not None:
        bench_parse(parse, results, row, args.seconds)
    else:
        print("\n  (bouncekit.parse is not in this build: no parsing or flufl.bounce figures)")
    bench_ledger(row, args.seconds)

    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def bench_parse(parse: Callable[[bytes], object], results: dict[str, object], row, seconds: float) -> None:  # type: ignore[no-untyped-def]
    d = SHARED / "corpus" / "sisimai" / "bsd"
    raws = [p.read_bytes() for p in sorted(d.iterdir())] if d.is_dir() else []
    if not raws:
        return
    def parse_all() -> None:
        for m in raws:
            try:
                parse(m)
            except bouncekit.BounceKitError:
                pass

    print(f"\n{len(raws)} messages of {d}")
    r, _ = rate(parse_all, len(raws), seconds)
    row("parse (per call)", r)
    parse_many = getattr(bouncekit, "parse_many", None)
    if parse_many is not None:
        r, _ = rate(lambda: parse_many(raws, errors="return"), len(raws), seconds)
        row("parse_many", r, "all cores")
    try:
        import pyarrow as pa

        many = pa.array(raws * 5, pa.binary())
        r, _ = rate(lambda: bouncekit.parse_arrow(many, errors="return"), len(many), seconds)
        row(f"parse_arrow ({len(many)})", r, "all cores, no Python objects")
    except ImportError:
        pass
    try:
        import email

        from flufl.bounce import all_failures
    except ImportError:
        print("  (flufl.bounce not installed: pip install flufl.bounce)")
        return
    msgs = [email.message_from_bytes(m) for m in raws]
    r, _ = rate(lambda: [all_failures(m) for m in msgs], len(msgs), seconds)
    row("flufl.bounce all_failures", r, "pre-parsed email.message objects")
    r, _ = rate(lambda: [all_failures(email.message_from_bytes(m)) for m in raws], len(raws), seconds)
    row("flufl.bounce incl. email parsing", r)


def bench_ledger(row, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Recording events in one batch (a new in-memory ledger each run) and
    policy decisions, through the Python API."""
    import tempfile

    print("\nledger and policy")
    t0 = 1_714_557_600
    reasons = ["mailboxfull", "userunknown", "blocked", "networkerror", "expired"]
    events = [
        bouncekit.Event(f"user{i}@d{i % 500}.example", t0 + i, reasons[i % len(reasons)], message_id=f"m{i}")
        for i in range(10_000)
    ]

    def record_memory() -> None:
        with bouncekit.Ledger() as ledger:
            ledger.record(events)

    r, _ = rate(record_memory, len(events), seconds)
    row("Ledger.record (10,000, memory)", r, "one transaction")
    with tempfile.TemporaryDirectory() as d:
        n = 0

        def record_file() -> None:
            nonlocal n
            n += 1
            with bouncekit.Ledger(Path(d) / f"l{n}.db") as ledger:
                ledger.record(events)

        r, _ = rate(record_file, len(events), seconds)
        row("Ledger.record (10,000, file)", r, "one transaction, synchronous=FULL")
    policy = bouncekit.Policy()
    c = bouncekit.classify("452 4.2.2 mailbox full")
    history = [(t0 - 86_400, "mailboxfull", "soft")]
    r, _ = rate(lambda: [policy.decide(c, history, now=t0) for _ in range(1000)], 1000, seconds)
    row("Policy.decide (per call)", r)
    with bouncekit.Ledger() as ledger:
        ledger.record(events)
        addrs = [e.recipient for e in events[:1000]]
        r, _ = rate(lambda: [ledger.decide(a, now=t0 + 20_000) for a in addrs], len(addrs), seconds)
        row("Ledger.decide (per call)", r)


if __name__ == "__main__":
    raise SystemExit(main())
