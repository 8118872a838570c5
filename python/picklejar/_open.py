"""Opening a session: check the file with reads only, decide what opening it takes (create,
upgrade, migrate, or refuse), then do that under the right lock (docs/FORMAT.md "Opening a
file"; mirrors lib/src/store/session_open.cpp)."""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, Any, NamedTuple, Tuple

from . import (_backup, _changes, _file_name, _file_stamp, _filesystem, _format, _migrations,
               _sqlite)
from ._format import FORMAT_VERSION, Inspection
from ._integrity import HMAC_SHA256, SCHEMES
from ._options import Durability, FilesystemCheck, OpenMode
from ._state import State
from .errors import FormatError, IntegrityError, StoreError

if TYPE_CHECKING:
    from ._backends.sqlite import SqliteStore

_NEEDS_RECOVERY = (
    _sqlite.SQLITE_READONLY_ROLLBACK,
    _sqlite.SQLITE_READONLY_RECOVERY,
    _sqlite.SQLITE_READONLY_CANTINIT,
    _sqlite.SQLITE_CANTOPEN,
)
_SYNCHRONOUS_NAMES = ("off", "normal", "full", "extra")


class Plan(NamedTuple):
    create: bool = False
    upgrade: bool = False  # an older file format
    migrate: bool = False  # an older app schema

    @property
    def writes(self) -> bool:
        return self.create or self.upgrade or self.migrate


def _file(state: State) -> SqliteStore:
    """The session's store, a file: this module opens files only."""
    return state.store.require_file("open")


def _file_exists(shown: str, file: str) -> bool:
    try:
        os.lstat(file)
        return True
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as e:
        raise StoreError(f"cannot open '{shown}': {e.strerror}", shown) from e


def _look_at(state: State) -> Inspection:
    """What the file holds, found before any connection that could change anything opens it:
    missing; empty (0 bytes, and only then); else page 1 read through an immutable connection
    refuses what is not a picklejar file. Kind "picklejar" means "inspect() decides"."""
    shown, file = state.path, _file(state).file
    _file_name.refuse_symlink(shown, file, state.options.follow_symlinks)
    try:
        st = os.stat(file)
    except FileNotFoundError:
        return Inspection()
    except OSError as e:
        raise StoreError(f"cannot open '{shown}': {e.strerror}", shown) from e
    if not stat.S_ISREG(st.st_mode):
        raise StoreError(f"cannot open '{shown}': not a regular file", shown)
    if st.st_size == 0:
        return Inspection(kind="empty")
    try:
        db = _sqlite.connect(file, "page_one", state.options.lock_timeout)
        try:
            _format.look_at(db, shown, file, st.st_size)
        finally:
            db.close()
    except _sqlite.ERRORS as e:
        raise _sqlite.wrap(e, shown, "cannot read") from e
    return Inspection(kind="picklejar")


def _inspect(state: State, access: str) -> Inspection:
    file = _file(state).file
    db = _sqlite.connect(file, access, state.options.lock_timeout)
    try:
        return _format.inspect(db, state.path, file)
    finally:
        db.close()


def inspect_file(state: State) -> Inspection:
    """What the file holds, read without a lock: _look_at() first (nothing may appear next to
    a file that is not ours), then a read-only connection. SQLite's crash recovery (a hot
    journal, a WAL without its index) needs write access; a writable session then reads
    through a read-write connection, which still writes nothing of its own."""
    first = _look_at(state)
    if first.kind != "picklejar":
        return first
    store = _file(state)
    if state.read_only and _file_stamp.wal_index_unmakeable(store.file):
        # A WAL-mode file in a directory this reader may not write: SQLite cannot make its
        # index when no writer has the file open, so each read transaction reads through a
        # connection of its own (SqliteStore.read_transaction), as this first look does.
        store.unindexed = True
        try:
            with store.read_transaction() as txn:
                found = _format.inspect_current(store.connection, state.path, store.file)
                txn.commit()
            return found
        except _sqlite.ERRORS as e:
            raise _sqlite.wrap(e, state.path, "cannot read") from e
    try:
        return _inspect(state, "ro")
    except _sqlite.ERRORS as e:
        code = _sqlite.error_code(_sqlite.as_sqlite_error(e))
        if code not in _NEEDS_RECOVERY or state.read_only:
            raise _sqlite.wrap(e, state.path, "cannot read") from e
    try:
        return _inspect(state, "rw")
    except _sqlite.ERRORS as e:
        raise _sqlite.wrap(e, state.path, "cannot read") from e


