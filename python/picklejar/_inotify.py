"""Linux inotify through ctypes (standard library only): events for a few names in one
directory, as the change feed (_watch.py) needs them. Mirrors lib/src/store/file_events.cpp.

A directory is watched rather than the files because SQLite creates and deletes the -wal and
-journal files as it goes."""

from __future__ import annotations

import ctypes
import os
import struct
import sys
from typing import Optional, Sequence

# <sys/inotify.h>
IN_MODIFY = 0x00000002
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_UNMOUNT = 0x00002000
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
_MASK = IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO
_GONE = IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name

_libc: Optional[ctypes.CDLL] = None
_loaded = False


def _load() -> Optional[ctypes.CDLL]:
    """The C library's inotify functions, or None where there are none."""
    global _libc, _loaded
    if not _loaded:
        _loaded = True
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                libc.inotify_init1.argtypes = [ctypes.c_int]
                libc.inotify_init1.restype = ctypes.c_int
                libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
                libc.inotify_add_watch.restype = ctypes.c_int
                _libc = libc
            except (OSError, AttributeError):
                _libc = None
    return _libc


class DirectoryWatch:
    """inotify on a directory, reporting writes, creations, deletions and renames of the files
    named ``names`` in it."""

    def __init__(self, fd: int, names: Sequence[str]) -> None:
        self._fd = fd
        self._names = {os.fsencode(name) for name in names}
        self.dead = False  # the directory itself was deleted or moved: no more events

    @classmethod
    def open(cls, directory: str, names: Sequence[str]) -> Optional["DirectoryWatch"]:
        """None when inotify is not available: another system, none left (EMFILE, ENOSPC:
        fs.inotify.max_user_instances / max_user_watches), or an unwatchable directory."""
        libc = _load()
        if libc is None:
            return None
        # IN_CLOEXEC and IN_NONBLOCK are O_CLOEXEC and O_NONBLOCK.
        fd = libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
        if fd < 0:
            return None
        if libc.inotify_add_watch(fd, os.fsencode(directory), _MASK | IN_ONLYDIR) < 0:
            os.close(fd)
            return None
        return cls(fd, names)

    def fileno(self) -> int:
        return self._fd

    def drain(self) -> bool:
        """Reads every queued event; True when one concerned a watched name (or events were
        lost)."""
        relevant = False
        while True:
            try:
                data = os.read(self._fd, 65536)
            except (BlockingIOError, InterruptedError):
                return relevant
            if not data:
                return relevant
            at = 0
            while at + _EVENT.size <= len(data):
                _, mask, _, length = _EVENT.unpack_from(data, at)
                name = data[at + _EVENT.size:at + _EVENT.size + length].rstrip(b"\0")
                at += _EVENT.size + length
                if mask & _GONE:
                    self.dead = True
                if mask & IN_Q_OVERFLOW or name in self._names:
                    relevant = True

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
