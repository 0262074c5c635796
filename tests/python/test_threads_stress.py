"""Stress: many Python threads parse and classify the corpus at once (the
calls release the GIL), sharing classifiers; every answer must equal the
single-threaded one. Hostile inputs from threads raise typed errors."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import bouncekit

from conftest import SHARED

THREADS = 8
ROOT = Path(__file__).resolve().parents[2]


def messages() -> list[bytes]:
    out: list[bytes] = []
    for d in (SHARED / "corpus" / "sisimai" / "bsd", ROOT / "tests" / "fixtures"):
        if d.is_dir():
            out += [p.read_bytes() for p in sorted(d.iterdir()) if p.is_file()]
    return out


def outcome(raw: bytes, clf: bouncekit.Classifier | None) -> object:
    try:
        return bouncekit.parse(raw, classifier=clf).to_dict()
    except bouncekit.BounceKitError as e:
        return (type(e).__name__, str(e))


RULES = '[[rule]]\nid = "mine.vip"\nreason = "filtered"\npriority = 100\nphrases = ["vip list only"]\nexamples = ["550 5.1.1 vip list only"]\n'


def test_parse_and_classify_from_many_threads(corpus: list[str]) -> None:
    msgs = messages()
    assert len(msgs) >= 10
    clf = bouncekit.Classifier(rules_text=RULES)
    want_parse = [outcome(m, clf) for m in msgs]
    want_builtin = [bouncekit.classify(t) for t in corpus]
    want_user = [clf.classify(t) for t in corpus]
    start = threading.Barrier(THREADS)

    def work(t: int) -> int:
        start.wait()  # all threads go at once
        n = len(msgs)
        for k in range(n):
            i = (k + t * n // THREADS) % n
            assert outcome(msgs[i], clf) == want_parse[i], (t, i)
        for k in range(len(corpus)):
            i = (k * 7 + t) % len(corpus)
            assert bouncekit.classify(corpus[i]) == want_builtin[i]
            assert clf.classify(corpus[i]) == want_user[i]
        # The batch calls run on all cores without the GIL, from several threads at once.
        assert clf.classify_many(corpus) == want_user
        got = bouncekit.parse_many(msgs, classifier=clf, errors="return")
        assert [g.to_dict() if isinstance(g, bouncekit.Report) else (type(g).__name__, str(g)) for g in got] == want_parse
        return t

    with ThreadPoolExecutor(THREADS) as ex:
        assert sorted(ex.map(work, range(THREADS))) == list(range(THREADS))
    assert clf.classify("550 5.1.1 vip list only").rule == "mine.vip"


def test_hostile_input_from_threads_raises_typed_errors() -> None:
    recipients = "".join(
        f"\r\nFinal-Recipient: rfc822; u{i}@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n" for i in range(20_000)
    )
    many = ("Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n" + recipients).encode()
    cases: list[tuple[bytes, type[Exception] | None]] = [
        (b"", bouncekit.ParseError),
        (many, bouncekit.LimitError),
        (bytes(range(256)) * 1000, None),
        (b"Subject: \xff\xfe\x00\r\n\r\n550 5.1.1 \x00 user unknown", None),
    ]

    def work(t: int) -> int:
        for raw, err in cases:
            if err is None:
                try:
                    bouncekit.parse(raw)
                except bouncekit.BounceKitError:
                    pass  # a typed error is a clear answer too
            else:
                with pytest.raises(err):
                    bouncekit.parse(raw)
        return t

    with ThreadPoolExecutor(THREADS) as ex:
        assert len(list(ex.map(work, range(THREADS)))) == THREADS
