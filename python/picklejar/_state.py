"""A session's state and the operations under its public API (mirrors SessionState in
lib/src/store/session_impl.hpp, session.cpp and session_sync.cpp): the session logic, written
once for every store (_backends/: a SQLite file, a PostgreSQL server).

The view is what the session shows: the store's entries as last seen plus unsaved changes.
``pending`` remembers, for every changed key, the store's entry (to discard the change) and
the entry revision the change was based on (to detect conflicts).
"""

from __future__ import annotations

import os
import pickle
from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional, Set, Tuple, overload

from . import _changes, _format
from ._format import Meta
from ._integrity import HMAC_SHA256, Signer
from ._options import ConflictPolicy, OpenMode, Options
from ._safe_pickle import Allowlist, safe_loads
from ._write_check import check_loadable, needs_load, pickled, registered_hint
from .errors import ConflictError, DecodeError, ForbiddenGlobal, FormatError
from .errors import IntegrityError, StoreError, printable

if TYPE_CHECKING:
    from ._backends import Store

_UNDECODED = object()


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

    def __init__(self, path: str, options: Options, version: str, store: Store) -> None:
        self.path = path  # as shown in messages: a file's path, a server's URL sans password
        self.options = options
        self.store = store  # where the entries live
        self.signer = Signer(options.integrity_key)
        options.integrity_key = None  # the signer holds the key
        self.allowlist = Allowlist(options.classes)
        self.version = version
        self.pid = os.getpid()
        self.read_only = options.mode == OpenMode.read_only
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

    # ---- checks ---------------------------------------------------------------------

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
                   "another key or from another file, or written with another key)"
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
        allowlist and within its DecodeLimits (EncodeError naming key, file and limit
        otherwise)."""
        if data is None:
            data = pickled(value, protocol, key, self.path)
        if not self.options.trusted_unsafe_pickle and \
                needs_load(data, protocol, self.options.limits):
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

    def _vanished_keys(self, in_store: Set[str]) -> List[str]:
        """Keys this session knows of that are no longer in the store (``in_store``: all its
        keys): used when tombstones this session needs were purged."""
        on_disk = [k for k in self.view if k not in self.pending]
        on_disk += [k for k, change in self.pending.items() if change.disk is not None]
        return [key for key in on_disk if key not in in_store]

    def _check_meta_change(self, fresh: Meta) -> None:
        if fresh.format_version != self.meta.format_version:
            raise FormatError(
                f"'{self.path}' changed to file format version {fresh.format_version} while "
                f"open (this session uses {self.meta.format_version}): open it again",
                self.path,
            )
        if fresh.file_id != self.meta.file_id:  # its digests are bound to another id now
            raise IntegrityError(f"'{self.path}': its file id changed while open "
                                 f"({self.meta.file_id or 'none'} -> {fresh.file_id or 'none'}; "
                                 "another program copied a session over it, `picklejar copy`): "
                                 "open it again", self.path)
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

    def refresh(self) -> None:
        """Inside a transaction: reads what changed since ``seen`` and applies it to the view
        (docs/FORMAT.md "Reading: snapshots and incremental refresh")."""
        store = self.store
        store.before_read()
        if self.have_meta and store.revision() == self.seen:
            return
        fresh = store.read_meta()
        if self.have_meta:
            self._check_meta_change(fresh)
        else:  # the first look: this file's digests are bound to its id (format 2)
            self.signer = self.signer.for_file(fresh.file_id_bytes())
        # Read everything first, apply after: a failed read leaves the session as it was.
        changed = store.entries_since(self.seen)
        erased: List[str] = []
        if self.seen != 0 and self.seen < fresh.purged_revision:
            erased = self._vanished_keys(store.all_keys())
        elif self.seen != 0:
            erased = store.tombstones_since(self.seen)
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

    @overload
    def write_pending(self, force: Literal[True]) -> Written: ...

    @overload
    def write_pending(self, force: bool) -> Optional[Written]: ...

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
        upserts, erased = [], []
        for key in sorted(self.pending):
            entry = self.view.get(key)
            if entry is not None:
                upserts.append((key, entry.pickle, entry.protocol, entry.digest, revision, now))
            else:
                erased.append(key)
        purged = self.store.write_revision(
            revision, now, upserts, erased, self.meta.purged_revision,
            (_format.WRITER_NAME, self.version, self.options.app_name))
        return revision, now, purged

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
