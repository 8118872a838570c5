"""picklejar.Session: a dictionary of pickles kept in one SQLite file that C++ and Python
processes open at the same time (docs/FORMAT.md is the file format, docs/LOCKING.md the lock
protocol; the C++ twin is lib/include/picklejar/session.hpp)."""

from __future__ import annotations

import bisect
import dataclasses
import datetime
import os
import sqlite3
import weakref
from collections.abc import MutableMapping
from typing import Any, Callable, Iterator, List, Optional, TypeVar, Union

from . import _format, _open, _sqlite
from ._transact import Transaction
from ._options import Options, check_protocol
from ._state import State
from .errors import StoreError

__version__ = "0.1.0"  # the C++ library's version (meson.build); tests check they agree

T = TypeVar("T")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _utc(us: int) -> datetime.datetime:
    return _EPOCH + datetime.timedelta(microseconds=us)


@dataclasses.dataclass(frozen=True)
class EntryInfo:
    """What the session knows about one entry."""

    protocol: int  # the pickle protocol it was written with
    pickle_size: int  # bytes
    revision: int  # the global revision of the save that wrote it; 0 while unsaved
    modified: datetime.datetime  # when that save happened (UTC); the epoch while unsaved


@dataclasses.dataclass(frozen=True)
class SessionInfo:
    """The file as this session last saw it (at open, load, save or transact)."""

    format_version: int
    app_schema_version: int
    revision: int  # the global revision this session is current with
    default_protocol: int
    integrity_scheme: str  # "sha256" or "hmac-sha256"
    key_id: Optional[str]  # with hmac-sha256: the key's fingerprint
    journal_mode: str  # SQLite's name: "wal" or "delete"
    synchronous: str  # "full" or "normal"
    read_only: bool
    created_by: str  # "<library> <version>" that created the file
    writer: str  # "<name> <version>" of the last library that saved
    writer_app: str  # the app_name of the last save
    created: datetime.datetime
    modified: datetime.datetime  # of the last save


# Connections of sessions a forked child inherited are kept here, never closed: closing one
# could checkpoint or delete the parent's WAL (SQLite's howtocorrupt §2.6).
_inherited_connections: List[sqlite3.Connection] = []
_open_states: "weakref.WeakSet[State]" = weakref.WeakSet()


def _abandon_after_fork() -> None:
    for state in list(_open_states):
        if state.db is not None:
            _inherited_connections.append(state.db)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_abandon_after_fork)


