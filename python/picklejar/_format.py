"""The session file's layout (docs/FORMAT.md is the contract): identification pragmas, the
three tables, the meta rows, and the read-only inspection that decides whether a file may be
opened at all. Mirrors lib/src/store/format.cpp."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import time
from typing import Any, Dict, Optional

from . import _sqlite
from .errors import FormatError

# Part of the on-disk format; never change.
APPLICATION_ID = 0x504A4152  # "PJAR", PRAGMA application_id
# The file format this module reads and writes (PRAGMA user_version, meta format_version).
FORMAT_VERSION = 1
# What files written by this module record as min_reader_version.
MIN_READER_VERSION = 1
# A save at revision R deletes tombstones of revisions <= R - TOMBSTONE_RETENTION.
TOMBSTONE_RETENTION = 10_000
WRITER_NAME = "picklejar-python"

# docs/FORMAT.md "Schema" holds the same statements (tests compare the two). One statement
# each: sqlite3's executescript() would COMMIT the caller's transaction first.
SCHEMA = (
    """CREATE TABLE meta (
  name TEXT PRIMARY KEY NOT NULL,
  value
) WITHOUT ROWID""",
    """CREATE TABLE entries (
  key TEXT PRIMARY KEY NOT NULL CHECK (typeof(key) = 'text'),
  pickle BLOB NOT NULL CHECK (typeof(pickle) = 'blob'),
  protocol INTEGER NOT NULL CHECK (typeof(protocol) = 'integer'),
  digest BLOB NOT NULL CHECK (typeof(digest) = 'blob' AND length(digest) = 32),
  revision INTEGER NOT NULL CHECK (typeof(revision) = 'integer' AND revision >= 1),
  modified_us INTEGER NOT NULL
)""",
    "CREATE INDEX entries_revision ON entries (revision)",
    """CREATE TABLE tombstones (
  key TEXT PRIMARY KEY NOT NULL,
  revision INTEGER NOT NULL
) WITHOUT ROWID""",
    "CREATE INDEX tombstones_revision ON tombstones (revision)",
)

ENTRY_COLUMNS = "key, pickle, protocol, digest, revision, modified_us"


def now_us() -> int:
    """Microseconds since the Unix epoch, the unit of every time in the file."""
    return time.time_ns() // 1000


@dataclasses.dataclass
class Meta:
    """The meta table's rows (docs/FORMAT.md "Meta rows")."""

    format_version: int = FORMAT_VERSION
    min_reader_version: int = MIN_READER_VERSION
    app_schema_version: int = 0
    default_protocol: int = 4
    revision: int = 0
    purged_revision: int = 0
    created_us: int = 0
    modified_us: int = 0
    created_by: str = ""
    writer_name: str = ""
    writer_version: str = ""
    writer_app: str = ""
    integrity_scheme: str = ""
    key_id: Optional[str] = None


_INT_ROWS = (
    "format_version", "min_reader_version", "app_schema_version", "default_protocol",
    "revision", "purged_revision", "created_us", "modified_us",
)
_TEXT_ROWS = ("created_by", "writer_name", "writer_version", "writer_app", "integrity_scheme")


@dataclasses.dataclass
class Inspection:
    """What a path holds, found by reading only."""

    kind: str = "missing"  # "missing", "empty" or "picklejar"
    # For picklejar files: the format version. When it is newer than FORMAT_VERSION and needs
    # a newer reader (min_reader_version), only those two rows of meta are read.
    format_version: int = 0
    meta: Meta = dataclasses.field(default_factory=Meta)


def not_picklejar(path: str, why: str) -> FormatError:
    return FormatError(f"not a picklejar file '{path}': {why}", path)


def _pragma(db: sqlite3.Connection, name: str) -> Any:
    row = db.execute(f"PRAGMA {name}").fetchone()
    if row is None:
        raise sqlite3.OperationalError(f"no result from PRAGMA {name}")
    return row[0]


def _check_not_truncated(db: sqlite3.Connection, path: str) -> None:
    """SQLite reports most truncations as corruption when page 1 is read; a file cut inside its
    last page still reads, so compare the size page 1 declares with the file's. With a
    non-empty WAL the file may legitimately lag behind, so the check is skipped."""
    pages, page_size = _pragma(db, "page_count"), _pragma(db, "page_size")
    try:
        size = os.stat(path).st_size
    except OSError:
        return
    try:  # SQLite keeps the WAL next to the file a symlink names, not next to the link
        if os.stat(os.path.realpath(path) + "-wal").st_size > 0:
            return
    except OSError:
        pass
    if size < pages * page_size:
        raise not_picklejar(
            path,
            f"truncated: page 1 declares {pages} pages of {page_size} bytes, "
            f"the file has {size} bytes",
        )


