"""What a session's file name means (docs/FORMAT.md "File names"; mirrors
lib/src/store/file_name.cpp): exactly that file. SQLite is handed a percent-encoded file: URI
(_sqlite.uri_for), so a name that starts with "file:" or holds '?', '#' or '%' is a file name.
Unless the caller follows symbolic links, the directory part is resolved first and the last
component must not be a symbolic link (checked with lstat() just before SQLite opens it, and a
new file is created with O_NOFOLLOW | O_EXCL: Python's sqlite3 cannot pass
SQLITE_OPEN_NOFOLLOW). The lock file is opened with O_NOFOLLOW always (_lockfile.py)."""

from __future__ import annotations

import errno
import os
import stat
from typing import Optional

from .errors import StoreError

# The longest suffix SQLite or picklejar adds to a session file's name: "-journal".
LONGEST_SUFFIX = 8


def _refuse(shown: str, why: str) -> StoreError:
    return StoreError(f"cannot open '{shown}': {why}", shown)


def resolve(given: str, follow_symlinks: bool) -> str:
    """The file ``given`` names, to open: its directory resolved unless following links.
    StoreError naming it for a name of a directory, a missing directory, or a last component
    too long for NAME_MAX with its "-journal" suffix."""
    directory, last = os.path.split(given)
    if not last or last in (".", ".."):
        raise _refuse(given, "it names a directory, not a file")
    directory = directory or "."
    try:
        name_max = os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        name_max = 255
    if name_max <= 0:
        name_max = 255
    length = len(os.fsencode(last))
    if length + LONGEST_SUFFIX > name_max:
        raise _refuse(given, f"its name is {length} bytes long, and SQLite's '-journal' file "
                             f"next to it would not fit the file system's limit of {name_max} "
                             f"bytes: session file names may be at most "
                             f"{name_max - LONGEST_SUFFIX} bytes")
    if follow_symlinks and os.path.exists(given):
        # Where its links lead, so that every spelling shares one lock file, as SQLite keeps
        # its -wal next to the target.
        return os.path.realpath(given)
    real = os.path.realpath(directory)
    if not os.path.isdir(real):
        raise _refuse(given, f"its directory '{directory}': No such file or directory")
    return os.path.join(real, last)


def refuse_symlink(shown: str, file: str, follow_symlinks: bool) -> None:
    """StoreError naming the file when it is a symbolic link and links are not followed."""
    if follow_symlinks:
        return
    try:
        st = os.lstat(file)
    except OSError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise _refuse(shown, "it is a symbolic link, which picklejar follows only when asked to "
                             "(SessionOptions::follow_symlinks; follow_symlinks=True in Python; "
                             "--follow-symlinks)")


def default_mode(integrity_key: bool) -> int:
    """The bits of a new session file when the caller names none: 0o600 with an integrity key
    (signed state is the application's own), else 0o666 less the umask, as SQLite."""
    from ._lockfile import default_file_mode
    return 0o600 if integrity_key else default_file_mode()


def create_database_file(shown: str, file: str, mode: int, follow_symlinks: bool) -> bool:
    """Creates the empty database file with exactly ``mode`` before SQLite sees it (its -wal,
    -shm and -journal get the database's bits from SQLite), never through a symbolic link
    unless following them. False when it exists already (made by another process meanwhile)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(file, flags, 0o600)
    except OSError as e:
        if e.errno == errno.EEXIST:
            return False
        raise _refuse(shown, e.strerror or str(e)) from e
    try:
        os.fchmod(fd, mode & 0o777)
    except OSError as e:
        raise _refuse(shown, e.strerror or str(e)) from e
    finally:
        os.close(fd)
    return True


def wal_has_frames(file: str) -> bool:
    try:
        return os.stat(file + "-wal").st_size > 0
    except OSError:
        return False


def size_of(file: str) -> Optional[int]:
    try:
        return os.stat(file).st_size
    except OSError:
        return None
