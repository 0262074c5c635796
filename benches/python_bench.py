#!/usr/bin/env python3
"""Python throughput of bouncekit, side by side with the Rust core and with
flufl.bounce, in one run.

Inputs (the mixes the Rust benchmarks use):

- classify: every Diagnostic-Code value of ../shared/corpus/sisimai/bsd
  (``cargo bench --bench classify``), as ``str``;
- parse: every message of that directory (``cargo bench --bench parse``),
  as the raw ``bytes`` of the file.

What is measured (wall-clock and process CPU time, best of repeated runs;
the jobs of a table take turns, so they see the same load):

- the Rust core on one thread, in this process, without Python objects
  (``_bouncekit._time_core``): the yardstick each row is compared with; the
  idle-machine criterion figures (``--rust-classify``, ``--rust-parse``,
  defaults from the README, not measured here) are printed for reference;
- per call: ``classify(text)`` / ``parse(raw)`` in a Python loop;
- batch: ``classify_many``, ``classify_arrow``, ``parse_many``,
  ``parse_arrow``, on one thread (a child process with
  ``RAYON_NUM_THREADS=1``) and on all cores (this process);
- flufl.bounce: ``all_failures(email.message_from_bytes(raw))`` on the same
  raw bytes, i.e. including the stdlib's email parsing (bytes in, verdicts
  out, as for bouncekit, whose ``parse`` also builds the Report objects),
  and, for reference, on messages parsed beforehand.

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
from typing import Any, Literal

import bouncekit
from bouncekit import _bouncekit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))
from conftest import SHARED, corpus_diagnostics  # noqa: E402

#: Criterion's single-thread figures on an idle machine (README), items/s.
RUST_CLASSIFY_IDLE = 1_049_000
RUST_PARSE_IDLE = 49_300


def measure(jobs: dict[str, tuple[Callable[[], object], int]], seconds: float) -> dict[str, tuple[float, float]]:
    """{name: (items/s wall, items/s CPU)} of each job ``(fn, items)``, best
    of repeated runs. The jobs take turns (one run each per round), so on a
    loaded machine each sees the same mix of quiet and busy moments as the
    others and their ratios hold better than the absolute rates."""
    for fn, _ in jobs.values():
        fn()  # warm up
    wall = dict.fromkeys(jobs, float("inf"))
    cpu = dict.fromkeys(jobs, float("inf"))
    start = time.perf_counter()
    rounds = 0
    while time.perf_counter() - start < seconds * len(jobs) or rounds < 3:
        for name, (fn, _) in jobs.items():
            w, c = time.perf_counter(), time.process_time()
            fn()
            wall[name] = min(wall[name], time.perf_counter() - w)
            cpu[name] = min(cpu[name], time.process_time() - c)
        rounds += 1
    return {k: (n / wall[k], n / max(cpu[k], 1e-9)) for k, (_, n) in jobs.items()}


def inputs() -> tuple[list[str], list[bytes]]:
    d = SHARED / "corpus" / "sisimai" / "bsd"
    raws = [p.read_bytes() for p in sorted(d.iterdir())] if d.is_dir() else []
    return corpus_diagnostics(), raws


def core(what: Literal["classify", "parse"], items: list[Any]) -> Callable[[], object]:
    """The core's own single-thread run over `items` (no Python objects)."""
    return lambda: _bouncekit._time_core(what, items, 1)


def parse_each(raws: list[bytes]) -> Callable[[], object]:
    def run() -> None:
        for m in raws:
            try:
                bouncekit.parse(m)
            except bouncekit.BounceKitError:
                pass

    return run


def classify_jobs(texts: list[str], repeat: int, per_call: bool) -> dict[str, tuple[Callable[[], object], int]]:
    """The core on the big batch, then the bindings on the same texts."""
    big = texts * repeat
    jobs: dict[str, tuple[Callable[[], object], int]] = {f"core classify ({len(big)})": (core("classify", big), len(big))}
    if per_call:
        jobs["classify (per call)"] = (lambda: [bouncekit.classify(t) for t in big], len(big))
    jobs[f"classify_many ({len(texts)})"] = (lambda: bouncekit.classify_many(texts), len(texts))
    jobs[f"classify_many ({len(big)})"] = (lambda: bouncekit.classify_many(big), len(big))
    try:
        import pyarrow as pa

        arr = pa.array(big, pa.string())
        jobs[f"classify_arrow ({len(big)})"] = (lambda: bouncekit.classify_arrow(arr), len(big))
    except ImportError:
        pass
    return jobs


