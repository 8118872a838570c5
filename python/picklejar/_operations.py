"""Session.increment() and Session.add(): one key read, changed and saved in a write
transaction of its own (BEGIN IMMEDIATE under the exclusive lock), so that processes racing
on the key serialize; unlike transact(), they write only their key. And the sizes
Session.info reports. (Mirrors lib/src/store/session_atomic.cpp and session_bulk.cpp.)"""

from __future__ import annotations

from typing import Any, Callable, Dict, TypeVar

from ._state import State
from .errors import printable

T = TypeVar("T")


def save_one(state: State, key: str, change: Callable[[], T]) -> T:
    """Brings the session up to date in a write transaction, runs ``change()`` (which may
    change only ``key``) and saves ``key`` if it changed. Inside transact(), runs change()
    alone: the outer transaction saves. Returns what change() returns."""
    if state.in_transaction:
        return change()
    state.sync_writeback()
    with state.store.writing("cannot save") as txn:
        state.refresh()  # with every pending change in place
        # Only `key` is written: the other pending changes wait aside.
        others = state.pending
        state.pending = {} if key not in others else {key: others.pop(key)}
        state.undo = {}
        try:
            result = change()
            written = state.write_pending(force=False) if key in state.undo else None
            txn.commit()
        except BaseException:
            state.rollback_undo()
            state.pending.update(others)
            raise
        state.undo = None
        if written is not None:
            state.finish_save(written)
        state.pending.update(others)
    return result


def increment(state: State, key: str, delta: int) -> int:
    def change() -> int:
        now = 0
        entry = state.view.get(key)
        if entry is not None:
            now = state.decoded(key, entry)
            if isinstance(now, bool) or not isinstance(now, int):
                raise TypeError(f"'{printable(key)}': expected int, got {type(now).__name__} in "
                                f"'{state.path}'")
        state.put(key, now + delta, state.write_protocol())
        return now + delta
    return save_one(state, key, change)


def add(state: State, key: str, value: Any) -> bool:
    entry = state.encode(key, value, state.write_protocol())  # fails before locking

    def change() -> bool:
        if key in state.view:
            return False
        state.place(key, entry)
        return True
    return save_one(state, key, change)


def read_sizes(state: State) -> Dict[str, int]:
    """The store's sizes now, in one read transaction (inside transact() or a migration, in
    the write transaction already open)."""
    sizes: Dict[str, int] = state.store.sizes(state.in_transaction)
    return sizes
