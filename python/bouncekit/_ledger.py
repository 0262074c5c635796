"""The decision over time: a :class:`Policy` (pure: a bounce plus the
address's history -> a :class:`Decision`) and the :class:`Ledger` (an
embedded SQLite file of bounce events and the suppression list they lead
to). The core does the work (``docs/policy.md``, ``docs/ledger.md``); these
classes convert and hold its answers.

Times are unix seconds (``int``); a ``datetime`` is accepted wherever a time
is given (a naive one is taken as UTC). Durations are seconds.
"""

from __future__ import annotations

import html
import json
import os
import time as _time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from typing import IO, TYPE_CHECKING, Any, Literal

from . import _bouncekit
from ._bouncekit import Classification
from ._vocab import Action, BounceType, Reason

if TYPE_CHECKING:  # pragma: no cover
    from types import TracebackType

    from ._message import Report

Durability = Literal["full", "normal"]
Time = int | datetime


def _secs(t: Time | None, what: str) -> int | None:
    """Unix seconds from an int or a datetime (naive: UTC)."""
    if t is None:
        return None
    if isinstance(t, datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
        return int(t.timestamp())
    if isinstance(t, bool) or not isinstance(t, int):
        raise TypeError(f"{what}: expected int (unix seconds) or datetime, got {type(t).__name__}")
    return t


def _now(t: Time | None, what: str = "now") -> int:
    s = _secs(t, what)
    return int(_time.time()) if s is None else s


def _word(enum: Any, value: object, what: str) -> Any:
    from ._errors import UnknownNameError

    if not isinstance(value, str):
        raise TypeError(f"{what}: expected str, got {type(value).__name__}")
    try:
        return enum(value)
    except ValueError:
        raise UnknownNameError(f"{what}: unknown {enum.__name__} {value!r}") from None


def _html(title: str, rows: list[tuple[str, Any]]) -> str:
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>{html.escape(str(v))}</td></tr>"
        for k, v in rows
        if v not in (None, "")
    )
    return f"<table class='bouncekit'><caption style='text-align:left'><b>{html.escape(title)}</b></caption>{body}</table>"


