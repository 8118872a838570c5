"""Locking a session's sidecar lock file for this process and thread (docs/LOCKING.md).

Record locks do not exclude threads of one process and vanish when any descriptor of the
file is closed. So, exactly like the C++ library (lib/src/store/lock_registry.cpp and
lock_entry.cpp), a per-process registry keyed by the lock file's identity (st_dev, st_ino)
keeps one descriptor per lock file, closed only while no lock on it is held, and layers a
threading reader/writer lock on top: the record lock follows the in-process holders (shared
while there are readers, exclusive while the writer holds it, released when the last one
leaves) and is never converted in place. Waiting writers keep new readers out, so a stream
of readers cannot starve a writer.

After ``fork()`` the child holds none of its parent's record locks: it gets a fresh registry,
and locks it inherited report ``held == False`` and release nothing.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Dict, List, Optional

from . import _lockfile
from ._lockfile import FileId, file_id_of, lock_path_for
from .errors import LockTimeout, StoreError

__all__ = ["FileLock", "lock_path_for", "registry_state"]

_MAX_TIMEOUT = 10 * 365.25 * 24 * 3600.0  # timeouts beyond ten years are ten years
IDLE_LIMIT = 8  # idle entries whose descriptor stays open: reopening costs system calls

_ACQUIRED, _HELD_HERE, _HELD_ELSEWHERE = "acquired", "held here", "held elsewhere"
# An exclusive request with pass_shared found other processes holding the file shared: this
# process's threads are kept out, but no record lock is taken (SQLite's write lock keeps
# writers apart; docs/FORMAT.md "Lock protocol").
_PASSED = "passed"


class _Entry:
    """One lock file's state in this process: its descriptor and the in-process RW lock."""

    def __init__(self, fd: int, writable: bool, file_id: FileId) -> None:
        self.fd = fd
        self.writable = writable
        self.id = file_id
        # Owned by the registry, under its mutex.
        self.references = 0
        self.last_used = 0
        self.spare_fds: List[int] = []  # other descriptors of this file: closed only when idle
        # The in-process reader/writer lock.
        self._changed = threading.Condition(threading.Lock())
        self.readers = 0  # shared holders; > 0 implies the record lock is shared
        self.writer = False  # exclusive holder, or the exclusive taker of the record lock
        self.taking_shared = False  # a thread is taking the shared record lock for the readers
        self.waiting = 0
        self.writers_waiting = 0

    def adopt_writable(self, fd: int) -> None:
        """Locks through a read-write descriptor from now on; the read-only one stays open,
        since closing it would drop our locks."""
        self.spare_fds.append(self.fd)
        self.fd = fd
        self.writable = True

    def acquire(self, exclusive: bool, deadline: float, path: str,
                pass_shared: bool = False) -> str:
        """Waits until ``deadline`` in this process, then for the record lock with what is left."""
        with self._changed:
            self.waiting += 1
            if exclusive:
                self.writers_waiting += 1
                free = self._changed.wait_for(
                    lambda: not self.writer and self.readers == 0 and not self.taking_shared,
                    timeout=max(0.0, deadline - time.monotonic()),
                )
                self.writers_waiting -= 1
            else:
                free = self._changed.wait_for(
                    lambda: not self.writer and self.writers_waiting == 0
                    and not self.taking_shared,
                    timeout=max(0.0, deadline - time.monotonic()),
                )
            self.waiting -= 1
            if not free:
                self._changed.notify_all()  # readers held back for a writer may go now
                return _HELD_HERE
            if not exclusive and self.readers > 0:
                self.readers += 1
                return _ACQUIRED
            # This thread takes the record lock (for the readers, or as the writer) while the
            # others wait without the mutex held: the poll sleeps.
            if exclusive:
                self.writer = True
            else:
                self.taking_shared = True
        result = _lockfile.TIMED_OUT
        try:
            result = _lockfile.poll_lock_fd(self.fd, exclusive, deadline, path, pass_shared)
        finally:
            got = result != _lockfile.TIMED_OUT
            with self._changed:
                if exclusive:
                    self.writer = got
                else:
                    self.taking_shared = False
                    if got:
                        self.readers = 1
                self._changed.notify_all()
        if result == _lockfile.SHARED:
            return _PASSED
        return _ACQUIRED if got else _HELD_ELSEWHERE

    def release(self, exclusive: bool) -> None:
        with self._changed:
            if exclusive:
                self.writer = False
                _lockfile.unlock_fd(self.fd)
            else:
                self.readers -= 1
                if self.readers == 0:
                    _lockfile.unlock_fd(self.fd)
            self._changed.notify_all()

    def counts(self) -> Dict[str, object]:
        with self._changed:
            return {"shared": self.readers, "exclusive": self.writer, "waiting": self.waiting}


