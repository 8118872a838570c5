"""A session's store in one SQLite file (docs/FORMAT.md): the lock file and SQLite's
transactions, the file's rows, its schema check and its change feed. Opening and creating the
file is _open.py's; backups and vacuum are _backup.py's and _maintenance.py's (files only)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from .. import _file_name, _format, _locking, _rows, _schema, _sqlite
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
            with _sqlite.transaction(self.db, write=False) as txn:
                yield txn

    @contextlib.contextmanager
    def writing(self, doing: str) -> Iterator[_sqlite.transaction]:
        with self.writer_lock(), _sqlite.errors_named(self.shown, doing):
            with _sqlite.transaction(self.db, write=True) as txn:
                yield txn

    def errors(self, doing: str) -> Any:
        return _sqlite.errors_named(self.shown, doing)

    # ---- reading ------------------------------------------------------------------------------

    def before_read(self) -> None:
        """Inside a transaction, before anything else is read: checks the schema
        (_schema.check) on the first transaction and whenever another connection changed it.
        With Python's sqlite3 before 3.12, which cannot switch triggers off, this is what
        keeps a trigger added after the open from firing."""
        (cookie,) = self.db.execute("PRAGMA schema_version").fetchone()
        if cookie != self.checked_schema:
            _schema.check(self.db, self.shown, self.file_format)
            self.checked_schema = cookie

    def revision(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE name = 'revision'").fetchone()
        return -1 if row is None else row[0]

    def read_meta(self) -> _format.Meta:
        return _format.read_meta(self.db, self.shown)

    def _read_entry(self, row: tuple) -> Tuple[str, Entry]:
        """A row that is not well_formed_entry(): raises FormatError naming what is wrong."""
        key = _rows.row_key(row[0], "entries", self.shown)
        data, digest, protocol, revision, modified_us = _rows.entry_columns(row, key, self.shown)
        return key, Entry(data, digest, protocol, revision, modified_us)

    def entries_since(self, seen: int) -> List[Tuple[str, Entry]]:
        rows = self.db.execute(_ENTRIES + " WHERE revision > ?", (seen,)) if seen else \
            self.db.execute(_ENTRIES)
        well_formed = _rows.well_formed_entry
        return [(row[0], Entry(row[1], row[3], row[2], row[4], row[5])) if well_formed(row)
                else self._read_entry(row) for row in rows]

    def tombstones_since(self, seen: int) -> List[str]:
        return [_rows.row_key(key, "tombstones", self.shown) for (key,) in self.db.execute(
            "SELECT key FROM tombstones WHERE revision > ?", (seen,))]

    def all_keys(self) -> Set[str]:
        return {_rows.row_key(key, "entries", self.shown)
                for (key,) in self.db.execute("SELECT key FROM entries")}

    # ---- writing ------------------------------------------------------------------------------

    def set_meta(self, name: str, value: Any) -> None:
        _format.write_meta(self.db, name, value)

    def write_revision(self, revision: int, now: int, upserts: Sequence[Upsert],
                       erased: Iterable[str], purged_revision: int,
                       writer: Tuple[str, str, str]) -> int:
        db = self.db
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
        if self.db.execute("DELETE FROM tombstones WHERE revision <= ?", (limit,)).rowcount == 0:
            return purged
        _format.write_meta(self.db, "purged_revision", limit)
        return limit

    # ---- the rest -----------------------------------------------------------------------------

    def change_feed(self) -> SqliteChangeFeed:
        """Rollback-journal files are those on network file systems (or treated as such), where
        inotify sees no other machine's writes: they poll."""
        return SqliteChangeFeed(self.db, self.shown, self.journal_mode != "wal")

    def sizes(self, in_transaction: bool) -> Dict[str, int]:
        """The file's sizes now, in one read transaction (inside transact() or a migration, in
        the write transaction already open)."""
        with contextlib.ExitStack() as stack:
            if not in_transaction:
                stack.enter_context(self.reading("cannot read the sizes of"))
                self.before_read()
            db = self.db
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

    def close(self) -> None:
        if self.db is not None:
            db, self.db = self.db, None
            try:
                db.close()
            except _sqlite.ERRORS as e:
                raise _sqlite.wrap(e, self.shown, "cannot close") from e

    def abandon(self) -> Optional[sqlite3.Connection]:
        return self.db
