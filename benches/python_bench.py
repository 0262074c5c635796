#!/usr/bin/env python3
"""Python throughput of bouncekit, side by side with the Rust core and with
flufl.bounce, in one run.

Inputs (the mixes the Rust benchmarks use):

- classify: every Diagnostic-Code value of ../shared/corpus/sisimai/bsd
  (``cargo bench --bench classify``), as ``str``;
- parse: every message of that directory (``cargo bench --bench parse``),
  as the raw ``bytes`` of the file.

What is measured, each as the best of repeated runs (wall clock):

- the Rust core on one thread, in this process, without Python objects
  (``_bouncekit._time_core``): the yardstick, under the same load as the
  rest; the idle-machine criterion figures (``--rust-classify``,
  ``--rust-parse``, defaults from the README) are printed next to it;
- per call: ``classify(text)`` / ``parse(raw)`` in a Python loop;
- batch: ``classify_many``, ``classify_arrow``, ``parse_many``,
  ``parse_arrow`` on all cores, and again on one thread (a child process
  with ``RAYON_NUM_THREADS=1``);
- flufl.bounce: ``all_failures(email.message_from_bytes(raw))`` on the same
  raw bytes, i.e. including the stdlib's email parsing (bytes in, verdicts
  out, as for bouncekit), and, for reference, on messages parsed beforehand.

Goals (issue 4): batch throughput per core >= 50% of the core's
single-thread rate; bouncekit >= 100x flufl.bounce on the same messages.

    python benches/python_bench.py [--seconds 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bouncekit
from bouncekit import _bouncekit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))
from conftest import SHARED, corpus_diagnostics  # noqa: E402

#: Criterion's single-thread figures on an idle machine (README), items/s.
RUST_CLASSIFY_IDLE = 367_000
RUST_PARSE_IDLE = 19_300


def rate(fn: Callable[[], object], items: int, seconds: float) -> float:
    """items/s of fn() (which handles `items` items), best of repeated runs:
    on a loaded machine the best run is the one least disturbed."""
    fn()  # warm up
    best = float("inf")
    runs = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or runs < 3:
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
        runs += 1
    return items / best


def core_rate(what: str, items: list[Any], seconds: float) -> float:
    """The core's own single-thread rate on `items` (best of repeated runs)."""
    _bouncekit._time_core(what, items, 1)  # warm up
    best = float("inf")
    start = time.perf_counter()
    runs = 0
    while time.perf_counter() - start < seconds or runs < 3:
        best = min(best, _bouncekit._time_core(what, items, 1))
        runs += 1
    return len(items) / best


def inputs() -> tuple[list[str], list[bytes]]:
    d = SHARED / "corpus" / "sisimai" / "bsd"
    raws = [p.read_bytes() for p in sorted(d.iterdir())] if d.is_dir() else []
    return corpus_diagnostics(), raws


