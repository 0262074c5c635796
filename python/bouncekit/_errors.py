"""The exception hierarchy. Every error bouncekit raises on purpose is a
:class:`BounceKitError`; each subclass is also the matching built-in
exception (``ValueError``, ``OSError``) so generic handlers keep working.
Wrong argument types raise ``TypeError``."""

from __future__ import annotations


class BounceKitError(Exception):
    """Base class of bouncekit's errors."""


class InvalidCodeError(BounceKitError, ValueError):
    """Not an enhanced status code (``class.subject.detail``) or SMTP reply code."""


class UnknownNameError(BounceKitError, ValueError):
    """A word that is not in a vocabulary (reason, bounce type, category, action)."""


class RulesError(BounceKitError, ValueError):
    """A rules file that does not load (bad TOML, bad pattern, an example that fails)."""


class FileError(BounceKitError, OSError):
    """A file that cannot be read."""


class ParseError(BounceKitError, ValueError):
    """A message that cannot be parsed."""


class LimitError(BounceKitError, ValueError):
    """An input over one of bouncekit's limits."""


class PolicyError(BounceKitError, ValueError):
    """A policy that does not load or does not hold together (bad TOML, an
    unknown reason, a threshold of 0 with a window...)."""


class LedgerError(BounceKitError):
    """The ledger failed: SQLite (busy beyond the timeout, disk full, not a
    database), a file that is not a ledger or is newer than this bouncekit,
    a closed ledger."""


class InvalidEventError(LedgerError, ValueError):
    """An event or row the ledger refuses; nothing of its batch was written.

    ``row`` is its 1-based position in the batch, ``field`` the field at fault."""

    row: int
    field: str


class InvalidAddressError(LedgerError, ValueError):
    """An address (or domain) given to a ledger query that is not one."""


ERRORS = {
    c.__name__: c
    for c in (
        BounceKitError, InvalidCodeError, UnknownNameError, RulesError, FileError, ParseError, LimitError,
        PolicyError, LedgerError, InvalidEventError, InvalidAddressError,
    )
}  # fmt: skip
