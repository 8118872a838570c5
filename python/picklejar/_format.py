"""The session file's layout (docs/FORMAT.md is the contract): identification pragmas, the
three tables, the meta rows, the read-only inspection that decides whether a file may be
opened at all, and the upgrades from older formats. Mirrors lib/src/store/sqlite/format.cpp
and format_steps.cpp."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import time
from typing import (Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence,
                    Tuple)

from . import _file_name, _schema, _sqlite
from ._integrity import FILE_ID_SIZE, Signer
from .errors import FormatError

# Part of the on-disk format; never change.
APPLICATION_ID = 0x504A4152  # "PJAR", PRAGMA application_id
# The file format this module reads and writes (PRAGMA user_version, meta format_version).
# Format 2 binds the file's id (meta row file_id) into every HMAC (_integrity.py).
FORMAT_VERSION = 2
# What files written by this module record as min_reader_version: a format-1 reader would
# check format 2's HMACs under the wrong key.
MIN_READER_VERSION = 2
# A save at revision R deletes tombstones of revisions <= R - TOMBSTONE_RETENTION.
TOMBSTONE_RETENTION = 10_000
WRITER_NAME = "picklejar-python"
# The largest revision a file may hold: a writer adds 1 to it.
MAX_REVISION = (1 << 63) - 2
# Times must fit a signed 64-bit count of nanoseconds (1677-09-22 to 2262-04-11), what the
# C++ library's time points hold (and datetime too).
MAX_TIME_US = ((1 << 63) - 1) // 1000

# The statements that create a new file (docs/FORMAT.md "Schema"; _schema lists the objects
# of every format version). One statement each: sqlite3's executescript() would COMMIT the
# caller's transaction first.
SCHEMA = tuple(o.sql for o in _schema.format_objects(FORMAT_VERSION) if o.sql is not None)

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
    # From format 2 on: the file's id, 32 lowercase hex digits (a store's file_id as hex);
    # "" for a format-1 file, which has none.
    file_id: str = ""

    def file_id_bytes(self) -> Optional[bytes]:
        """The id the file's digests are bound to: None under format 1, which binds none."""
        return bytes.fromhex(self.file_id) if self.format_version >= 2 else None


def new_file_id() -> str:
    """A new file's id (meta row file_id): 16 random bytes as 32 lowercase hex digits."""
    return os.urandom(FILE_ID_SIZE).hex()


# The INTEGER meta rows and their allowed ranges: a writer adds 1 to the revision, protocols
# are 0-5, times become datetimes (C++: nanosecond time points).
_INT_ROWS: Dict[str, Tuple[Optional[int], Optional[int]]] = {  # (lowest, highest)
    "format_version": (1, None),
    "min_reader_version": (1, None),
    "app_schema_version": (None, None),
    "default_protocol": (0, 5),
    "revision": (0, MAX_REVISION),
    "purged_revision": (0, MAX_REVISION),
    "created_us": (-MAX_TIME_US, MAX_TIME_US),
    "modified_us": (-MAX_TIME_US, MAX_TIME_US),
}
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
    return dict(db.execute("SELECT name, value FROM meta").fetchall())


def _meta_row(rows: Dict[str, Any], path: str, name: str, kind: type, nullable: bool = False) -> Any:
    if name not in rows:
        raise not_picklejar(path, f"meta row '{name}' is missing")
    value = rows[name]
    if type(value) is not kind and not (nullable and value is None):
        raise not_picklejar(path, f"meta row '{name}' has the wrong type")
    if kind is int and name in _INT_ROWS:
        low, high = _INT_ROWS[name]
        number: int = rows[name]  # an int: checked above (mypy took type() for a narrowing)
        if (low is not None and number < low) or (high is not None and number > high):
            low_text = -(1 << 63) if low is None else low
            high_text = (1 << 63) - 1 if high is None else high
            raise not_picklejar(path, f"meta row '{name}' is out of range (allowed: {low_text} "
                                      f"to {high_text})")
    return value


def read_meta(db: sqlite3.Connection, path: str) -> Meta:
    """Reads every meta row, checking the documented type and range of each (FormatError
    otherwise)."""
    return meta_from_rows(_meta_rows(db), path)


