"""Backups (mirrors lib/src/store/backup_file.cpp, session_backup.cpp, session_restore.cpp):
a consistent, compacted copy made by SQLite's VACUUM INTO under a temporary name next to the
target, synced, checked, given the source's permission bits and renamed into place; the
automatic backups of ``keep_backups`` and list_backups(); and restore()."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
import re
import sqlite3
import tempfile
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Union

from . import _format, _rows, _sqlite
from ._format import Meta
from ._integrity import Signer
from .errors import FormatError, IntegrityError, StoreError

if TYPE_CHECKING:  # pragma: no cover
    from ._state import State

_INFIX = ".backup-"
_STAMP = re.compile(r"\d{8}T\d{6}\.\d{6}Z\Z")  # 20261207T084233.645309Z: sorts by time
_STAMP_FORMAT = "%Y%m%dT%H%M%S.%fZ"
# The file formats restore() reads a backup of: each entry is verified under its backup's rule.
RESTORABLE_FORMATS = (1, 2)


@dataclasses.dataclass(frozen=True)
class BackupInfo:
    """What Session.backup() wrote."""

    path: str
    revision: int  # the global revision the backup holds
    entries: int
    bytes: int  # the backup file's size
    # Keys whose digest does not verify in the backup: copied as the file holds them.
    unverified_keys: List[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class BackupFile:
    """An automatic backup (``keep_backups``) of a session file."""

    path: str
    time: datetime.datetime  # when it was written (UTC, from its name)


# A file name as the public functions take it.
PathName = Union[str, "os.PathLike[str]"]


def _directory(path: PathName, directory: Optional[PathName]) -> str:
    if directory:
        return os.fspath(directory)
    return os.path.dirname(os.fspath(path)) or "."


def list_backups(path: PathName, directory: Optional[PathName] = None) -> List[BackupFile]:
    """The automatic backups of the session file ``path`` in ``directory`` (default: the
    file's), newest first. Only names "<file name>.backup-<UTC time>" count."""
    where = _directory(path, directory)
    prefix = os.path.basename(os.fspath(path)) + _INFIX
    found = []
    try:
        names = os.listdir(where)
    except FileNotFoundError:
        return []
    except OSError as e:
        raise StoreError(f"cannot list the backups in '{where}': {e.strerror}", where) from e
    for name in names:
        stamp = name[len(prefix):]
        if not name.startswith(prefix) or not _STAMP.match(stamp):
            continue
        try:
            when = datetime.datetime.strptime(stamp, _STAMP_FORMAT)
        except ValueError:
            continue
        found.append(BackupFile(os.path.join(where, name),
                                when.replace(tzinfo=datetime.timezone.utc)))
    found.sort(key=lambda backup: backup.time, reverse=True)
    return found


def next_backup_path(path: PathName, directory: Optional[PathName] = None) -> str:
    """The name an automatic backup of ``path`` made now gets."""
    name = os.fspath(path)
    where = os.fspath(directory) if directory else os.path.dirname(name)
    now = datetime.datetime.now(datetime.timezone.utc)
    return os.path.join(where, os.path.basename(name) + _INFIX + now.strftime(_STAMP_FORMAT))


@contextlib.contextmanager
def _query_only_off(db: sqlite3.Connection) -> Iterator[None]:
    """A read-only session's connection refuses VACUUM INTO (PRAGMA query_only); it is opened
    read-only anyway, so nothing of the file can be written meanwhile."""
    (was_on,) = db.execute("PRAGMA query_only").fetchone()
    if was_on:
        db.execute("PRAGMA query_only = 0")
    try:
        yield
    finally:
        if was_on:
            db.execute("PRAGMA query_only = 1")


def _check_copy(copy: str, source: str, signer: Signer, timeout: float) -> BackupInfo:
    db = _sqlite.connect(copy, "ro", timeout)
    try:
        found = _format.inspect(db, copy)
        if found.kind != "picklejar":
            raise FormatError(f"the backup of '{source}' is not a session file", source)
        problems = [row[0] for row in db.execute("PRAGMA integrity_check") if row[0] != "ok"]
        if problems:
            raise FormatError(f"the backup of '{source}' fails SQLite's integrity check: "
                              f"{problems[0]}", source)
        # Under the copy's own rule: an automatic backup copies the file before its format
        # upgrade and before the session's first look at its id.
        signer = signer.for_file(found.meta.file_id_bytes())
        entries, unverified = 0, []
        with _sqlite.transaction(db, write=False) as txn:
            for key, data, digest in db.execute(
                    "SELECT key, pickle, digest FROM entries ORDER BY key"):
                key = _rows.row_key(key, "entries", copy)
                entries += 1
                if type(data) is not bytes or type(digest) is not bytes or \
                        not signer.verify(key, data, digest):
                    unverified.append(key)
            txn.commit()
        return BackupInfo(copy, found.meta.revision, entries, 0, unverified)
    finally:
        db.close()


def _sync_directory(path: str) -> None:
    try:
        fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)  # the rename itself must survive a power cut too
    finally:
        os.close(fd)


