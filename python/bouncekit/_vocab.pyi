# Type stubs of the vocabulary enums (built at run time from the compiled
# core's lists; tests/python/test_typing.py checks that the two agree).

from enum import Enum
from typing import Any

from ._bouncekit import ReasonInfo

class _Word(str, Enum):
    def __str__(self) -> str: ...
    def __format__(self, spec: str) -> str: ...
    @classmethod
    def _missing_(cls, value: object) -> Any: ...

class _ReasonWord(_Word):
    @property
    def info(self) -> ReasonInfo: ...

class Reason(_ReasonWord):
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

class BounceType(_Word):
    HARD = "hard"
    SOFT = "soft"
    NONE = "none"

class Category(_Word):
    ADDRESSING = "addressing"
    MAILBOX = "mailbox"
    MAIL_SYSTEM = "mail_system"
    NETWORK_ROUTING = "network_routing"
    PROTOCOL = "protocol"
    CONTENT = "content"
    SECURITY_POLICY = "security_policy"
    OTHER = "other"

class Action(_Word):
    SUPPRESS = "suppress"
    RETRY = "retry"
    FIX_SENDER = "fix_sender"
    IGNORE = "ignore"

def _make(name: str, base: type[_Word], doc: str) -> Any: ...