def _check_integrity_key(state: State, meta: _format.Meta) -> None:
    path = state.path
    if meta.integrity_scheme not in SCHEMES:
        raise FormatError(f"cannot open '{path}': unknown integrity scheme "
                          f"'{meta.integrity_scheme}'", path)
    have_key = state.signer.scheme == HMAC_SHA256
    why = ""
    if meta.integrity_scheme == HMAC_SHA256 and not have_key:
        why = (f"it was written with an integrity key (key id {meta.key_id or '?'}) and none "
               "was given")
    elif meta.integrity_scheme != HMAC_SHA256 and have_key:
        why = ("it was written without an integrity key, so nothing in it can be verified "
               "with one")
    elif have_key and meta.key_id != state.signer.key_id:
        why = (f"it was written with another integrity key (key id {meta.key_id or '?'}, the "
               f"given key's is {state.signer.key_id})")
    if why:
        raise IntegrityError(f"cannot open '{path}': {why}", path)


def _check_format_version(state: State, found: Inspection) -> bool:
    """Whether the file needs a format upgrade; FormatError when it cannot be opened as asked."""
    version, path = found.format_version, state.path
    if version > FORMAT_VERSION:
        readable = FORMAT_VERSION >= found.meta.min_reader_version
        if readable and state.read_only:
            return False
        advice = ("it may be opened read_only" if readable else
                  f"reading it needs format version {found.meta.min_reader_version} or later")
        raise FormatError(f"cannot open '{path}': its file format version {version} is newer "
                          f"than this picklejar's ({FORMAT_VERSION}); {advice}", path)
    if version < FORMAT_VERSION:
        if state.read_only:
            raise FormatError(f"cannot open '{path}' read_only: its file format version "
                              f"{version} must first be upgraded to {FORMAT_VERSION} (open it "
                              "read_write)", path)
        return True
    return False


def _check_app_schema(state: State, meta: _format.Meta) -> bool:
    """Whether the file needs migrating; FormatError when it cannot be opened as asked."""
    app = state.options.schema_version
    if app is None:
        return False
    found, path = meta.app_schema_version, state.path
    if found > app and not state.read_only:
        raise FormatError(f"cannot open '{path}': its app schema version {found} is newer "
                          f"than this program's ({app}); it may be opened read_only", path)
    if found < app:
        if state.read_only:
            raise FormatError(f"cannot open '{path}' read_only: its app schema version {found} "
                              f"must first be migrated to {app} (open it read_write)", path)
        _migrations.migration_path(state.options.migrations, found, app, path)  # or raises
        return True
    return False


def decide(state: State, found: Inspection) -> Plan:
    mode, path = state.options.mode, state.path
    if found.kind == "missing":
        if mode != OpenMode.create:
            raise StoreError(f"cannot open '{path}': no such file", path)
        return Plan(create=True)
    if found.kind == "empty":
        if mode != OpenMode.create:
            raise FormatError(f"not a picklejar file '{path}': it is empty (mode 'create' "
                              "makes an empty file a new session)", path)
        return Plan(create=True)
    upgrade = _check_format_version(state, found)
    _check_integrity_key(state, found.meta)
    return Plan(upgrade=upgrade, migrate=_check_app_schema(state, found.meta))


def _use_rollback_journal(state: State) -> bool:
    check = state.options.filesystem
    if check != FilesystemCheck.detect:
        return check == FilesystemCheck.network
    found = _filesystem.filesystem_type(_file(state).file)
    return found is not None and _filesystem.is_network_filesystem(found)


def _open_connection(state: State, access: str) -> None:
    store = _file(state)
    if store.unindexed:
        access = "page_one"  # until the first read transaction makes its own
    db = store.db = _sqlite.connect(store.file, access, state.options.lock_timeout)
    if state.read_only:
        db.execute("PRAGMA query_only = 1")


