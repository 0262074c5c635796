"""The domain check: is a domain's mail service there?

>>> import bouncekit
>>> c = bouncekit.check_domain("example.com")              # doctest: +SKIP
>>> c.verdict, c.detail                                       # doctest: +SKIP
(<Verdict.NO_MAIL: 'no_mail'>, 'null MX: the domain accepts no mail (RFC 7505)')

An MX lookup (A/AAAA when there is no MX; a null MX means no mail), then a
TCP connection to each MX host in preference order that reads the greeting,
sends EHLO and QUIT. No mail is ever sent. See docs/domain-check.md.

The core does the work (without the GIL); this module turns its results
into frozen, picklable dataclasses.
"""

from __future__ import annotations

import enum
import html
import json
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Iterable, Optional, cast

from . import _bouncekit
from ._errors import BounceKitError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class DomainCheckError(BounceKitError, ValueError):
    """A domain or an option the domain check cannot use."""


class Verdict(str, enum.Enum):
    """The verdict on a domain's mail service."""

    DELIVERABLE = "deliverable"
    NO_MAIL = "no_mail"
    NO_SUCH_DOMAIN = "no_such_domain"
    DNS_FAILURE = "dns_failure"
    UNREACHABLE = "unreachable"
    REJECTING = "rejecting"

    @property
    def is_temporary(self) -> bool:
        """Whether the failure may go away by itself (DNS trouble, hosts down)."""
        return self in (Verdict.DNS_FAILURE, Verdict.UNREACHABLE)

    def __str__(self) -> str:
        return self.value


class _Record:
    """to_dict and an HTML table for Jupyter, shared by the result classes."""

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (JSON-ready)."""
        d = asdict(cast("DataclassInstance", self))
        out: dict[str, Any] = json.loads(json.dumps(d, default=str))
        return out

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th>{html.escape(f.name)}</th><td>{html.escape(str(getattr(self, f.name)))}</td></tr>"
            for f in fields(cast("DataclassInstance", self))
        )
        return f"<table><caption>{type(self).__name__}</caption>{rows}</table>"


@dataclass(frozen=True)
class SmtpReply(_Record):
    """One SMTP reply: the code and its text lines."""

    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


@dataclass(frozen=True)
class Probe(_Record):
    """One TCP connection to one address of a mail host."""

    address: str
    outcome: str
    banner: Optional[SmtpReply]
    ehlo: Optional[SmtpReply]
    starttls: Optional[bool]
    error: Optional[str]
    connect_ms: Optional[float]
    banner_ms: Optional[float]
    ehlo_ms: Optional[float]


@dataclass(frozen=True)
class MxCheck(_Record):
    """One mail host (MX, or the domain itself without MX records)."""

    host: str
    preference: int
    addresses: tuple[str, ...]
    outcome: str
    dns_error: Optional[str]
    probes: tuple[Probe, ...]


@dataclass(frozen=True)
class DnsReport(_Record):
    """The DNS part of a check: where the hosts came from (mx, address,
    null_mx, none, failed), the failure (NXDOMAIN, SERVFAIL, timeout...)."""

    source: str
    error: Optional[str]
    lookup_ms: float


@dataclass(frozen=True)
class DomainCheck(_Record):
    """The result of checking one domain."""

    domain: str
    verdict: Verdict
    detail: str
    dns: DnsReport
    mx: tuple[MxCheck, ...]
    elapsed_ms: float

    def __repr__(self) -> str:
        return f"DomainCheck(domain={self.domain!r}, verdict={self.verdict.value!r}, detail={self.detail!r})"


def _reply(d: Optional[dict[str, Any]]) -> Optional[SmtpReply]:
    return None if d is None else SmtpReply(d["code"], tuple(d["lines"]))


def _check(d: dict[str, Any]) -> DomainCheck:
    mx = tuple(
        MxCheck(
            m["host"],
            m["preference"],
            tuple(m["addresses"]),
            m["outcome"],
            m["dns_error"],
            tuple(
                Probe(
                    p["address"],
                    p["outcome"],
                    _reply(p["banner"]),
                    _reply(p["ehlo"]),
                    p["starttls"],
                    p["error"],
                    p["connect_ms"],
                    p["banner_ms"],
                    p["ehlo_ms"],
                )
                for p in m["probes"]
            ),
        )
        for m in d["mx"]
    )
    dns = DnsReport(d["dns"]["source"], d["dns"]["error"], d["dns"]["lookup_ms"])
    return DomainCheck(d["domain"], Verdict(d["verdict"]), d["detail"], dns, mx, d["elapsed_ms"])


def check_domains(domains: Iterable[str], **options: Any) -> list[DomainCheck]:
    """Checks many domains, ``concurrency`` at once; results in input order.

    Options (keyword only): ``resolver`` ("ADDRESS:PORT" or "system"),
    ``port`` (25), ``timeout`` (seconds, sets the three below),
    ``dns_timeout`` (5), ``dns_attempts`` (2), ``connect_timeout`` (10),
    ``smtp_timeout`` (30), ``starttls`` (False), ``ehlo_name``
    ("localhost"), ``max_mx`` (5), ``max_addresses_per_mx`` (2),
    ``probe_all_mx`` (False), ``concurrency`` (8).

    Raises DomainCheckError for a bad domain or option (before any traffic).
    """
    if isinstance(domains, (str, bytes)):
        raise TypeError("check_domains: expected an iterable of domains, not one string (use check_domain)")
    return [_check(d) for d in json.loads(_bouncekit._check_domains(list(domains), **options))]


def check_domain(domain: str, **options: Any) -> DomainCheck:
    """Checks one domain; options as for :func:`check_domains`."""
    if not isinstance(domain, str):
        raise TypeError(f"check_domain: expected str, got {type(domain).__name__}")
    return check_domains([domain], **options)[0]
