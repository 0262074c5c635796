"""The vocabulary enums: ``Reason``, ``BounceType``, ``Category``, ``Action``,
``MessageKind`` and ``DsnAction``.

Their members come from the compiled core (one list, no copy to drift);
each member is a ``str`` equal to its lowercase value, so
``Reason.USERUNKNOWN == "userunknown"`` and they go straight into JSON,
pandas and Arrow.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

from . import _bouncekit

if TYPE_CHECKING:  # pragma: no cover
    from ._bouncekit import ReasonInfo


class _Word(str, Enum):
    """A word of one of bouncekit's vocabularies (a ``str``)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    @classmethod
    def _missing_(cls, value: object) -> Any:
        # Accept any case: Reason("UserUnknown") is Reason.USERUNKNOWN.
        if isinstance(value, str):
            low = value.lower()
            for m in cls:
                if m.value == low:
                    return m
        return None


class _ReasonWord(_Word):
    @property
    def info(self) -> ReasonInfo:
        """The reason's metadata and mappings (:class:`ReasonInfo`)."""
        return _bouncekit.ReasonInfo(self.value)


def _make(name: str, base: type[_Word], doc: str) -> Any:
    words = _bouncekit._vocabulary(name)
    cls = base(name, [(w.upper(), w) for w in words], module="bouncekit", qualname=name)  # type: ignore[call-overload]
    cls.__doc__ = doc
    return cls


Reason = _make(
    "Reason",
    _ReasonWord,
    "Why a message failed (or what it was, for non-failures): the words Sisimai users know.\n\n"
    "``Reason.X.info`` gives the reason's definition, defaults and its mappings to "
    "Amazon SES, SparkPost, KumoMTA, SendGrid and Postmark.",
)
BounceType = _make(
    "BounceType",
    _Word,
    "``hard`` (the address will never work), ``soft`` (may work later) or ``none`` (not a failure).",
)
Category = _make("Category", _Word, "The area of the status subject (RFC 3463): addressing, mailbox, ...")
Action = _make(
    "Action",
    _Word,
    "What the sender should do: ``suppress``, ``retry``, ``fix_sender`` (the sending side must "
    "change; don't punish the recipient) or ``ignore``.",
)
MessageKind = _make(
    "MessageKind",
    _Word,
    "What a parsed message is: ``bounce``, ``delay`` (still retrying), ``delivery`` (a success notice), "
    "``feedback`` (an ARF complaint), ``autoreply``, ``challenge`` or ``not_bounce``.",
)
DsnAction = _make(
    "DsnAction",
    _Word,
    "One recipient's RFC 3464 ``Action:``: ``failed``, ``delayed``, ``delivered``, ``relayed`` or ``expanded``.",
)