def meta_from_rows(rows: Dict[str, Any], path: str) -> Meta:
    """The Meta of ``rows`` (name -> value, as the meta table or a store's row holds them),
    checking the documented type and range of each (FormatError naming ``path`` otherwise).
    The row file_id is read (and required) from format 2 on."""
    meta = _well_formed_meta(rows)
    return meta if meta is not None else _checked_meta(rows, path)


_HEX_DIGITS = frozenset("0123456789abcdef")


def _is_file_id(value: Any) -> bool:
    return type(value) is str and len(value) == 2 * FILE_ID_SIZE and \
        _HEX_DIGITS.issuperset(value)


def _file_id_row(rows: Dict[str, Any], path: str) -> str:
    value: str = _meta_row(rows, path, "file_id", str)
    if not _is_file_id(value):
        raise not_picklejar(path, f"meta row 'file_id' is not {2 * FILE_ID_SIZE} lowercase hex "
                                  "digits")
    return value


def _checked_meta(rows: Dict[str, Any], path: str) -> Meta:
    """read_meta's checks one row at a time, naming the first row that fails."""
    meta = Meta()
    for name in _INT_ROWS:
        setattr(meta, name, _meta_row(rows, path, name, int))
    for name in _TEXT_ROWS:
        setattr(meta, name, _meta_row(rows, path, name, str))
    meta.key_id = _meta_row(rows, path, "key_id", str, nullable=True)
    if meta.purged_revision > meta.revision:
        raise not_picklejar(path, f"meta row 'purged_revision' ({meta.purged_revision}) is "
                                  f"above 'revision' ({meta.revision})")
    if meta.format_version >= 2:
        meta.file_id = _file_id_row(rows, path)
    return meta


# Meta's fields in order (_well_formed_meta builds it by position).
_META_FIELDS = (*_INT_ROWS, *_TEXT_ROWS, "key_id", "file_id")
_INT_RANGES = tuple(_INT_ROWS.values())


def _well_formed_meta(rows: Dict[str, Any]) -> Optional[Meta]:
    """The Meta of ``rows`` when every row passes read_meta's checks and there is a
    well-formed file_id (one pass for the common case); None otherwise, and read_meta names
    what is wrong (a format-1 file, which has no file_id, is read row by row)."""
    try:
        values = [rows[name] for name in _META_FIELDS]
    except KeyError:
        return None
    for value, (low, high) in zip(values, _INT_RANGES):
        if type(value) is not int or (low is not None and value < low) or \
                (high is not None and value > high):
            return None
    for value in values[len(_INT_RANGES):-2]:
        if type(value) is not str:
            return None
    key_id = values[-2]
    if (key_id is not None and type(key_id) is not str) or not _is_file_id(values[-1]) or \
            rows["purged_revision"] > rows["revision"]:
        return None
    return Meta(*values)


def read_revision(db: sqlite3.Connection, path: str) -> int:
    """The meta revision alone, checked as read_meta() checks it."""
    row = db.execute("SELECT value FROM meta WHERE name = 'revision'").fetchone()
    revision: int = _meta_row({} if row is None else {"revision": row[0]}, path, "revision",
                              int)
    return revision


def _check_tables(db: sqlite3.Connection) -> None:
    """The tables must have the columns this module reads; preparing the queries checks that."""
    db.execute(f"SELECT {ENTRY_COLUMNS} FROM entries LIMIT 0").fetchall()
    db.execute("SELECT key, revision FROM tombstones LIMIT 0").fetchall()


def foreign(path: str, app_id: int) -> FormatError:
    return not_picklejar(path, f"an SQLite database with application_id "
                               f"0x{app_id & 0xFFFFFFFF:08x} (picklejar files have "
                               f'0x{APPLICATION_ID:08x}, "PJAR")')


