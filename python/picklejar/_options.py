"""Session options, named and defaulted as the C++ SessionOptions (lib/include/picklejar/
session.hpp), in Python form: enums whose values are their names, so ``mode="read_only"``
and ``mode=OpenMode.read_only`` mean the same."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import os
from typing import Any, Callable, Iterable, List, NamedTuple, Optional, Sequence, Type, TypeVar, Union

from ._integrity import as_key_bytes
from ._limits import DecodeLimits


class OpenMode(str, enum.Enum):
    create = "create"  # open the file, creating it when missing (or 0 bytes long)
    read_write = "read_write"  # open an existing file; a missing or empty one is an error
    read_only = "read_only"  # open an existing file, never write it


class Durability(str, enum.Enum):
    """How hard a commit works to survive power loss, in SQLite's terms (PRAGMA synchronous).
    Both survive a crash of the program at any point; neither ever corrupts the file."""

    durable = "durable"  # WAL + synchronous=FULL: a committed save survives power loss
    fast = "fast"  # WAL + synchronous=NORMAL: the last saves may roll back after power loss


class FilesystemCheck(str, enum.Enum):
    """Where the file lives decides the journal: WAL needs every process on one machine."""

    detect = "detect"  # statfs(): NFS, SMB/CIFS, AFS, 9P, Ceph, FUSE, ... count as network
    local = "local"  # trust that the file system is local: WAL
    network = "network"  # rollback journal (DELETE) + synchronous=FULL


class ConflictPolicy(str, enum.Enum):
    """What save() does with keys another session changed since this one saw them."""

    last_writer_wins = "last_writer_wins"  # per key: this session's value (or erasure) wins
    strict = "strict"  # save() raises ConflictError naming the keys and writes nothing


class Migration(NamedTuple):
    """One step of the application's data schema: turns a session at version ``from_version``
    into one at ``to_version`` (> from_version) by reading and changing entries of the Session
    passed to ``apply`` (save, load and transact are not allowed there)."""

    from_version: int
    to_version: int
    apply: Callable[[Any], None]


E = TypeVar("E", bound=enum.Enum)


def choice(kind: Type[E], value: Union[E, str], option: str) -> E:
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(repr(m.value) for m in kind)
        raise ValueError(f"{option} must be one of {names}, not {value!r}") from None


def seconds(value: Union[float, int, datetime.timedelta]) -> float:
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"lock_timeout must be seconds or a timedelta, not {value!r}")
    if value < 0:
        raise ValueError("lock_timeout must not be negative")
    return float(value)


@dataclasses.dataclass
class Options:
    """Every option of a Session, validated. See :class:`picklejar.Session` for each one."""

    mode: OpenMode = OpenMode.create
    lock_timeout: float = 5.0
    protocol: Optional[int] = None
    durability: Durability = Durability.durable
    filesystem: FilesystemCheck = FilesystemCheck.detect
    conflicts: ConflictPolicy = ConflictPolicy.last_writer_wins
    schema_version: Optional[int] = None
    migrations: List[Migration] = dataclasses.field(default_factory=list)
    integrity_key: Optional[bytes] = dataclasses.field(default=None, repr=False)
    app_name: str = ""
    classes: Sequence[Any] = ()
    limits: DecodeLimits = dataclasses.field(default_factory=DecodeLimits)
    trusted_unsafe_pickle: bool = False
    writeback: bool = False
    keep_backups: int = 0
    backup_directory: Optional[str] = None
    file_mode: Optional[int] = None
    follow_symlinks: bool = False

    def __post_init__(self) -> None:
        self.mode = choice(OpenMode, self.mode, "mode")
        self.durability = choice(Durability, self.durability, "durability")
        self.filesystem = choice(FilesystemCheck, self.filesystem, "filesystem")
        self.conflicts = choice(ConflictPolicy, self.conflicts, "conflicts")
        self.lock_timeout = seconds(self.lock_timeout)
        if self.protocol is not None:
            self.protocol = check_protocol(self.protocol, "protocol")
        if self.integrity_key is not None:
            self.integrity_key = as_key_bytes(self.integrity_key)
        if not isinstance(self.app_name, str):
            raise TypeError("app_name must be a str")
        self.classes = tuple(self.classes)
        if self.file_mode is not None:
            if isinstance(self.file_mode, bool) or not isinstance(self.file_mode, int):
                raise TypeError(f"file_mode must be an int such as 0o600, not {self.file_mode!r}")
            if self.file_mode & ~0o777 or self.file_mode & 0o600 != 0o600:
                raise ValueError("file_mode must be 0o600-0o777 with owner read and write, not "
                                 f"{self.file_mode:#o}")
        for flag in ("trusted_unsafe_pickle", "writeback", "follow_symlinks"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be a bool, not {getattr(self, flag)!r}")
        if not isinstance(self.limits, DecodeLimits):
            raise TypeError(f"limits must be a picklejar.DecodeLimits, not {self.limits!r}")
        self.migrations = _check_migrations(self.migrations, self.schema_version)
        if isinstance(self.keep_backups, bool) or not isinstance(self.keep_backups, int) or \
                self.keep_backups < 0:
            raise ValueError(f"keep_backups must be an int >= 0, not {self.keep_backups!r}")
        if self.backup_directory is not None:
            self.backup_directory = os.fspath(self.backup_directory)


def check_protocol(protocol: Any, what: str) -> int:
    if isinstance(protocol, bool) or not isinstance(protocol, int):
        raise TypeError(f"{what} must be an int 0-5, not {protocol!r}")
    if not 0 <= protocol <= 5:
        raise ValueError(f"{what} must be 0-5, not {protocol}")
    return protocol


def _check_migrations(given: Iterable[Any], schema_version: Optional[int]) -> List[Migration]:
    migrations = [Migration(*m) for m in given]
    if schema_version is not None and (
        isinstance(schema_version, bool) or not isinstance(schema_version, int)
    ):
        raise TypeError(f"schema_version must be an int, not {schema_version!r}")
    if migrations and schema_version is None:
        raise ValueError("migrations need a schema_version to migrate to")
    starts = set()
    for m in migrations:
        if m.to_version <= m.from_version or not callable(m.apply):
            raise ValueError(
                f"migration {m.from_version} -> {m.to_version} must go up and have a function"
            )
        if m.from_version in starts:
            raise ValueError(f"two migrations start at schema version {m.from_version}")
        starts.add(m.from_version)
    return migrations
