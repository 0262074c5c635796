"""Parsing options and columns: settable Limits, the MessageKind/DsnAction
enums, scan with a user classifier, parse_arrow."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import bouncekit
from bouncekit import DsnAction, Limits, MessageKind, Reason

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def dsn(recipients: list[str], diagnostic: str = "550 5.1.1 User unknown") -> bytes:
    per = "".join(
        f"Final-Recipient: rfc822; {r}\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; {diagnostic}\r\n\r\n"
        for r in recipients
    )
    return (
        "From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nsorry\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
        f"{per}--b--\r\n"
    ).encode()


def test_kind_and_dsn_action_are_enums() -> None:
    r = bouncekit.parse(dsn(["a@example.org"]))
    assert r.kind is MessageKind.BOUNCE and r.kind == "bounce"
    assert r.recipients[0].dsn_action is DsnAction.FAILED
    assert [m.value for m in MessageKind] == ["bounce", "delay", "delivery", "feedback", "autoreply", "challenge", "not_bounce"]
    assert [m.value for m in DsnAction] == ["failed", "delayed", "delivered", "relayed", "expanded"]
    assert MessageKind("Not_Bounce") is MessageKind.NOT_BOUNCE
    assert pickle.loads(pickle.dumps(r)).kind is MessageKind.BOUNCE
    assert r.to_dict()["kind"] == "bounce"
    kinds = {bouncekit.parse(p.read_bytes()).kind for p in FIXTURES.glob("*.eml")}
    assert kinds <= set(MessageKind) and len(kinds) >= 3


def test_limits_defaults_are_the_cores() -> None:
    lim = Limits()
    assert lim.max_message_size == 64 << 20
    assert lim.to_dict() == dict(bouncekit._bouncekit._default_limits())
    assert Limits(max_parts=5) == Limits(max_parts=5) and hash(Limits()) == hash(Limits())
    assert pickle.loads(pickle.dumps(Limits(max_parts=5))) == Limits(max_parts=5)
    for bad in (0, -1, 1.5, "10", True):
        with pytest.raises(ValueError):
            Limits(max_parts=bad)  # type: ignore[arg-type]


def test_limits_are_applied_by_parse_parse_many_scan_and_arrow(tmp_path: Path) -> None:
    raw = dsn([f"u{i}@example.org" for i in range(5)])
    assert len(bouncekit.parse(raw).recipients) == 5
    few = Limits(max_recipients=3)
    with pytest.raises(bouncekit.LimitError):
        bouncekit.parse(raw, limits=few)
    small = Limits(max_message_size=100)
    with pytest.raises(bouncekit.LimitError):
        bouncekit.parse(raw, limits=small)
    ret = bouncekit.parse_many([raw, dsn(["a@example.org"])], limits=few, errors="return")
    assert isinstance(ret[0], bouncekit.LimitError) and len(ret[1].recipients) == 1
    short = bouncekit.parse(dsn(["a@example.org"], "550 5.1.1 " + "x" * 500), limits=Limits(max_diagnostic_len=40))
    assert len(short.recipients[0].diagnostic.encode()) <= 40
    (tmp_path / "a.eml").write_bytes(raw)
    with pytest.raises(bouncekit.LimitError):
        list(bouncekit.scan(tmp_path, limits=few))
    assert len(list(bouncekit.scan(tmp_path))) == 1
    pa = pytest.importorskip("pyarrow")
    with pytest.raises(bouncekit.LimitError, match="row 0"):
        bouncekit.parse_arrow(pa.array([raw], pa.binary()), limits=few)
    with pytest.raises(TypeError):
        bouncekit.parse(raw, limits={"max_parts": 3})  # type: ignore[arg-type]


RULES = """
[[rule]]
id = "mine.vip"
reason = "filtered"
priority = 100
phrases = ["vip list only"]
examples = ["550 5.1.1 vip list only"]
"""


def test_scan_and_parse_arrow_use_a_user_classifier(tmp_path: Path) -> None:
    raw = dsn(["a@example.org"], "550 5.1.1 vip list only")
    (tmp_path / "a.eml").write_bytes(raw)
    mine = bouncekit.Classifier(rules_text=RULES)
    [plain] = bouncekit.scan(tmp_path)
    [custom] = bouncekit.scan(tmp_path, classifier=mine)
    assert plain.recipients[0].reason is Reason.USERUNKNOWN
    assert custom.recipients[0].reason is Reason.FILTERED
    assert custom.recipients[0].classification.rule == "mine.vip"
    del mine  # the scan owns its classifier: a dropped reference is no problem
    [again] = bouncekit.scan(tmp_path, classifier=bouncekit.Classifier(rules_text=RULES))
    assert again == custom
    pa = pytest.importorskip("pyarrow")
    out = bouncekit.parse_arrow(pa.array([raw]), classifier=bouncekit.Classifier(rules_text=RULES))
    assert out.column("reason").to_pylist() == ["filtered"]


def test_parse_arrow_matches_parse() -> None:
    pa = pytest.importorskip("pyarrow")
    raws = [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))]
    assert raws
    out = bouncekit.parse_arrow(pa.array(raws, pa.binary()))
    assert isinstance(out, pa.RecordBatch)
    assert tuple(out.schema.names) == bouncekit.PARSE_ARROW_COLUMNS
    assert bouncekit.PARSE_ARROW_COLUMNS[1:-1] == bouncekit.ROW_FIELDS
    assert out.schema.field("index").type == pa.int64()
    assert out.schema.field("reply_code").type == pa.int32()
    expected = []
    for i, raw in enumerate(raws):
        for row in bouncekit.parse(raw).rows():
            expected.append({"index": i, **row, "source": str(i), "error": None})
    assert out.to_pylist() == expected
    # The same through a large_binary chunked array, a string array and polars.
    chunked = pa.chunked_array([raws[:3], raws[3:]], pa.large_binary())
    assert bouncekit.parse_arrow(chunked).to_pylist() == expected
    texts = [r.decode("utf-8", "replace") for r in raws]
    assert bouncekit.parse_arrow(pa.array(texts)).column("recipient") == out.column("recipient")
    pl = pytest.importorskip("polars")
    assert bouncekit.parse_arrow(pl.Series(raws)).to_pylist() == expected


def test_parse_arrow_nulls_and_errors() -> None:
    pa = pytest.importorskip("pyarrow")
    good = dsn(["a@example.org", "b@example.org"])
    arr = pa.array([good, None, b"", good], pa.binary())
    with pytest.raises(bouncekit.BounceKitError, match="row 2"):
        bouncekit.parse_arrow(arr)
    skipped = bouncekit.parse_arrow(arr, errors="skip")
    assert skipped.column("index").to_pylist() == [0, 0, 3, 3]
    ret = bouncekit.parse_arrow(arr, errors="return")
    assert ret.column("index").to_pylist() == [0, 0, 2, 3, 3]
    errs = ret.column("error").to_pylist()
    assert errs[2] and errs.count(None) == 4
    assert ret.column("recipient").to_pylist()[2] is None
    assert bouncekit.parse_arrow(pa.array([], pa.binary())).num_rows == 0
    with pytest.raises(ValueError):
        bouncekit.parse_arrow(arr, errors="ignore")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        bouncekit.parse_arrow(pa.array([1, 2]))
    with pytest.raises(TypeError):
        bouncekit.parse_arrow([good])
