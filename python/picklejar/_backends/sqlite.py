"""A session's store in one SQLite file (docs/FORMAT.md): the lock file and SQLite's
transactions, the file's rows, its schema check and its change feed. Opening and creating the
file is _open.py's; backups and vacuum are _backup.py's and _maintenance.py's (files only)."""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import time
from typing import (Any, Callable, ContextManager, Dict, Iterable, Iterator, List, Optional,
                    Sequence, Set, Tuple, TypeVar)

from .. import _file_name, _file_stamp, _format, _locking, _rows, _schema, _sqlite
from .._options import OpenMode, Options
from .._state import Entry
from .._watch import SqliteChangeFeed
from ..errors import StoreError
from . import Store, Upsert

_UPSERT = (f"INSERT INTO entries ({_format.ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
           "ON CONFLICT (key) DO UPDATE SET pickle = excluded.pickle, "
           "protocol = excluded.protocol, digest = excluded.digest, "
           "revision = excluded.revision, modified_us = excluded.modified_us")
_ENTRIES = f"SELECT {_format.ENTRY_COLUMNS} FROM entries"
# The longest pause between two looks at a WAL index another process is making.
_INDEX_PAUSE = 0.02

_Result = TypeVar("_Result")


def _checked(read: Callable[..., _Result]) -> Callable[..., _Result]:
    """A read of the store, checked when it read a file without its WAL index: the file must
    be as it was when the read transaction began (check_read_stamp)."""
    @functools.wraps(read)
    def checked(self: "SqliteStore", *args: Any) -> _Result:
        if self.read_stamp is None:
            return read(self, *args)
        try:
            result = read(self, *args)
        except (StoreError, *_sqlite.ERRORS):
            self.check_read_stamp()  # damage in pages a writer was changing: say that instead
            raise
        self.check_read_stamp()
        return result
    return checked