def batch_figures(texts: list[str], raws: list[bytes], repeat: int, seconds: float) -> dict[str, float]:
    """The batch calls' rates (on however many threads rayon has here)."""
    big = texts * repeat
    out = {
        f"classify_many ({len(texts)})": rate(lambda: bouncekit.classify_many(texts), len(texts), seconds),
        f"classify_many ({len(big)})": rate(lambda: bouncekit.classify_many(big), len(big), seconds),
    }
    many = raws * max(1, repeat // 4)
    if raws:
        out[f"parse_many ({len(raws)})"] = rate(lambda: bouncekit.parse_many(raws, errors="return"), len(raws), seconds)
        out[f"parse_many ({len(many)})"] = rate(lambda: bouncekit.parse_many(many, errors="return"), len(many), seconds)
    try:
        import pyarrow as pa
    except ImportError:
        return out
    arr = pa.array(big, pa.string())
    out[f"classify_arrow ({len(big)})"] = rate(lambda: bouncekit.classify_arrow(arr), len(big), seconds)
    if raws:
        col = pa.array(many, pa.binary())
        out[f"parse_arrow ({len(many)})"] = rate(
            lambda: bouncekit.parse_arrow(col, errors="return"), len(many), seconds
        )
    return out


def one_thread_figures(args: argparse.Namespace) -> dict[str, float]:
    """batch_figures in a child process whose rayon pool has one thread."""
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    cmd = [sys.executable, __file__, "--batch-only", "--seconds", str(args.seconds), "--repeat", str(args.repeat)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--repeat", type=int, default=20, help="big classify batches = corpus x this (parse: / 4)")
    ap.add_argument("--rust-classify", type=float, default=RUST_CLASSIFY_IDLE,
                    help="criterion's classify rate, idle machine (items/s)")  # fmt: skip
    ap.add_argument("--rust-parse", type=float, default=RUST_PARSE_IDLE,
                    help="criterion's parse rate, idle machine (msg/s)")  # fmt: skip
    ap.add_argument("--no-ledger", action="store_true", help="skip the ledger and policy figures")
    ap.add_argument("--batch-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    texts, raws = inputs()
    if args.batch_only:
        print(json.dumps(batch_figures(texts, raws, args.repeat, args.seconds)))
        return 0

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    threads = int(os.environ.get("RAYON_NUM_THREADS") or cores)
    results: dict[str, Any] = {
        "python": platform.python_version(),
        "bouncekit": bouncekit.__version__,
        "cores": cores,
        "threads": threads,
        "diagnostics": len(texts),
        "messages": len(raws),
    }
    try:
        load = " (load average %.1f)" % os.getloadavg()[0]
    except OSError:
        load = ""
    print(f"bouncekit {bouncekit.__version__}, Python {platform.python_version()}, {cores} cores{load}")
    print(f"{len(texts)} Diagnostic-Code texts and {len(raws)} messages of {SHARED / 'corpus/sisimai/bsd'}")
    print("rates are wall-clock, best of repeated runs; 'x core' = this rate per thread / the core's")
    print("single-thread rate measured in this run\n")

    def row(name: str, per_s: float, base: float | None = None, threads: int = 1, note: str = "") -> None:
        results[name] = round(per_s)
        ratio = f"{per_s / threads / base:6.0%} x core" if base else " " * 13
        print(f"  {name:<38} {per_s:>11,.0f} /s  {1e6 / per_s:9.2f} us  {ratio}  {note}")

    # --- classify
    print("classify")
    core_c = core_rate("classify", texts, args.seconds)
    row("core classify, 1 thread (this run)", core_c)
    row("core classify, criterion idle", args.rust_classify, note="(given: cargo bench --bench classify)")
    row("classify (per call)", rate(lambda: [bouncekit.classify(t) for t in texts], len(texts), args.seconds), core_c)
    one = one_thread_figures(args)
    allc = batch_figures(texts, raws, args.repeat, args.seconds)
    for k in one:
        if k.startswith("classify"):
            row(f"{k}, 1 thread", one[k], core_c)
    for k in allc:
        if k.startswith("classify"):
            row(f"{k}, {threads} threads", allc[k], core_c, threads, "(per thread)")

    # --- parse
    if raws:
        print("\nparse (raw bytes in, Report objects / Arrow rows out)")
        core_p = core_rate("parse", raws, args.seconds)
        row("core parse, 1 thread (this run)", core_p)
        row("core parse, criterion idle", args.rust_parse, note="(given: cargo bench --bench parse)")

        def parse_all() -> None:
            for m in raws:
                try:
                    bouncekit.parse(m)
                except bouncekit.BounceKitError:
                    pass

        per_call = rate(parse_all, len(raws), args.seconds)
        row("parse (per call)", per_call, core_p)
        for k in one:
            if k.startswith("parse"):
                row(f"{k}, 1 thread", one[k], core_p)
        for k in allc:
            if k.startswith("parse"):
                row(f"{k}, {threads} threads", allc[k], core_p, threads, "(per thread)")
        flufl = bench_flufl(raws, row, args.seconds)
        if flufl:
            best_batch = max(v for k, v in allc.items() if k.startswith("parse_many"))
            print(f"\n  bouncekit.parse per call / flufl.bounce (both 1 thread, incl. parsing): {per_call / flufl:6.0f}x")
            print(f"  bouncekit.parse_many ({threads} threads) / flufl.bounce (1 thread):       {best_batch / flufl:6.0f}x")
            results["x flufl per call"] = round(per_call / flufl, 1)
            results["x flufl parse_many"] = round(best_batch / flufl, 1)

    if not args.no_ledger:
        bench_ledger(row, args.seconds)

    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def bench_flufl(raws: list[bytes], row: Callable[..., None], seconds: float) -> float | None:
    """flufl.bounce's rate on the same raw bytes, email parsing included."""
    try:
        import email

        from flufl.bounce import all_failures
    except ImportError:
        print("  (flufl.bounce not installed: pip install flufl.bounce)")
        return None
    r = rate(lambda: [all_failures(email.message_from_bytes(m)) for m in raws], len(raws), seconds)
    row("flufl.bounce (incl. email parsing)", r, note="all_failures(email.message_from_bytes(raw))")
    msgs = [email.message_from_bytes(m) for m in raws]
    row("flufl.bounce (pre-parsed messages)", rate(lambda: [all_failures(m) for m in msgs], len(msgs), seconds),
        note="all_failures(msg): the email parsing not counted")  # fmt: skip
    return r


def bench_ledger(row: Callable[..., None], seconds: float) -> None:
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

    row("Ledger.record (10,000, memory)", rate(record_memory, len(events), seconds), note="one transaction")
    with tempfile.TemporaryDirectory() as d:
        n = 0

        def record_file() -> None:
            nonlocal n
            n += 1
            with bouncekit.Ledger(Path(d) / f"l{n}.db") as ledger:
                ledger.record(events)

        row("Ledger.record (10,000, file)", rate(record_file, len(events), seconds),
            note="one transaction, synchronous=FULL")  # fmt: skip
    policy = bouncekit.Policy()
    c = bouncekit.classify("452 4.2.2 mailbox full")
    history = [(t0 - 86_400, "mailboxfull", "soft")]
    row("Policy.decide (per call)", rate(lambda: [policy.decide(c, history, now=t0) for _ in range(1000)], 1000, seconds))
    with bouncekit.Ledger() as ledger:
        ledger.record(events)
        addrs = [e.recipient for e in events[:1000]]
        row("Ledger.decide (per call)", rate(lambda: [ledger.decide(a, now=t0 + 20_000) for a in addrs], len(addrs), seconds))


if __name__ == "__main__":
    raise SystemExit(main())
