"""parse, parse_many, scan, frame: raw messages to reports and rows."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import bouncekit
from bouncekit import Bounce, Classification, Report

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
DSN = b"""From: MAILER-DAEMON@mx.example\r
Subject: Undelivered Mail\r
Content-Type: multipart/report; report-type=delivery-status; boundary=b\r
\r
--b\r
Content-Type: text/plain\r
\r
sorry\r
--b\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mx.example\r
\r
Final-Recipient: rfc822; nobody@example.org\r
Action: failed\r
Status: 5.1.1\r
Diagnostic-Code: smtp; 550 5.1.1 User unknown\r
\r
--b--\r
"""


def fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*.eml")) if FIXTURES.is_dir() else []


def test_parse_dsn() -> None:
    r = bouncekit.parse(DSN)
    assert isinstance(r, Report)
    assert r.kind == "bounce"
    assert len(r.recipients) == 1
    b = r.recipients[0]
    assert isinstance(b, Bounce)
    assert b.recipient == "nobody@example.org"
    assert b.dsn_action == "failed"
    assert isinstance(b.classification, Classification)
    assert b.reason is bouncekit.Reason.USERUNKNOWN
    assert b.action is bouncekit.Action.SUPPRESS
    assert r.failed == [b]
    rows = r.rows()
    assert len(rows) == 1 and tuple(rows[0]) == bouncekit.ROW_FIELDS
    assert rows[0]["reason"] == "userunknown" and rows[0]["reply_code"] == 550
    assert bouncekit.parse(DSN.decode()) == r
    assert "nobody@example.org" in repr(r)
    assert "<table" in r._repr_html_() and "<table" in b._repr_html_()


def test_report_objects() -> None:
    r = bouncekit.parse(DSN)
    assert pickle.loads(pickle.dumps(r)) == r
    assert hash(r) == hash(bouncekit.parse(DSN))
    d = r.to_dict()
    assert d["recipients"][0]["classification"]["reason"] == "userunknown"
    with pytest.raises(AttributeError):
        r.kind = "delay"  # type: ignore[misc]


@pytest.mark.parametrize("path", fixtures(), ids=lambda p: p.name)
def test_fixtures_parse(path: Path) -> None:
    r = bouncekit.parse(path.read_bytes())
    assert r.kind in {"bounce", "delay", "delivery", "feedback", "autoreply", "challenge", "not_bounce"}
    for row in r.rows():
        assert set(row) == set(bouncekit.ROW_FIELDS)


def test_bad_input() -> None:
    for bad in (None, 42, ["x"]):
        with pytest.raises(TypeError):
            bouncekit.parse(bad)  # type: ignore[arg-type]
    with pytest.raises(bouncekit.BounceKitError):
        bouncekit.parse(b"")
    # Bytes with no header block are no message (a typed error); a message
    # that is no report is a not_bounce report.
    with pytest.raises(bouncekit.ParseError, match="no header block"):
        bouncekit.parse(b"\x00\x01 not a message \xff")
    assert bouncekit.parse(b"Subject: hi\r\n\r\n\x00\x01 hello \xff").kind == "not_bounce"
    big = b"Subject: x\r\n\r\n" + b"a" * (65 << 20)
    with pytest.raises(bouncekit.LimitError):
        bouncekit.parse(big)


def test_invalid_utf8_message() -> None:
    r = bouncekit.parse(DSN.replace(b"sorry", b"d\xe9sol\xff"))
    assert r.recipients[0].recipient == "nobody@example.org"


def test_parse_many() -> None:
    raws = [DSN] + [p.read_bytes() for p in fixtures()]
    many = bouncekit.parse_many(raws)
    assert many == [bouncekit.parse(x) for x in raws]
    assert bouncekit.parse_many(raws * 3)[: len(raws)] == many
    bad = [DSN, b"", DSN]
    with pytest.raises(bouncekit.BounceKitError, match=r"raws\[1\]"):
        bouncekit.parse_many(bad)
    assert len(bouncekit.parse_many(bad, errors="skip")) == 2
    ret = bouncekit.parse_many(bad, errors="return")
    assert isinstance(ret[1], bouncekit.BounceKitError) and isinstance(ret[2], Report)
    with pytest.raises(TypeError):
        bouncekit.parse_many(DSN)
    with pytest.raises(ValueError):
        bouncekit.parse_many([DSN], errors="ignore")  # type: ignore[arg-type]


def test_scan_and_frame(tmp_path: Path) -> None:
    (tmp_path / "one.eml").write_bytes(DSN)
    mbox = b"".join(b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n" + DSN.replace(b"\r\n", b"\n") + b"\n" for _ in range(3))
    (tmp_path / "box.mbox").write_bytes(mbox)
    reports = list(bouncekit.scan(tmp_path))
    assert len(reports) == 4
    assert all(isinstance(r, Report) for r in reports)
    sources = sorted(r.source for r in reports)
    assert any("#" in s for s in sources) and any(s.endswith("one.eml") for s in sources)
    assert reports[0].rows()[0]["source"] == reports[0].source
    df = bouncekit.frame(tmp_path)
    assert list(df.columns) == list(bouncekit.ROW_FIELDS)
    assert len(df) == 4 and set(df["reason"]) == {"userunknown"}
    with pytest.raises(bouncekit.FileError):
        list(bouncekit.scan(tmp_path / "missing"))
    assert list(bouncekit.scan(tmp_path / "missing", errors="skip")) == []
    with pytest.raises(TypeError):
        list(bouncekit.scan())


def test_scan_threads_give_the_same_reports_in_order(tmp_path: Path) -> None:
    mbox = b"".join(b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n" + p.read_bytes().replace(b"\r\n", b"\n") + b"\n" for p in fixtures() * 20)
    (tmp_path / "box.mbox").write_bytes(mbox)
    default = list(bouncekit.scan(tmp_path, errors="skip"))
    assert len(default) > 100 and all(isinstance(r, Report) for r in default)
    for n in (1, 3):
        assert list(bouncekit.scan(tmp_path, errors="skip", threads=n)) == default, n
    assert bouncekit.frame(tmp_path, threads=2).equals(bouncekit.frame(tmp_path))
    for bad in (0, -1):
        with pytest.raises(ValueError, match="at least 1"):
            list(bouncekit.scan(tmp_path, threads=bad))
    for wrong in ("2", 2.0, True):
        with pytest.raises(TypeError, match="threads"):
            list(bouncekit.scan(tmp_path, threads=wrong))  # type: ignore[arg-type]


def test_scan_stops_early(tmp_path: Path) -> None:
    for i in range(50):
        (tmp_path / f"{i}.eml").write_bytes(DSN)
    it = bouncekit.scan(tmp_path)
    assert isinstance(next(it), Report)
    del it  # the background thread ends when the iterator goes


def test_parsed_report_has_exactly_the_dataclass_fields() -> None:
    # The compiled module sets the fields directly (no __init__): each must
    # be there, typed as the constructor would have it, and nothing else.
    from dataclasses import fields

    for raw in [DSN] + [p.read_bytes() for p in fixtures()]:
        try:
            r = bouncekit.parse(raw)
        except bouncekit.BounceKitError:
            continue
        assert set(vars(r)) == {f.name for f in fields(Report)}
        assert isinstance(r.kind, bouncekit.MessageKind) and isinstance(r.recipients, tuple)
        rebuilt = Report(**{f.name: getattr(r, f.name) for f in fields(Report)})
        assert rebuilt == r and hash(rebuilt) == hash(r)
        for b in r.recipients:
            assert set(vars(b)) == {f.name for f in fields(Bounce)}
            assert isinstance(b.dsn_action, bouncekit.DsnAction)
            assert Bounce(**{f.name: getattr(b, f.name) for f in fields(Bounce)}) == b
        for row in r.rows():
            assert tuple(row) == bouncekit.ROW_FIELDS


def corpus_messages() -> list[bytes]:
    from conftest import SHARED

    d = SHARED / "corpus" / "sisimai" / "bsd"
    return [p.read_bytes() for p in sorted(d.iterdir())] if d.is_dir() else [p.read_bytes() for p in fixtures()]


def test_parse_many_large_batch_matches_parse_in_order() -> None:
    # Many chunks, shared between the calling thread and the pool.
    raws = corpus_messages()

    def one(m: bytes) -> object:
        try:
            return bouncekit.parse(m)
        except bouncekit.BounceKitError as e:
            return type(e)

    expect = [one(m) for m in raws] * 2
    got = bouncekit.parse_many(raws * 2, errors="return")
    assert [r if isinstance(r, Report) else type(r) for r in got] == expect


def test_parse_many_leaves_the_garbage_collector_as_it_was() -> None:
    # Collections are paused while a batch's objects are made, then
    # restored as they were: on stays on, off stays off.
    import gc

    raws = corpus_messages()
    assert gc.isenabled()
    first = bouncekit.parse_many(raws, errors="return")
    assert gc.isenabled()
    gc.disable()
    try:
        assert bouncekit.parse_many(raws, errors="return") == first
        assert not gc.isenabled()
    finally:
        gc.enable()
    # The rows are plain tuples the collector need not walk; the reports
    # and their recipients are collectable objects as before.
    r = next(x for x in first if isinstance(x, Report) and x.recipients)
    assert gc.is_tracked(r) and gc.is_tracked(r.recipients[0])
    assert not gc.is_tracked(r._rows) and not any(gc.is_tracked(row) for row in r._rows)


def test_batches_on_one_thread_give_the_same_answers(corpus: list[str]) -> None:
    # RAYON_NUM_THREADS=1: the whole batch runs on the calling thread.
    import json
    import os
    import subprocess
    import sys

    code = (
        "import sys, json, bouncekit\n"
        "sys.path.insert(0, 'tests/python')\n"
        "from conftest import corpus_diagnostics\n"
        "from test_parse import corpus_messages\n"
        "t = corpus_diagnostics() * 3\n"
        "c = [x.rule for x in bouncekit.classify_many(t)]\n"
        "p = [[row['reason'] for row in r.rows()] for r in bouncekit.parse_many(corpus_messages(), errors='skip')]\n"
        "print(json.dumps([c, p]))\n"
    )
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    c, p = json.loads(out.stdout)
    assert c == [x.rule for x in bouncekit.classify_many(corpus * 3)]
    assert p == [[row["reason"] for row in r.rows()] for r in bouncekit.parse_many(corpus_messages(), errors="skip")]


def test_time_core() -> None:
    # The benchmark's yardstick: seconds of core work, bad input rejected.
    assert bouncekit._bouncekit._time_core("classify", ["550 5.1.1 user unknown"], 3) > 0
    assert bouncekit._bouncekit._time_core("parse", [DSN], 2) > 0
    with pytest.raises(ValueError):
        bouncekit._bouncekit._time_core("explain", [DSN], 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        bouncekit._bouncekit._time_core("parse", [None], 1)  # type: ignore[list-item]
