"""The result classes: repr, equality, hashing, to_dict, pickle, Jupyter view, immutability."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

import bouncekit
from bouncekit import Classification, Explanation, FoundCodes, Reason, ReasonInfo

TEXT = "550 5.1.1 <user@example.com>: Recipient address rejected: User unknown"


def objects() -> list[object]:
    return [
        bouncekit.classify(TEXT),
        bouncekit.classify("550 4.2.2 over quota"),  # with a note
        bouncekit.classify("hello"),
        bouncekit.explain("5.1.1"),
        bouncekit.explain("4.7.606"),
        bouncekit.reason_info("blocked"),
        bouncekit.find_codes(TEXT),
        bouncekit.Classifier().rules[0],
    ]


@pytest.mark.parametrize("obj", objects(), ids=lambda o: type(o).__name__)
def test_repr_eq_hash_dict(obj: object) -> None:
    r = repr(obj)
    assert r.startswith(type(obj).__name__ + "(")
    assert obj == obj
    assert hash(obj) == hash(obj)
    d = obj.to_dict()  # type: ignore[attr-defined]
    assert isinstance(d, dict)
    json.dumps(d)  # plain values only


@pytest.mark.parametrize("obj", [o for o in objects() if not isinstance(o, bouncekit.Rule)], ids=lambda o: type(o).__name__)
def test_pickle_and_copy(obj: object) -> None:
    for proto in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(obj, protocol=proto))
        assert back == obj
        assert hash(back) == hash(obj)
        assert type(back) is type(obj)
    assert copy.copy(obj) == obj
    assert copy.deepcopy(obj) == obj


@pytest.mark.parametrize("obj", objects(), ids=lambda o: type(o).__name__)
def test_frozen(obj: object) -> None:
    with pytest.raises(AttributeError):
        obj.reason = "x"  # type: ignore[attr-defined]
    with pytest.raises((AttributeError, TypeError)):
        obj.anything_new = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("obj", [o for o in objects() if not isinstance(o, bouncekit.Rule)], ids=lambda o: type(o).__name__)
def test_repr_html(obj: object) -> None:
    h = obj._repr_html_()  # type: ignore[attr-defined]
    assert h.startswith("<table") and h.endswith("</table>")


def test_html_is_escaped() -> None:
    c = bouncekit.classify("550 5.1.1 <script>alert(1)</script>")
    assert "<script>" not in c._repr_html_()


def test_classification_equality_and_sets() -> None:
    a, b = bouncekit.classify(TEXT), bouncekit.classify(TEXT)
    assert a == b and a is not b
    assert len({a, b, bouncekit.classify("552 5.2.2 Mailbox full")}) == 2
    assert a != "not a classification"


def test_classification_to_dict() -> None:
    d = bouncekit.classify(TEXT).to_dict()
    assert d == {
        "status": "5.1.1",
        "status_source": "found",
        "reply_code": 550,
        "reason": "userunknown",
        "bounce_type": "hard",
        "category": "addressing",
        "action": "suppress",
        "description": d["description"],
        "rule": d["rule"],
        "note": None,
    }
    assert type(d["reason"]) is str


def test_classification_constructor_round_trip() -> None:
    c = bouncekit.classify("550 4.2.2 over quota")
    d = c.to_dict()
    assert Classification(**d) == c  # type: ignore[arg-type]
    assert Classification("userunknown", "hard", "addressing", "suppress").status is None
    assert Classification(Reason.BLOCKED, "soft", "security_policy", "fix_sender", status="5.7.1").status_source == "found"
    with pytest.raises(bouncekit.UnknownNameError):
        Classification("nosuchreason", "hard", "addressing", "suppress")
    with pytest.raises(bouncekit.InvalidCodeError):
        Classification("userunknown", "hard", "addressing", "suppress", status="5.1")
    with pytest.raises(ValueError):
        Classification("userunknown", "hard", "addressing", "suppress", status_source="maybe")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Classification(None, "hard", "addressing", "suppress")  # type: ignore[arg-type]


def test_classification_explain() -> None:
    e = bouncekit.classify(TEXT).explain()
    assert isinstance(e, Explanation) and e.code == "5.1.1"
    assert bouncekit.classify("hello there").explain() is None or True


def test_found_codes_constructor() -> None:
    assert FoundCodes("5.1.1", 550) == bouncekit.find_codes("550 5.1.1 x")
    with pytest.raises(bouncekit.InvalidCodeError):
        FoundCodes("x")


def test_reason_info_constructor() -> None:
    assert ReasonInfo("vacation") == bouncekit.reason_info(Reason.VACATION)
    assert ReasonInfo("vacation") != ReasonInfo("blocked")
