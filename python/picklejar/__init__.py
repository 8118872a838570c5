"""picklejar: application state as pickles in one SQLite file, shared by C++ and Python.

This is the pure-Python twin of the C++ ``picklejar::Session`` (standard library only). It
reads and writes the same files with the same guarantees: the format in docs/FORMAT.md, the
lock protocol in docs/LOCKING.md::

    import picklejar

    with picklejar.Session("state.pj") as s:   # created when missing
        s["runs"] = s.get("runs", 0) + 1
        s.save()                                # every change, in one transaction

Entries load through an allowlist unpickler: a pickle naming anything but plain data types
or the classes you register (``Session(path, classes=[User])``) raises ForbiddenGlobal and
nothing runs. Before that, a pre-scan of the pickle's opcodes enforces :class:`DecodeLimits`
(LimitError) and the argument forms pickle writes for the allowed callables, so one entry
cannot crash or exhaust the reading process.
"""

from typing import Any, Optional, Sequence

from ._limits import DecodeLimits
from ._options import ConflictPolicy, Durability, FilesystemCheck, Migration, OpenMode
from ._safe_pickle import Allowlist, safe_loads as _safe_loads
from .errors import (
    ConflictError,
    DecodeError,
    EncodeError,
    ForbiddenGlobal,
    FormatError,
    IntegrityError,
    LimitError,
    LockTimeout,
    PicklejarError,
    ServerError,
    SqliteError,
    StoreError,
)
from ._backup import BackupFile, BackupInfo, list_backups, next_backup_path
from ._changes import Changes
from .session import EntryInfo, Session, SessionInfo, __version__, open
from ._stores import StoreInfo, delete_store, list_stores

__all__ = [
    "BackupFile",
    "BackupInfo",
    "Changes",
    "ConflictError",
    "ConflictPolicy",
    "DecodeError",
    "DecodeLimits",
    "Durability",
    "EncodeError",
    "EntryInfo",
    "FilesystemCheck",
    "ForbiddenGlobal",
    "FormatError",
    "IntegrityError",
    "LimitError",
    "LockTimeout",
    "Migration",
    "OpenMode",
    "PicklejarError",
    "Session",
    "SessionInfo",
    "ServerError",
    "SqliteError",
    "StoreError",
    "StoreInfo",
    "__version__",
    "delete_store",
    "list_backups",
    "list_stores",
    "next_backup_path",
    "open",
    "safe_loads",
]


def safe_loads(data: bytes, classes: Sequence[Any] = (),
               limits: Optional[DecodeLimits] = None) -> Any:
    """``pickle.loads(data)`` through picklejar's allowlist: plain data types plus
    ``classes``; any other global raises ForbiddenGlobal before anything runs. The pickle is
    pre-scanned first: over a :class:`DecodeLimits` limit (``limits``, default the defaults)
    raises LimitError, and a malformed or hostile shape DecodeError or ForbiddenGlobal."""
    return _safe_loads(bytes(data), Allowlist(classes), limits)