class _Registry:
    """This process's lock files, by identity; the one piece of global mutable state."""

    def __init__(self) -> None:
        self.mutex = threading.Lock()
        self.entries: Dict[FileId, _Entry] = {}
        self.idle = 0  # entries without references
        self.clock = 0  # orders idle entries by last use

    def ref(self, path: str, exclusive: bool, may_be_missing: bool,
            database_mode: Optional[int] = None) -> Optional[_Entry]:
        """The entry for the lock file ``path`` names, with one reference for the caller."""
        with self.mutex:
            file_id = file_id_of(path)
            if file_id is not None:
                entry = self.entries.get(file_id)
                if entry is not None and (entry.writable or not exclusive):
                    return self._take(entry)
            # No entry, or we hold a read-only descriptor but need a writable one.
            opened = _lockfile.open_lock_file(path, may_be_missing, database_mode)
            if opened is None:
                return None
            entry = self._take(self._adopt(*opened))
            if exclusive and not entry.writable:
                self._unref_locked(entry)
                raise StoreError(
                    f"cannot take an exclusive lock on '{path}': the lock file is read-only "
                    "to this process",
                    path,
                )
            return entry

    def _adopt(self, fd: int, writable: bool, file_id: FileId) -> _Entry:
        entry = self.entries.get(file_id)
        if entry is None:
            entry = self.entries[file_id] = _Entry(fd, writable, file_id)
            self.idle += 1  # until _take()
        elif writable and not entry.writable:
            entry.adopt_writable(fd)
        else:
            entry.spare_fds.append(fd)  # closing it could drop the locks held here
        return entry

    def _take(self, entry: _Entry) -> _Entry:
        if entry.references == 0:
            self.idle -= 1
        entry.references += 1
        return entry

    def unref(self, entry: _Entry) -> None:
        with self.mutex:
            self._unref_locked(entry)

    def _unref_locked(self, entry: _Entry) -> None:
        """No lock uses the entry any more, so none is held on its file: closing is safe."""
        entry.references -= 1
        if entry.references > 0:
            return
        for fd in entry.spare_fds:
            os.close(fd)
        entry.spare_fds.clear()
        self.clock += 1
        entry.last_used = self.clock
        self.idle += 1
        if self.idle > IDLE_LIMIT:
            oldest = min(
                (e for e in self.entries.values() if e.references == 0),
                key=lambda e: e.last_used,
            )
            os.close(oldest.fd)
            del self.entries[oldest.id]
            self.idle -= 1

    def close_all(self) -> None:
        for entry in self.entries.values():
            for fd in [entry.fd] + entry.spare_fds:
                try:
                    os.close(fd)
                except OSError:
                    pass


_registry = _Registry()


def _current() -> _Registry:
    return _registry


def _before_fork() -> None:
    _registry.mutex.acquire()


def _after_fork_in_parent() -> None:
    _registry.mutex.release()


def _after_fork_in_child() -> None:
    # The child holds none of the parent's record locks. Closing the inherited descriptors
    # drops only the child's own locks (none), never the parent's.
    global _registry
    parent = _registry
    parent.close_all()
    _registry = _Registry()
    parent.mutex.release()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )


