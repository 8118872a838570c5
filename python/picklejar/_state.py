"""A session's state and the operations under its public API (mirrors SessionState in
lib/src/store/session_impl.hpp, session.cpp and session_sync.cpp).

The view is what the session shows: the file's entries as last seen plus unsaved changes.
``pending`` remembers, for every changed key, the file's entry (to discard the change) and
the entry revision the change was based on (to detect conflicts).
"""

from __future__ import annotations

import os
import pickle
import sqlite3
from typing import Any, Dict, List, Optional, Tuple

from . import _changes, _file_name, _format, _locking, _rows, _schema
from ._format import Meta
from ._integrity import HMAC_SHA256, Signer
from ._options import ConflictPolicy, OpenMode, Options
from ._safe_pickle import Allowlist, safe_loads
from ._write_check import check_loadable, may_name_globals, pickled, registered_hint
from .errors import ConflictError, DecodeError, ForbiddenGlobal, FormatError
from .errors import IntegrityError, StoreError, printable

_UNDECODED = object()
_UPSERT = (f"INSERT INTO entries ({_format.ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
           "ON CONFLICT (key) DO UPDATE SET pickle = excluded.pickle, "
           "protocol = excluded.protocol, digest = excluded.digest, "
           "revision = excluded.revision, modified_us = excluded.modified_us")


class Entry:
    """One entry: its pickle as stored, and its value once verified and unpickled."""

    __slots__ = ("pickle", "digest", "protocol", "revision", "modified_us", "value")

    def __init__(self, pickle: bytes, digest: bytes, protocol: int, revision: int,
                 modified_us: int, value: Any = _UNDECODED) -> None:
        self.pickle = pickle
        self.digest = digest  # as stored (32 bytes when well-formed)
        self.protocol = protocol
        self.revision = revision  # 0 while unsaved
        self.modified_us = modified_us
        self.value = value


class Pending:
    """An unsaved change: the file's entry as last seen (None when the file has none) and the
    entry revision the change was based on (None when the key was absent then)."""

    __slots__ = ("disk", "base_revision")

    def __init__(self, disk: Optional[Entry], base_revision: Optional[int]) -> None:
        self.disk = disk
        self.base_revision = base_revision

    def copy(self) -> "Pending":
        return Pending(self.disk, self.base_revision)


# What a key looked like before a transact()/migration touched it: (view entry, pending).
Undo = Tuple[Optional[Entry], Optional[Pending]]
# A revision write_pending() wrote: (revision, modified_us, purged_revision).
Written = Tuple[int, int, int]