def write_backup(db: _sqlite.Connection, source: str, out: str, signer: Signer,
                 timeout: float, before_publishing: Optional[Callable[[], None]] = None
                 ) -> BackupInfo:
    """Copies what ``db`` (a connection to ``source``, outside any transaction) reads now into
    ``out``, checked: SQLite's integrity check, the open-time format check, every digest
    (keys that do not verify are listed, not refused). ``before_publishing``, when given, runs
    after the checks and before the rename; what it raises leaves nothing behind either."""
    try:
        fd, temp = tempfile.mkstemp(prefix=os.path.basename(out) + ".tmp-",
                                    dir=os.path.dirname(out) or ".")
    except OSError as e:
        raise StoreError(f"cannot create a temporary file next to '{out}': {e.strerror}",
                         out) from e
    try:
        try:
            os.fchmod(fd, os.stat(source).st_mode & 0o7777)  # mkstemp made it 0600
        except OSError:
            pass
        with _query_only_off(db), _sqlite.errors_named(source, "cannot back up"), \
                _sqlite.no_time_limit(db):
            db.execute("VACUUM INTO ?", (temp,))  # one consistent snapshot
        os.fsync(fd)  # SQLite does not sync what VACUUM INTO writes
        info = _check_copy(temp, source, signer, timeout)
        if before_publishing is not None:
            before_publishing()
        os.replace(temp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    finally:
        os.close(fd)
    _sync_directory(out)
    return dataclasses.replace(info, path=out, bytes=os.path.getsize(out))


def copy_checked(state: "State", out: str) -> BackupInfo:
    """write_backup() of the session's file, in one read transaction. VACUUM INTO copies the schema and
    builds its indexes with no time limit, so the schema is checked on this connection
    first: another program may have changed it since the open."""
    store = state.store.require_file("back up")
    with store.reading("cannot back up") as txn:
        store.before_read()
        txn.commit()
    # A copy read while a writer changed the file may mix two states: not published then.
    return write_backup(store.connection, state.path, out, state.signer,
                        state.options.lock_timeout, store.check_read_stamp)


def check_target(state: "State", out: str) -> None:
    """``out`` must not be the session's own file or one kept beside it, nor look like a
    database in use (renaming over one would corrupt it)."""
    for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
        with contextlib.suppress(OSError):
            if os.path.samefile(out, state.path + suffix):
                raise StoreError(f"cannot back up '{state.path}' to '{out}': that is the "
                                 "session's own file", state.path)
    if os.path.exists(out + "-wal"):
        raise StoreError(f"cannot back up '{state.path}' to '{out}': '{out}-wal' exists, so a "
                         "program may have it open as a database; choose another name",
                         state.path)


def read_file_meta(path: str, timeout: float) -> _format.Inspection:
    if not os.path.exists(path):
        raise StoreError(f"cannot open '{path}': no such file", path)
    db = _sqlite.connect(path, "ro", timeout)
    try:
        return _format.inspect(db, path)
    finally:
        db.close()


def _holds(backup: str, meta: Meta, timeout: float) -> bool:
    try:
        found = read_file_meta(backup, timeout).meta
    except (*_sqlite.ERRORS, StoreError):
        return False  # unreadable: make a new one
    return found.created_us == meta.created_us and found.revision == meta.revision


def automatic_backup(state: "State", meta: Meta) -> None:
    """Before anything else is written by the open: a backup of the file as found, unless the
    newest already holds its revision; then the oldest beyond keep_backups go."""
    options = state.options
    where = _directory(state.path, options.backup_directory)
    backups = [backup.path for backup in list_backups(state.path, where)]
    if not backups or not _holds(backups[0], meta, options.lock_timeout):
        out = next_backup_path(state.path, where)
        copy_checked(state, out)
        backups.insert(0, out)
    for old in backups[options.keep_backups:]:
        with contextlib.suppress(OSError):  # one that cannot go stays; the next open retries
            os.unlink(old)


# ---- restore ---------------------------------------------------------------------------------

def _check_backup_meta(state: "State", name: str, found: _format.Inspection) -> None:
    path = state.path
    if found.kind != "picklejar":
        raise FormatError(f"cannot restore '{path}' from '{name}': it is empty", name)
    if found.format_version not in RESTORABLE_FORMATS:
        raise FormatError(f"cannot restore '{path}' from '{name}': its file format version "
                          f"{found.format_version} is not one this picklejar restores from "
                          f"({', '.join(map(str, RESTORABLE_FORMATS))})", name)
    meta = found.meta
    if meta.integrity_scheme != state.signer.scheme or meta.key_id != state.signer.key_id:
        theirs = f"with key id {meta.key_id}" if meta.key_id else "without a key"
        ours = f"has key id {state.signer.key_id}" if state.signer.key_id else "has no key"
        raise IntegrityError(f"cannot restore '{path}' from '{name}': the backup was written "
                             f"{theirs} and the session {ours} (rekey a copy of the backup "
                             "first)", name)
    declared = state.options.schema_version
    if declared is not None and declared != meta.app_schema_version:
        raise FormatError(f"cannot restore '{path}' from '{name}': the backup has app schema "
                          f"version {meta.app_schema_version} and this session declares "
                          f"{declared} (restore it without a schema_version, e.g. `picklejar "
                          "restore`; the application migrates it when it opens the file)", name)


def read_backup(state: "State", backup: str) -> "tuple[Meta, Dict[str, Any]]":
    """The backup's meta and every entry: verified with the session's key under the backup's
    rule (format 1: no file id; format 2: the backup's file_id), and signed under the live
    file's (the same digest when the backup is one of this file)."""
    from ._state import Entry  # a cycle at import time otherwise

    found = read_file_meta(backup, state.options.lock_timeout)
    _check_backup_meta(state, backup, found)
    db = _sqlite.connect(backup, "ro", state.options.lock_timeout)
    entries: Dict[str, Any] = {}
    theirs, ours = state.signer.for_file(found.meta.file_id_bytes()), state.signer
    try:
        with _sqlite.transaction(db, write=False) as txn:
            for row in db.execute(f"SELECT {_format.ENTRY_COLUMNS} FROM entries"):
                key = _rows.row_key(row[0], "entries", backup)
                data, digest, protocol, _, _ = _rows.entry_columns(row, key, backup)
                if not theirs.verify(key, data, digest):
                    raise IntegrityError(f"cannot restore '{state.path}' from '{backup}': key "
                                         f"'{key}' does not verify in the backup; nothing was "
                                         "restored", backup, key)
                if ours is not theirs:
                    digest = ours.digest(key, data)
                entries[key] = Entry(data, digest, protocol, 0, 0)
            txn.commit()
    finally:
        db.close()
    return found.meta, entries


def restore(state: "State", backup: str) -> None:
    meta, entries = read_backup(state, backup)
    with state.store.writing("cannot restore") as txn:
        state.refresh()
        state.undo = {}
        try:
            for key in sorted(state.view):
                if key not in entries:
                    state.erase(key)
            for key, entry in sorted(entries.items()):
                mine = state.view.get(key)
                if mine is None or (mine.pickle, mine.protocol, mine.digest) != \
                        (entry.pickle, entry.protocol, entry.digest):
                    state.place(key, entry)
            schema = meta.app_schema_version != state.meta.app_schema_version
            protocol = meta.default_protocol != state.meta.default_protocol
            if schema:
                state.store.set_meta("app_schema_version", meta.app_schema_version)
            if protocol:
                state.store.set_meta("default_protocol", meta.default_protocol)
            written = state.write_pending(force=schema or protocol)
            txn.commit()
        except BaseException:
            state.rollback_undo()
            raise
    state.undo = None
    state.meta.app_schema_version = meta.app_schema_version
    state.meta.default_protocol = meta.default_protocol
    if written is not None:
        state.finish_save(written)
