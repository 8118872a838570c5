"""Change notification for a store on a PostgreSQL server (docs/FORMAT-POSTGRES.md "Watching
for changes"): version() is the store's revision (store_revision, one indexed statement), and
wait() blocks on the session's connection, which LISTENs on the channel picklejar, until a
NOTIFY arrives. A notification is a hint; the revision is the truth, so one missed (the
connection was lost, and opened again) costs latency, never a change."""

from __future__ import annotations

import select
import time
from typing import Any

from .._watch import ChangeFeed, WakePipe

# Between two looks at the revision while waiting, at most this long: a backstop only (a
# connection lost and opened again while waiting misses the notifications sent meanwhile).
_LOOK_AGAIN = 1.0


class PostgresChangeFeed(ChangeFeed):
    method = "listen"

    def __init__(self, store: Any) -> None:
        self._store = store
        self._wake = WakePipe()

    def version(self) -> int:
        revision: int = self._store.current_revision()
        return revision

    def version_seen(self, revision: int) -> int:
        # The look's own snapshot says which revision it saw; a version() asked now could be
        # newer, and hide a commit made in between.
        return revision

    def wait(self, deadline: float) -> None:
        store = self._store
        if store.listen():
            return  # changes committed before LISTEN sent no notification: look first
        now = time.monotonic()
        if now >= deadline:
            return
        until = min(deadline, now + _LOOK_AGAIN)
        conn, ours = store.conn, f"{store.store_id}:"
        while now < until:
            ready, _, _ = select.select([conn, self._wake.read_fd], [], [], until - now)
            if self._wake.read_fd in ready:
                self._wake.drain()
                return
            if conn in ready:
                try:
                    conn.poll()  # reads the notifications (and notices a lost connection)
                except Exception:  # noqa: BLE001 - lost: the next look opens a new connection
                    store._drop()
                    return
                # Other stores' saves are skipped by their store_id (the payload's prefix).
                mine = any(n.payload.startswith(ours) for n in conn.notifies)
                conn.notifies.clear()
                if mine:
                    return
            now = time.monotonic()

    def wake(self) -> None:
        self._wake.wake()

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        self._wake.close()
