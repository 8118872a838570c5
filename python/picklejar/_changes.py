"""Change notification: which keys other sessions changed since the last look (load(),
wait_for_change()), and waiting on the store's change feed. Mirrors
lib/src/store/session_changes.cpp."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any, List, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from ._state import State


@dataclasses.dataclass(frozen=True)
class Changes:
    """What other sessions changed in the file since this session last looked: the keys they
    added, saved again or removed, each in key order. This session's own saves are not
    listed. False when nothing changed."""

    since_revision: int  # the global revision at the previous look
    revision: int  # the global revision the session is current with now
    added: Tuple[str, ...] = ()  # keys new to this session's view of the file
    changed: Tuple[str, ...] = ()  # keys it had, saved since (perhaps with an equal value)
    removed: Tuple[str, ...] = ()  # keys it had and has no more

    def keys(self) -> List[str]:
        """added, changed and removed together, in key order."""
        return sorted(self.added + self.changed + self.removed)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def _file_has(state: "State", key: str) -> bool:
    """Whether the file, as this session knows it, has ``key`` (unsaved changes aside)."""
    change = state.pending.get(key)
    if change is not None:
        return change.disk is not None
    return key in state.view


def note(state: "State", key: str) -> None:
    """Inside a refresh, before another session's change to ``key`` is applied."""
    if key not in state.unreported:
        state.unreported[key] = _file_has(state, key)


def take(state: "State") -> Changes:
    """Inside the read transaction of a look, after its refresh: the changes since the
    previous look, which this one ends."""
    added, changed, removed = [], [], []
    for key in sorted(state.unreported):
        had, has = state.unreported[key], _file_has(state, key)
        if had and has:
            changed.append(key)
        elif has:
            added.append(key)
        elif had:
            removed.append(key)
    changes = Changes(state.looked_revision, state.seen, tuple(added), tuple(changed),
                      tuple(removed))
    begin(state)
    return changes


def begin(state: "State") -> None:
    """Inside a read transaction: this is a look (the open's last one is the first)."""
    state.unreported.clear()
    state.looked_revision = state.seen
    state.looked_version = state.feed.version_seen(state.seen)


def start_feed(state: "State") -> None:
    state.feed = state.store.change_feed()


def changed(state: "State") -> bool:
    return bool(state.unreported) or state.feed.version() != state.looked_version


def wait(state: "State", session: Any, deadline: float, stop: Any = None) -> Changes:
    """wait_for_change() until ``deadline`` (time.monotonic()); with ``stop`` (a
    threading.Event), also returns empty Changes once it is set and the feed woken."""
    state.require_outside_transaction("wait for changes to")
    while stop is None or not stop.is_set():
        if changed(state):
            found: Changes = session.load()
            if found or time.monotonic() >= deadline:
                return found
        if time.monotonic() >= deadline:
            break
        state.feed.wait(deadline)
    return Changes(state.looked_revision, state.seen)
