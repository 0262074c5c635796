# Type stubs of the vocabulary enums. At run time they are built from the
# compiled core's word lists (_vocab.py); tests/python/test_typing.py checks
# that these members are exactly those.

from enum import Enum

from typing_extensions import Self

from ._bouncekit import ReasonInfo


class Reason(str, Enum):
    """Why a message failed (or what it was, for non-failures)."""

    def __new__(cls, value: str) -> Self: ...
    def __str__(self) -> str: ...
    def __format__(self, spec: str) -> str: ...
    @property
    def info(self) -> ReasonInfo:
        """The reason's metadata and mappings."""
    AUTHFAILURE = "authfailure"
    BADREPUTATION = "badreputation"
    BLOCKED = "blocked"
    CONTENTERROR = "contenterror"
    DELIVERED = "delivered"
    EMAILTOOLARGE = "emailtoolarge"
    EXPIRED = "expired"
    FAILEDSTARTTLS = "failedstarttls"
    FEEDBACK = "feedback"
    FILTERED = "filtered"
    HASMOVED = "hasmoved"
    HOSTUNKNOWN = "hostunknown"
    MAILBOXFULL = "mailboxfull"
    MAILERERROR = "mailererror"
    NETWORKERROR = "networkerror"
    NORELAYING = "norelaying"
    NOTACCEPT = "notaccept"
    NOTCOMPLIANTRFC = "notcompliantrfc"
    ONHOLD = "onhold"
    POLICYVIOLATION = "policyviolation"
    RATELIMITED = "ratelimited"
    REJECTED = "rejected"
    REQUIREPTR = "requireptr"
    SECURITYERROR = "securityerror"
    SPAMDETECTED = "spamdetected"
    SUPPRESSED = "suppressed"
    SUSPEND = "suspend"
    SYNTAXERROR = "syntaxerror"
    SYSTEMERROR = "systemerror"
    SYSTEMFULL = "systemfull"
    UNDEFINED = "undefined"
    USERUNKNOWN = "userunknown"
    VACATION = "vacation"
    VIRUSDETECTED = "virusdetected"

class BounceType(str, Enum):
    """hard, soft or none."""

    def __new__(cls, value: str) -> Self: ...
    def __str__(self) -> str: ...
    def __format__(self, spec: str) -> str: ...
    HARD = "hard"
    SOFT = "soft"
    NONE = "none"

class Category(str, Enum):
    """The area of the status subject (RFC 3463)."""

    def __new__(cls, value: str) -> Self: ...
    def __str__(self) -> str: ...
    def __format__(self, spec: str) -> str: ...
    ADDRESSING = "addressing"
    MAILBOX = "mailbox"
    MAIL_SYSTEM = "mail_system"
    NETWORK_ROUTING = "network_routing"
    PROTOCOL = "protocol"
    CONTENT = "content"
    SECURITY_POLICY = "security_policy"
    OTHER = "other"

class Action(str, Enum):
    """What the sender should do."""

    def __new__(cls, value: str) -> Self: ...
    def __str__(self) -> str: ...
    def __format__(self, spec: str) -> str: ...
    SUPPRESS = "suppress"
    RETRY = "retry"
    FIX_SENDER = "fix_sender"
    IGNORE = "ignore"

class MessageKind(str, Enum):
    """What a parsed message is."""

    def __new__(cls, value: str) -> Self: ...
    def __str__(self) -> str: ...
    def __format__(self, spec: str) -> str: ...
    BOUNCE = "bounce"
    DELAY = "delay"
    DELIVERY = "delivery"
    FEEDBACK = "feedback"
    AUTOREPLY = "autoreply"
    CHALLENGE = "challenge"
    NOT_BOUNCE = "not_bounce"

class DsnAction(str, Enum):
    """One recipient's RFC 3464 Action."""

    def __new__(cls, value: str) -> Self: ...
    def __str__(self) -> str: ...
    def __format__(self, spec: str) -> str: ...
    FAILED = "failed"
    DELAYED = "delayed"
    DELIVERED = "delivered"
    RELAYED = "relayed"
    EXPANDED = "expanded"
