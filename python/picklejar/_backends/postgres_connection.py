"""A connection to a PostgreSQL server as every picklejar client sets one up
(docs/FORMAT-POSTGRES.md "Connecting" and "Creating and upgrading the tables"), and the
server's errors as picklejar's typed ones, naming the server by its URL without a password.
Shared by a session's store (postgres.py) and the functions on a database's stores
(postgres_stores.py)."""

from __future__ import annotations

import contextlib

from ..errors import FormatError, LockTimeout, ServerError, StoreError, printable
from .postgres_sql import LAYOUT_VERSION, SQL, params

try:
    import psycopg2
    import psycopg2.extensions
except ImportError as e:  # pragma: no cover - Debian: python3-psycopg2
    raise StoreError("a postgresql:// store needs psycopg2 (Debian: python3-psycopg2, "
                     "PyPI: psycopg2 or psycopg2-binary)") from e

LOCK_NOT_AVAILABLE = "55P03"
# How long a transaction may stay idle before the server ends its connection: at least a
# minute, and at least the lock timeout.
MIN_IDLE_SECONDS = 60.0


def ms(seconds: float) -> str:
    """A duration for set_config: milliseconds, never '0' (which means "forever")."""
    return f"{max(1, int(seconds * 1000 + 0.5))}ms"


def connect(dsn: str, shown: str, doing: str,
            idle_seconds: float) -> "psycopg2.extensions.connection":
    """A new autocommit connection to ``dsn`` (which may hold a password: never shown) with
    connection_settings sent; ServerError naming ``shown`` when the server cannot be
    reached."""
    try:
        conn = psycopg2.connect(dsn)
    except psycopg2.Error as e:
        text = printable(str(e).strip().replace("\n", " ")) or type(e).__name__
        raise ServerError(f"{doing} '{shown}': cannot connect to the server: {text}",
                          shown, getattr(e, "pgcode", None)) from None
    try:
        conn.autocommit = True
        conn.cursor().execute(SQL["connection_settings"], params(ms(idle_seconds)))
    except BaseException:
        conn.close()
        raise
    return conn


def layout_ready(cur: "psycopg2.extensions.cursor", shown: str, doing: str, *, create: bool, write: bool) -> bool:
    """Whether the database holds the tables (created first, under the advisory lock, when
    ``create``). FormatError when their layout is newer than this picklejar's and cannot be
    used as asked: to ``write`` not at all, to read only down to its min_reader_version."""
    if not _exists(cur):
        if not create:
            return False
        cur.execute(SQL["begin_write"])
        try:
            cur.execute(SQL["layout_lock"])
            if not _exists(cur):  # another client may have made them meanwhile
                cur.execute(SQL["create_tables"])
            cur.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(psycopg2.Error):  # the caller closes the connection
                cur.execute("ROLLBACK")
            raise
    cur.execute(SQL["read_layout"])
    row = cur.fetchone()
    if row is None:
        raise FormatError(f"{doing} '{shown}': the table picklejar.layout has no row", shown)
    version, min_reader = row
    if version > LAYOUT_VERSION and (min_reader > LAYOUT_VERSION or write):
        advice = ("it may be opened read_only" if min_reader <= LAYOUT_VERSION else
                  f"reading it needs layout {min_reader} or later")
        raise FormatError(f"{doing} '{shown}': the database's picklejar layout "
                          f"{version} is newer than this picklejar's ({LAYOUT_VERSION}); "
                          f"{advice}", shown)
    return True


def _exists(cur: "psycopg2.extensions.cursor") -> bool:
    cur.execute(SQL["layout_exists"])
    row = cur.fetchone()
    return bool(row and row[0])


def typed_error(error: "psycopg2.Error", doing: str, shown: str, lost: bool,
                lock_timeout: float) -> StoreError:
    """``error`` as LockTimeout (the row lock not granted within ``lock_timeout``) or
    ServerError (with the server's SQLSTATE when it sent one), naming ``shown``."""
    code = getattr(error, "pgcode", None)
    text = printable(str(getattr(error, "pgerror", None) or error).strip().splitlines()[0]
                     if str(error).strip() else type(error).__name__)
    if code == LOCK_NOT_AVAILABLE:
        return LockTimeout(f"{doing} '{shown}': timed out after {lock_timeout:g} s waiting "
                           "for the store's lock (another session is writing it)", shown)
    if code is None or lost:
        return ServerError(f"{doing} '{shown}': the connection to the server failed "
                           f"({text}); nothing of this call was kept unless it failed during "
                           "COMMIT (a load() then tells)", shown, code)
    return ServerError(f"{doing} '{shown}': the server refused it: {text} "
                       f"(SQLSTATE {code})", shown, code)
