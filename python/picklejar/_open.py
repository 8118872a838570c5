"""Opening a session: check the file with reads only, decide what opening it takes (create,
upgrade, migrate, or refuse), then do that under the right lock (docs/FORMAT.md "Opening a
file"; mirrors lib/src/store/session_open.cpp)."""

from __future__ import annotations

import os
import sqlite3
from typing import Any, NamedTuple

from . import _backup, _changes, _filesystem, _format, _migrations, _sqlite
from ._format import FORMAT_VERSION, Inspection
from ._integrity import HMAC_SHA256, SCHEMES
from ._options import Durability, FilesystemCheck, OpenMode
from ._state import State
from .errors import FormatError, IntegrityError, StoreError

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


def _file_exists(path: str) -> bool:
    try:
        os.stat(path)
        return True
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        return False
    except OSError as e:
        raise StoreError(f"cannot open '{path}': {e.strerror}", path) from e


def _inspect(path: str, access: str, timeout: float) -> Inspection:
    db = _sqlite.connect(path, access, timeout)
    try:
        return _format.inspect(db, path)
    finally:
        db.close()


def inspect_path(path: str, mode: OpenMode, timeout: float) -> Inspection:
    """What ``path`` holds, read through a read-only connection. SQLite's crash recovery (a
    hot journal, a WAL without its index) needs write access; a writable session then reads
    through a read-write connection, which still writes nothing of its own."""
    if not _file_exists(path):
        return Inspection()
    try:
        return _inspect(path, "ro", timeout)
    except _sqlite.ERRORS as e:
        code = _sqlite.error_code(_sqlite.as_sqlite_error(e))
        if code not in _NEEDS_RECOVERY or mode == OpenMode.read_only:
            raise _sqlite.wrap(e, path, "cannot read") from e
    try:
        return _inspect(path, "rw", timeout)
    except _sqlite.ERRORS as e:
        raise _sqlite.wrap(e, path, "cannot read") from e


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
    found = _filesystem.filesystem_type(state.path)
    return found is not None and _filesystem.is_network_filesystem(found)


def _open_connection(state: State, create: bool) -> None:
    access = "ro" if state.read_only else ("rwc" if create else "rw")
    db = state.db = _sqlite.connect(state.path, access, state.options.lock_timeout)
    if state.read_only:
        db.execute("PRAGMA query_only = 1")
    elif _use_rollback_journal(state):
        db.execute("PRAGMA journal_mode = DELETE").fetchall()
        db.execute("PRAGMA synchronous = FULL")
    else:
        db.execute("PRAGMA journal_mode = WAL").fetchall()
        durable = state.options.durability == Durability.durable
        db.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
    state.journal_mode = str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    level = db.execute("PRAGMA synchronous").fetchone()[0]
    state.synchronous = _SYNCHRONOUS_NAMES[level] if level in range(4) else str(level)


def _create_file(state: State) -> None:
    options = state.options
    now = _format.now_us()
    meta = _format.Meta(
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
    )
    with _sqlite.transaction(state.db, write=True) as txn:
        _format.create_schema(state.db, meta)
        txn.commit()


def _upgrade_file(state: State, from_version: int) -> None:
    with _sqlite.transaction(state.db, write=True) as txn:
        _migrations.upgrade_format(state.db, state.path, from_version, FORMAT_VERSION)
        txn.commit()


def open_session(state: State, session: Any) -> None:
    """Opens (or creates) the session file: under the shared lock when it exists, else the
    exclusive one; a file that must be created, upgraded or migrated is looked at again once
    the exclusive lock is held, since another process may have done it meanwhile."""
    path = state.path
    exists = _file_exists(path)
    if not exists and state.options.mode != OpenMode.create:
        raise StoreError(f"cannot open '{path}': no such file", path)
    exclusive = not exists
    while True:
        with state.lock(exclusive):
            found = inspect_path(path, state.options.mode, state.options.lock_timeout)
            plan = decide(state, found)
            if plan.writes and not exclusive:
                exclusive = True  # never converted in place: released, then taken again
                continue
            state.file_format = FORMAT_VERSION if plan.create else found.format_version
            try:
                _open_connection(state, plan.create)
                _changes.start_feed(state)
                if found.kind == "picklejar" and state.options.keep_backups and \
                        not state.read_only:
                    _backup.automatic_backup(state, found.meta)
                if plan.create:
                    _create_file(state)
                if plan.upgrade:
                    _upgrade_file(state, found.format_version)
                    state.file_format = FORMAT_VERSION
                if plan.migrate:
                    _migrations.migrate(state, session)
                with _sqlite.transaction(state.db, write=False) as txn:
                    state.refresh()
                    _changes.begin(state)
                    txn.commit()
            except _sqlite.ERRORS as e:
                raise _sqlite.wrap(e, path, "cannot open") from e
            return
