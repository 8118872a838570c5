"""picklejar.Session: a dictionary of pickles kept in one SQLite file that C++ and Python
processes open at the same time (docs/FORMAT.md is the file format, docs/LOCKING.md the lock
protocol; the C++ twin is lib/include/picklejar/session.hpp)."""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import datetime
import inspect
import os
import time
import warnings
import weakref
from collections.abc import KeysView, Mapping, MutableMapping
from typing import (TYPE_CHECKING, Any, Callable, Iterator, List, Optional, Sequence, Tuple, Type,
                    TypeVar, Union)

from . import _backup, _changes, _maintenance, _open, _operations, _options, _sqlite
from ._backup import BackupFile, BackupInfo, list_backups, next_backup_path
from ._changes import Changes
from ._transact import Transaction
from ._options import ConflictPolicy, Durability, FilesystemCheck, Migration, OpenMode, Options
from ._options import check_protocol
from ._integrity import as_key_bytes
from ._limits import DecodeLimits
from ._backends.sqlite import SqliteStore
from ._state import _UNDECODED, State
from .errors import DecodeError, IntegrityError, StoreError, printable

__version__ = "0.1.0"  # the C++ library's version (meson.build); tests check they agree

T = TypeVar("T")

# The bases, generic for type checkers; at run time the plain ABCs (Python 3.8's cannot be
# subscripted, and typing's would add Generic to the classes' MRO).
if TYPE_CHECKING:
    _MappingBase = MutableMapping[str, Any]
    _KeysBase = KeysView[str]
else:
    _MappingBase = MutableMapping
    _KeysBase = KeysView
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
    # The file's id (meta row file_id; a store's file_id), 32 lowercase hex digits: random at
    # creation (or at the upgrade to format 2), kept by rekey, backups and restores. Every
    # HMAC is bound to it, so entries cannot move between files signed with the same key;
    # an application that must tell its files apart compares it with one kept elsewhere.
    file_id: str
    journal_mode: str  # SQLite's name: "wal" or "delete"
    synchronous: str  # "full" or "normal"
    read_only: bool
    created_by: str  # "<library> <version>" that created the file
    writer: str  # "<name> <version>" of the last library that saved
    writer_app: str  # the app_name of the last save
    created: datetime.datetime
    modified: datetime.datetime  # of the last save
    # Sizes of the file (or store) now, read by ``info`` in one read transaction (no lock
    # file): one consistent state, which may be newer than ``revision``.
    # Unsaved changes are not counted. A store on a server has only the first two.
    entries: int = 0  # entries in the file
    pickle_bytes: int = 0  # the sum of their pickles' sizes
    page_size: int = 0  # SQLite's page size
    file_bytes: int = 0  # the database: pages x page size (WAL content included)
    free_pages: int = 0  # pages on SQLite's free list, reusable without growing the file
    wal_bytes: int = 0  # the "-wal" file's size on disk; 0 without one


# Connections of sessions a forked child inherited are kept here, never closed: closing one
# could checkpoint or delete the parent's WAL (SQLite's howtocorrupt §2.6), or end the
# parent's connection to a server.
_inherited_connections: List[Any] = []
_open_states: "weakref.WeakSet[State]" = weakref.WeakSet()


def _abandon_after_fork() -> None:
    for state in list(_open_states):
        kept = state.store.abandon()
        if kept is not None:
            _inherited_connections.append(kept)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_abandon_after_fork)