def look_at(db: sqlite3.Connection, path: str, file: str, size: int) -> None:
    """Through an immutable connection (no locks, no -wal or -shm made), before anything that
    could change the file opens it: FormatError unless page 1 is a picklejar file's (or a
    non-empty -wal may hold a newer page 1, which inspect() then reads)."""
    try:
        with _sqlite.transaction(db, write=False) as txn:
            if _pragma(db, "page_count") == 0:
                raise not_picklejar(path, f"{size} bytes that are not an SQLite database")
            app_id = _pragma(db, "application_id")
            if app_id != APPLICATION_ID and not _file_name.wal_has_frames(file):
                raise foreign(path, app_id)
            txn.commit()
    except _sqlite.ERRORS as caught:
        e = _sqlite.as_sqlite_error(caught)
        code = _sqlite.error_code(e)
        if code is not None and code & 0xFF in (_sqlite.SQLITE_NOTADB, _sqlite.SQLITE_CORRUPT):
            # The file alone may be mid-checkpoint (a writer killed while copying WAL frames
            # back) while its WAL is whole: inspect() reads through it.
            if _file_name.wal_has_frames(file):
                return
            raise not_picklejar(path, _sqlite.error_text(e)) from caught
        raise e from caught


def _inspect_in_transaction(db: sqlite3.Connection, path: str, file: str) -> Inspection:
    found = Inspection()
    # Only a 0-byte file is empty: SQLite shows a file shorter than its header as 0 pages too,
    # and inside a write transaction it shows an empty file as 1 page.
    size = _file_name.size_of(file)
    if size == 0 and not _file_name.wal_has_frames(file):
        found.kind = "empty"
        return found
    if _pragma(db, "page_count") == 0:
        raise not_picklejar(path, f"{size} bytes that are not an SQLite database")
    app_id = _pragma(db, "application_id")
    if app_id != APPLICATION_ID:
        raise foreign(path, app_id)
    _check_not_truncated(db, path)
    found.kind = "picklejar"
    found.format_version = _pragma(db, "user_version")
    if found.format_version < 1:
        raise not_picklejar(
            path, f"file format version {found.format_version} was never written by picklejar"
        )
    # Before any table is read: nothing the file defines may run or cost more than reading it.
    _schema.check(db, path, found.format_version)
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


def inspect(db: sqlite3.Connection, path: str, file: Optional[str] = None) -> Inspection:
    """Reads what ``db`` (the file ``file``, named ``path`` in messages) holds (page 1, the
    schema, the meta table, the tables' columns) inside a read transaction. FormatError for
    anything that is not a picklejar file (a schema that is not the format's included);
    sqlite3.Error for other SQLite failures (I/O, busy)."""
    with _sqlite.transaction(db, write=False) as txn:
        found = inspect_current(db, path, file)
        txn.commit()
    return found


def next_revision(path: str, revision: int) -> int:
    """The revision a write writes after ``revision``: FormatError when the counter is spent."""
    if revision >= MAX_REVISION:
        raise FormatError(f"cannot write to '{path}': its revision is {revision}, the largest a "
                          "file may hold", path)
    return revision + 1


def inspect_current(db: sqlite3.Connection, path: str, file: Optional[str] = None) -> Inspection:
    """inspect() inside the caller's transaction."""
    try:
        return _inspect_in_transaction(db, path, path if file is None else file)
    except _sqlite.ERRORS as caught:
        e = _sqlite.as_sqlite_error(caught)
        code = _sqlite.error_code(e)
        if code is not None and code & 0xFF in (_sqlite.SQLITE_NOTADB, _sqlite.SQLITE_CORRUPT):
            raise not_picklejar(path, _sqlite.error_text(e)) from caught
        if code is not None and code & 0xFF == _sqlite.SQLITE_ERROR:  # a missing table/column
            raise not_picklejar(path, f"damaged or foreign schema ({_sqlite.error_text(e)})") \
                from caught
        raise e from caught


_WRITE_META = "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)"


def write_meta(db: sqlite3.Connection, name: str, value: Any) -> None:
    db.execute(_WRITE_META, (name, value))


def write_meta_rows(db: sqlite3.Connection, rows: Iterable[Tuple[str, Any]]) -> None:
    """write_meta for each (name, value), in one statement run for each."""
    db.executemany(_WRITE_META, rows)


def create_schema(db: sqlite3.Connection, meta: Meta) -> None:
    """Inside a write transaction on an empty database: sets the pragmas, creates the tables
    and indexes and writes every meta row."""
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {int(meta.format_version)}")
    for statement in SCHEMA:
        db.execute(statement)
    for name in (*_INT_ROWS, *_TEXT_ROWS, "key_id"):
        write_meta(db, name, getattr(meta, name))
    if meta.format_version >= 2:
        write_meta(db, "file_id", meta.file_id)


