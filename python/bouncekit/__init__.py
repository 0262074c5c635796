"""bouncekit: what came back when email failed, and what to do about it.

>>> import bouncekit
>>> c = bouncekit.classify("550 5.1.1 <a@example.com>: Recipient address rejected: User unknown")
>>> c.reason, c.bounce_type, c.action
(<Reason.USERUNKNOWN: 'userunknown'>, <BounceType.HARD: 'hard'>, <Action.SUPPRESS: 'suppress'>)
>>> bouncekit.explain("5.4.1").name
'No answer from host'

One Rust core does the work; this package converts, releases the GIL for
batches (``classify_many``, ``parse_many``, ``classify_arrow``,
``parse_arrow``, the ledger) and adds pandas/Arrow helpers, the
:class:`Policy` and the :class:`Ledger`.
"""

from __future__ import annotations

from . import _bouncekit
from ._bouncekit import (
    Classification,
    Classifier,
    Explanation,
    FoundCodes,
    ReasonInfo,
    Rule,
    __version__,
    classify,
    classify_many,
    explain,
    find_codes,
    reason_info,
    reasons,
    registered_codes,
)
from ._errors import (
    ERRORS as _ERRORS,
    BounceKitError,
    FileError,
    InvalidCodeError,
    InvalidAddressError,
    InvalidEventError,
    LedgerError,
    LimitError,
    ParseError,
    PolicyError,
    RulesError,
    UnknownNameError,
)
from ._vocab import Action, BounceType, Category, DsnAction, MessageKind, Reason

_bouncekit._init(
    {
        "Reason": Reason,
        "BounceType": BounceType,
        "Category": Category,
        "Action": Action,
        "MessageKind": MessageKind,
        "DsnAction": DsnAction,
    },
    _ERRORS,
)

from ._message import ROW_FIELDS, Bounce, Limits, Report, frame, parse, parse_many, scan  # noqa: E402
from ._domain import (  # noqa: E402
    DnsReport,
    DomainCheck,
    DomainCheckError,
    MxCheck,
    Probe,
    SmtpReply,
    Verdict,
    check_domain,
    check_domains,
)
from ._columns import (  # noqa: E402
    ARROW_COLUMNS,
    PARSE_ARROW_COLUMNS,
    arrow_schema,
    classify_arrow,
    classify_pandas,
    classify_polars,
    parse_arrow,
    to_pandas,
)
from ._ledger import (  # noqa: E402
    BatchStats,
    Decision,
    DomainFlag,
    DomainStats,
    Event,
    HistoryEvent,
    Ledger,
    Policy,
    Stats,
    Suppression,
)

__all__ = [
    "DnsReport",
    "DomainCheck",
    "DomainCheckError",
    "MxCheck",
    "Probe",
    "SmtpReply",
    "Verdict",
    "check_domain",
    "check_domains",
    "ARROW_COLUMNS",
    "PARSE_ARROW_COLUMNS",
    "BatchStats",
    "Decision",
    "DomainFlag",
    "DomainStats",
    "DsnAction",
    "Event",
    "HistoryEvent",
    "InvalidAddressError",
    "InvalidEventError",
    "Ledger",
    "LedgerError",
    "Limits",
    "MessageKind",
    "Policy",
    "PolicyError",
    "Stats",
    "Suppression",
    "parse_arrow",
    "ROW_FIELDS",
    "Bounce",
    "Report",
    "frame",
    "parse",
    "parse_many",
    "scan",
    "Action",
    "BounceKitError",
    "BounceType",
    "Category",
    "Classification",
    "Classifier",
    "Explanation",
    "FileError",
    "FoundCodes",
    "InvalidCodeError",
    "LimitError",
    "ParseError",
    "Reason",
    "ReasonInfo",
    "Rule",
    "RulesError",
    "UnknownNameError",
    "__version__",
    "arrow_schema",
    "classify",
    "classify_arrow",
    "classify_many",
    "classify_pandas",
    "classify_polars",
    "explain",
    "find_codes",
    "reason_info",
    "reasons",
    "registered_codes",
    "to_pandas",
]
