"""classify, classify_many, find_codes: results, hints, and bad input."""

from __future__ import annotations

import time

import pytest

import bouncekit
from bouncekit import Action, BounceType, Category, Classification, Reason


def test_classify_user_unknown() -> None:
    c = bouncekit.classify("550 5.1.1 <user@example.com>: Recipient address rejected: User unknown")
    assert isinstance(c, Classification)
    assert c.reason is Reason.USERUNKNOWN
    assert c.bounce_type is BounceType.HARD
    assert c.action is Action.SUPPRESS
    assert c.category is Category.ADDRESSING
    assert c.status == "5.1.1"
    assert c.status_source == "found"
    assert c.reply_code == 550
    assert isinstance(c.description, str) and c.description
    assert isinstance(c.rule, str) and c.rule
    assert c.note is None


def test_classify_matches_the_core_examples() -> None:
    # The verdicts of the core's own doc examples (src/lib.rs, src/classify.rs).
    c = bouncekit.classify("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org")
    assert (c.reason, c.bounce_type, c.action) == (Reason.BLOCKED, BounceType.SOFT, Action.FIX_SENDER)
    c = bouncekit.classify("452 4.2.2 The email account that you tried to reach is over quota")
    assert (c.reason, c.bounce_type, c.action) == (Reason.MAILBOXFULL, BounceType.SOFT, Action.RETRY)


def test_enums_are_str_values() -> None:
    c = bouncekit.classify("552 5.2.2 Mailbox full")
    assert c.reason == "mailboxfull"
    assert str(c.reason) == "mailboxfull"
    assert f"{c.reason}" == "mailboxfull"
    assert isinstance(c.action, str)


def test_no_codes() -> None:
    c = bouncekit.classify("")
    assert c.reason is Reason.UNDEFINED
    assert c.status is None or c.status_source == "derived"
    assert c.reply_code is None


def test_hints_fill_missing_codes() -> None:
    plain = bouncekit.classify("mailbox unavailable")
    hinted = bouncekit.classify("mailbox unavailable", status="5.1.1", reply_code=550)
    assert hinted.status == "5.1.1"
    assert hinted.status_source == "found"
    assert hinted.reply_code == 550
    assert hinted.reason is Reason.USERUNKNOWN
    assert plain != hinted


def test_bad_hints() -> None:
    with pytest.raises(bouncekit.InvalidCodeError):
        bouncekit.classify("x", status="9.9.9")
    with pytest.raises(bouncekit.InvalidCodeError):
        bouncekit.classify("x", reply_code=999)
    with pytest.raises(TypeError):
        bouncekit.classify("x", status=511)  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        bouncekit.classify("x", reply_code=-1)


def test_bytes_and_bytearray() -> None:
    s = "550 5.1.1 User unknown"
    assert bouncekit.classify(s.encode()) == bouncekit.classify(s)
    assert bouncekit.classify(bytearray(s.encode())) == bouncekit.classify(s)


def test_invalid_utf8_bytes_are_decoded_lossily() -> None:
    raw = b"550 5.1.1 Benutzer \xfc\xff unbekannt \xc3"
    c = bouncekit.classify(raw)
    assert c.status == "5.1.1"
    assert bouncekit.find_codes(raw).reply_code == 550


def test_lone_surrogates_are_replaced() -> None:
    c = bouncekit.classify("550 5.1.1 user \udcff unknown")
    assert c.status == "5.1.1"


@pytest.mark.parametrize("bad", [None, 550, 5.5, ["550 5.1.1"], object()])
def test_wrong_types_raise_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="expected str or bytes"):
        bouncekit.classify(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        bouncekit.find_codes(bad)  # type: ignore[arg-type]


def test_missing_argument() -> None:
    with pytest.raises(TypeError):
        bouncekit.classify()  # type: ignore[call-arg]


def test_ten_megabytes() -> None:
    big = "550 5.2.2 mailbox full " + "x" * (10 * 1024 * 1024)
    t = time.perf_counter()
    try:
        c = bouncekit.classify(big)
    except bouncekit.LimitError:
        return  # a clean refusal is fine too
    assert c.status == "5.2.2"
    assert time.perf_counter() - t < 30
    many = bouncekit.classify_many([big, "552 5.2.2 Mailbox full"])
    assert many[0] == c


def test_classify_many_matches_classify(corpus: list[str]) -> None:
    many = bouncekit.classify_many(corpus)
    assert len(many) == len(corpus)
    assert many == [bouncekit.classify(t) for t in corpus]


def test_classify_many_iterables(sample: list[str]) -> None:
    expect = [bouncekit.classify(t) for t in sample]
    assert bouncekit.classify_many(tuple(sample)) == expect
    assert bouncekit.classify_many(t for t in sample) == expect
    assert bouncekit.classify_many([t.encode() for t in sample]) == expect
    assert bouncekit.classify_many([]) == []
    assert bouncekit.classify_many(iter([])) == []


def test_classify_many_bad_input() -> None:
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        bouncekit.classify_many(["ok", None, "ok"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="single str"):
        bouncekit.classify_many("550 5.1.1 user unknown")
    with pytest.raises(TypeError, match="single bytes"):
        bouncekit.classify_many(b"550 5.1.1 user unknown")
    with pytest.raises(TypeError, match="iterable"):
        bouncekit.classify_many(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="iterable"):
        bouncekit.classify_many(42)  # type: ignore[arg-type]


def test_classify_many_propagates_iterator_errors() -> None:
    def gen():  # type: ignore[no-untyped-def]
        yield "550 5.1.1 x"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        bouncekit.classify_many(gen())


def test_classify_many_large_batch_in_parallel(corpus: list[str]) -> None:
    texts = corpus * 4
    many = bouncekit.classify_many(texts)
    assert many[: len(corpus)] == many[len(corpus) : 2 * len(corpus)]


def test_find_codes() -> None:
    f = bouncekit.find_codes("smtp; 550-5.1.1 The email account that you tried to reach does not exist")
    assert (f.status, f.reply_code) == ("5.1.1", 550)
    assert not f.classes_disagree
    assert bouncekit.find_codes("connect to 5.1.1.1 failed").status is None
    assert bouncekit.find_codes("550 4.2.2 over quota").classes_disagree
    assert bouncekit.find_codes("") == bouncekit.FoundCodes()
