"""How a session learns that other connections changed its store without reading any entry:
the backend-dependent half of change notification (the session keeps the rest: which keys
changed, from its incremental refresh). Mirrors lib/src/store/change_feed.hpp and
sqlite_change_feed.cpp. A store on a PostgreSQL server has its own
(_backends/postgres_feed.py): version() is the store's revision, wait() waits for a NOTIFY.

SQLite's feed: PRAGMA data_version says whether another connection committed; wait() sleeps
until it is worth asking again, on inotify events of the database's files or on a timer. A
WAL commit writes its frames (the events) and only then, after the fsync, publishes them in
the shared-memory index, which raises no event: so an event is followed by a settling time in
which wait() returns after 1, 2, 4, ... ms (at most 100 ms apart, for 10 s) even without
another event."""

from __future__ import annotations

import os
import select
import time
from typing import Callable, Optional

from ._inotify import DirectoryWatch

# After an event, look again for this long: a commit becomes visible only after its fsync,
# which a busy disk may take seconds to finish.
_SETTLE_TIME = 10.0
_SETTLE_FIRST = 0.001
_SETTLE_MAX = 0.100
_POLL_FIRST = 0.002  # polling: right after a change
_POLL_MAX = 0.100  # polling: while nothing changes


class WakePipe:
    """How wake() reaches a wait() on another thread: a non-blocking pipe whose read end a
    feed's poll()/select() watches. Shared by every feed."""

    def __init__(self) -> None:
        self.read_fd, self._write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self._write_fd, False)

    def drain(self) -> None:
        try:
            while os.read(self.read_fd, 64):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def wake(self) -> None:
        try:
            os.write(self._write_fd, b"\1")
        except (BlockingIOError, OSError):  # a full pipe already holds a wake-up
            pass

    @property
    def closed(self) -> bool:
        return self.read_fd < 0

    def close(self) -> None:
        for fd in (self.read_fd, self._write_fd):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.read_fd = self._write_fd = -1


class ChangeFeed:
    """The interface: ``version()`` and ``wait()`` on the session's thread, ``wake()`` from any
    thread."""

    method = "none"  # how wait() learns of changes: "inotify" or "poll"

    def version(self) -> int:
        """A value that differs from an earlier one once another connection committed a change
        in between (it may also differ without one). Reads no entry, takes no lock file."""
        raise NotImplementedError

    def version_seen(self, revision: int) -> int:
        """Inside the read transaction of a look that brought the session to ``revision``:
        the version() that look corresponds to."""
        return self.version()

    def wait(self, deadline: float) -> None:
        """Returns when the store may have changed since the last call, when ``deadline``
        (time.monotonic()) passes, or when wake() was called."""
        raise NotImplementedError

    def wake(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class SqliteChangeFeed(ChangeFeed):
    def __init__(self, version: Callable[[], int], path: str, poll_only: bool) -> None:
        self._version = version  # PRAGMA data_version, or the file's stamp
        self._path = os.path.realpath(path)  # SQLite names the -wal after the real file
        self._poll_only = poll_only
        self._wake = WakePipe()
        self._watch: Optional[DirectoryWatch] = None
        self._watch_tried = False
        self._last_version = 0
        self._pause = _POLL_FIRST
        self._settle_until = 0.0
        self._settle_step = _SETTLE_FIRST

    @property
    def method(self) -> str:  # type: ignore[override]  # the base's plain attribute, live here
        return "inotify" if self._watch is not None else "poll"

    def version(self) -> int:
        now = self._version()
        if now != self._last_version:
            self._pause = _POLL_FIRST  # polling: something moves, look often
        self._last_version = now
        return now

    def _start_watch(self) -> None:
        self._watch_tried = True
        directory, name = os.path.split(self._path)
        self._watch = DirectoryWatch.open(directory or ".", [name, name + "-wal",
                                                             name + "-journal"])

    def wait(self, deadline: float) -> None:
        if not self._poll_only and not self._watch_tried:
            # A commit between the caller's last version() and now raised no event yet: return,
            # so that the caller looks once more before the first blocking wait.
            self._start_watch()
            if self._watch is not None:
                return
        now = time.monotonic()
        if now >= deadline:
            return
        until = deadline
        if self._watch is None:
            until = min(deadline, now + self._pause)
            self._pause = min(self._pause * 2, _POLL_MAX)
        elif now < self._settle_until:
            until = min(deadline, now + self._settle_step)
            self._settle_step = min(self._settle_step * 2, _SETTLE_MAX)
        poller = select.poll()
        poller.register(self._wake.read_fd, select.POLLIN)
        if self._watch is not None:
            poller.register(self._watch.fileno(), select.POLLIN)
        timeout_ms = max(0, min(3_600_000, int((until - now) * 1000 + 0.999)))
        ready = {fd for fd, _ in poller.poll(timeout_ms)}
        if self._wake.read_fd in ready:
            self._wake.drain()
        if self._watch is not None and self._watch.fileno() in ready and self._watch.drain():
            self._settle_until = time.monotonic() + _SETTLE_TIME
            self._settle_step = _SETTLE_FIRST
        if self._watch is not None and self._watch.dead:  # the directory went away: poll
            self._watch.close()
            self._watch = None

    def wake(self) -> None:
        self._wake.wake()

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        if self._wake.closed:
            return
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        self._wake.close()
