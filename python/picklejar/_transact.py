"""The context manager behind Session.transact() (mirrors Session::transact in
lib/src/store/session_sync.cpp): the store's write transaction under its exclusive lock
around a refresh, the body and the save; the body's changes undone when anything raises."""

from __future__ import annotations

import contextlib
from typing import Any, Optional

from ._backends import Transaction as StoreTransaction
from ._state import State


class Transaction:
    """The context manager Session.transact() returns."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self._state: Optional[State] = None
        self._stack: Optional[contextlib.ExitStack] = None
        self._sql: Optional[StoreTransaction] = None

    def __enter__(self) -> Any:
        state = self._session._state
        if state.in_transaction:  # joins the outer transact()
            return self._session
        state.require_writable("transact on")
        state.sync_writeback()  # changes made in place before: unsaved changes, as any other
        with contextlib.ExitStack() as stack:
            self._sql = stack.enter_context(state.store.writing("cannot transact on"))
            state.refresh()
            self._stack = stack.pop_all()
        self._state = state
        state.undo = {}
        state.in_transaction = True
        return self._session

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        state, stack, sql = self._state, self._stack, self._sql
        if state is None or stack is None or sql is None:
            return None  # joined an outer transact(): it decides
        self._state = self._stack = None
        with stack:
            state.in_transaction = False
            if kind is not None:
                state.rollback_undo()
                state.revert_writeback()
                return None
            try:
                with state.store.errors("cannot transact on"):
                    state.sync_writeback()
                    written = state.write_pending(force=False)
                    sql.commit()
            except BaseException:
                state.rollback_undo()
                raise
            state.undo = None
            if written is not None:
                state.finish_save(written)
        return None