class Session(_MappingBase):
    """A dictionary from str keys to picklable values, kept in the SQLite file ``path`` (or in
    a store on a PostgreSQL server, for a ``postgresql://...?store=NAME`` URL).

    The session holds a snapshot of the file in memory: every entry's pickle, unpickled lazily
    (its digest verified first, then loaded once and cached). Reads never touch the disk.
    Changes stay in memory until :meth:`save` writes them all in one transaction;
    :meth:`load` brings in what other processes saved, incrementally. :meth:`transact` is the
    atomic read-modify-write; :meth:`increment` and :meth:`add` are the common ones::

        with picklejar.Session("state.pj") as s:   # saved when the block ends normally
            s["runs"] = s.get("runs", 0) + 1
            s.increment("launches")                # atomic across processes, saved now
            with s.transact():                     # exclusive across processes
                s["count"] = s.get("count", 0) + 1

    What is saved, and when (README "Keeping state" has the same rules for C++):

    - ``with Session(...) as s:`` saves when the block exits normally and discards the
      unsaved changes when it exits by an exception (a failed save raises from the ``with``
      statement; the session is closed either way). This is the rule of ``shelve`` and of a
      ``sqlite3`` connection's ``with``.
    - :meth:`close` (and a session garbage-collected unclosed) drops unsaved changes with a
      ``ResourceWarning`` naming their keys — shown under ``python -X dev``, ``-W default``
      and test runners. :meth:`discard` first drops them without one.
    - A value that ``s[key]`` hands out is the session's cached object: changing it in place
      (``s["recent"].append(p)``) changes what later reads see but is not a change
      :meth:`save` knows of. Call :meth:`touch` after changing it, assign it again, or open
      the session with ``writeback=True``, which saves every value handed out that changed.

    Options (keyword only; the C++ ``SessionOptions`` under the same names): see
    :meth:`__init__`. Iteration is in key (code point) order; changing the session while
    iterating is allowed and iteration continues after the current key.

    Thread safety: one thread at a time per Session. Separate Session objects, in one process
    or many, may use the same file at once: the lock file and SQLite keep them apart.
    """

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        *,
        mode: Union[OpenMode, str] = OpenMode.create,
        lock_timeout: Union[float, datetime.timedelta] = 5.0,
        protocol: Optional[int] = None,
        durability: Union[Durability, str] = Durability.durable,
        filesystem: Union[FilesystemCheck, str] = FilesystemCheck.detect,
        conflicts: Union[ConflictPolicy, str] = ConflictPolicy.last_writer_wins,
        schema_version: Optional[int] = None,
        migrations: Sequence[Migration] = (),
        integrity_key: Union[bytes, str, None] = None,
        app_name: str = "",
        classes: Sequence[Any] = (),
        limits: Optional[DecodeLimits] = None,
        trusted_unsafe_pickle: bool = False,
        writeback: bool = False,
        keep_backups: int = 0,
        backup_directory: Union[str, "os.PathLike[str]", None] = None,
        file_mode: Optional[int] = None,
        follow_symlinks: bool = False,
    ) -> None:
        """Opens (or creates) the session file ``path`` — or, when ``path`` is a
        ``postgresql://`` URL with ``?store=NAME``, the store NAME on that PostgreSQL server
        (docs/FORMAT-POSTGRES.md; needs psycopg2, imported only then; python/README.md says
        what differs from a file).

        - ``mode``: ``"create"`` (default: create the file when missing or 0 bytes long),
          ``"read_write"`` (the file must exist) or ``"read_only"`` (never writes it). A
          file of an older format (1) is upgraded by the first open that may write it, and
          refused read_only until then.
        - ``lock_timeout``: seconds (or a timedelta) to wait for the lock file and SQLite's
          own locks before LockTimeout; default 5. Zero tries once.
        - ``protocol``: pickle protocol 0-5 for the entries this session writes; default the
          file's ``default_protocol`` (4 in a new file, which this option sets when creating).
        - ``durability``: ``"durable"`` (default: WAL + synchronous=FULL) or ``"fast"`` (WAL
          + NORMAL: the last saves may roll back after power loss; never corrupt).
        - ``filesystem``: ``"detect"`` (default: statfs() says whether it is a network file
          system, which gets the rollback journal), ``"local"`` or ``"network"``.
        - ``conflicts``: ``"last_writer_wins"`` (default) or ``"strict"`` (save() raises
          ConflictError naming keys another session changed since this one saw them).
        - ``schema_version`` and ``migrations``: the application's data schema version and
          the :class:`Migration` steps that bring older files to it, run at open exactly once
          even when processes race, in one transaction. A newer file is refused unless
          read_only.
        - ``integrity_key``: secret bytes for HMAC-SHA256 entry digests (default: SHA-256,
          which detects corruption, not tampering), under a key derived from it and the
          file's id (``info.file_id``), so entries of another file signed with the same key
          do not verify. Never stored; the file records its key id.
        - ``app_name``: recorded in the file by every save (meta row writer_app).
        - ``classes``: classes (or functions) pickles may name besides the safe defaults
          (built-in containers and scalars, datetime, Decimal, UUID, OrderedDict, pathlib
          paths, copyreg reconstructors); any other global raises ForbiddenGlobal on load and
          nothing runs. A class is found by its ``__module__`` and ``__qualname__``, which
          must equal the name in the pickle. Setting a value whose pickle names a global
          outside the list raises EncodeError: what a session writes, a session with the same
          options reads.
        - ``limits``: a :class:`DecodeLimits` (the C++ ``DecodeLimits``: same names and
          defaults, the default) that every entry's pickle is checked against by a pre-scan
          before it is unpickled; exceeding one raises LimitError. Writes are checked
          against them too: setting a value whose pickle would exceed one (a list nested
          deeper than ``max_depth``) raises EncodeError naming key, file and limit, and changes
          nothing (``max_hash_work`` only when the pickle is loaded to check it: see
          ``_write_check``). The pre-scan also refuses
          malformed framing and calls of the allowed callables in forms CPython's pickler
          never writes. Registered ``classes`` are outside these guarantees.
        - ``trusted_unsafe_pickle``: load entries with plain ``pickle.loads``, which runs any
          code a pickle names, with no pre-scan and no limits. Only for files nobody else can
          write.
        - ``writeback``: remember every value handed out (``s[key]``, ``get``, iteration) or
          set, and save the ones changed in place with the next save (as ``shelve``'s
          writeback; costs one extra pickling of each value handed out, at first access and
          at each save).
        - ``keep_backups``: automatic backups against mistakes. When a writable session opens
          an existing file, it first writes a backup of it (:meth:`backup`) named
          "<file name>.backup-<UTC time>" (:func:`list_backups` finds them), unless the newest
          already holds the file's current revision, and removes the oldest beyond
          ``keep_backups``. The backup precedes any migration; one that cannot be written
          makes the open fail. ``picklejar restore FILE`` puts the newest back. Default 0:
          none.
        - ``backup_directory``: where automatic backups go; default the file's directory.
        - ``file_mode``: permission bits (0o600-0o777, owner read and write required) of the
          files this session creates: the session file, so its -wal, -shm and -journal too,
          and its lock file gets read and write for each class that may write the session.
          Existing files keep theirs. Default: 0o600 with an ``integrity_key``, else 0o666
          less the umask. Use 0o600 for sessions that hold secrets.
        - ``follow_symlinks``: whether the session file's name may be a symbolic link
          (default False: a link planted in a shared directory must not make this session
          create or write a file elsewhere; the directories on the way are followed).
        """
        self._state_or_none: Optional[State] = None
        path = os.fspath(path)
        if not isinstance(path, str):
            raise TypeError(f"path must be a str or os.PathLike[str], not {type(path).__name__}")
        options = Options(  # each checked and in its one form: Options' field types
            mode=_options.choice(OpenMode, mode, "mode"),
            lock_timeout=_options.seconds(lock_timeout), protocol=protocol,
            durability=_options.choice(Durability, durability, "durability"),
            filesystem=_options.choice(FilesystemCheck, filesystem, "filesystem"),
            conflicts=_options.choice(ConflictPolicy, conflicts, "conflicts"),
            schema_version=schema_version, migrations=list(migrations),
            integrity_key=None if integrity_key is None else as_key_bytes(integrity_key),
            app_name=app_name, classes=classes, trusted_unsafe_pickle=trusted_unsafe_pickle,
            writeback=writeback, file_mode=file_mode, follow_symlinks=follow_symlinks,
            limits=DecodeLimits() if limits is None else limits, keep_backups=keep_backups,
            backup_directory=None if backup_directory is None else os.fspath(backup_directory),
        )
        store = _open_store(path, options)
        state = State(store.shown, options, __version__, store)
        self._state_or_none = state
        try:
            if store.kind == "file":
                _open.open_session(state, self)
            else:
                store.open(state, self)
        except BaseException:
            if state.feed is not None:
                state.feed.close()
            with contextlib.suppress(Exception):
                store.close()
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
        """Closes the file. Unsaved changes are dropped, with a ResourceWarning naming their
        keys (call discard() first to drop them without one). Closing twice does nothing."""
        self._close(warn=True)

    def _close(self, warn: bool) -> None:
        state = self._state_or_none
        if state is None:
            return
        if state.pid != os.getpid():
            self._state_or_none = None  # the parent's connection stays open, see above
            return
        if warn:
            try:
                state.sync_writeback()
            finally:
                _warn_dropped(state, "closing", stacklevel=4)
        self._state_or_none = None
        _open_states.discard(state)
        state.feed.close()
        state.store.close()

    def __del__(self) -> None:
        state = getattr(self, "_state_or_none", None)
        if state is None or state.pid != os.getpid():
            return
        # A finalizer reports what it can and never raises (not even at interpreter exit).
        try:
            state.sync_writeback()
        except Exception:  # noqa: BLE001
            pass
        try:
            _warn_dropped(state, "garbage-collecting an unclosed", stacklevel=2, source=self)
        except Exception:  # noqa: BLE001
            pass

    @property
    def closed(self) -> bool:
        return self._state_or_none is None

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], error: Optional[BaseException],
                 traceback: Any) -> None:
        """Saves when the block exits normally, discards unsaved changes when it exits by an
        exception, and closes the session either way (a save that fails raises after the
        session is closed; its changes are dropped)."""
        state = self._state_or_none
        try:
            if state is None or state.pid != os.getpid() or state.in_transaction:
                return
            if kind is None:
                if not state.read_only:
                    self.save()
            else:
                state.discard()
        finally:
            self._close(warn=False)

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
        not verify, ForbiddenGlobal/DecodeError when it does not load (naming key and file);
        neither is cached.

        The value is the session's cached object: a change made to it in place is seen by
        later reads, and saved only after :meth:`touch` (or with ``writeback=True``)."""
        state = self._state
        entry = state.view.get(key) if isinstance(key, str) else None
        if entry is None:
            raise KeyError(key)
        value = entry.value
        if value is _UNDECODED:
            value = state.decoded(key, entry)
        if state.options.writeback:
            state.hand_out(key, entry, value)
        return value

    def get(self, key: str, default: Any = None, *,
            expect: Union[type, Tuple[type, ...], None] = None,
            on_error: Optional[Callable[[Exception], None]] = None) -> Any:
        """The value under ``key``, or ``default`` when there is none (the same cached object
        as ``s[key]``: :meth:`touch` after changing it in place).

        ``expect``: a type (or tuple of types) the value must be an instance of; otherwise
        TypeError "'window': expected dict, got pathlib.PurePosixPath in 'state.pj'".

        ``on_error``: makes a bad entry return ``default`` instead of raising — one that does
        not verify (IntegrityError), does not load (DecodeError, ForbiddenGlobal) or is not
        ``expect`` (TypeError) — after calling ``on_error(error)``; the error names key and
        file. The entry stays as it is in the file. For reading an application's state at
        start, where one bad entry must not stop it::

            window = s.get("window", {}, expect=dict, on_error=log.warning)
        """
        try:
            value = self[key]
        except KeyError:
            return default
        except (IntegrityError, DecodeError) as e:
            if on_error is None:
                raise
            on_error(e)
            return default
        if expect is not None and not isinstance(value, expect):
            error = TypeError(f"'{printable(key)}': expected {_type_names(expect)}, got "
                              f"{_type_names(type(value))} in '{self._state.path}'")
            if on_error is None:
                raise error
            on_error(error)
            return default
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._state.view  # no decoding

    def __len__(self) -> int:
        return len(self._state.view)

    def __iter__(self) -> Iterator[str]:
        state = self._state
        version, keys = -1, []  # type: int, List[str]
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

    def keys(self, prefix: Optional[str] = None) -> KeysView[str]:
        """A view of the keys, in key order; with ``prefix``, of those that start with it (a
        group of keys, as QSettings' childKeys() after beginGroup(): "window/")."""
        if prefix is None:
            return KeysView(self)
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, not {type(prefix).__name__}")
        return _PrefixKeys(self, prefix)

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
        in one read transaction: empty when the database is sound, else SQLite's messages.
        Entry digests are not part of it (reading an entry checks those). FormatError when
        another program changed the schema to one the format does not allow since the open."""
        state = self._state
        store = state.store.require_file("check")
        with contextlib.ExitStack() as stack:
            stack.enter_context(_sqlite.errors_named(state.path, "cannot check"))
            if not state.in_transaction:
                txn = stack.enter_context(store.read_transaction())
                store.before_read()  # the check runs the schema's constraints
            rows = store.connection.execute("PRAGMA integrity_check").fetchall()
            if not state.in_transaction:
                txn.commit()
        return [row[0] for row in rows if row[0] != "ok"]

    @property
    def info(self) -> SessionInfo:
        """The file's versions, id and writers as last seen, and its sizes now (one read
        transaction, no lock file: SqliteError)."""
        state = self._state
        meta = state.meta
        return SessionInfo(
            **_operations.read_sizes(state),
            format_version=meta.format_version,
            app_schema_version=meta.app_schema_version,
            revision=state.seen,
            default_protocol=meta.default_protocol,
            integrity_scheme=meta.integrity_scheme,
            key_id=meta.key_id,
            file_id=meta.file_id,
            journal_mode=getattr(state.store, "journal_mode", ""),
            synchronous=getattr(state.store, "synchronous", ""),
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
        """Pickles ``value`` now (EncodeError when it cannot be pickled, or when this session
        could not load its pickle back: a global outside the allowlist, a limit of
        ``limits`` exceeded) and makes it the entry under ``key``. StoreError in a read-only
        session."""
        state = self._state
        state.require_writable("set a key in")
        _check_key(key)
        state.put(key, value, state.write_protocol())

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """dict.update: sets every (key, value) of ``other`` (a mapping or pairs) and of
        ``kwargs``. All or nothing: a bad key or a value that cannot be saved raises (as
        ``s[key] = value`` does) and changes nothing."""
        state = self._state
        state.require_writable("set a key in")
        pairs = other.items() if isinstance(other, Mapping) else \
            ((k, other[k]) for k in other.keys()) if hasattr(other, "keys") else other
        items = [*pairs, *kwargs.items()]
        protocol = state.write_protocol()
        entries = []
        for key, value in items:
            _check_key(key)
            entries.append((key, state.encode(key, value, protocol)))
        for key, entry in entries:
            state.place(key, entry)

    def __delitem__(self, key: str) -> None:
        state = self._state
        state.require_writable("erase a key from")
        if not isinstance(key, str) or key not in state.view:
            raise KeyError(key)
        state.erase(key)

    def clear(self) -> None:
        """Erases every key (in memory until save()), without unpickling any value."""
        self.erase_prefix("")

    def erase_prefix(self, prefix: str) -> int:
        """Erases every key that starts with ``prefix`` (QSettings' remove(group)), in memory
        until save(); returns how many. An empty prefix erases everything."""
        state = self._state
        state.require_writable("erase keys from")
        doomed = [key for key in state.view if key.startswith(prefix)]
        for key in doomed:
            state.erase(key)
        return len(doomed)

    def touch(self, key: str) -> None:
        """Marks the entry under ``key`` as changed, so that save() writes it: call it after
        changing the value ``s[key]`` handed out in place. Pickles the session's value now
        (EncodeError naming the key); KeyError when there is no entry; StoreError in a
        read-only session. The entry keeps its pickle protocol."""
        state = self._state
        state.require_writable("touch a key in")
        entry = state.view.get(key) if isinstance(key, str) else None
        if entry is None:
            raise KeyError(key)
        state.put(key, state.decoded(key, entry), entry.protocol)

    def increment(self, key: str, delta: int = 1) -> int:
        """Adds ``delta`` to the int under ``key`` (0 when absent) and saves that key,
        atomically across processes (as transact() would, but writing only ``key``: other
        unsaved changes stay unsaved). Returns the new value. The value read is this
        session's view after bringing it up to date: the file's, or this session's unsaved
        change to ``key``, which is then saved with the increment. TypeError naming key and
        file when the value is not an int (bool included). Inside transact(), joins it."""
        if isinstance(delta, bool) or not isinstance(delta, int):
            raise TypeError(f"delta must be an int, not {delta!r}")
        state = self._state
        state.require_writable("increment a key in")
        _check_key(key)
        return _operations.increment(state, key, delta)

    def add(self, key: str, value: Any) -> bool:
        """Sets ``key`` to ``value`` and saves it unless the key exists, atomically across
        processes (of processes racing to add one key, exactly one succeeds). Returns whether
        it added. Like increment(), writes only ``key``; the key "exists" when this session's
        up-to-date view has it. Inside transact(), joins it."""
        state = self._state
        state.require_writable("add a key to")
        _check_key(key)
        return _operations.add(state, key, value)

    @property
    def has_unsaved_changes(self) -> bool:
        state = self._state
        state.sync_writeback()
        return bool(state.pending)

    def unsaved_keys(self) -> List[str]:
        """The keys save() would write or erase, in key order."""
        state = self._state
        state.sync_writeback()
        return sorted(state.pending)

    def discard(self) -> None:
        """Drops every unsaved change: the session shows the file as it last saw it."""
        state = self._state
        state.require_outside_transaction("discard changes to")
        state.discard()

    # ---- synchronizing with the file ----------------------------------------------------------

    def load(self) -> Changes:
        """Brings in what other sessions saved since this one last looked, as one consistent
        snapshot (one read transaction: readers take no lock file), and returns the keys they changed
        since the previous load() or wait_for_change() returned — those that save(),
        transact(), increment() and add() brought in meanwhile included. Unsaved changes stay
        on top (a key listed may be hidden by this session's own unsaved change to it).
        Once another program re-keyed the file, or copied another session over it (the file
        id changed), this and every later load or save raises IntegrityError (FormatError once
        it upgraded the file's format): open it again."""
        state = self._state
        state.require_outside_transaction("load")
        state.sync_writeback()  # in-place changes are unsaved changes: they stay on top
        with state.store.reading("cannot load") as txn:
            state.refresh()
            changes = _changes.take(state)
            txn.commit()
        return changes

    def save(self) -> None:
        """Writes every unsaved change in one transaction under the exclusive lock, as one new
        global revision, and brings in what others saved meanwhile. With conflicts="strict",
        raises ConflictError naming keys another session changed since this one saw them,
        writing nothing and keeping the changes. No changes: no write."""
        state = self._state
        state.require_writable("save")
        state.require_outside_transaction("save")
        state.sync_writeback()
        if not state.pending:
            return
        with state.store.writing("cannot save") as txn:
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
        state.sync_writeback()
        if state.pending:
            raise StoreError(f"cannot convert the protocol of '{state.path}' with unsaved "
                             "changes: save() or discard() first", state.path)
        with state.store.writing("cannot convert") as txn:
            state.refresh()
            state.undo = {}
            try:
                for key in sorted(state.view):
                    state.put(key, state.decoded(key, state.view[key]), protocol)
                state.store.set_meta("default_protocol", protocol)
                written = state.write_pending(force=True)
                txn.commit()
            except BaseException:
                state.rollback_undo()
                raise
        state.undo = None
        state.meta.default_protocol = protocol
        state.finish_save(written)


    # ---- change notification ------------------------------------------------------------------

    def changed(self) -> bool:
        """Whether another session may have changed the file since this one last looked
        (load(), changes(), wait_for_change()): SQLite's data version (PRAGMA data_version), no
        lock, no entry read. True also when save() or transact() brought in others' changes
        that load() has not returned yet; may be True with nothing to report (the file was
        vacuumed). For a store on a server: the store's revision, one indexed statement."""
        state = self._state
        with state.store.errors("cannot look at"):
            return _changes.changed(state)

    def changes(self) -> Changes:
        """What other sessions changed since the last look, without waiting: load()'s result
        when changed() says there may be something, else empty Changes at no cost — the call
        for a UI timer. Same as ``wait_for_change(0)``."""
        return self.wait_for_change(0)

    def wait_for_change(self, timeout: Union[float, datetime.timedelta]) -> Changes:
        """Waits up to ``timeout`` seconds for other sessions to change the file, then load()s
        and returns what they changed; empty (false) Changes when the time ran out. Returns at
        once when changed() has something to report. Waiting costs no CPU while nothing
        happens: on Linux it blocks on inotify events (through ctypes) of the file's directory,
        then looks at the data version (a commit is visible a little after its last write: it
        looks again after 1, 2, 4, ... ms); on a network file system (``filesystem``), or
        without inotify, it polls the data version every 2 ms, slowing to every 100 ms while
        nothing changes. A store on a server waits for the NOTIFY each save sends (LISTEN on
        the session's connection), looking at its revision at least once a second.
        StoreError inside transact()."""
        seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else timeout
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"timeout must be seconds or a timedelta, not {timeout!r}")
        state = self._state
        deadline = time.monotonic() + min(max(float(seconds), 0.0), 1e9)
        with state.store.errors("cannot wait for changes to"):
            return _changes.wait(state, self, deadline)

    # ---- the whole file -----------------------------------------------------------------------

    def backup(self, path: Union[str, "os.PathLike[str]"]) -> BackupInfo:
        """Writes a complete copy of the file as it is now to ``path``: SQLite's VACUUM INTO
        in one read transaction, no lock file (one consistent snapshot while other processes keep reading and
        writing), so the copy is compacted, has every committed save (no -wal file to bring
        along) and uses the rollback journal until a session opens it. It is written under a
        temporary name, synced, checked (SQLite's integrity check, the format check of
        opening, every entry's digest: keys that do not verify are listed in the result),
        given the file's permission bits and renamed to ``path``, replacing a file there.
        The copy is the same file: it keeps the file's id (``info.file_id``).
        Unsaved changes are not in it. StoreError for this session's own files or a path with
        a "-wal" beside it, inside transact(). ``cp`` of a file in use may miss saves still in
        the -wal file, or copy half a write."""
        state = self._state
        state.require_outside_transaction("back up")
        state.store.require_file("back up")
        out = os.fspath(path)
        _backup.check_target(state, out)
        return _backup.copy_checked(state, out)  # one read transaction, as every reader

    def restore(self, backup: Union[str, "os.PathLike[str]"]) -> None:
        """Makes the file hold what the session file ``backup`` holds (a backup() copy, or any
        session file with the same integrity key): its entries (pickles exactly as they are),
        app_schema_version and default_protocol, in one write transaction under the exclusive
        lock, written as a save that other sessions see as changes; keys the backup lacks are
        removed. Every backup entry is verified first, under the backup's own rule (file
        format 1, or format 2 with the backup's file id: IntegrityError naming the key;
        nothing written), and written with its digest under this file's id, which stays (the
        same digest when the backup is a copy of this file). Needs no unsaved changes.
        FormatError when ``backup`` is not a session file of format 1 or 2, or this session
        declares another schema_version; IntegrityError when it was written with another
        integrity key."""
        state = self._state
        state.require_writable("restore")
        state.require_outside_transaction("restore")
        state.sync_writeback()
        if state.pending:
            raise StoreError(f"cannot restore '{state.path}' with unsaved changes: save() or "
                             "discard() first", state.path)
        _backup.restore(state, os.fspath(backup))

    def vacuum(self) -> None:
        """Gives back the space of erased entries: SQLite's VACUUM under the exclusive lock,
        then a checkpoint that truncates the -wal file. Rewrites the whole file; entries and
        the revision stay. The file shrinks once no other process reads an older snapshot."""
        state = self._state
        state.require_writable("vacuum")
        state.require_outside_transaction("vacuum")
        _maintenance.vacuum(state)

    def rekey(self, new_key: Union[bytes, str, None]) -> None:
        """Re-signs every entry with ``new_key`` (HMAC-SHA256; None: plain SHA-256 digests)
        after verifying each with the current key, in one write transaction under the exclusive
        lock that also sets the meta rows integrity_scheme and key_id; the file keeps its id.
        An entry that does not verify stops it (IntegrityError naming the key; nothing
        written). Afterwards this session uses the new key; other sessions open on the file
        must be opened again with it (their next load or save raises IntegrityError). Needs no
        unsaved changes."""
        state = self._state
        state.require_writable("rekey")
        state.require_outside_transaction("rekey")
        state.sync_writeback()
        _maintenance.rekey(state, new_key)

    def set_app_schema_version(self, version: int) -> None:
        """Sets the file's app_schema_version without running a migration (for tools that
        restore data of a known version). Saved as a write of its own, or with the transact()
        it is called in. StoreError when the session declares another schema_version."""
        if isinstance(version, bool) or not isinstance(version, int):
            raise TypeError(f"version must be an int, not {version!r}")
        state = self._state
        state.require_writable("set the app schema version of")
        _maintenance.set_app_schema_version(state, self, version)


class _PrefixKeys(_KeysBase):
    """The keys of a session that start with a prefix, in key order (a live view)."""

    def __init__(self, session: Session, prefix: str) -> None:
        super().__init__(session)
        self._session = session
        self._prefix = prefix

    def __iter__(self) -> Iterator[str]:
        return (key for key in self._session if key.startswith(self._prefix))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.startswith(self._prefix) and key in self._session

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"


def _type_names(types: Union[type, Tuple[type, ...]]) -> str:
    """Python's names for types in messages: "int", "pathlib.PurePosixPath", "dict or list"."""
    if isinstance(types, tuple):
        return " or ".join(_type_names(t) for t in types)
    module = getattr(types, "__module__", "builtins")
    name = getattr(types, "__qualname__", repr(types))
    return name if module == "builtins" else f"{module}.{name}"


def _warn_dropped(state: State, doing: str, stacklevel: int, source: Any = None) -> None:
    """The ResourceWarning for unsaved changes that closing drops."""
    if not state.pending:
        return
    keys = sorted(state.pending)
    shown = ", ".join(f"'{printable(key)}'" for key in keys[:10])
    shown += ", ..." if len(keys) > 10 else ""
    warnings.warn(
        f"{doing} session '{state.path}' drops unsaved changes to {len(keys)} "
        f"key{'s' if len(keys) != 1 else ''} ({shown}): save() them, or discard() them first",
        ResourceWarning, stacklevel=stacklevel, source=source,
    )


def _open_store(path: str, options: Options) -> Any:
    """The store ``path`` names: a PostgreSQL server's for a postgresql:// or postgres:// URL
    (docs/FORMAT-POSTGRES.md "Naming a store"; psycopg2 is imported only then), else a file."""
    if path.startswith(("postgresql://", "postgres://")):
        from ._backends.postgres import PostgresStore

        return PostgresStore(path, options)
    return SqliteStore(path, options)


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


# help(picklejar.open) and IDEs show Session's keyword-only options.
# (a function's __signature__ is read by inspect, not declared: hence the ignore)
open.__signature__ = inspect.signature(Session.__init__).replace(  # type: ignore[attr-defined]
    parameters=list(inspect.signature(Session.__init__).parameters.values())[1:],
    return_annotation=Session,
)
