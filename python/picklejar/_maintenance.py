"""Operations on the whole file: vacuum(), rekey() and set_app_schema_version() (mirrors
lib/src/store/session_maintenance.cpp)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from . import _format, _sqlite
from ._integrity import Signer, as_key_bytes
from .errors import StoreError

if TYPE_CHECKING:  # pragma: no cover
    from ._state import State


def vacuum(state: "State") -> None:
    with state.writer_lock(), _sqlite.errors_named(state.path, "cannot vacuum"):
        # VACUUM rebuilds every table and index (evaluating index expressions) with no time
        # limit: the schema, which another program may have changed since the open, is
        # checked first.
        with _sqlite.transaction(state.db, write=False) as txn:
            state.check_schema_current()
            txn.commit()
        with _sqlite.no_time_limit(state.db):
            state.db.execute("VACUUM")
            # VACUUM wrote the new file into the WAL; the checkpoint moves it into the file,
            # which shrinks, and TRUNCATE gives back the WAL's space.
            if state.journal_mode == "wal":
                state.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def rekey(state: "State", new_key: Any) -> None:
    from ._state import Entry  # a cycle at import time otherwise

    if state.pending:
        raise StoreError(f"cannot rekey '{state.path}' with unsaved changes: save() or "
                         "discard() first", state.path)
    following = Signer(None if new_key is None else as_key_bytes(new_key))
    with state.writer_lock(), _sqlite.errors_named(state.path, "cannot rekey"):
        with _sqlite.transaction(state.db, write=True) as txn:
            state.refresh()
            state.undo = {}
            try:
                # No unsaved changes: the view is the file. Every entry is verified first.
                for key in sorted(state.view):
                    entry = state.view[key]
                    state.check_digest(key, entry)
                    state.place(key, Entry(entry.pickle, following.digest(key, entry.pickle),
                                           entry.protocol, entry.revision, entry.modified_us,
                                           entry.value))
                _format.write_meta(state.db, "integrity_scheme", following.scheme)
                _format.write_meta(state.db, "key_id", following.key_id)
                written = state.write_pending(force=True)
                txn.commit()
            except BaseException:
                state.rollback_undo()
                raise
        state.undo = None
        state.signer = following
        state.meta.integrity_scheme = following.scheme
        state.meta.key_id = following.key_id
        state.finish_save(written)


def set_app_schema_version(state: "State", session: Any, version: int) -> None:
    declared = state.options.schema_version
    if declared is not None and declared != version:
        raise StoreError(f"cannot set the app schema version of '{state.path}' to {version}: "
                         f"this session declares version {declared}, which its migrations "
                         "keep", state.path)

    def write() -> None:
        if state.meta.app_schema_version == version and state.schema_change is None:
            return  # nothing to do
        _format.write_meta(state.db, "app_schema_version", version)
        state.schema_change = version

    if state.in_transaction:
        write()  # the transaction's rollback takes the row back, its save bumps the revision
    else:
        with session.transact():
            write()
