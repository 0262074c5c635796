"""Classifier with user rules."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import bouncekit
from bouncekit import Reason

RULES = """
[[rule]]
id = "mine.vip"
reason = "filtered"
priority = 100
phrases = ["vip list only"]
examples = ["550 5.1.1 vip list only"]
"""


def test_default_classifier() -> None:
    c = bouncekit.Classifier()
    assert c.user_rule_count == 0
    assert c.source is None
    assert len(c) == len(c.rules) > 50
    t = "550 5.1.1 vip list only"
    assert c.classify(t) == bouncekit.classify(t)
    assert repr(c).startswith("Classifier(rules=")


def test_user_rules_text() -> None:
    c = bouncekit.Classifier(rules_text=RULES, source="mine")
    assert c.classify("550 5.1.1 vip list only").reason is Reason.FILTERED
    assert c.classify("550 5.1.1 vip list only").rule == "mine.vip"
    assert bouncekit.classify("550 5.1.1 vip list only").reason is Reason.USERUNKNOWN
    assert c.user_rule_count == 1
    assert c.rules[0].id == "mine.vip"
    assert c.rules[0].reason is Reason.FILTERED
    assert c.rules[0].phrases == ["vip list only"]
    assert c.source == "mine"
    assert "user_rules=1" in repr(c)
    many = c.classify_many(["550 5.1.1 vip list only"] * 300)
    assert all(x.reason is Reason.FILTERED for x in many)


def test_user_rules_file(tmp_path: Path) -> None:
    p = tmp_path / "mine.toml"
    p.write_text(RULES, encoding="utf-8")
    for arg in (p, str(p)):
        c = bouncekit.Classifier(arg)
        assert c.classify("vip list only").reason is Reason.FILTERED
        assert c.source == str(p)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(bouncekit.FileError) as ei:
        bouncekit.Classifier(tmp_path / "nope.toml")
    assert isinstance(ei.value, OSError)
    assert "nope.toml" in str(ei.value)


@pytest.mark.parametrize(
    "text",
    [
        "this is not toml [[[",
        '[[rule]]\nid = "x"\nreason = "nonsense"\nphrases = ["a"]\nexamples = ["a"]\n',
        '[[rule]]\nid = "x"\nreason = "filtered"\npatterns = ["(unclosed"]\nexamples = ["a"]\n',
    ],
)
def test_bad_rules(text: str) -> None:
    with pytest.raises(bouncekit.RulesError):
        bouncekit.Classifier(rules_text=text)


def test_argument_errors() -> None:
    with pytest.raises(ValueError, match="not both"):
        bouncekit.Classifier("a.toml", rules_text=RULES)
    with pytest.raises(TypeError):
        bouncekit.Classifier(rules_text=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        bouncekit.Classifier(42)  # type: ignore[arg-type]


def test_pickle_carries_the_rules(tmp_path: Path) -> None:
    p = tmp_path / "mine.toml"
    p.write_text(RULES, encoding="utf-8")
    c = bouncekit.Classifier(p)
    back = pickle.loads(pickle.dumps(c))
    p.unlink()  # a worker elsewhere has no such file
    assert back.classify("vip list only").reason is Reason.FILTERED
    assert back.source == str(p)
    d = pickle.loads(pickle.dumps(bouncekit.Classifier()))
    assert d.user_rule_count == 0


def test_a_timeout_is_a_network_error_alone_and_expired_in_a_report() -> None:
    c = bouncekit.Classifier()
    rule = next(r for r in c.rules if r.id == "generic-delivery.connection-timed-out")
    assert rule.reason is Reason.NETWORKERROR
    assert rule.in_report is Reason.EXPIRED
    assert rule.to_dict()["in_report"] == "expired"
    assert next(r for r in c.rules if r.in_report is None).to_dict()["in_report"] is None
    text = "connect to mx.example.org[192.0.2.1]:25: Connection timed out"
    assert bouncekit.classify(text).reason is Reason.NETWORKERROR
    raw = (
        "From: MAILER-DAEMON@example.net\nTo: a@example.net\nSubject: Undelivered Mail Returned to Sender\n"
        'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; example.net\n\n"
        f"Final-Recipient: rfc822; x@example.org\nAction: failed\nStatus: 4.4.1\nDiagnostic-Code: X-Postfix; {text}\n\n--b--\n"
    )
    row = bouncekit.parse(raw).recipients[0]
    assert row.classification.reason is Reason.EXPIRED
    assert row.classification.rule == "generic-delivery.connection-timed-out+report"
