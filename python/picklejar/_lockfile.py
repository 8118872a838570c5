"""The sidecar lock file itself (docs/LOCKING.md is the protocol): opening it the way the C++
library does (lib/src/store/lock_fcntl.cpp), and one record lock over the whole file.

Across processes the lock is a POSIX record lock over the whole file (``fcntl.lockf``, the
same ``F_SETLK`` record lock Boost.Interprocess and the C++ library take), shared or
exclusive. Never ``fcntl.flock``: Linux keeps those apart from record locks.

Windows (``LockFileEx`` through ctypes over the same whole-file range) is written from
docs/LOCKING.md but untested here.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
import sys
import time
from typing import Optional, Tuple

from .errors import StoreError

FileId = Tuple[int, int]

_OPEN_FLAGS = (
    getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO planted at the lock path must not hang the open
    | getattr(os, "O_NOFOLLOW", 0)  # a symlink planted there must not make us open its target
    | getattr(os, "O_BINARY", 0)
)
_READ_ONLY_ERRORS = (errno.EACCES, errno.EPERM, errno.EROFS)

_FIRST_PAUSE = 50e-6
_LONGEST_PAUSE = 1e-3

def lock_path_for(database: str) -> str:
    """The lock file next to a database: the database path with ".lock" appended."""
    return database + ".lock"

def file_id_of(path: str) -> Optional[FileId]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)

# ---- the record lock itself ----------------------------------------------------------------------

if sys.platform == "win32":  # pragma: no cover - untested here
    import ctypes
    import msvcrt
    from ctypes import wintypes

    class _Overlapped(ctypes.Structure):
        _fields_ = [
            ("Internal", ctypes.c_void_p),
            ("InternalHigh", ctypes.c_void_p),
            ("Offset", wintypes.DWORD),
            ("OffsetHigh", wintypes.DWORD),
            ("hEvent", wintypes.HANDLE),
        ]

    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    _LOCKFILE_FAIL_IMMEDIATELY, _LOCKFILE_EXCLUSIVE_LOCK = 0x1, 0x2
    _ERROR_LOCK_VIOLATION, _ERROR_IO_PENDING = 33, 997

    def try_lock_fd(fd: int, exclusive: bool, path: str) -> bool:
        flags = _LOCKFILE_FAIL_IMMEDIATELY | (_LOCKFILE_EXCLUSIVE_LOCK if exclusive else 0)
        overlapped = _Overlapped()
        handle = msvcrt.get_osfhandle(fd)
        if _kernel32.LockFileEx(handle, flags, 0, 0xFFFFFFFF, 0xFFFFFFFF, ctypes.byref(overlapped)):
            return True
        error = ctypes.get_last_error()
        if error in (_ERROR_LOCK_VIOLATION, _ERROR_IO_PENDING):
            return False
        raise StoreError(f"cannot lock '{path}': {ctypes.FormatError(error)}", path)

    def unlock_fd(fd: int) -> None:
        overlapped = _Overlapped()
        _kernel32.UnlockFileEx(msvcrt.get_osfhandle(fd), 0, 0xFFFFFFFF, 0xFFFFFFFF,
                               ctypes.byref(overlapped))

    def lock_holder(fd: int, exclusive: bool) -> Optional[int]:
        return None

else:
    import fcntl

    def try_lock_fd(fd: int, exclusive: bool, path: str) -> bool:
        """One non-blocking try: fcntl.lockf is F_SETLK over the whole file (start 0, len 0)."""
        operation = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        try:
            fcntl.lockf(fd, operation, 0, 0, os.SEEK_SET)
            return True
        except OSError as e:
            if e.errno in (errno.EACCES, errno.EAGAIN):
                return False
            raise StoreError(f"cannot lock '{path}': {os.strerror(e.errno or 0)}", path) from e

    def unlock_fd(fd: int) -> None:
        # F_UNLCK over the whole file never splits a lock, so it cannot fail for want of a
        # lock record; EBADF would be our bug.
        fcntl.lockf(fd, fcntl.LOCK_UN, 0, 0, os.SEEK_SET)

    # struct flock on 64-bit Linux: short l_type, l_whence; off_t l_start, l_len; pid_t l_pid.
    _FLOCK = "hhqqi4x"

    def lock_holder(fd: int, exclusive: bool) -> Optional[int]:
        """The process holding a conflicting lock (0 when unknown), or None when there is none."""
        if not sys.platform.startswith("linux") or struct.calcsize("P") != 8:
            return 0
        probe = struct.pack(_FLOCK, fcntl.F_WRLCK if exclusive else fcntl.F_RDLCK,
                            os.SEEK_SET, 0, 0, 0)
        try:
            answer = fcntl.fcntl(fd, fcntl.F_GETLK, probe)
        except OSError:
            return None
        l_type, _, _, _, pid = struct.unpack(_FLOCK, answer)
        return None if l_type == fcntl.F_UNLCK else max(pid, 0)

LOCKED, TIMED_OUT, SHARED = "locked", "timed out", "shared"


def _held_shared(fd: int) -> bool:
    """Whether the lock that kept an exclusive request out is another process's shared one."""
    if sys.platform == "win32":  # pragma: no cover - untested here
        return False
    probe = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
    try:
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, probe)
    except OSError:
        return False
    held: int = struct.unpack("hhqqi4x", answer)[0]  # struct flock's l_type
    return held == fcntl.F_RDLCK


