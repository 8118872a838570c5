"""Thin helpers over Python's sqlite3 module: connections opened the way the C++ library opens
them (lib/src/store/sqlite.cpp), explicit transactions, and SQLite's result codes."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import urllib.parse
from typing import Iterator, Optional

from .errors import SqliteError

SQLITE_ERROR = 1
SQLITE_BUSY = 5
SQLITE_CORRUPT = 11
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26
SQLITE_READONLY_RECOVERY = 8 | (1 << 8)
SQLITE_READONLY_CANTINIT = 8 | (5 << 8)
SQLITE_READONLY_ROLLBACK = 8 | (3 << 8)

# Messages of primary result codes, for Pythons before 3.11 (no sqlite_errorcode).
_CODE_BY_MESSAGE = (
    ("file is not a database", SQLITE_NOTADB),
    ("database disk image is malformed", SQLITE_CORRUPT),
    ("unable to open database file", SQLITE_CANTOPEN),
    ("database is locked", SQLITE_BUSY),
    ("no such table", SQLITE_ERROR),
    ("no such column", SQLITE_ERROR),
)


def error_code(error: sqlite3.Error) -> Optional[int]:
    """SQLite's (extended, when enabled) result code of ``error``, or None when unknown."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return int(code)
    text = str(error)
    for message, known in _CODE_BY_MESSAGE:
        if text.startswith(message):
            return known
    return None


def error_text(error: sqlite3.Error) -> str:
    return str(error)


def uri_for(path: str, access: str) -> str:
    """A file: URI for ``path`` (any characters) with mode ro, rw or rwc."""
    if os.name == "nt":  # pragma: no cover - untested here: file:///C:/dir/file
        path = "/" + os.path.abspath(path).replace("\\", "/")
        return f"file://{urllib.parse.quote(path, safe='/:')}?mode={access}"
    quoted = urllib.parse.quote(os.fsencode(path), safe="/")
    return f"file:{quoted}?mode={access}"


# Writes use UPSERT (INSERT ... ON CONFLICT DO UPDATE), which SQLite has since 3.24.
MINIMUM_SQLITE = (3, 24, 0)


def connect(path: str, access: str, timeout: float) -> sqlite3.Connection:
    """Opens ``path`` with ``access`` "ro", "rw" or "rwc"; SQLite's busy handler waits up to
    ``timeout`` seconds for its own locks. Autocommit: transactions are explicit."""
    if sqlite3.sqlite_version_info < MINIMUM_SQLITE:
        raise SqliteError(f"cannot open '{path}': Python's sqlite3 module uses SQLite "
                          f"{sqlite3.sqlite_version}; picklejar needs 3.24 or later", path)
    return sqlite3.connect(
        uri_for(path, access),
        uri=True,
        timeout=timeout,
        isolation_level=None,
        check_same_thread=False,  # a Session may move between threads (one at a time)
        cached_statements=64,
    )


class transaction:
    """``with transaction(db, write) as txn: ...; txn.commit()`` — rolls back unless committed.

    Writes begin with BEGIN IMMEDIATE: a read transaction upgraded to a write bypasses
    SQLite's busy handler (SQLITE_BUSY_SNAPSHOT in WAL mode)."""

    def __init__(self, db: sqlite3.Connection, write: bool) -> None:
        self._db = db
        self._write = write
        self._open = False

    def __enter__(self) -> "transaction":
        self._db.execute("BEGIN IMMEDIATE" if self._write else "BEGIN")
        self._open = True
        return self

    def commit(self) -> None:
        self._db.execute("COMMIT")
        self._open = False

    def __exit__(self, *exc_info: object) -> None:
        if self._open:
            self._open = False
            try:  # a failed statement may already have ended the transaction
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass


def wrap(error: sqlite3.Error, path: str, doing: str) -> SqliteError:
    """A SqliteError naming the file for an error of Python's sqlite3 module."""
    code = error_code(error)
    suffix = "" if code is None else f" ({code})"
    return SqliteError(f"{doing} '{path}': {error}{suffix}", path, code)


@contextlib.contextmanager
def errors_named(path: str, doing: str) -> Iterator[None]:
    """Turns errors of Python's sqlite3 module inside the block into SqliteErrors naming
    ``path``."""
    try:
        yield
    except sqlite3.Error as e:
        raise wrap(e, path, doing) from e