def _set_journal(state: State) -> None:
    """After the first load (a file refused there is left as it was): WAL, or the rollback
    journal on a network file system, and the durability's synchronous setting."""
    db = _file(state).connection
    if not state.read_only and _use_rollback_journal(state):
        db.execute("PRAGMA journal_mode = DELETE").fetchall()
        db.execute("PRAGMA synchronous = FULL")
    elif not state.read_only:
        db.execute("PRAGMA journal_mode = WAL").fetchall()
        durable = state.options.durability == Durability.durable
        db.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
    # An immutable connection says "delete" for a WAL-mode file.
    _file(state).journal_mode = ("wal" if _file(state).unindexed else
                                 str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower())
    level = db.execute("PRAGMA synchronous").fetchone()[0]
    _file(state).synchronous = _SYNCHRONOUS_NAMES[level] if level in range(4) else str(level)


def _new_file_meta(state: State) -> _format.Meta:
    options = state.options
    now = _format.now_us()
    return _format.Meta(
        app_schema_version=options.schema_version or 0,
        default_protocol=4 if options.protocol is None else options.protocol,
        created_us=now,
        modified_us=now,
        created_by=f"{_format.WRITER_NAME} {state.version}",
        writer_name=_format.WRITER_NAME,
        writer_version=state.version,
        writer_app=options.app_name,
        integrity_scheme=state.signer.scheme,
        key_id=state.signer.key_id,
        file_id=_format.new_file_id(),
    )


def _create_or_upgrade(state: State) -> Plan:
    """Under the writers' lock, in one write transaction: looks at the file again (another
    process may have created or upgraded it since the first look) and creates or upgrades it
    as it now needs. A file that must be refused now is left as it was (rolled back)."""
    store = _file(state)
    db = store.connection
    with _sqlite.transaction(db, write=True) as txn:
        found = _format.inspect_current(db, state.path, store.file)
        plan = decide(state, found)
        if plan.create:
            _format.create_schema(db, _new_file_meta(state))
        if plan.upgrade:
            _format.upgrade_format(db, state.path, found.format_version, FORMAT_VERSION,
                                   state.signer)
        txn.commit()
    store.file_format = FORMAT_VERSION if plan.create or plan.upgrade else found.format_version
    return plan


def _look_and_decide(state: State) -> Tuple[Inspection, Plan]:
    """Inspects and decides without a lock. Readers take none, so a first look may fall in the
    middle of another process's creation (an empty file): a refusal is confirmed by a second
    look after any writer holding the lock file is done."""
    try:
        found = inspect_file(state)
        return found, decide(state, found)
    except FormatError:
        _file(state).wait_for_writers()
    found = inspect_file(state)
    return found, decide(state, found)


def open_session(state: State, session: Any) -> None:
    """Opens (or creates) the session file: looks at it without a lock, then creates or
    upgrades it under the writers' lock (looking again there), loads it before anything else
    changes it, and only then sets the journal mode and migrates (docs/FORMAT.md "Opening a
    file"; mirrors lib/src/store/session_open.cpp)."""
    path, store = state.path, _file(state)
    if state.options.mode != OpenMode.create and not _file_exists(path, store.file):
        raise StoreError(f"cannot open '{path}': no such file", path)
    found, plan = _look_and_decide(state)
    store.file_format = found.format_version or FORMAT_VERSION
    backup = (found.kind == "picklejar" and state.options.keep_backups > 0
              and not state.read_only)
    try:
        if plan.create or plan.upgrade:
            with store.writer_lock():
                if plan.create:
                    _file_name.create_database_file(path, store.file, store.new_file_mode,
                                                    state.options.follow_symlinks)
                _open_connection(state, "rwc" if plan.create else "rw")
                if backup:
                    _backup.automatic_backup(state, found.meta)
                plan = _create_or_upgrade(state)
        else:
            _open_connection(state, "ro" if state.read_only else "rw")
            if backup:
                _backup.automatic_backup(state, found.meta)
        # The first load before anything else changes the file: one refused here is left
        # as it was (no WAL switch yet).
        with store.read_transaction() as txn:
            state.refresh()
            txn.commit()
        _set_journal(state)
        _changes.start_feed(state)  # it watches what the journal mode says
        _migrations.finish_open(state, session, plan.migrate)
    except _sqlite.ERRORS as e:
        raise _sqlite.wrap(e, path, "cannot open") from e
