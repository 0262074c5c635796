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
