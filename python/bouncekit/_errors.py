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


ERRORS = {
    c.__name__: c
    for c in (BounceKitError, InvalidCodeError, UnknownNameError, RulesError, FileError, ParseError, LimitError)
}
