"""Policy: defaults, TOML, decisions over a history, immutability, pickling."""

from __future__ import annotations

import pickle
from datetime import datetime, timezone
from pathlib import Path

import pytest

import bouncekit
from bouncekit import Action, BounceType, Decision, HistoryEvent, Policy, Reason

ROOT = Path(__file__).resolve().parents[2]
DAY = 86_400
T0 = 1_714_557_600  # 2024-05-01T10:00:00Z


def test_hard_bounce_suppresses_at_once() -> None:
    d = Policy().decide(bouncekit.classify("550 5.1.1 <a@example.com>: User unknown"), now=T0)
    assert d == Decision(Action.SUPPRESS, None, d.why)
    assert d.why


def test_three_soft_bounces_in_the_window_suppress() -> None:
    p = Policy()
    full = bouncekit.classify("452 4.2.2 The email account that you tried to reach is over quota")
    assert full.reason is Reason.MAILBOXFULL
    history = [HistoryEvent(T0 + 10 * DAY, Reason.MAILBOXFULL, BounceType.SOFT), (T0 + 15 * DAY, "mailboxfull", "soft")]
    d = p.decide(full, history, now=T0 + 20 * DAY)
    assert d.action is Action.SUPPRESS
    assert d.why == "3 soft bounces (mailboxfull ×3) in 14 days"
    # The first of them outside the window: retry after the reason's delay.
    d = p.decide(full, history, now=T0 + 25 * DAY)
    assert d.action is Action.RETRY
    assert d.retry_after == p.retry_after(Reason.MAILBOXFULL) == 12 * 3600


def test_sender_side_reasons_never_suppress_the_recipient() -> None:
    blocked = bouncekit.classify("554 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org")
    history = [(T0 - i * 60, "blocked", "hard") for i in range(1, 10)]
    assert Policy().decide(blocked, history, now=T0).action is Action.FIX_SENDER


def test_reasons_and_datetimes_are_accepted() -> None:
    p = Policy()
    when = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    assert p.decide(Reason.FEEDBACK, now=when).action is Action.SUPPRESS
    assert p.decide("vacation", now=when).action is Action.IGNORE
    # The reason's default bounce type unless one is given.
    assert p.decide("userunknown", now=T0).action is Action.SUPPRESS
    assert p.decide("mailboxfull", now=T0, bounce_type="hard").action is Action.SUPPRESS
    assert p.decide("mailboxfull", now=T0).action is Action.RETRY


def test_policy_from_toml_changes_decisions(tmp_path: Path) -> None:
    text = '[soft]\nthreshold = 2\nwindow = "7d"\n'
    p = Policy.from_toml(text)
    assert p != Policy()
    assert p.to_dict()["soft"]["threshold"] == 2
    assert p.to_dict()["soft"]["window"] == 7 * DAY
    d = p.decide("mailboxfull", [(T0 - DAY, "mailboxfull", "soft")], now=T0)
    assert d.action is Action.SUPPRESS
    assert Policy().decide("mailboxfull", [(T0 - DAY, "mailboxfull", "soft")], now=T0).action is Action.RETRY
    f = tmp_path / "policy.toml"
    f.write_text(text, encoding="utf-8")
    q = Policy.from_file(f)
    assert q == p and hash(q) == hash(p)
    assert q.source == str(f)


def test_the_example_policy_file_is_the_default() -> None:
    assert Policy.from_file(ROOT / "examples" / "policy.toml") == Policy()


def test_bad_policies_raise_policy_error(tmp_path: Path) -> None:
    with pytest.raises(bouncekit.PolicyError, match="mailboxfool"):
        Policy.from_toml('[ignore]\nreasons = ["mailboxfool"]\n')
    with pytest.raises(bouncekit.PolicyError):
        Policy.from_toml("[soft]\nthresholds = 3\n")
    with pytest.raises(bouncekit.PolicyError, match="duration"):
        Policy.from_toml('[soft]\nwindow = "fortnight"\n')
    with pytest.raises(bouncekit.PolicyError):
        Policy.from_toml("not toml [")
    with pytest.raises(bouncekit.FileError):
        Policy.from_file(tmp_path / "missing.toml")
    with pytest.raises(TypeError):
        Policy(b"[soft]")  # type: ignore[arg-type]
    assert issubclass(bouncekit.PolicyError, bouncekit.BounceKitError)
    assert issubclass(bouncekit.PolicyError, ValueError)


def test_bad_decide_arguments() -> None:
    p = Policy()
    with pytest.raises(bouncekit.UnknownNameError):
        p.decide("mailboxfool", now=T0)
    with pytest.raises(bouncekit.UnknownNameError):
        p.decide("mailboxfull", [(T0, "nope", "soft")], now=T0)
    with pytest.raises(TypeError):
        p.decide(None, now=T0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        p.decide("mailboxfull", [T0], now=T0)  # type: ignore[list-item]
    with pytest.raises(TypeError):
        p.decide("mailboxfull", now="yesterday")  # type: ignore[arg-type]


def test_policy_is_immutable_picklable_and_printable() -> None:
    p = Policy.from_toml("[soft]\nthreshold = 5\n")
    with pytest.raises(AttributeError):
        p.x = 1  # type: ignore[attr-defined]
    for q in (p, Policy()):
        r = pickle.loads(pickle.dumps(q))
        assert r == q and r.to_dict() == q.to_dict()
    assert "soft=5" in repr(p)
    assert "<table" in p._repr_html_()
    d = p.decide("mailboxfull", now=T0)
    assert pickle.loads(pickle.dumps(d)) == d
    assert d.to_dict() == {"action": "retry", "retry_after": d.retry_after, "why": d.why}
    assert "retry" in d._repr_html_()
    assert {d, d} == {d}