def _meta_rows(db: sqlite3.Connection) -> Dict[str, Any]:
    return {name: value for name, value in db.execute("SELECT name, value FROM meta")}


def _meta_row(rows: Dict[str, Any], path: str, name: str, kind: type, nullable: bool = False) -> Any:
    if name not in rows:
        raise not_picklejar(path, f"meta row '{name}' is missing")
    value = rows[name]
    if type(value) is not kind and not (nullable and value is None):
        raise not_picklejar(path, f"meta row '{name}' has the wrong type")
    return value


def read_meta(db: sqlite3.Connection, path: str) -> Meta:
    """Reads every meta row, checking the documented type of each (FormatError otherwise)."""
    rows = _meta_rows(db)
    meta = Meta()
    for name in _INT_ROWS:
        setattr(meta, name, _meta_row(rows, path, name, int))
    for name in _TEXT_ROWS:
        setattr(meta, name, _meta_row(rows, path, name, str))
    meta.key_id = _meta_row(rows, path, "key_id", str, nullable=True)
    return meta


def _check_tables(db: sqlite3.Connection) -> None:
    """The tables must have the columns this module reads; preparing the queries checks that."""
    db.execute(f"SELECT {ENTRY_COLUMNS} FROM entries LIMIT 0").fetchall()
    db.execute("SELECT key, revision FROM tombstones LIMIT 0").fetchall()


def _inspect_in_transaction(db: sqlite3.Connection, path: str) -> Inspection:
    found = Inspection()
    if _pragma(db, "page_count") == 0:
        found.kind = "empty"
        return found
    app_id = _pragma(db, "application_id")
    if app_id != APPLICATION_ID:
        raise not_picklejar(
            path,
            f"an SQLite database with application_id 0x{app_id & 0xFFFFFFFF:08x} "
            f'(picklejar files have 0x{APPLICATION_ID:08x}, "PJAR")',
        )
    _check_not_truncated(db, path)
    found.kind = "picklejar"
    found.format_version = _pragma(db, "user_version")
    if found.format_version < 1:
        raise not_picklejar(
            path, f"file format version {found.format_version} was never written by picklejar"
        )
    if found.format_version > FORMAT_VERSION:
        # Every format keeps the meta table and these two rows. Whether the rest can be read
        # is what min_reader_version says.
        rows = _meta_rows(db)
        found.meta.format_version = _meta_row(rows, path, "format_version", int)
        found.meta.min_reader_version = _meta_row(rows, path, "min_reader_version", int)
        if found.meta.min_reader_version > FORMAT_VERSION:
            return found
    found.meta = read_meta(db, path)
    _check_tables(db)
    if found.meta.format_version != found.format_version:
        raise not_picklejar(
            path,
            f"PRAGMA user_version is {found.format_version} but meta format_version is "
            f"{found.meta.format_version}",
        )
    return found


def inspect(db: sqlite3.Connection, path: str) -> Inspection:
    """Reads what ``db`` holds (page 1, the meta table, the tables' columns) inside a read
    transaction. FormatError for anything that is not a picklejar file; sqlite3.Error for
    other SQLite failures (I/O, busy)."""
    try:
        with _sqlite.transaction(db, write=False) as txn:
            found = _inspect_in_transaction(db, path)
            txn.commit()
        return found
    except sqlite3.Error as e:
        code = _sqlite.error_code(e)
        if code is not None and code & 0xFF in (_sqlite.SQLITE_NOTADB, _sqlite.SQLITE_CORRUPT):
            raise not_picklejar(path, _sqlite.error_text(e)) from e
        if code is not None and code & 0xFF == _sqlite.SQLITE_ERROR:  # a missing table/column
            raise not_picklejar(path, f"damaged or foreign schema ({e})") from e
        raise


def write_meta(db: sqlite3.Connection, name: str, value: Any) -> None:
    db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))


def create_schema(db: sqlite3.Connection, meta: Meta) -> None:
    """Inside a write transaction on an empty database: sets the pragmas, creates the tables
    and indexes and writes every meta row."""
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {int(meta.format_version)}")
    for statement in SCHEMA:
        db.execute(statement)
    for name in _INT_ROWS + _TEXT_ROWS + ("key_id",):
        write_meta(db, name, getattr(meta, name))