def registry_state(path: str) -> Optional[Dict[str, object]]:
    """Test hook: this process's in-process state of the lock file ``path`` names; None when
    it has no entry for it (so no descriptor of it is open)."""
    registry = _current()
    with registry.mutex:
        file_id = file_id_of(path)
        entry = registry.entries.get(file_id) if file_id is not None else None
        return None if entry is None else entry.counts()


class FileLock:
    """A held lock on a session's lock file; released by :meth:`release` or on leaving a
    ``with`` block. Not reentrant: a thread must not ask for a lock on a file its own
    FileLock holds (exclusive would wait for itself until the timeout)."""

    __slots__ = ("_registry", "_entry", "exclusive", "_held")

    def __init__(self, registry: _Registry, entry: Optional[_Entry], exclusive: bool) -> None:
        self._registry = registry
        self._entry = entry
        self.exclusive = exclusive
        self._held = entry is not None

    @classmethod
    def acquire(
        cls, lock_file: str, exclusive: bool, timeout: float, missing_ok: bool = False,
        pass_shared: bool = False, database_mode: Optional[int] = None,
    ) -> "FileLock":
        """Creates the lock file if missing (never truncating it), then waits up to ``timeout``
        seconds, first for other locks of this process, then for other processes.

        LockTimeout names the file (and the holding process, when known); StoreError when the
        file cannot be created, opened or locked. A zero timeout tries once. ``missing_ok``
        (shared only): when the lock file is missing and cannot be created (read-only media),
        return a lock that holds nothing instead of failing. ``pass_shared`` (exclusive only):
        when other processes hold the file shared, return at once with this process's
        threads kept out but no record lock (see _PASSED). ``database_mode``: the bits the
        database will get, for a lock file created before it."""
        timeout = min(max(timeout, 0.0), _MAX_TIMEOUT)
        deadline = time.monotonic() + timeout
        registry = _current()
        while True:
            entry = registry.ref(lock_file, exclusive, missing_ok and not exclusive,
                                 database_mode)
            if entry is None:
                return cls(registry, None, exclusive)
            try:
                outcome = entry.acquire(exclusive, deadline, lock_file, pass_shared)
                if outcome == _PASSED:  # no record lock: which file no longer matters
                    return cls(registry, entry, exclusive)
                if outcome != _ACQUIRED:
                    raise _timed_out(lock_file, exclusive, timeout, _holder(outcome, entry,
                                                                             exclusive))
            except BaseException:
                registry.unref(entry)
                raise
            # A lock on a file the path no longer names (deleted or replaced while we waited)
            # guards nothing: let it go and lock the file the path names now.
            if file_id_of(lock_file) == entry.id:
                return cls(registry, entry, exclusive)
            entry.release(exclusive)
            registry.unref(entry)
            if time.monotonic() >= deadline:
                raise _timed_out(lock_file, exclusive, timeout,
                                 " (the lock file kept being replaced)")

    @property
    def held(self) -> bool:
        """False once released, for a lock that holds nothing, and in a forked child."""
        return self._held and self._registry is _current()

    def release(self) -> None:
        """Releases the lock (idempotent). In a forked child it leaves the parent's alone."""
        if not self._held:
            return
        self._held = False
        if self._entry is not None and self._registry is _current():
            self._entry.release(self.exclusive)
            self._registry.unref(self._entry)

    def __enter__(self) -> "FileLock":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def __repr__(self) -> str:
        mode = "exclusive" if self.exclusive else "shared"
        return f"<FileLock {mode} {'held' if self.held else 'released'}>"


def _holder(outcome: str, entry: _Entry, exclusive: bool) -> str:
    if outcome == _HELD_HERE:
        return " (held by another lock in this process)"
    pid = _lockfile.lock_holder(entry.fd, exclusive)
    if pid is None:
        return ""  # released just now
    return f" (held by process {pid})" if pid > 0 else " (held by another process)"


def _timed_out(path: str, exclusive: bool, timeout: float, holder: str) -> LockTimeout:
    what = "an exclusive" if exclusive else "a shared"
    return LockTimeout(
        f"timed out after {round(timeout * 1000)} ms waiting for {what} lock on '{path}'{holder}",
        path,
    )
