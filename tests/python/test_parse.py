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
    assert bouncekit.parse(b"\x00\x01 not a message \xff").kind == "not_bounce"
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


def test_scan_stops_early(tmp_path: Path) -> None:
    for i in range(50):
        (tmp_path / f"{i}.eml").write_bytes(DSN)
    it = bouncekit.scan(tmp_path)
    assert isinstance(next(it), Report)
    del it  # the background thread ends when the iterator goes
