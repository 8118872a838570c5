"""The exceptions picklejar raises, mirroring the C++ library's (lib/include/picklejar/error.hpp).

Every one derives from :class:`PicklejarError`, so a caller that only wants "did it work"
catches that; callers that care catch a family::

    PicklejarError
      StoreError        a session file problem, naming the file (and the key, when one is)
        FormatError     not a picklejar file, or a format/app schema version it cannot open
        IntegrityError  an entry's digest or HMAC does not match, or the wrong integrity key
        LockTimeout     the lock file stayed locked past the timeout (also a TimeoutError)
        ConflictError   strict mode: another session changed keys this one is saving
        SqliteError     SQLite failed (I/O, full disk, ...); ``code`` is SQLite's result code
      DecodeError       an entry's pickle could not be loaded (also a pickle.UnpicklingError)
        ForbiddenGlobal the pickle names a global outside the allowlist; nothing ran
        LimitError      the pickle would exceed a DecodeLimits limit; nothing ran
      EncodeError       a value could not be pickled (also a pickle.PicklingError)

Messages follow "what 'where': why", like the C++ library's; keys in them have their control
characters shown as ``\\xNN`` (see :func:`printable`), so a message stays one harmless line.
"""

from __future__ import annotations

import pickle
from typing import Optional, Sequence


# U+0000-U+001F and U+007F as \xNN: what the C++ command's one_line() does to every message
# it prints (lib/cli/input.cpp), so both show a key the same way.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}


def printable(text: str) -> str:
    """``text`` with its control characters shown as ``\\xNN`` (lowercase hex), for messages
    that embed keys or SQLite's words about a file: a key such as ``"\\x1b]0;...\\x07"``
    must not act on the terminal that shows the message."""
    return text.translate(_CONTROL)


class PicklejarError(Exception):
    """The root of every exception picklejar raises."""


class StoreError(PicklejarError):
    """A session file problem. ``path`` names the file; ``key`` the entry, when one is concerned.

    Also raised for misuse: writing to a read-only session, using a closed session, or one
    opened by another process (a parent before ``fork()``).
    """

    def __init__(self, message: str, path: str = "", key: Optional[str] = None) -> None:
        super().__init__(message)
        self.path = path
        self.key = key


class FormatError(StoreError):
    """Not a picklejar file (another database, random bytes, empty or truncated), or a file
    format / app schema version this program cannot open as asked. The file is left untouched."""


class IntegrityError(StoreError):
    """An entry whose digest or HMAC does not match its pickle, or a file written with another
    integrity key (or without one). Raised before a single byte of the entry is unpickled."""


class LockTimeout(StoreError, TimeoutError):
    """The session's lock file could not be locked within ``lock_timeout``."""

    def __init__(self, message: str, path: str = "", key: Optional[str] = None) -> None:
        StoreError.__init__(self, message, path, key)

    def __str__(self) -> str:  # OSError's own __str__ would print "[Errno ...]"
        return str(self.args[0]) if self.args else ""


class ConflictError(StoreError):
    """``save()`` in strict conflict mode found keys another session changed since this one
    last saw them. ``keys`` lists them, in key order; nothing was written."""

    def __init__(self, message: str, path: str, keys: Sequence[str]) -> None:
        super().__init__(message, path)
        self.keys = list(keys)


class SqliteError(StoreError):
    """SQLite itself failed (I/O error, disk full, busy past the timeout, ...).

    ``code`` is SQLite's (extended) result code when Python's sqlite3 module reports it."""

    def __init__(self, message: str, path: str, code: Optional[int] = None) -> None:
        super().__init__(message, path)
        self.code = code


class ServerError(StoreError):
    """A PostgreSQL server refused a statement, or the connection to it failed (for a store
    named by a postgresql:// URL). The message names the server and the store, never a
    password. ``sqlstate`` is the server's SQLSTATE when it sent one (None for a lost
    connection). A save or transact() that raised this wrote nothing and keeps its changes,
    unless the connection was lost during COMMIT: then the next load() tells whether it was
    applied."""

    def __init__(self, message: str, path: str, sqlstate: Optional[str] = None) -> None:
        super().__init__(message, path)
        self.sqlstate = sqlstate


class DecodeError(PicklejarError, pickle.UnpicklingError):
    """An entry's pickle could not be loaded (malformed, truncated, or refused)."""

    def __init__(self, message: str, path: str = "", key: Optional[str] = None) -> None:
        super().__init__(message)
        self.path = path
        self.key = key


class ForbiddenGlobal(DecodeError):
    """The pickle names a global (class or function) outside the allowlist.

    ``module`` and ``name`` are the global as the pickle names it; ``global_name`` is
    "module.name". Nothing was imported or called."""

    def __init__(
        self,
        module: str,
        name: str,
        message: Optional[str] = None,
        path: str = "",
        key: Optional[str] = None,
    ) -> None:
        self.module = module
        self.name = name
        if message is None:
            message = (
                f"global '{module}.{name}' is not in the allowlist "
                "(register its class with Session(..., classes=[...]))"
            )
        super().__init__(message, path, key)

    @property
    def global_name(self) -> str:
        return f"{self.module}.{self.name}"


class LimitError(DecodeError):
    """The pickle would exceed one of the decode limits (:class:`picklejar.DecodeLimits`, the
    C++ ``DecodeLimits``); ``limit`` names it. Refused by the pre-scan, before anything was
    unpickled. Like every error of the pre-scan, it has ``offset`` and ``opcode``: the byte
    offset and the opcode (an int) where the pickle went over."""

    def __init__(
        self,
        message: str,
        limit: str,
        path: str = "",
        key: Optional[str] = None,
        offset: Optional[int] = None,
        opcode: Optional[int] = None,
    ) -> None:
        super().__init__(message, path, key)
        self.limit = limit
        self.offset = offset
        self.opcode = opcode


class EncodeError(PicklejarError, pickle.PicklingError):
    """A value that pickle cannot write (with the session's protocol)."""