class _Record:
    """``to_dict()`` and a Jupyter view for the frozen dataclasses below."""

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain values (enums are ``str``)."""
        return asdict(self)  # type: ignore[call-overload,no-any-return]

    def _repr_html_(self) -> str:
        return _html(type(self).__name__, [(f.name, getattr(self, f.name)) for f in fields(self)])  # type: ignore[arg-type]


# ------------------------------------------------------------------ policy


@dataclass(frozen=True)
class Decision(_Record):
    """What to do about an address, and why.

    ``action`` is :class:`Action` (``suppress``, ``retry``, ``fix_sender``,
    ``ignore``); ``retry_after`` the seconds to wait before the next attempt
    (for ``retry`` and some ``fix_sender``), else None; ``why`` a sentence a
    person can read (``"3 soft bounces (mailboxfull ×3) in 14 days"``)."""

    action: Action
    retry_after: int | None
    why: str

    @classmethod
    def _from(cls, t: tuple[str, int | None, str]) -> Decision:
        return cls(Action(t[0]), t[1], t[2])


@dataclass(frozen=True)
class HistoryEvent(_Record):
    """One earlier bounce of an address: when, why, how hard."""

    time: int
    reason: Reason
    bounce_type: BounceType

    def __post_init__(self) -> None:
        object.__setattr__(self, "time", _secs(self.time, "time"))
        object.__setattr__(self, "reason", _word(Reason, self.reason, "reason"))
        object.__setattr__(self, "bounce_type", _word(BounceType, self.bounce_type, "bounce_type"))


def _history(history: Iterable[HistoryEvent | tuple[Time, Any, Any]]) -> list[tuple[int, str, str]]:
    out = []
    for i, h in enumerate(history):
        if isinstance(h, HistoryEvent):
            out.append((h.time, h.reason.value, h.bounce_type.value))
        elif isinstance(h, tuple) and len(h) == 3:
            t = _secs(h[0], f"history[{i}].time")
            assert t is not None
            out.append((t, h[1], h[2]))
        else:
            raise TypeError(f"history[{i}]: expected a HistoryEvent or a (time, reason, bounce_type) tuple, got {type(h).__name__}")
    return out


class Policy:
    """A suppression policy: when a bounce suppresses an address, when to
    retry, when the sender must fix something, what to ignore.

    ``Policy()`` is the documented default (``docs/policy.md``: hard bounces
    and complaints suppress at once; 3 soft bounces in 14 days suppress;
    blocklist, reputation, authentication and content rejections are
    ``fix_sender`` and never count against the recipient; domain health
    flags a domain when 5 addresses fail with host/network errors in a day).
    ``Policy.from_toml(text)`` / ``Policy.from_file(path)`` load a TOML
    policy (keys left out keep their default); errors raise
    :class:`PolicyError`. Immutable, comparable, hashable and picklable.

    >>> p = bouncekit.Policy()
    >>> p.decide(bouncekit.classify("550 5.1.1 user unknown")).action
    <Action.SUPPRESS: 'suppress'>
    """

    __slots__ = ("_core", "_toml", "_source")

    _core: _bouncekit._Policy
    _toml: str | None
    _source: str | None

    def __init__(self, toml: str | None = None, *, source: str | None = None) -> None:
        if toml is not None and not isinstance(toml, str):
            raise TypeError(f"toml: expected str, got {type(toml).__name__}")
        object.__setattr__(self, "_core", _bouncekit._Policy(toml, source))
        object.__setattr__(self, "_toml", toml)
        object.__setattr__(self, "_source", source)

    @classmethod
    def from_toml(cls, text: str, *, source: str | None = None) -> Policy:
        """A policy from TOML text (the format of ``examples/policy.toml``)."""
        return cls(text, source=source)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Policy:
        """A policy from a TOML file; a file that cannot be read raises :class:`FileError`."""
        from ._errors import FileError

        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise FileError(f"{os.fspath(path)}: {e}") from e
        return cls(text, source=os.fspath(path))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Policy is immutable")

    def decide(
        self,
        bounce: Classification | Reason | str,
        history: Iterable[HistoryEvent | tuple[Time, Any, Any]] = (),
        *,
        now: Time | None = None,
        bounce_type: BounceType | str | None = None,
    ) -> Decision:
        """The decision on a bounce observed at ``now`` (default: the current
        time), given the address's earlier events.

        ``bounce`` is a :class:`Classification` or a reason (its default
        bounce type unless ``bounce_type`` is given); ``history`` holds
        :class:`HistoryEvent` or ``(time, reason, bounce_type)`` tuples (later
        than ``now``: not looked at). Domain health needs the ledger, which
        knows the other addresses: see :meth:`Ledger.decide`."""
        if isinstance(bounce, Classification):
            reason: Any = bounce.reason
            bt: Any = bounce.bounce_type if bounce_type is None else bounce_type
        elif isinstance(bounce, str):
            reason = bounce
            bt = _bouncekit.reason_info(bounce).bounce_type if bounce_type is None else bounce_type
        else:
            raise TypeError(f"bounce: expected a Classification or a Reason, got {type(bounce).__name__}")
        return Decision._from(self._core.decide(reason, bt, _now(now), _history(history)))

    def retry_after(self, reason: Reason | str) -> int:
        """Seconds to wait before retrying after a soft bounce of ``reason``."""
        return self._core.retry_after(reason)

    def to_dict(self) -> dict[str, Any]:
        """Every setting, as plain values (durations in seconds)."""
        return self._core.to_dict()

    @property
    def source(self) -> str | None:
        """The file or source name it was loaded from, or None."""
        return self._source

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Policy):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_policy_from, (self._toml, self._source))

    def __repr__(self) -> str:
        d = self.to_dict()
        s = d["soft"]
        what = f"source={self._source!r}, " if self._source else ("" if self._toml is None else "custom, ")
        return (
            f"Policy({what}soft={s['threshold']} in {s['window'] // 86400}d, "
            f"domain={d['domain']['threshold']} addresses -> {d['domain']['action']})"
        )

    def _repr_html_(self) -> str:
        d = self.to_dict()
        return _html(
            "Policy" + (f" ({self._source})" if self._source else ""),
            [("suppress at once (bounce types)", ", ".join(d["suppress_bounce_types"])),
             ("suppress at once (reasons)", ", ".join(d["suppress_reasons"])),
             ("fix_sender reasons", ", ".join(d["fix_sender_reasons"])),
             ("ignored reasons", ", ".join(d["ignore_reasons"])),
             ("soft bounces", f"{d['soft']['threshold']} in {d['soft']['window']} s"),
             ("domain health", f"{d['domain']['threshold']} addresses in {d['domain']['window']} s -> {d['domain']['action']}")],
        )  # fmt: skip


def _policy_from(toml: str | None, source: str | None) -> Policy:
    return Policy(toml, source=source)


# ------------------------------------------------------------------ ledger


@dataclass(frozen=True)
class Event(_Record):
    """One bounce of one recipient, to record in a :class:`Ledger`.

    ``bounce_type`` and ``action`` default to the reason's. The same bounce
    recorded twice counts once: its identity is ``message_id`` (the bounce
    message's own Message-ID) plus the recipient, or without one a hash of
    recipient, time and diagnostic."""

    recipient: str
    time: int
    reason: Reason | str
    bounce_type: BounceType | str | None = None
    status: str | None = None
    reply_code: int | None = None
    action: Action | str | None = None
    message_id: str | None = None
    source: str | None = None
    diagnostic: str | None = None

    if TYPE_CHECKING:  # pragma: no cover
        # What the generated __init__ accepts: `time` may be a datetime (it
        # is stored as unix seconds), the words may be plain strings.
        def __init__(
            self,
            recipient: str,
            time: Time,
            reason: Reason | str,
            bounce_type: BounceType | str | None = None,
            status: str | None = None,
            reply_code: int | None = None,
            action: Action | str | None = None,
            message_id: str | None = None,
            source: str | None = None,
            diagnostic: str | None = None,
        ) -> None: ...

    def __post_init__(self) -> None:
        # Words become enum members; an unknown one raises UnknownNameError here.
        object.__setattr__(self, "time", _secs(self.time, "time"))
        object.__setattr__(self, "reason", _word(Reason, self.reason, "reason"))
        if self.bounce_type is not None:
            object.__setattr__(self, "bounce_type", _word(BounceType, self.bounce_type, "bounce_type"))
        if self.action is not None:
            object.__setattr__(self, "action", _word(Action, self.action, "action"))

    @classmethod
    def from_classification(
        cls,
        recipient: str,
        time: Time,
        c: Classification,
        *,
        message_id: str | None = None,
        source: str | None = None,
        diagnostic: str | None = None,
    ) -> Event:
        """The event of a classification."""
        t = _secs(time, "time")
        assert t is not None
        return cls(recipient, t, c.reason, c.bounce_type, c.status, c.reply_code, c.action, message_id, source, diagnostic)

    def _row(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class BatchStats(_Record):
    """What recording did: ``events`` given, ``recorded`` new, ``duplicates``
    already there, addresses newly ``suppressed``, ``domains_flagged``, and
    rows ``skipped`` (delay notices; refused rows with ``skip_invalid``)."""

    events: int
    recorded: int
    duplicates: int
    suppressed: int
    domains_flagged: int
    skipped: int


@dataclass(frozen=True)
class Suppression(_Record):
    """One entry of the suppression list: ``address`` (``*@domain`` for a
    flagged domain), ``scope`` (``address`` or ``domain``), the deciding
    event's ``reason`` and ``bounce_type``, ``since`` (unix seconds),
    ``until`` (for a domain flag) and ``why``."""

    address: str
    domain: str
    scope: Literal["address", "domain"]
    reason: Reason | None
    bounce_type: BounceType | None
    since: int
    until: int | None
    why: str

    @classmethod
    def _from(cls, d: dict[str, Any]) -> Suppression:
        d["reason"] = None if d["reason"] is None else Reason(d["reason"])
        d["bounce_type"] = None if d["bounce_type"] is None else BounceType(d["bounce_type"])
        return cls(**d)


@dataclass(frozen=True)
class DomainFlag(_Record):
    """A flagged domain: ``addresses`` distinct addresses failed with
    host/network reasons within the policy's window. Holds until
    ``expires_at`` or a release."""

    domain: str
    first_failure: int
    since: int
    last_failure: int
    addresses: int
    expires_at: int
    why: str

    def is_active(self, now: Time | None = None) -> bool:
        """Whether the flag holds at ``now`` (default: the current time)."""
        return _now(now) < self.expires_at


@dataclass(frozen=True)
class Stats(_Record):
    """Totals of a ledger; ``by_reason`` and ``by_bounce_type`` are
    ``(word, count)`` pairs, most frequent first."""

    events: int
    recipients: int
    domains: int
    suppressed: int
    flagged_domains: int
    first_event: int | None
    last_event: int | None
    by_reason: tuple[tuple[str, int], ...]
    by_bounce_type: tuple[tuple[str, int], ...]
    schema_version: int

    @classmethod
    def _from(cls, d: dict[str, Any]) -> Stats:
        d["by_reason"] = tuple(d["by_reason"])
        d["by_bounce_type"] = tuple(d["by_bounce_type"])
        return cls(**d)


@dataclass(frozen=True)
class DomainStats(_Record):
    """One domain's events, recipients, hard and soft bounces, host/network
    failures, suppressed addresses, last event, and its flag."""

    domain: str
    events: int
    recipients: int
    hard: int
    soft: int
    domain_failures: int
    suppressed: int
    last_event: int
    flagged: bool
    flag: DomainFlag | None

    @classmethod
    def _from(cls, d: dict[str, Any]) -> DomainStats:
        d["flag"] = None if d["flag"] is None else DomainFlag(**d["flag"])
        return cls(**d)


def _row_of(x: Event | Mapping[str, Any], i: int) -> dict[str, Any]:
    if isinstance(x, Event):
        return x._row()
    if isinstance(x, Mapping):
        d = dict(x)
        for k in ("timestamp", "time"):
            if isinstance(d.get(k), datetime):
                d[k] = _secs(d[k], f"events[{i}].{k}")
        return d
    raise TypeError(f"events[{i}]: expected an Event or a dict (a scan row), got {type(x).__name__}")


class Ledger:
    """The suppression ledger: bounce events over time in an SQLite file
    (WAL mode; safe for several processes), the suppression list they lead
    to under a :class:`Policy`, and domain health.

    ``Ledger(path)`` opens or creates a ledger file; ``Ledger()`` one in
    memory. Use it as a context manager (``with bouncekit.Ledger("b.db") as
    ledger:``) or call :meth:`close`. One object may be shared between
    threads; every call runs without the GIL.

    >>> with bouncekit.Ledger() as ledger:
    ...     ledger.record_reports(bouncekit.scan("bounces/"))
    ...     ledger.suppressed()
    """

    __slots__ = ("_core", "_policy", "__weakref__")

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        policy: Policy | None = None,
        durability: Durability = "full",
        busy_timeout: float = 30.0,
    ) -> None:
        if policy is not None and not isinstance(policy, Policy):
            raise TypeError(f"policy: expected a Policy, got {type(policy).__name__}")
        if path is not None and os.fspath(path) == ":memory:":
            path = None
        self._policy = policy or Policy()
        self._core = _bouncekit._Ledger(
            None if path is None else os.fspath(path), self._policy._core, durability, float(busy_timeout)
        )

    # -- life cycle

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Closes the file (idempotent); later calls raise :class:`LedgerError`."""
        self._core.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._core.closed

    @property
    def path(self) -> str | None:
        """The file, or None in memory."""
        return self._core.path

    @property
    def policy(self) -> Policy:
        """The policy decisions are made with."""
        return self._policy

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"Ledger({self.path or ':memory:'!r}, {state})"

    def __reduce__(self) -> Any:
        raise TypeError("a Ledger holds an open database and cannot be pickled; pickle its path and policy")

    # -- recording

    def record(
        self,
        events: Iterable[Event | Mapping[str, Any]],
        *,
        default_time: Time | None = None,
        batch_size: int = 0,
        skip_invalid: bool = False,
    ) -> BatchStats:
        """Records events: :class:`Event` objects or dicts with the scan
        output contract's fields (``Report.rows()``, ``frame(...)`` records,
        ``bouncekit scan --format jsonl`` lines).

        All in one transaction (``batch_size`` 0) or one per ``batch_size``
        events: an invalid event refuses its whole batch with
        :class:`InvalidEventError` (nothing of it is written), unless
        ``skip_invalid`` counts it as skipped. ``default_time`` is the time of
        rows without one (else they are refused). Delay notices are skipped.
        Recording the same bounce twice counts once."""
        if isinstance(events, (Event, Mapping, str, bytes)):
            raise TypeError("events: expected an iterable of events, got a single one (wrap it in a list)")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 0:
            raise ValueError(f"batch_size: expected an int >= 0, got {batch_size!r}")
        rows = [_row_of(e, i) for i, e in enumerate(events)]
        return BatchStats(**self._core.record_rows(rows, _secs(default_time, "default_time"), batch_size, skip_invalid))

    def record_reports(self, reports: Iterable[Report | BaseException], *, now: Time | None = None) -> BatchStats:
        """Records every recipient of parsed reports (``bouncekit.scan(...)``,
        ``parse_many``), as ``bouncekit scan --ledger`` does: rows without a
        timestamp get ``now`` (default: the current time) and are keyed by
        their source, so recording the same mailbox again adds nothing;
        rows the ledger refuses (no usable address) are counted as skipped;
        exceptions in the input (``errors="return"``) are skipped too."""
        rows: list[dict[str, Any]] = []
        for rep in reports:
            if isinstance(rep, BaseException):
                continue
            for row in rep.rows():
                if not (row.get("timestamp") or "").strip():
                    row["message_id"] = row["source"]
                rows.append(row)
        return BatchStats(**self._core.record_rows(rows, _now(now), 0, True))

    # -- deciding

    def decide(self, address: str, *, now: Time | None = None) -> Decision:
        """What to do about an address at ``now`` (default: the current
        time), from the suppression list, its domain's flag and its history."""
        return Decision._from(self._core.decide(address, _secs(now, "now")))

    def is_suppressed(self, address: str, *, now: Time | None = None) -> bool:
        """Whether the address is suppressed (or its domain is, when the
        policy suppresses flagged domains)."""
        return self._core.is_suppressed(address, _secs(now, "now"))

    def __contains__(self, address: object) -> bool:
        return isinstance(address, str) and self.is_suppressed(address)

    def suppression(self, address: str) -> Suppression | None:
        """The address's entry in the suppression list, or None."""
        d = self._core.suppression(address)
        return None if d is None else Suppression._from(d)

    def suppressed(self, *, now: Time | None = None) -> list[Suppression]:
        """The suppression list, by address (flagged domains last, when the
        policy suppresses them)."""
        return [Suppression._from(d) for d in self._core.suppressed(_secs(now, "now"))]

    def export_csv(self, file: str | os.PathLike[str] | IO[str] | None = None, *, now: Time | None = None) -> str:
        """The suppression list as CSV (``address,domain,scope,reason,
        bounce_type,since,until,why``; RFC 4180), returned and, when ``file``
        (a path or a text file) is given, written there."""
        return self._export("csv", file, now)

    def export_json(self, file: str | os.PathLike[str] | IO[str] | None = None, *, now: Time | None = None) -> str:
        """The suppression list as a JSON array (times in RFC 3339 and
        ``since_unix``), returned and, when ``file`` is given, written there."""
        return self._export("json", file, now)

    def _export(self, fmt: str, file: str | os.PathLike[str] | IO[str] | None, now: Time | None) -> str:
        text = self._core.export(fmt, _secs(now, "now"))
        if file is None:
            return text
        if isinstance(file, (str, os.PathLike)):
            with open(file, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        else:
            file.write(text)
        return text

    def release(self, address: str, *, at: Time | None = None) -> bool:
        """An address came back: lifts its suppression; its earlier events no
        longer count. True when it was suppressed."""
        return self._core.release(address, _secs(at, "at"))

    def release_domain(self, domain: str, *, at: Time | None = None) -> bool:
        """A domain recovered: lifts its flag. True when it was flagged."""
        return self._core.release_domain(domain, _secs(at, "at"))

    # -- reading

    def stats(self, *, now: Time | None = None) -> Stats:
        """Totals: events, recipients, domains, suppressed, flagged domains, by reason."""
        return Stats._from(self._core.stats(_secs(now, "now")))

    def domains(self, limit: int = 0, *, now: Time | None = None) -> list[DomainStats]:
        """Per-domain statistics, flagged domains first, then by events
        (``limit`` 0: all)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError(f"limit: expected an int >= 0, got {limit!r}")
        return [DomainStats._from(d) for d in self._core.domains(limit, _secs(now, "now"))]

    def flags(self) -> list[DomainFlag]:
        """Every domain flag until released (see :meth:`DomainFlag.is_active`)."""
        return [DomainFlag(**d) for d in self._core.flags()]

    def history(self, address: str) -> list[HistoryEvent]:
        """The address's events, oldest first."""
        return [HistoryEvent(t, Reason(r), BounceType(b)) for t, r, b in self._core.history(address)]

    def event_count(self) -> int:
        """How many events are recorded."""
        return self._core.event_count()

    def schema_version(self) -> int:
        """The schema version of the file."""
        return self._core.schema_version()

    def integrity_check(self) -> list[str]:
        """SQLite's ``PRAGMA integrity_check``: the problems found (empty: sound)."""
        return self._core.integrity_check()
