"""Parsing: raw bounce messages -> :class:`Report` (one :class:`Bounce` per
recipient), ``parse_many`` on all cores, ``scan`` over files, directories,
mbox files and Maildirs, and ``frame`` (a pandas DataFrame of the output
contract's rows). The work is the core's; these classes hold its answer."""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

from . import _bouncekit
from ._bouncekit import Classification
from ._errors import BounceKitError
from ._vocab import Action, BounceType, DsnAction, MessageKind, Reason

if TYPE_CHECKING:  # pragma: no cover
    import pandas  # type: ignore[import-untyped,unused-ignore]

    from ._bouncekit import Classifier

Errors = Literal["raise", "skip", "return"]

#: The output contract's row fields (DESIGN.md), in order.
ROW_FIELDS: tuple[str, ...] = (
    "source", "message_kind", "recipient", "dsn_action", "status", "reply_code", "reason",
    "bounce_type", "category", "action", "diagnostic", "remote_mta", "reporting_mta",
    "smtp_command", "timestamp", "decoded_by", "rule", "feedback_type",
)  # fmt: skip


_DEFAULT_LIMITS: dict[str, int] = dict(_bouncekit._default_limits())


@dataclass(frozen=True)
class Limits:
    """Caps on what one message may cost; a message over one raises
    :class:`LimitError` (``max_diagnostic_len`` cuts instead). Every field
    is a positive int; the defaults are the core's.

    >>> bouncekit.parse(raw, limits=bouncekit.Limits(max_message_size=1 << 20))
    """

    max_message_size: int = _DEFAULT_LIMITS["max_message_size"]
    """Largest message accepted, in bytes."""
    max_mime_depth: int = _DEFAULT_LIMITS["max_mime_depth"]
    """Deepest MIME nesting accepted."""
    max_parts: int = _DEFAULT_LIMITS["max_parts"]
    """Most MIME parts accepted."""
    max_recipients: int = _DEFAULT_LIMITS["max_recipients"]
    """Most recipients reported; more is an error."""
    max_diagnostic_len: int = _DEFAULT_LIMITS["max_diagnostic_len"]
    """Diagnostics longer than this (bytes) are cut at a character boundary."""

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"Limits.{f.name}: expected a positive int, got {v!r}")

    def to_dict(self) -> dict[str, int]:
        """The fields as a dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _table(title: str, rows: list[tuple[str, Any]]) -> str:
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>{html.escape(str(v))}</td></tr>"
        for k, v in rows
        if v not in (None, "")
    )
    return f"<table class='bouncekit'><caption style='text-align:left'><b>{html.escape(title)}</b></caption>{body}</table>"


@dataclass(frozen=True)
class Bounce:
    """What happened to one recipient of a report."""

    recipient: str
    original_recipient: str | None
    dsn_action: DsnAction
    status: str | None
    reply_code: int | None
    diagnostic: str
    remote_mta: str | None
    reporting_mta: str | None
    smtp_command: str | None
    arrival_date: str | None
    last_attempt_date: str | None
    decoded_by: str
    feedback_type: str | None
    classification: Classification

    @property
    def reason(self) -> Reason:
        """The verdict's reason."""
        return self.classification.reason

    @property
    def bounce_type(self) -> BounceType:
        """The verdict's bounce type."""
        return self.classification.bounce_type

    @property
    def action(self) -> Action:
        """What the sender should do."""
        return self.classification.action

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain values (the classification as a nested dict)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["classification"] = self.classification.to_dict()
        return d

    def _repr_html_(self) -> str:
        c = self.classification
        return _table(
            self.recipient,
            [("dsn_action", self.dsn_action), ("reason", c.reason.value), ("bounce_type", c.bounce_type.value),
             ("action", c.action.value), ("status", c.status), ("reply_code", c.reply_code),
             ("diagnostic", self.diagnostic), ("remote_mta", self.remote_mta), ("decoded_by", self.decoded_by),
             ("rule", c.rule)],
        )  # fmt: skip


@dataclass(frozen=True)
class Report:
    """One parsed message: its kind and one :class:`Bounce` per recipient.

    ``rows()`` gives the output contract's flat rows (one per recipient)."""

    source: str | None
    kind: MessageKind
    reporting_mta: str | None
    sender: str | None
    subject: str | None
    date: str | None
    original_message_id: str | None
    original_from: str | None
    original_to: str | None
    original_subject: str | None
    recipients: tuple[Bounce, ...]
    _rows: tuple[tuple[Any, ...], ...]
    """The rows' values, in :data:`ROW_FIELDS` order."""

    def rows(self) -> list[dict[str, Any]]:
        """The output contract's rows (DESIGN.md), one per recipient."""
        return [dict(zip(ROW_FIELDS, r)) for r in self._rows]

    @property
    def failed(self) -> list[Bounce]:
        """The recipients whose delivery failed."""
        return [b for b in self.recipients if b.dsn_action is DsnAction.FAILED]

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain values (recipients as dicts)."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_rows"}
        d["recipients"] = [b.to_dict() for b in self.recipients]
        return d

    def __repr__(self) -> str:
        who = ", ".join(repr(b.recipient) for b in self.recipients[:3])
        more = ", ..." if len(self.recipients) > 3 else ""
        src = f"source={self.source!r}, " if self.source else ""
        return f"Report({src}kind={self.kind!r}, recipients=[{who}{more}])"

    def _repr_html_(self) -> str:
        head = _table(
            f"Report: {self.kind}",
            [("source", self.source), ("from", self.sender), ("subject", self.subject), ("date", self.date),
             ("reporting_mta", self.reporting_mta), ("original message", self.original_message_id)],
        )  # fmt: skip
        cols = ("recipient", "dsn_action", "status", "reason", "bounce_type", "action", "diagnostic")
        th = "".join(f"<th>{c}</th>" for c in cols)
        trs = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(r.get(c) or ''))}</td>" for c in cols) + "</tr>"
            for r in self.rows()
        )
        return f"{head}<table class='bouncekit'><tr>{th}</tr>{trs}</table>"


