"""explain, registered_codes, reasons and the vocabulary enums."""

from __future__ import annotations

import pickle

import pytest

import bouncekit
from bouncekit import Action, BounceType, Category, Reason


def test_explain_registered() -> None:
    e = bouncekit.explain("5.4.1")
    assert e.name == "No answer from host"
    assert e.permanence == "permanent"
    assert e.category is Category.NETWORK_ROUTING
    assert e.level == "registered"
    assert e.code == "5.4.1" and e.registry_key == "X.4.1"
    assert isinstance(e.causes, list)
    assert isinstance(e.rfc, (int, type(None)))
    text = str(e)
    assert text.startswith("5.4.1 ") and "No answer from host" in text


def test_explain_unregistered_is_subject_level() -> None:
    e = bouncekit.explain("5.7.606")
    assert e.level == "subject"
    assert e.category is Category.SECURITY_POLICY


@pytest.mark.parametrize("bad", ["5.9.1", "", "hello", "5.1", "6.1.1", "5.1.1.1", "5.1.1000"])
def test_explain_invalid(bad: str) -> None:
    with pytest.raises(bouncekit.InvalidCodeError) as ei:
        bouncekit.explain(bad)
    assert isinstance(ei.value, ValueError)
    assert isinstance(ei.value, bouncekit.BounceKitError)


@pytest.mark.parametrize("bad", [None, 511, b"5.1.1"])
def test_explain_wrong_type(bad: object) -> None:
    with pytest.raises(TypeError):
        bouncekit.explain(bad)  # type: ignore[arg-type]


def test_every_registered_code_explains() -> None:
    keys = bouncekit.registered_codes()
    assert len(keys) > 80
    assert keys[0] == "X.0.0"
    for k in keys:
        for cls in "245":
            e = bouncekit.explain(k.replace("X", cls, 1))
            assert e.level == "registered"
            assert e.name


def test_reasons_vocabulary_and_mappings() -> None:
    infos = bouncekit.reasons()
    assert [i.reason for i in infos] == list(Reason)
    assert len(infos) == 34
    full = bouncekit.reason_info("mailboxfull")
    assert full.bounce_type is BounceType.SOFT
    assert isinstance(full.definition, str) and full.definition
    # Every mapping is exposed, typed.
    mapped = {
        "ses": [i for i in infos if i.ses_bounce_type],
        "sparkpost": [i for i in infos if i.sparkpost is not None],
        "kumomta": [i for i in infos if i.kumomta],
        "sendgrid": [i for i in infos if i.sendgrid],
        "postmark": [i for i in infos if i.postmark],
    }
    for name, have in mapped.items():
        assert have, f"no reason has a {name} mapping"
    for i in infos:
        if i.sparkpost is not None:
            assert 1 <= i.sparkpost <= 100
        if i.ses_bounce_type:
            assert i.ses_bounce_type in {"Permanent", "Transient", "Undetermined"}
            assert i.ses_bounce_subtype
        d = i.to_dict()
        assert set(d) >= {"reason", "ses_bounce_type", "ses_bounce_subtype", "sparkpost", "kumomta", "sendgrid", "postmark"}


def test_reason_info_inputs() -> None:
    assert bouncekit.reason_info(Reason.BLOCKED) == bouncekit.reason_info("blocked")
    assert Reason.BLOCKED.info == bouncekit.reason_info("blocked")
    with pytest.raises(bouncekit.UnknownNameError):
        bouncekit.reason_info("nonsense")
    with pytest.raises(TypeError):
        bouncekit.reason_info(None)  # type: ignore[arg-type]


def test_enums() -> None:
    assert Reason("userunknown") is Reason.USERUNKNOWN
    assert Reason("UserUnknown") is Reason.USERUNKNOWN
    with pytest.raises(ValueError):
        Reason("nonsense")
    assert [m.value for m in BounceType] == ["hard", "soft", "none"]
    assert Action.FIX_SENDER == "fix_sender"
    assert Category.MAIL_SYSTEM == "mail_system"
    assert Reason.__module__ == "bouncekit"
    for m in list(Reason) + list(BounceType) + list(Category) + list(Action):
        assert pickle.loads(pickle.dumps(m)) is m
        assert m.name == m.value.upper()


def test_error_hierarchy() -> None:
    for name in ["InvalidCodeError", "UnknownNameError", "RulesError", "FileError", "ParseError", "LimitError"]:
        cls = getattr(bouncekit, name)
        assert issubclass(cls, bouncekit.BounceKitError)
        assert cls.__module__ == "bouncekit._errors"
    assert issubclass(bouncekit.FileError, OSError)
    assert issubclass(bouncekit.InvalidCodeError, ValueError)


def test_version() -> None:
    assert isinstance(bouncekit.__version__, str) and bouncekit.__version__.count(".") == 2