class SqliteStore(Store):
    kind = "file"

    def __init__(self, path: str, options: Options) -> None:
        self.shown = path
        self.options = options
        # What the name means (_file_name.py): the file opened, its lock file, and the bits
        # of the files this session creates.
        self.file = _file_name.resolve(path, options.follow_symlinks)
        self.lock_file = _locking.lock_path_for(self.file)
        self.new_file_mode = (options.file_mode if options.file_mode is not None
                              else _file_name.default_mode(options.integrity_key is not None))
        self.read_only = options.mode == OpenMode.read_only
        self.db: Optional[_sqlite.Connection] = None
        self.journal_mode = ""
        self.synchronous = ""
        # The file's format version: the schema check holds the file to its objects.
        self.file_format = _format.FORMAT_VERSION
        # PRAGMA schema_version when ``db`` last checked the schema; None before its first
        # transaction. SQLite reads the schema again only when this cookie changes.
        self.checked_schema: Optional[int] = None
        # A read-only session of a WAL-mode file in a directory it may not write, so that it
        # cannot make the -shm index once the last writer deleted it: every read transaction
        # opens its own connection (_read_transaction), and read_stamp is the file's stamp
        # when the current one reads the file itself.
        self.unindexed = False
        self.read_stamp: Optional[_file_stamp.FileStamp] = None

    @property
    def connection(self) -> _sqlite.Connection:
        """The file's connection, from the open (_open.py) until close()."""
        db = self.db
        if db is None:
            raise StoreError(f"session '{self.shown}' is closed", self.shown)
        return db

    # ---- locks and transactions ---------------------------------------------------------------

    def writer_lock(self) -> _locking.FileLock:
        """The writers' lock (exclusive), within the lock timeout. It passes other processes'
        shared locks (older picklejar readers, or another user holding the lock file): SQLite's
        write lock, which every write transaction takes next, keeps writers apart. Readers
        take no lock: SQLite's read transaction gives them a consistent snapshot."""
        return _locking.FileLock.acquire(
            self.lock_file, True, self.options.lock_timeout, pass_shared=True,
            database_mode=self.new_file_mode,
        )

    def wait_for_writers(self) -> None:
        """For a reader about to refuse a file a writer may be creating: waits (up to the lock
        timeout) until no writer holds the lock file. Nothing when there is no lock file (a
        writer makes it before the database) or it cannot be opened: a refused file gets no
        lock file next to it."""
        if not os.path.lexists(self.lock_file):
            return
        try:
            _locking.FileLock.acquire(self.lock_file, False, self.options.lock_timeout,
                                      missing_ok=True).release()
        except StoreError:
            pass

    @contextlib.contextmanager
    def reading(self, doing: str) -> Iterator[_sqlite.transaction]:
        with _sqlite.errors_named(self.shown, doing):
            with self.read_transaction() as txn:
                yield txn

    @contextlib.contextmanager
    def read_transaction(self) -> Iterator[_sqlite.transaction]:
        """A read transaction on the session's connection, or, reading a file it cannot index
        (``unindexed``), on a new one. A -wal and a -shm: a writer has the file open and made
        its index, which SQLite reads without writing. Without both, the file itself holds
        every commit (no writer has it open, or one is just opening or closing: SQLite makes
        the -wal before the -shm and deletes the -shm, after a full checkpoint, before the
        -wal), so its own pages are read, immutable=1. An index a writer is still making (or
        one a crash left to recover, which only a writer can) is waited for up to the lock
        timeout."""
        if not self.unindexed:
            with _sqlite.transaction(self.connection, write=False) as txn:
                yield txn
            return
        deadline = time.monotonic() + self.options.lock_timeout
        pause = 0.001
        while True:
            self.read_stamp = None
            stamp = _file_stamp.take(self.file)
            indexed = stamp.wal is not None and stamp.shm is not None
            self._reconnect("ro" if indexed else "page_one")
            txn = _sqlite.transaction(self.connection, write=False)
            txn.__enter__()
            if not indexed:
                self.read_stamp = stamp
                break
            try:  # starts the read: from here the index is held and no writer deletes it
                self.connection.execute("PRAGMA schema_version").fetchone()
                break
            except _sqlite.ERRORS as e:
                txn.__exit__(None, None, None)
                code = _sqlite.error_code(_sqlite.as_sqlite_error(e))
                if code not in _file_stamp.CANNOT_INDEX or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, _INDEX_PAUSE)
        try:
            yield txn
        except (StoreError, *_sqlite.ERRORS):
            self.check_read_stamp()
            raise
        finally:
            txn.__exit__(None, None, None)
        self.check_read_stamp()

    def _reconnect(self, access: str) -> None:
        old, self.db = self.db, None
        if old is not None:
            old.close()
        db = _sqlite.connect(self.file, access, self.options.lock_timeout)
        db.execute("PRAGMA query_only = 1")
        self.db = db
        self.checked_schema = None

    def check_read_stamp(self) -> None:
        """After a read of the file without its index: StoreError when a writer changed the
        file or made a -wal or -shm since the read began (what was read may mix two states)."""
        if self.read_stamp is None or _file_stamp.take(self.file) == self.read_stamp:
            return
        raise StoreError(f"cannot read '{self.shown}': a writer changed it during the read, "
                         "which could not use SQLite's WAL index (this user may not write its "
                         "directory); read again", self.shown)

    def feed_version(self) -> int:
        """What the change feed compares: PRAGMA data_version, or the file's stamp when
        unindexed."""
        if self.unindexed:
            return hash(_file_stamp.take(self.file)) & (2**63 - 1)
        now: int
        (now,) = self.connection.execute("PRAGMA data_version").fetchone()
        return now

    @contextlib.contextmanager
    def writing(self, doing: str) -> Iterator[_sqlite.transaction]:
        with self.writer_lock(), _sqlite.errors_named(self.shown, doing):
            with _sqlite.transaction(self.connection, write=True) as txn:
                yield txn

    def errors(self, doing: str) -> ContextManager[None]:
        return _sqlite.errors_named(self.shown, doing)

    # ---- reading ------------------------------------------------------------------------------

    def before_read(self) -> None:
        """Inside a transaction, before anything else is read: checks the schema
        (_schema.check) on the first transaction and whenever another connection changed it.
        With Python's sqlite3 before 3.12, which cannot switch triggers off, this is what
        keeps a trigger added after the open from firing."""
        cookie: int
        (cookie,) = self.connection.execute("PRAGMA schema_version").fetchone()
        if cookie != self.checked_schema:
            _schema.check(self.connection, self.shown, self.file_format)
            self.checked_schema = cookie

    @_checked
    def revision(self) -> int:
        row = self.connection.execute("SELECT value FROM meta WHERE name = 'revision'").fetchone()
        revision: int = -1 if row is None else row[0]
        return revision

    @_checked
    def read_meta(self) -> _format.Meta:
        return _format.read_meta(self.connection, self.shown)

    def _read_entry(self, row: Tuple[Any, ...]) -> Tuple[str, Entry]:
        """A row that is not well_formed_entry(): raises FormatError naming what is wrong."""
        key = _rows.row_key(row[0], "entries", self.shown)
        data, digest, protocol, revision, modified_us = _rows.entry_columns(row, key, self.shown)
        return key, Entry(data, digest, protocol, revision, modified_us)

    @_checked
    def entries_since(self, seen: int) -> List[Tuple[str, Entry]]:
        rows = self.connection.execute(_ENTRIES + " WHERE revision > ?", (seen,)) if seen else \
            self.connection.execute(_ENTRIES)
        well_formed = _rows.well_formed_entry
        return [(row[0], Entry(row[1], row[3], row[2], row[4], row[5])) if well_formed(row)
                else self._read_entry(row) for row in rows]

    @_checked
    def tombstones_since(self, seen: int) -> List[str]:
        return [_rows.row_key(key, "tombstones", self.shown) for (key,) in self.connection.execute(
            "SELECT key FROM tombstones WHERE revision > ?", (seen,))]

    @_checked
    def all_keys(self) -> Set[str]:
        return {_rows.row_key(key, "entries", self.shown)
                for (key,) in self.connection.execute("SELECT key FROM entries")}

    # ---- writing ------------------------------------------------------------------------------

    def set_meta(self, name: str, value: Any) -> None:
        _format.write_meta(self.connection, name, value)

    def write_revision(self, revision: int, now: int, upserts: Sequence[Upsert],
                       erased: Iterable[str], purged_revision: int,
                       writer: Tuple[str, str, str]) -> int:
        db = self.connection
        if upserts:  # each statement run once per key, in one call
            db.executemany(_UPSERT, upserts)
            if len(upserts) == 1 or db.execute("SELECT 1 FROM tombstones LIMIT 1").fetchone():
                db.executemany("DELETE FROM tombstones WHERE key = ?",
                               [row[:1] for row in upserts])
        for key in erased:
            if db.execute("DELETE FROM entries WHERE key = ?", (key,)).rowcount > 0:
                db.execute("INSERT OR REPLACE INTO tombstones (key, revision) VALUES (?, ?)",
                           (key, revision))
        purged = self._purge_tombstones(revision, purged_revision)
        _format.write_meta_rows(db, (("revision", revision), ("modified_us", now),
                                     ("writer_name", writer[0]), ("writer_version", writer[1]),
                                     ("writer_app", writer[2])))
        return purged

    def _purge_tombstones(self, revision: int, purged: int) -> int:
        """Deletes tombstones too old to keep; returns the new purged_revision."""
        limit = revision - _format.TOMBSTONE_RETENTION
        if limit <= purged:
            return purged
        db = self.connection
        if db.execute("DELETE FROM tombstones WHERE revision <= ?", (limit,)).rowcount == 0:
            return purged
        _format.write_meta(db, "purged_revision", limit)
        return limit

    # ---- the rest -----------------------------------------------------------------------------

    def change_feed(self) -> SqliteChangeFeed:
        """Rollback-journal files are those on network file systems (or treated as such), where
        inotify sees no other machine's writes: they poll."""
        return SqliteChangeFeed(self.feed_version, self.shown,
                                self.journal_mode != "wal" and not self.unindexed)

    def sizes(self, in_transaction: bool) -> Dict[str, int]:
        """The file's sizes now, in one read transaction (inside transact() or a migration, in
        the write transaction already open)."""
        with contextlib.ExitStack() as stack:
            if not in_transaction:
                stack.enter_context(self.reading("cannot read the sizes of"))
                self.before_read()
            db = self.connection
            entries, pickle_bytes = db.execute(
                "SELECT count(*), coalesce(sum(length(pickle)), 0) FROM entries").fetchone()
            page_size = db.execute("PRAGMA page_size").fetchone()[0]
            page_count = db.execute("PRAGMA page_count").fetchone()[0]
            free_pages = db.execute("PRAGMA freelist_count").fetchone()[0]
        try:
            wal_bytes = os.stat(self.file + "-wal").st_size
        except OSError:
            wal_bytes = 0
        return {"entries": entries, "pickle_bytes": pickle_bytes, "page_size": page_size,
                "file_bytes": page_count * page_size, "free_pages": free_pages,
                "wal_bytes": wal_bytes}

    def require_file(self, what: str) -> SqliteStore:
        return self

    def close(self) -> None:
        if self.db is not None:
            db, self.db = self.db, None
            try:
                db.close()
            except _sqlite.ERRORS as e:
                raise _sqlite.wrap(e, self.shown, "cannot close") from e

    def abandon(self) -> Optional[sqlite3.Connection]:
        return self.db