def parse_jobs(raws: list[bytes], repeat: int, per_call: bool) -> dict[str, tuple[Callable[[], object], int]]:
    many = raws * max(1, repeat // 4)
    jobs: dict[str, tuple[Callable[[], object], int]] = {f"core parse ({len(raws)})": (core("parse", raws), len(raws))}
    if per_call:
        jobs["parse (per call)"] = (parse_each(raws), len(raws))
    jobs[f"parse_many ({len(raws)})"] = (lambda: bouncekit.parse_many(raws, errors="return"), len(raws))
    jobs[f"parse_many ({len(many)})"] = (lambda: bouncekit.parse_many(many, errors="return"), len(many))
    try:
        import pyarrow as pa

        col = pa.array(many, pa.binary())
        jobs[f"parse_arrow ({len(many)})"] = (lambda: bouncekit.parse_arrow(col, errors="return"), len(many))
    except ImportError:
        pass
    return jobs


def flufl_jobs(raws: list[bytes]) -> dict[str, tuple[Callable[[], object], int]]:
    """flufl.bounce on the same raw bytes (email parsing included), and on
    messages parsed beforehand, for reference."""
    try:
        import email

        from flufl.bounce import all_failures
    except ImportError:
        return {}
    msgs = [email.message_from_bytes(m) for m in raws]
    return {
        "flufl.bounce (incl. email parsing)": (lambda: [all_failures(email.message_from_bytes(m)) for m in raws], len(raws)),
        "flufl.bounce (pre-parsed messages)": (lambda: [all_failures(m) for m in msgs], len(msgs)),
    }


def figures(single: bool, seconds: float, repeat: int) -> dict[str, list[tuple[str, float, float]]]:
    """Every table of this process: [(name, wall rate, CPU rate), ...]."""
    texts, raws = inputs()
    out = {"classify": classify_jobs(texts, repeat, single)}
    if raws:
        out["parse"] = parse_jobs(raws, repeat, single)
        if single:
            out["parse"].update(flufl_jobs(raws))
    return {k: [(n, w, c) for n, (w, c) in measure(jobs, seconds).items()] for k, jobs in out.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--repeat", type=int, default=20, help="big classify batches = corpus x this (parse: / 4)")
    ap.add_argument("--rust-classify", type=float, default=RUST_CLASSIFY_IDLE,
                    help="criterion's classify rate, idle machine (items/s)")  # fmt: skip
    ap.add_argument("--rust-parse", type=float, default=RUST_PARSE_IDLE,
                    help="criterion's parse rate, idle machine (msg/s)")  # fmt: skip
    ap.add_argument("--no-ledger", action="store_true", help="skip the ledger and policy figures")
    ap.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.single:
        print(json.dumps(figures(True, args.seconds, args.repeat)))
        return 0

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    threads = int(os.environ.get("RAYON_NUM_THREADS") or cores)
    texts, raws = inputs()
    results: dict[str, Any] = {
        "python": platform.python_version(),
        "bouncekit": bouncekit.__version__,
        "cores": cores,
        "threads": threads,
        "diagnostics": len(texts),
        "messages": len(raws),
    }
    load = " (load average %.1f)" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    print(f"bouncekit {bouncekit.__version__}, Python {platform.python_version()}, {cores} cores{load}")
    print(f"{len(texts)} Diagnostic-Code texts (str) and {len(raws)} messages (raw bytes) of {SHARED / 'corpus/sisimai/bsd'}")
    print("wall = best wall-clock run, cpu = best process CPU time; 'x core' = wall rate per thread over the")
    print("wall rate of the core's own loop (one thread, no Python objects) measured in the same rounds\n")

    # One thread: a child process whose rayon pool has one thread.
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    cmd = [sys.executable, __file__, "--single", "--seconds", str(args.seconds), "--repeat", str(args.repeat)]
    one = json.loads(subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout)
    allc = figures(False, args.seconds, args.repeat)

    def table(title: str, rows: list[tuple[str, float, float]], n: int, idle: float, note: str) -> float:
        print(title)
        base = rows[0][1]
        for name, wall, cpu in rows:
            results[f"{name}, {n} thread(s)"] = round(wall)
            ratio = f"{wall / n / base:5.0%} x core" if not name.startswith("core") else "   yardstick"
            if name.startswith("flufl"):
                ratio = " " * 12
            cpu_s = f"{cpu:>10,.0f}" if n == 1 else " " * 10
            print(f"  {name:<38} wall {wall:>10,.0f} /s  cpu {cpu_s} /s  {ratio}")
        print(f"  ({note} criterion, idle machine: {idle:,.0f} /s; the best batch per thread here is"
              f" {max(w for k, w, _ in rows if not k.startswith(('core', 'flufl'))) / n / idle:.0%} of it)\n")
        return base

    table("classify, 1 thread", one["classify"], 1, args.rust_classify, "cargo bench --bench classify,")
    table(f"classify, {threads} threads", allc["classify"], threads, args.rust_classify, "cargo bench --bench classify,")
    if raws:
        table("parse, 1 thread", one["parse"], 1, args.rust_parse, "cargo bench --bench parse,")
        table(f"parse, {threads} threads", allc["parse"], threads, args.rust_parse, "cargo bench --bench parse,")
        r1 = {k: w for k, w, _ in one["parse"]}
        ra = {k: w for k, w, _ in allc["parse"]}
        flufl = r1.get("flufl.bounce (incl. email parsing)")
        if flufl:
            best1 = max(w for k, w in r1.items() if k.startswith("parse_many"))
            besta = max(w for k, w in ra.items() if k.startswith("parse_many"))
            print("flufl.bounce vs bouncekit, same raw bytes in, verdicts out (flufl: email.message_from_bytes")
            print("+ all_failures; bouncekit: parse/parse_many -> Report objects), wall rates:")
            for name, v in [("parse (per call), 1 thread", r1["parse (per call)"]),
                            ("parse_many, 1 thread", best1), (f"parse_many, {threads} threads", besta)]:  # fmt: skip
                results[f"x flufl: {name}"] = round(v / flufl, 1)
                print(f"  {name:<38} {v / flufl:8.1f}x flufl.bounce")
            print()

    if not args.no_ledger:
        bench_ledger(args.seconds)

    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def rate(fn: Callable[[], object], items: int, seconds: float) -> float:
    return measure({"x": (fn, items)}, seconds)["x"][0]


def row(name: str, per_s: float, note: str = "") -> None:
    print(f"  {name:<38} wall {per_s:>10,.0f} /s  {note}")


def bench_ledger(seconds: float) -> None:
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
