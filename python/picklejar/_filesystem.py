"""Which file system a session file lives on: WAL needs every process on one machine.

Mirrors lib/src/store/filesystem.cpp: statfs() of the file (or its directory) and the same
list of network file system magic numbers. os.statvfs() does not report f_type, so statfs()
is called through ctypes; where that is unavailable (not Linux) the type is unknown and the
file system counts as local, as FilesystemCheck.detect cannot tell.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Callable, Optional

# Magic numbers from linux/magic.h and the file systems' own sources (docs/FORMAT.md
# "Journal and durability").
NETWORK_FILESYSTEMS = frozenset(
    {
        0x6969,  # NFS_SUPER_MAGIC
        0x517B,  # SMB_SUPER_MAGIC
        0xFF534D42,  # CIFS_MAGIC_NUMBER
        0xFE534D42,  # SMB2_MAGIC_NUMBER
        0x5346414F,  # AFS_SUPER_MAGIC (kAFS)
        0x6B414653,  # AFS_FS_MAGIC (OpenAFS)
        0x73757245,  # CODA_SUPER_MAGIC
        0x564C,  # NCP_SUPER_MAGIC
        0x01021997,  # V9FS_MAGIC (9P)
        0x00C36400,  # CEPH_SUPER_MAGIC
        0x0BD00BD0,  # LUSTRE_SUPER_MAGIC
        0x47504653,  # GPFS_SUPER_MAGIC
        0x01161970,  # GFS2_MAGIC
        0x7461636F,  # OCFS2_SUPER_MAGIC
        0x65735546,  # FUSE_SUPER_MAGIC (sshfs, GlusterFS, ...)
        0x013111A8,  # IBRIX
    }
)


def is_network_filesystem(f_type: int) -> bool:
    return f_type in NETWORK_FILESYSTEMS


# statfs(path, buffer) -> 0 or -1, from libc through ctypes; looked up once.
_Statfs = Callable[[bytes, "ctypes.Array[ctypes.c_char]"], int]
_statfs: Optional[_Statfs] = None


def _libc_statfs() -> _Statfs:
    global _statfs
    if _statfs is None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        function = libc.statfs
        function.argtypes = (ctypes.c_char_p, ctypes.c_void_p)
        function.restype = ctypes.c_int
        _statfs = function
    return _statfs


def _statfs_type(path: str) -> Optional[int]:
    # glibc's struct statfs starts with f_type (__fsword_t, a long on the usual ABIs); the
    # buffer is generously larger than the struct (120 bytes on x86-64).
    buffer = ctypes.create_string_buffer(512)
    if _libc_statfs()(os.fsencode(path), buffer) != 0:
        return None
    return ctypes.c_long.from_buffer(buffer).value & 0xFFFFFFFF


def filesystem_type(path: str) -> Optional[int]:
    """statfs()'s f_type for ``path`` (or its directory when it does not exist yet); None when
    unknown."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        found = _statfs_type(path)
        if found is None:
            found = _statfs_type(os.path.dirname(path) or ".")
        return found
    except (OSError, AttributeError):
        return None
