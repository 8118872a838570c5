"""Thin helpers over Python's sqlite3 module: connections opened and hardened the way the C++
library opens them (lib/src/store/sqlite.cpp; docs/FORMAT.md "Hardening"), explicit
transactions, and SQLite's result codes."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import time
import urllib.parse
from typing import Any, Iterator, Optional, Tuple, Union, cast

from .errors import SqliteError, printable

SQLITE_ERROR = 1
SQLITE_BUSY = 5
SQLITE_INTERRUPT = 9
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
    ("malformed database schema", SQLITE_CORRUPT),
    ("interrupted", SQLITE_INTERRUPT),
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
    return printable(str(error))


# Errors of Python's sqlite3 module. SQLite's message can hold bytes of the file (a damaged
# schema's SQL), which sqlite3 fails to decode: it raises UnicodeDecodeError instead of the
# error SQLite reported. undecodable() turns that back into an sqlite3 error.
ERRORS = (sqlite3.Error, UnicodeDecodeError)


def undecodable(error: UnicodeDecodeError) -> sqlite3.DatabaseError:
    """The sqlite3 error whose message sqlite3 could not decode, with the message decoded
    (bad bytes as \\xNN)."""
    raw = error.object if isinstance(error.object, (bytes, bytearray)) else b""
    return sqlite3.DatabaseError(bytes(raw).decode("utf-8", "backslashreplace"))


def as_sqlite_error(error: Union[sqlite3.Error, UnicodeDecodeError]) -> sqlite3.Error:
    return undecodable(error) if isinstance(error, UnicodeDecodeError) else error


def uri_for(path: str, access: str) -> str:
    """A file: URI for ``path`` (any characters) with mode ro, rw or rwc; "page_one" is ro with
    immutable=1 (no locks, no -wal or -shm read or made: for looking at a file that may not be
    ours, changing nothing)."""
    if access == "page_one":
        return uri_for(path, "ro") + "&immutable=1"
    if os.name == "nt":  # pragma: no cover - untested here: file:///C:/dir/file
        path = "/" + os.path.abspath(path).replace("\\", "/")
        return f"file://{urllib.parse.quote(path, safe='/:')}?mode={access}"
    quoted = urllib.parse.quote(os.fsencode(path), safe="/")
    return f"file:{quoted}?mode={access}"


# Writes use UPSERT (INSERT ... ON CONFLICT DO UPDATE), which SQLite has since 3.24.
MINIMUM_SQLITE = (3, 24, 0)
# The longest string or blob SQLite makes or reads: C++'s DecodeLimits::max_input_bytes (a
# larger pickle is refused anyway), at least MIN_VALUE_BYTES; SQLite caps it at its own limit.
MAX_VALUE_BYTES = 1 << 30
MIN_VALUE_BYTES = 1 << 20
# Our own statements are a few hundred bytes; a hostile schema's SQL must not be larger.
MAX_SQL_BYTES = 1 << 20
# A single statement step runs at most the lock timeout, and at least this long.
MIN_STATEMENT_SECONDS = 1.0
# How many virtual machine instructions SQLite runs between two looks at the clock.
PROGRESS_INSTRUCTIONS = 1000


class Connection(sqlite3.Connection):
    """A connection whose statements are stopped when one runs longer than its time limit
    (SQLite reports "interrupted"), and which never runs what a trigger or a view defines:
    the authorizer refuses every action a trigger or view would take, so a statement that
    would fire one fails to prepare (before Python 3.12, sqlite3 cannot switch triggers and
    views off with setconfig())."""

    statement_seconds = MIN_STATEMENT_SECONDS
    # The clock of the statement running: None until SQLite first reports progress after
    # execute() or a row; then when it must stop.
    _deadline: Optional[float] = None
    interrupted = False
    refused_source: Optional[str] = None  # the trigger or view the authorizer refused

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        self._deadline = None
        try:
            return super().execute(sql, parameters)
        except UnicodeDecodeError as e:
            raise undecodable(e) from None

    def executemany(self, sql: str, parameters: Any) -> sqlite3.Cursor:
        self._deadline = None
        try:
            return super().executemany(sql, parameters)
        except UnicodeDecodeError as e:
            raise undecodable(e) from None

    def _on_progress(self) -> int:
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self.statement_seconds
        elif now > self._deadline:
            self.interrupted = True
            return 1  # SQLite stops the statement: sqlite3.OperationalError "interrupted"
        return 0

    def _on_row(self, cursor: sqlite3.Cursor, row: Tuple[Any, ...]) -> Tuple[Any, ...]:
        self._deadline = None  # a row is progress: the clock restarts for the next step
        return row

    def _authorize(self, action: int, arg1: Any, arg2: Any, database: Any,
                   source: Optional[str]) -> int:
        if source is not None:  # an action inside a trigger or a view
            self.refused_source = source
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK


def _harden(db: Connection, timeout: float) -> None:
    """SQLite's advice for files of uncertain provenance (sqlite.org/security.html), applied
    before the first read."""
    db.statement_seconds = max(float(timeout), MIN_STATEMENT_SECONDS)
    db.set_progress_handler(db._on_progress, PROGRESS_INSTRUCTIONS)
    db.row_factory = db._on_row
    db.set_authorizer(db._authorize)
    if hasattr(db, "setconfig"):  # Python 3.12+: the same switches as the C++ library
        for option, value in (("SQLITE_DBCONFIG_DEFENSIVE", True),
                              ("SQLITE_DBCONFIG_ENABLE_TRIGGER", False),
                              ("SQLITE_DBCONFIG_ENABLE_VIEW", False),
                              ("SQLITE_DBCONFIG_TRUSTED_SCHEMA", False)):
            db.setconfig(getattr(sqlite3, option), value)
    if sys.version_info >= (3, 11):  # setlimit()
        db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(MAX_VALUE_BYTES, MIN_VALUE_BYTES))
        db.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES)
    # Settings of this connection: none reads the file. (trusted_schema: SQLite 3.31+.)
    for pragma in ("trusted_schema = OFF", "cell_size_check = ON", "mmap_size = 0"):
        db.execute(f"PRAGMA {pragma}").fetchall()


def connect(path: str, access: str, timeout: float) -> Connection:
    """Opens ``path`` with ``access`` "ro", "rw" or "rwc", hardened before anything is read;
    SQLite's busy handler waits up to ``timeout`` seconds for its own locks, and a statement
    step runs at most as long (at least MIN_STATEMENT_SECONDS). Autocommit: transactions
    are explicit."""
    if sqlite3.sqlite_version_info < MINIMUM_SQLITE:
        raise SqliteError(f"cannot open '{path}': Python's sqlite3 module uses SQLite "
                          f"{sqlite3.sqlite_version}; picklejar needs 3.24 or later", path)
    # typeshed's connect() returns sqlite3.Connection whatever the factory: this is ours.
    db = cast(Connection, sqlite3.connect(
        uri_for(path, access),
        uri=True,
        timeout=timeout,
        isolation_level=None,
        check_same_thread=False,  # a Session may move between threads (one at a time)
        cached_statements=64,
        factory=Connection,
    ))
    try:
        _harden(db, timeout)
    except BaseException:
        db.close()
        raise
    return db


@contextlib.contextmanager
def no_time_limit(db: Connection) -> Iterator[None]:
    """Lifts the statement time limit for VACUUM and VACUUM INTO, whose time grows with the
    file's size and which run nothing the file's schema defines (check the schema first)."""
    saved = db.statement_seconds
    db.statement_seconds = float("inf")
    try:
        yield
    finally:
        db.statement_seconds = saved


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
            except ERRORS:
                pass


def wrap(error: Union[sqlite3.Error, UnicodeDecodeError], path: str, doing: str) -> SqliteError:
    """A SqliteError naming the file for an error of Python's sqlite3 module (one of ERRORS)."""
    error = as_sqlite_error(error)
    code = error_code(error)
    suffix = "" if code is None else f" ({code})"
    if code is not None and code & 0xFF == SQLITE_INTERRUPT:
        return SqliteError(f"{doing} '{path}': a statement ran longer than the lock timeout "
                           f"(at least {MIN_STATEMENT_SECONDS:g} s) and was stopped (the file's "
                           f"schema or contents make SQLite work without end){suffix}", path, code)
    return SqliteError(f"{doing} '{path}': {error_text(error)}{suffix}", path, code)


@contextlib.contextmanager
def errors_named(path: str, doing: str) -> Iterator[None]:
    """Turns errors of Python's sqlite3 module inside the block into SqliteErrors naming
    ``path``."""
    try:
        yield
    except ERRORS as e:
        raise wrap(e, path, doing) from e