class Session(MutableMapping):  # type: ignore[type-arg]
    """A dictionary from str keys to picklable values, kept in the SQLite file ``path``.

    The session holds a snapshot of the file in memory: every entry's pickle, unpickled lazily
    (its digest verified first, then loaded once and cached). Reads never touch the disk.
    Changes stay in memory until :meth:`save` writes them all in one transaction;
    :meth:`load` brings in what other processes saved, incrementally. :meth:`transact` is the
    atomic read-modify-write::

        with picklejar.Session("state.pj") as s:
            s["runs"] = s.get("runs", 0) + 1
            s.save()
            with s.transact():                 # exclusive across processes
                s["count"] = s.get("count", 0) + 1

    Options (keyword only; the C++ SessionOptions under the same names):

    - ``mode``: ``"create"`` (default: create the file when missing or 0 bytes long),
      ``"read_write"`` (the file must exist) or ``"read_only"`` (never writes it).
    - ``lock_timeout``: seconds (or a timedelta) to wait for the lock file and SQLite's own
      locks before LockTimeout; default 5. Zero tries once.
    - ``protocol``: pickle protocol 0-5 for the entries this session writes; default the
      file's ``default_protocol`` (4 in a new file, which this option sets when creating).
    - ``durability``: ``"durable"`` (default: WAL + synchronous=FULL) or ``"fast"`` (WAL +
      NORMAL: the last saves may roll back after power loss; never corrupt).
    - ``filesystem``: ``"detect"`` (default: statfs() says whether it is a network file
      system, which gets the rollback journal), ``"local"`` or ``"network"``.
    - ``conflicts``: ``"last_writer_wins"`` (default) or ``"strict"`` (save() raises
      ConflictError naming keys another session changed since this one saw them).
    - ``schema_version`` and ``migrations``: the application's data schema version and the
      :class:`Migration` steps that bring older files to it, run at open exactly once even
      when processes race, in one transaction. A newer file is refused unless read_only.
    - ``integrity_key``: secret bytes for HMAC-SHA256 entry digests (default: SHA-256, which
      detects corruption, not tampering). Never stored; the file records its key id.
    - ``app_name``: recorded in the file by every save (meta row writer_app).
    - ``classes``: classes (or functions) pickles may name besides the safe defaults
      (built-in containers and scalars, datetime, Decimal, UUID, OrderedDict, copyreg
      reconstructors); any other global raises ForbiddenGlobal and nothing runs.
    - ``trusted_unsafe_pickle``: load entries with plain ``pickle.loads``, which runs any code
      a pickle names. Only for files nobody else can write.

    Closing (``close()`` or leaving a ``with`` block) never writes: unsaved changes are
    dropped, as the C++ destructor does. Iteration is in key (code point) order; changing
    the session while iterating is allowed and iteration continues after the current key.

    Thread safety: one thread at a time per Session. Separate Session objects, in one process
    or many, may use the same file at once: the lock file and SQLite keep them apart.
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"], **options: Any) -> None:
        self._state_or_none: Optional[State] = None
        path = os.fspath(path)
        if not isinstance(path, str):
            raise TypeError(f"path must be a str or os.PathLike[str], not {type(path).__name__}")
        state = State(path, Options(**options), __version__)
        self._state_or_none = state
        try:
            _open.open_session(state, self)
        except BaseException:
            if state.db is not None:
                state.db.close()
            self._state_or_none = None
            raise
        _open_states.add(state)

    # ---- lifetime -----------------------------------------------------------------------------

    @property
    def _state(self) -> State:
        """The open state; StoreError when closed or used in a forked child."""
        state = self._state_or_none
        if state is None:
            raise StoreError("session is closed")
        if state.pid != os.getpid():
            raise StoreError(
                f"session '{state.path}' was opened by process {state.pid} and cannot be used "
                f"in process {os.getpid()}, a child made by fork(): open a new Session there",
                state.path,
            )
        return state

    def close(self) -> None:
        """Closes the file. Unsaved changes are dropped. Closing twice does nothing."""
        state = self._state_or_none
        if state is None:
            return
        if state.pid != os.getpid():
            self._state_or_none = None  # the parent's connection stays open, see above
            return
        self._state_or_none = None
        _open_states.discard(state)
        try:
            state.db.close()
        except sqlite3.Error as e:
            raise _sqlite.wrap(e, state.path, "cannot close") from e

    @property
    def closed(self) -> bool:
        return self._state_or_none is None

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def path(self) -> str:
        state = self._state_or_none
        return "" if state is None else state.path

    def __repr__(self) -> str:
        state = self._state_or_none
        if state is None:
            return "<picklejar.Session closed>"
        flags = " read_only" if state.read_only else ""
        unsaved = f", {len(state.pending)} unsaved" if state.pending else ""
        return (f"<picklejar.Session {state.path!r}{flags}: {len(state.view)} keys, "
                f"revision {state.seen}{unsaved}>")

    # ---- reading (from the snapshot; never touches the disk) ----------------------------------

    def __getitem__(self, key: str) -> Any:
        """The value under ``key`` (KeyError when absent). IntegrityError when the entry does
        not verify, ForbiddenGlobal/DecodeError when it does not load; neither is cached."""
        state = self._state
        entry = state.view.get(key) if isinstance(key, str) else None
        if entry is None:
            raise KeyError(key)
        return state.decoded(key, entry)

    def __contains__(self, key: object) -> bool:
        return key in self._state.view  # no decoding

    def __len__(self) -> int:
        return len(self._state.view)

    def __iter__(self) -> Iterator[str]:
        state = self._state
        version, keys = -1, []
        position = 0
        while True:
            if state.key_version != version:  # the keys changed: continue after the last one
                version = state.key_version
                last = keys[position - 1] if position else None
                keys = sorted(state.view)
                position = 0 if last is None else bisect.bisect_right(keys, last)
            if position >= len(keys):
                return
            key = keys[position]
            position += 1
            if key in state.view:
                yield key

    def entry_info(self, key: str) -> Optional[EntryInfo]:
        """Protocol, size and revision of an entry; None when there is none."""
        entry = self._state.view.get(key)
        if entry is None:
            return None
        return EntryInfo(entry.protocol, len(entry.pickle), entry.revision,
                         _utc(entry.modified_us))

    def find_pickle(self, key: str, verify: bool = True) -> Optional[bytes]:
        """The entry's pickle exactly as stored, without unpickling it; None when there is
        none. Checks the digest first (IntegrityError) unless ``verify`` is False, which is for
        tools that look at damaged entries."""
        state = self._state
        entry = state.view.get(key) if isinstance(key, str) else None
        if entry is None:
            return None
        if verify:
            state.check_digest(key, entry)
        return entry.pickle

    def check_database(self) -> List[str]:
        """SQLite's PRAGMA integrity_check of the whole file (pages, indexes, constraints)
        under the shared lock: empty when the database is sound, else SQLite's messages.
        Entry digests are not part of it (reading an entry checks those)."""
        state = self._state
        with state.lock(exclusive=False), _sqlite.errors_named(state.path, "cannot check"):
            rows = state.db.execute("PRAGMA integrity_check").fetchall()
        return [row[0] for row in rows if row[0] != "ok"]

    @property
    def info(self) -> SessionInfo:
        state = self._state
        meta = state.meta
        return SessionInfo(
            format_version=meta.format_version,
            app_schema_version=meta.app_schema_version,
            revision=state.seen,
            default_protocol=meta.default_protocol,
            integrity_scheme=meta.integrity_scheme,
            key_id=meta.key_id,
            journal_mode=state.journal_mode,
            synchronous=state.synchronous,
            read_only=state.read_only,
            created_by=meta.created_by,
            writer=f"{meta.writer_name} {meta.writer_version}",
            writer_app=meta.writer_app,
            created=_utc(meta.created_us),
            modified=_utc(meta.modified_us),
        )

    @property
    def read_only(self) -> bool:
        return self._state.read_only

    # ---- changing (in memory until save()) ----------------------------------------------------

    def __setitem__(self, key: str, value: Any) -> None:
        """Pickles ``value`` now (EncodeError when it cannot be pickled) and makes it the entry
        under ``key``. StoreError in a read-only session."""
        state = self._state
        state.require_writable("set a key in")
        _check_key(key)
        state.put(key, value, state.write_protocol())

    def __delitem__(self, key: str) -> None:
        state = self._state
        state.require_writable("erase a key from")
        if not isinstance(key, str) or key not in state.view:
            raise KeyError(key)
        state.erase(key)

    def clear(self) -> None:
        """Erases every key (in memory until save()), without unpickling any value."""
        state = self._state
        state.require_writable("erase a key from")
        for key in list(state.view):
            state.erase(key)

    @property
    def has_unsaved_changes(self) -> bool:
        return bool(self._state.pending)

    def unsaved_keys(self) -> List[str]:
        """The keys save() would write or erase, in key order."""
        return sorted(self._state.pending)

    def discard(self) -> None:
        """Drops every unsaved change: the session shows the file as it last saw it."""
        state = self._state
        state.require_outside_transaction("discard changes to")
        state.discard()

    # ---- synchronizing with the file ----------------------------------------------------------

    def load(self) -> None:
        """Brings in what other sessions saved since this one last looked, as one consistent
        snapshot (a read transaction under the shared lock). Unsaved changes stay on top."""
        state = self._state
        state.require_outside_transaction("load")
        with state.lock(exclusive=False), _sqlite.errors_named(state.path, "cannot load"):
            with _sqlite.transaction(state.db, write=False) as txn:
                state.refresh()
                txn.commit()

    def save(self) -> None:
        """Writes every unsaved change in one transaction under the exclusive lock, as one new
        global revision, and brings in what others saved meanwhile. With conflicts="strict",
        raises ConflictError naming keys another session changed since this one saw them,
        writing nothing and keeping the changes. No changes: no write."""
        state = self._state
        state.require_writable("save")
        state.require_outside_transaction("save")
        if not state.pending:
            return
        with state.lock(exclusive=True), _sqlite.errors_named(state.path, "cannot save"):
            with _sqlite.transaction(state.db, write=True) as txn:
                state.refresh()
                written = state.write_pending(force=False)
                txn.commit()
            if written is not None:
                state.finish_save(written)

    def transact(self, fn: Optional[Callable[["Session"], T]] = None) -> Any:
        """Atomic read-modify-write across processes.

        As a context manager (``with s.transact(): ...``) or called with a function
        (``s.transact(fn)`` runs ``fn(s)`` and returns its result): takes the exclusive
        lock, brings the session up to date, runs the body, saves. If the body (or the save)
        raises, the body's changes are undone (changes made before stay unsaved) and the
        exception propagates. A transact() inside the body joins the outer one; save(),
        load(), discard() and convert_protocol() inside it raise StoreError."""
        transaction = Transaction(self)
        if fn is None:
            return transaction
        with transaction:
            return fn(self)

    def convert_protocol(self, protocol: int) -> None:
        """Re-encodes every entry with pickle ``protocol`` (0-5) in one transaction and makes
        it the file's default protocol. Needs no unsaved changes (StoreError otherwise)."""
        protocol = check_protocol(protocol, "convert_protocol: protocol")
        state = self._state
        state.require_writable("convert the protocol of")
        state.require_outside_transaction("convert the protocol of")
        if state.pending:
            raise StoreError(f"cannot convert the protocol of '{state.path}' with unsaved "
                             "changes: save() or discard() first", state.path)
        with state.lock(exclusive=True), _sqlite.errors_named(state.path, "cannot convert"):
            with _sqlite.transaction(state.db, write=True) as txn:
                state.refresh()
                state.undo = {}
                try:
                    for key in sorted(state.view):
                        state.put(key, state.decoded(key, state.view[key]), protocol)
                    _format.write_meta(state.db, "default_protocol", protocol)
                    written = state.write_pending(force=True)
                    txn.commit()
                except BaseException:
                    state.rollback_undo()
                    raise
            state.undo = None
            state.meta.default_protocol = protocol
            state.finish_save(written)


def _check_key(key: Any) -> None:
    """Keys are str that SQLite's UTF-8 TEXT can hold: no lone surrogates."""
    if not isinstance(key, str):
        raise TypeError(f"session keys must be str, not {type(key).__name__}")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(f"session key holds a lone surrogate at offset {e.start}") from None


def open(path: Union[str, "os.PathLike[str]"], **options: Any) -> Session:  # noqa: A001
    """``Session(path, **options)``, the spelling of the C++ ``Session::open``."""
    return Session(path, **options)