def poll_lock_fd(fd: int, exclusive: bool, deadline: float, path: str,
                 pass_shared: bool = False) -> str:
    """Tries until ``deadline`` with pauses growing from 50 µs to 1 ms (docs/LOCKING.md):
    LOCKED or TIMED_OUT; with ``pass_shared`` (exclusive requests), SHARED as soon as a try
    fails because other processes hold the file shared."""
    pause = _FIRST_PAUSE
    while True:
        if try_lock_fd(fd, exclusive, path):
            return LOCKED
        if pass_shared and exclusive and _held_shared(fd):
            return SHARED
        now = time.monotonic()
        if now >= deadline:
            return TIMED_OUT
        time.sleep(min(pause, deadline - now))
        pause = min(pause * 2, _LONGEST_PAUSE)

# ---- opening lock files ---------------------------------------------------------------------------

def lock_file_mode(database_mode: int) -> int:
    """Read and write for each class of users (owner, group, others) that may write the
    database, nothing for the others: whoever may open the lock file may hold a lock on it."""
    mode = 0
    for write, both in ((stat.S_IWUSR, 0o600), (stat.S_IWGRP, 0o060), (stat.S_IWOTH, 0o006)):
        if database_mode & write:
            mode |= both
    return mode


def default_file_mode() -> int:
    """0666 less the umask, read without changing it where Linux shows it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _database_of(lock_file: str) -> str:
    return lock_file[: -len(".lock")] if lock_file.endswith(".lock") else lock_file


def _set_up_new(fd: int, lock_file: str, database_mode: Optional[int]) -> None:
    """Gives a lock file we just created read and write for who may write its database, and
    its owner when we are root (as SQLite does for -wal and -shm). Best effort."""
    try:
        st = os.stat(_database_of(lock_file)) if lock_file.endswith(".lock") else None
    except OSError:
        st = None
    try:
        if st is not None:
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                os.fchown(fd, st.st_uid, st.st_gid)
            os.fchmod(fd, lock_file_mode(st.st_mode))
        else:
            os.fchmod(fd, lock_file_mode(default_file_mode() if database_mode is None
                                         else database_mode))
    except (OSError, AttributeError):
        pass


def _check_owner(fd: int, st: os.stat_result, path: str) -> None:
    """A lock file another user owns is theirs to lock forever (or planted): only ours, root's
    and the database owner's are used."""
    if not hasattr(os, "geteuid") or st.st_uid in (os.geteuid(), 0):
        return
    try:
        if os.stat(_database_of(path)).st_uid == st.st_uid:
            return
    except OSError:
        pass
    os.close(fd)
    raise StoreError(f"cannot use lock file '{path}': it belongs to user {st.st_uid}, neither "
                     f"this process's user ({os.geteuid()}) nor the owner of the database", path)


def _checked(fd: int, writable: bool, path: str) -> Tuple[int, bool, FileId]:
    try:
        st = os.fstat(fd)
    except OSError as e:
        os.close(fd)  # a descriptor of a file we know nothing about: no lock of ours is on it
        raise StoreError(f"cannot stat lock file '{path}': {e.strerror}", path) from e
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise StoreError(f"cannot use lock file '{path}': not a regular file", path)
    _check_owner(fd, st, path)
    return fd, writable, (st.st_dev, st.st_ino)


def _failed(doing: str, path: str, why: Optional[int]) -> StoreError:
    if why == errno.ELOOP:
        return StoreError(f"{doing} '{path}': it is a symbolic link, which picklejar never "
                          "follows for a lock file", path)
    return StoreError(f"{doing} '{path}': {os.strerror(why or 0)}", path)


def open_lock_file(path: str, may_be_missing: bool, database_mode: Optional[int] = None
                   ) -> Optional[Tuple[int, bool, FileId]]:
    """Opens (creating if needed, never truncating, never through a symbolic link) the lock
    file: read-write when allowed, else read-only. A new one gets lock_file_mode() of its
    database's bits (``database_mode`` before the database exists). None when it is missing,
    cannot be created and ``may_be_missing``. StoreError for a symlink, a file that is not a
    regular file or that another user than ours, root or the database's owner owns."""
    try:
        return _checked(os.open(path, os.O_RDWR | _OPEN_FLAGS), True, path)
    except OSError as e:
        why, doing = e.errno, "cannot open lock file"
    if why == errno.ENOENT:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, 0o600)
            _set_up_new(fd, path, database_mode)
            return _checked(fd, True, path)
        except OSError as e:
            why = e.errno
        doing = "cannot create lock file"
        if why == errno.EEXIST:  # created by another process since (O_EXCL never follows)
            try:
                return _checked(os.open(path, os.O_RDWR | _OPEN_FLAGS), True, path)
            except OSError as e:
                why, doing = e.errno, "cannot open lock file"
    if why not in _READ_ONLY_ERRORS:
        raise _failed(doing, path, why)
    # We may not write it, or not create it: shared locks need only read access.
    try:
        return _checked(os.open(path, os.O_RDONLY | _OPEN_FLAGS), False, path)
    except OSError as e:
        if e.errno != errno.ENOENT:
            raise _failed("cannot open lock file", path, e.errno) from e
    if may_be_missing:
        return None
    raise _failed("cannot create lock file", path, why)
