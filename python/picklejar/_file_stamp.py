"""What a reader can see of a session file and its -wal and -shm from outside, for reading a
WAL-mode file that SQLite cannot index (mirrors lib/src/store/sqlite/file_stamp.cpp). A reader
who may not write the file's directory cannot make the -shm index SQLite needs for a WAL-mode
file once the last writer closed and deleted it; such a reader opens the file immutable=1
(no locks, no index) and checks that nothing changed the file or its -wal and -shm while it
read (docs/LOCKING.md "Read-only places and other users")."""

from __future__ import annotations

import os
from typing import NamedTuple, Optional, Tuple

Part = Optional[Tuple[int, int, int, int, int]]  # None: missing


class FileStamp(NamedTuple):
    file: Part
    wal: Part
    shm: Part


# SQLite's extended codes for an index it could not make or use: SQLITE_READONLY_DIRECTORY,
# SQLITE_READONLY_CANTINIT, SQLITE_READONLY_RECOVERY, SQLITE_CANTOPEN.
CANNOT_INDEX = frozenset({8 | (6 << 8), 8 | (5 << 8), 8 | (1 << 8), 14})


def _part(path: str) -> Part:
    try:
        st = os.stat(path)
    except OSError:  # missing (or unreadable: seen as missing)
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def take(file: str) -> FileStamp:
    """The stamp of the database ``file`` (its name as SQLite opens it), its -wal and -shm."""
    return FileStamp(_part(file), _part(file + "-wal"), _part(file + "-shm"))


def wal_index_unmakeable(file: str) -> bool:
    """Whether ``file`` is in WAL mode (its header's bytes 18 and 19 are 2) in a directory this
    process may not write, where SQLite cannot make its -shm index once the last writer deleted
    it. A file in rollback mode is never read without SQLite's locks (a hot journal must be
    rolled back first)."""
    try:
        with open(file, "rb") as f:
            f.seek(18)
            versions = f.read(2)
    except OSError:
        return False
    if versions != b"\x02\x02":
        return False
    directory = os.path.dirname(file) or "."
    effective = os.access in os.supports_effective_ids  # as the C++ library's AT_EACCESS
    return not os.access(directory, os.W_OK | os.X_OK, effective_ids=effective)