# The compiled module builds Report and Bounce objects itself, setting the
# fields as the dataclasses' __init__ does (without its per-field cost).
_bouncekit._init_report(Report, Bounce)


def _check_errors(errors: str) -> None:
    if errors not in ("raise", "skip", "return"):
        raise ValueError(f"errors: expected 'raise', 'skip' or 'return', got {errors!r}")


def parse(
    raw: bytes | bytearray | str, *, classifier: Classifier | None = None, limits: Limits | None = None
) -> Report:
    """Parses one raw message (RFC 3464 DSN, ARF, auto-reply, the non-standard
    MTA formats) into a :class:`Report`.

    Raises :class:`ParseError` for input that is not an email message and
    :class:`LimitError` for one over the size/MIME/recipient ``limits``
    (default: :class:`Limits`)."""
    return _bouncekit._parse(raw, classifier, _limits(limits))


def _limits(limits: Limits | None) -> Limits | None:
    if limits is not None and not isinstance(limits, Limits):
        raise TypeError(f"limits: expected a bouncekit.Limits, got {type(limits).__name__}")
    return limits


def parse_many(
    raws: Iterable[bytes | bytearray | str],
    *,
    classifier: Classifier | None = None,
    limits: Limits | None = None,
    errors: Errors = "raise",
) -> list[Any]:
    """Parses many messages on all cores without the GIL, in order.

    ``errors``: ``"raise"`` raises the first message's error, ``"skip"``
    leaves failed messages out, ``"return"`` puts the exception object in
    their place."""
    _check_errors(errors)
    reports, failed = _bouncekit._parse_many(raws, classifier, _limits(limits))
    if not failed or errors == "return":
        return reports
    if errors == "skip":
        return [r for r in reports if not isinstance(r, BounceKitError)]
    i, r = next((i, r) for i, r in enumerate(reports) if isinstance(r, BounceKitError))
    raise type(r)(f"raws[{i}]: {r}") from r


def scan(
    *paths: str | os.PathLike[str],
    classifier: Classifier | None = None,
    limits: Limits | None = None,
    errors: Errors = "raise",
    threads: int | None = None,
) -> Iterator[Any]:
    """Reads files, directories (recursively), mbox files and Maildirs and
    yields one :class:`Report` per message (``report.source`` is the path,
    ``path#N`` for the N-th message of an mbox). Parsing runs on all cores
    in the background (``threads`` parse threads when given, at least 1),
    memory stays bounded, and the reports come in input order either way.

    ``errors`` as for :func:`parse_many` (``"return"`` yields the exception,
    with the source in its message)."""
    _check_errors(errors)
    if not paths:
        raise TypeError("scan: give at least one path")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)):
        raise TypeError(f"scan: threads must be an int or None, not {type(threads).__name__}")
    if threads is not None and threads < 1:
        raise ValueError("scan: threads must be at least 1")
    for source, r in _bouncekit._scan([os.fspath(p) for p in paths], classifier, _limits(limits), threads):
        if isinstance(r, BounceKitError):
            if errors == "raise":
                raise type(r)(f"{source}: {r}") from r
            if errors == "return":
                yield type(r)(f"{source}: {r}")
            continue
        yield r


def frame(
    *paths: str | os.PathLike[str],
    classifier: Classifier | None = None,
    limits: Limits | None = None,
    errors: Errors = "skip",
    threads: int | None = None,
) -> pandas.DataFrame:
    """A pandas DataFrame of every recipient of every message under
    ``paths``: the output contract's columns (:data:`ROW_FIELDS`). Messages
    that do not parse are skipped by default; ``threads`` as for :func:`scan`."""
    import pandas as pd

    reports = scan(*paths, classifier=classifier, limits=limits, errors=errors, threads=threads)
    rows = [row for rep in reports if isinstance(rep, Report) for row in rep.rows()]
    df = pd.DataFrame.from_records(rows, columns=list(ROW_FIELDS))
    df["reply_code"] = df["reply_code"].astype("Int64")
    return df