class State:
    """Everything a Session holds."""

    def __init__(self, path: str, options: Options, version: str) -> None:
        self.path = path
        self.options = options
        # What the name means (_file_name.py): the file opened, its lock file, and the bits
        # of the files this session creates.
        self.file = _file_name.resolve(path, options.follow_symlinks)
        self.lock_file = _locking.lock_path_for(self.file)
        self.new_file_mode = (options.file_mode if options.file_mode is not None
                              else _file_name.default_mode(options.integrity_key is not None))
        self.signer = Signer(options.integrity_key)
        options.integrity_key = None  # the signer holds the key
        self.allowlist = Allowlist(options.classes)
        self.version = version
        self.db: Optional[sqlite3.Connection] = None
        self.pid = os.getpid()
        self.read_only = options.mode == OpenMode.read_only
        self.journal_mode = ""
        self.synchronous = ""
        # The file's format version: the schema check holds the file to its objects.
        self.file_format = _format.FORMAT_VERSION
        # PRAGMA schema_version when ``db`` last checked the schema; None before its first
        # transaction. SQLite reads the schema again only when this cookie changes.
        self.checked_schema: Optional[int] = None
        self.meta = Meta()  # the meta rows as last seen
        self.have_meta = False  # False until the first refresh
        self.seen = 0  # the global revision the view is current with
        self.view: Dict[str, Entry] = {}
        self.pending: Dict[str, Pending] = {}
        # Inside transact()/a migration/convert_protocol(): the undo log of keys fn touched.
        self.undo: Optional[Dict[str, Undo]] = None
        # Inside fn of transact() or a migration: save/load/discard are refused.
        self.in_transaction = False
        self.key_version = 0  # bumped whenever the view's set of keys may change
        # writeback=True: every entry whose value was handed out, with its pickle then.
        self.handed_out: Dict[str, Tuple[Entry, bytes]] = {}
        # set_app_schema_version() inside a transaction: written with the transaction's save.
        self.schema_change: Optional[int] = None
        # Change notification (_changes.py): keys other sessions changed since the last look,
        # each with whether the file had it then; the revision and feed version at that look.
        self.unreported: Dict[str, bool] = {}
        self.looked_revision = 0
        self.looked_version = 0
        self.feed: Any = None  # a _watch.ChangeFeed once the connection is configured

    # ---- locks and checks ---------------------------------------------------------------------

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

    def require_writable(self, what: str) -> None:
        if self.read_only:
            raise StoreError(f"cannot {what} '{self.path}': the session is read-only", self.path)

    def require_outside_transaction(self, what: str) -> None:
        if self.in_transaction:
            raise StoreError(
                f"cannot {what} '{self.path}' inside transact() or a migration", self.path
            )

    # ---- values -------------------------------------------------------------------------------

    def decoded(self, key: str, entry: Entry) -> Any:
        """The entry's value: its digest verified, then unpickled once and cached. Neither an
        IntegrityError nor a DecodeError is cached: every access reports it."""
        if entry.value is not _UNDECODED:
            return entry.value
        self.check_digest(key, entry)
        try:
            if self.options.trusted_unsafe_pickle:
                value = pickle.loads(entry.pickle)
            else:
                value = safe_loads(entry.pickle, self.allowlist, self.options.limits)
        except ForbiddenGlobal as e:
            hint = registered_hint(self.options.classes, e.module, e.name)
            e.args = (self._where(key) + str(e) + hint,)
            e.path, e.key = self.path, key
            raise e.with_traceback(None) from None
        except DecodeError as e:  # LimitError and the pre-scan's other refusals
            e.args = (f"{self._where(key)}cannot unpickle: {e}",)
            e.path, e.key = self.path, key
            raise e.with_traceback(None) from None
        except Exception as e:
            raise DecodeError(f"{self._where(key)}cannot unpickle: {e}", self.path, key) from e
        entry.value = value
        return value

    def _where(self, key: str) -> str:
        return f"key '{printable(key)}' in '{self.path}': "

    def check_digest(self, key: str, entry: Entry) -> None:
        """IntegrityError naming key and file unless the entry's digest verifies."""
        if not self.signer.verify(key, entry.pickle, entry.digest):
            raise IntegrityError(
                f"integrity check failed for key '{printable(key)}' in '{self.path}': "
                + ("its HMAC-SHA256 does not match its name and pickle (changed, moved from "
                   "another key, or written with another key)"
                   if self.signer.scheme == HMAC_SHA256
                   else "its SHA-256 does not match its pickle"),
                self.path, key,
            )

    def write_protocol(self) -> int:
        return self.options.protocol if self.options.protocol is not None else \
            self.meta.default_protocol

    def before_change(self, key: str) -> None:
        """Records ``key`` in the undo log and as pending before it changes."""
        in_view = self.view.get(key)
        in_pending = self.pending.get(key)
        if self.undo is not None and key not in self.undo:
            self.undo[key] = (in_view, None if in_pending is None else in_pending.copy())
        if in_pending is None:
            self.pending[key] = Pending(in_view, None if in_view is None else in_view.revision)

    def encode(self, key: str, value: Any, protocol: int,
               data: Optional[bytes] = None) -> Entry:
        """The entry ``value`` becomes under ``key``, changing nothing: pickled now (unless
        ``data`` is its pickle already) and checked to load back through this session's
        allowlist (EncodeError naming key and file otherwise)."""
        if data is None:
            data = pickled(value, protocol, key, self.path)
        if may_name_globals(data, protocol) and not self.options.trusted_unsafe_pickle:
            check_loadable(data, self.allowlist, self.options.classes, key, self.path,
                           self.options.limits)
        return Entry(data, self.signer.digest(key, data), protocol, 0, 0, value)

    def place(self, key: str, entry: Entry) -> None:
        """Makes ``entry`` the view's entry under ``key``, recording the change."""
        self.before_change(key)
        if key not in self.view:
            self.key_version += 1
        self.view[key] = entry
        if self.options.writeback:
            self.handed_out[key] = (entry, entry.pickle)

    def put(self, key: str, value: Any, protocol: int) -> None:
        entry = self.encode(key, value, protocol)
        self.before_change(key)
        if key not in self.view:
            self.key_version += 1
        self.view[key] = entry
        if self.options.writeback:
            self.handed_out[key] = (entry, entry.pickle)

    # ---- writeback=True -----------------------------------------------------------------------

    def hand_out(self, key: str, entry: Entry, value: Any) -> None:
        """Remembers a value handed out, to save it if it is changed in place."""
        if not self.options.writeback:
            return
        known = self.handed_out.get(key)
        if known is None or known[0] is not entry:
            self.handed_out[key] = (entry, pickled(value, entry.protocol, key, self.path))

    def sync_writeback(self) -> None:
        """Makes every handed-out value changed in place since an unsaved change (a set)."""
        for key, (entry, before) in list(self.handed_out.items()):
            if self.view.get(key) is not entry:
                del self.handed_out[key]  # replaced or erased since: no longer ours
                continue
            value = entry.value
            data = pickled(value, entry.protocol, key, self.path)
            if data != before:
                changed = self.encode(key, value, entry.protocol, data)
                entry.value = _UNDECODED  # shows its own pickle again, should discard() return
                self.place(key, changed)

    def revert_writeback(self) -> None:
        """Forgets in-place changes of handed-out values: their entries decode again from the
        pickle they hold (for discard(), and a transact() body that raised)."""
        for key, (entry, before) in list(self.handed_out.items()):
            if entry.value is not _UNDECODED and \
                    pickled(entry.value, entry.protocol, key, self.path) != before:
                entry.value = _UNDECODED
                del self.handed_out[key]

    def erase(self, key: str) -> None:
        self.before_change(key)
        del self.view[key]
        self.key_version += 1

    def discard(self) -> None:
        self.revert_writeback()
        for key, change in self.pending.items():
            if change.disk is not None:
                self.view[key] = change.disk
            else:
                self.view.pop(key, None)
        self.pending.clear()
        self.key_version += 1

    def rollback_undo(self) -> None:
        self.schema_change = None  # its row went with the SQL transaction
        if self.undo is None:
            return
        for key, (view, pending) in self.undo.items():
            if view is not None:
                self.view[key] = view
            else:
                self.view.pop(key, None)
            if pending is not None:
                self.pending[key] = pending
            else:
                self.pending.pop(key, None)
        self.undo = None
        self.key_version += 1

    # ---- refresh ------------------------------------------------------------------------------

    def _file_revision(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE name = 'revision'").fetchone()
        return -1 if row is None else row[0]

    def _vanished_keys(self) -> List[str]:
        """Keys this session knows of that are no longer in the file, found by listing the
        file's keys: used when tombstones this session needs were purged."""
        in_file = {_rows.row_key(key, "entries", self.path)
                   for (key,) in self.db.execute("SELECT key FROM entries")}
        on_disk = [k for k in self.view if k not in self.pending]
        on_disk += [k for k, change in self.pending.items() if change.disk is not None]
        return [key for key in on_disk if key not in in_file]

    def _check_meta_change(self, fresh: Meta) -> None:
        if fresh.format_version != self.meta.format_version:
            raise FormatError(
                f"'{self.path}' changed to file format version {fresh.format_version} while "
                f"open (this session uses {self.meta.format_version}): open it again",
                self.path,
            )
        if (fresh.integrity_scheme, fresh.key_id) != (self.meta.integrity_scheme,
                                                       self.meta.key_id):
            def name(meta: Meta) -> str:
                return f"key id {meta.key_id}" if meta.key_id else "no key"
            raise IntegrityError(f"'{self.path}' was re-keyed by another program while open "
                                 f"({name(self.meta)} -> {name(fresh)}): open it again with its "
                                 "new key", self.path)
        wanted = self.options.schema_version
        if wanted is not None and not self.read_only and fresh.app_schema_version > wanted:
            raise FormatError(
                f"'{self.path}' was migrated to app schema version {fresh.app_schema_version} "
                f"by another program while open (this program knows {wanted})",
                self.path,
            )

    def check_schema_current(self) -> None:
        """Inside a transaction, before anything else is read: checks the schema
        (_schema.check) on the first transaction and whenever another connection changed it.
        With Python's sqlite3 before 3.12, which cannot switch triggers off, this is what
        keeps a trigger added after the open from firing."""
        (cookie,) = self.db.execute("PRAGMA schema_version").fetchone()
        if cookie != self.checked_schema:
            _schema.check(self.db, self.path, self.file_format)
            self.checked_schema = cookie

    def _read_entry(self, row: tuple) -> Tuple[str, Entry]:
        """A row that is not well_formed_entry(): raises FormatError naming what is wrong."""
        key = _rows.row_key(row[0], "entries", self.path)
        data, digest, protocol, revision, modified_us = _rows.entry_columns(row, key, self.path)
        return key, Entry(data, digest, protocol, revision, modified_us)

    def refresh(self) -> None:
        """Inside a transaction: reads what changed since ``seen`` and applies it to the view
        (docs/FORMAT.md "Reading: snapshots and incremental refresh")."""
        self.check_schema_current()
        if self.have_meta and self._file_revision() == self.seen:
            return
        fresh = _format.read_meta(self.db, self.path)
        if self.have_meta:
            self._check_meta_change(fresh)
        # Read everything first, apply after: a failed read leaves the session as it was.
        sql = f"SELECT {_format.ENTRY_COLUMNS} FROM entries"
        rows = self.db.execute(sql + " WHERE revision > ?", (self.seen,)) if self.seen else \
            self.db.execute(sql)
        well_formed = _rows.well_formed_entry
        changed = [(row[0], Entry(row[1], row[3], row[2], row[4], row[5])) if well_formed(row)
                   else self._read_entry(row) for row in rows]
        erased: List[str] = []
        if self.seen != 0 and self.seen < fresh.purged_revision:
            erased = self._vanished_keys()
        elif self.seen != 0:
            erased = [_rows.row_key(key, "tombstones", self.path) for (key,) in self.db.execute(
                "SELECT key FROM tombstones WHERE revision > ?", (self.seen,))]
        if changed and not self.view and not self.pending:  # every key is new: no call each
            unreported = self.unreported  # _apply's _changes.note: none was in the file
            for key, _ in changed:
                unreported.setdefault(key, False)
            self.view.update(changed)
            self.key_version += 1
        else:
            for key, entry in changed:
                self._apply(key, entry)
        for key in erased:
            self._apply(key, None)
        self.meta = fresh
        self.have_meta = True
        self.seen = fresh.revision

    def _apply(self, key: str, entry: Optional[Entry]) -> None:
        _changes.note(self, key)
        change = self.pending.get(key)
        if change is not None:
            change.disk = entry
        elif entry is not None:
            if key not in self.view:
                self.key_version += 1
            self.view[key] = entry
        elif self.view.pop(key, None) is not None:
            self.key_version += 1

    # ---- writing a revision -------------------------------------------------------------------

    def _check_conflicts(self) -> None:
        keys = []
        for key in sorted(self.pending):
            change = self.pending[key]
            now = None if change.disk is None else change.disk.revision
            if now != change.base_revision:
                keys.append(key)
        if not keys:
            return
        one = len(keys) == 1
        raise ConflictError(
            f"cannot save '{self.path}': another session changed {'a key' if one else 'keys'} "
            f"since this one saw {'it' if one else 'them'}: "
            + ", ".join(f"'{printable(key)}'" for key in keys),
            self.path, keys,
        )

    def write_pending(self, force: bool) -> Optional[Written]:
        """Inside a write transaction after refresh(): checks conflicts (strict), writes every
        pending change and the meta rows as revision meta.revision + 1 (docs/FORMAT.md
        "Revisions"). ``force`` writes a revision even with nothing pending. None when nothing
        was written. Changes no state of the session."""
        if not self.pending and not force and self.schema_change is None:
            return None
        if self.options.conflicts == ConflictPolicy.strict:
            self._check_conflicts()
        revision, now = _format.next_revision(self.path, self.meta.revision), _format.now_us()
        db = self.db
        upserts, erased = [], []
        for key in sorted(self.pending):
            entry = self.view.get(key)
            if entry is not None:
                upserts.append((key, entry.pickle, entry.protocol, entry.digest, revision, now))
            else:
                erased.append(key)
        if upserts:  # each statement run once per key, in one call
            db.executemany(_UPSERT, upserts)
            if len(upserts) == 1 or db.execute("SELECT 1 FROM tombstones LIMIT 1").fetchone():
                db.executemany("DELETE FROM tombstones WHERE key = ?",
                               [row[:1] for row in upserts])
        for key in erased:
            if db.execute("DELETE FROM entries WHERE key = ?", (key,)).rowcount > 0:
                db.execute("INSERT OR REPLACE INTO tombstones (key, revision) VALUES (?, ?)",
                           (key, revision))
        purged = self._purge_tombstones(revision)
        _format.write_meta_rows(db, (("revision", revision), ("modified_us", now),
                                     ("writer_name", _format.WRITER_NAME),
                                     ("writer_version", self.version),
                                     ("writer_app", self.options.app_name)))
        return revision, now, purged

    def _purge_tombstones(self, revision: int) -> int:
        """Deletes tombstones too old to keep; returns the new purged_revision."""
        limit, purged = revision - _format.TOMBSTONE_RETENTION, self.meta.purged_revision
        if limit <= purged:
            return purged
        if self.db.execute("DELETE FROM tombstones WHERE revision <= ?", (limit,)).rowcount == 0:
            return purged
        _format.write_meta(self.db, "purged_revision", limit)
        return limit

    def finish_save(self, written: Written) -> None:
        """After the commit of what write_pending() wrote: marks everything saved."""
        revision, now, purged = written
        for key in self.pending:
            entry = self.view.get(key)
            if entry is not None:
                entry.revision = revision
                entry.modified_us = now
        self.pending.clear()
        meta = self.meta
        meta.revision, meta.modified_us, meta.purged_revision = revision, now, purged
        meta.writer_name, meta.writer_version = _format.WRITER_NAME, self.version
        meta.writer_app = self.options.app_name
        self.seen = revision
        if self.schema_change is not None:
            meta.app_schema_version, self.schema_change = self.schema_change, None