# ---- format upgrades (docs/FORMAT.md "Versions") ----

@dataclasses.dataclass(frozen=True)
class Upgrade:
    """What a format step works with: the file's connection (inside the upgrade's write
    transaction), its name in messages, the session's signer (its key, under no file's rule
    yet), and the revision and time the upgrade writes."""

    db: sqlite3.Connection
    path: str
    signer: Signer
    revision: int
    now_us: int


class FormatStep(NamedTuple):
    """One file format upgrade: rewrites a file at format ``from_version`` into
    ``to_version``, which readers older than ``min_reader_version`` must not read."""

    from_version: int
    to_version: int
    min_reader_version: int
    apply: Callable[[Upgrade], None]


def _bind_file_id(upgrade: Upgrade) -> None:
    """1 -> 2: a new random file id, and every entry that verifies under format 1's HMAC
    re-signed under the file's derived key, stamped with the upgrade's revision and time (so
    incremental readers see it change). An entry that does not verify keeps its digest: it
    keeps failing its check (damage stays detected, nothing is dropped). sha256 digests do not
    change."""
    db = upgrade.db
    file_id = new_file_id()
    write_meta(db, "file_id", file_id)
    row = db.execute("SELECT value FROM meta WHERE name = 'integrity_scheme'").fetchone()
    if upgrade.signer.key_id is None or row is None or row[0] != upgrade.signer.scheme:
        return  # sha256 (the open checked the scheme and key against the signer's)
    old, new = upgrade.signer.for_file(None), upgrade.signer.for_file(bytes.fromhex(file_id))
    resigned = []
    for key, data, digest in db.execute("SELECT key, pickle, digest FROM entries"):
        if type(key) is str and type(data) is bytes and type(digest) is bytes and \
                old.verify(key, data, digest):
            resigned.append((new.digest(key, data), upgrade.revision, upgrade.now_us, key))
    db.executemany("UPDATE entries SET digest = ?, revision = ?, modified_us = ? WHERE key = ?",
                   resigned)


# The upgrades this module knows, oldest first.
FORMAT_STEPS: Sequence[FormatStep] = (FormatStep(1, 2, 2, _bind_file_id),)


def version_chain(steps: Sequence[Any], from_version: int, to_version: int,
                  missing: Callable[[int], str], path: str) -> List[Any]:
    """The steps (anything with from_version and to_version: format steps, app schema
    migrations) leading from ``from_version`` to ``to_version``, in order. FormatError naming
    ``path``, with ``missing(version)`` saying where the chain breaks, when there is none."""
    chain: List[Any] = []
    version = from_version
    while version < to_version:
        step = next((s for s in steps
                     if s.from_version == version and s.to_version <= to_version), None)
        if step is None:
            raise FormatError(f"cannot open '{path}': {missing(version)}", path)
        chain.append(step)
        version = step.to_version
    return chain


def upgrade_format(db: sqlite3.Connection, path: str, from_version: int, to_version: int,
                   signer: Signer, steps: Sequence[FormatStep] = FORMAT_STEPS) -> None:
    """Inside the caller's write transaction (under the writers' lock): applies the steps
    from ``from_version`` to ``to_version`` with the session's ``signer``, records the new
    version and min_reader_version and bumps the revision and modified_us, as every change
    does; the steps write what they change at that revision."""
    chain: List[FormatStep] = version_chain(
        steps, from_version, to_version,
        lambda version: f"no upgrade from file format version {version} to {to_version}",
        path)
    revision, now = next_revision(path, read_revision(db, path)), now_us()
    for step in chain:
        step.apply(Upgrade(db, path, signer, revision, now))
    db.execute(f"PRAGMA user_version = {int(to_version)}")
    rows: List[Tuple[str, Any]] = [("format_version", to_version), ("revision", revision),
                                   ("modified_us", now)]
    if chain:
        rows.append(("min_reader_version", chain[-1].min_reader_version))
    write_meta_rows(db, rows)
