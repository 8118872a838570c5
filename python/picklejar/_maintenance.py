"""Operations on the whole file: vacuum(), rekey() and set_app_schema_version() (mirrors
lib/src/store/session_maintenance.cpp)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _sqlite
from ._integrity import Signer, as_key_bytes
from .errors import StoreError

if TYPE_CHECKING:  # pragma: no cover
    from ._state import State


def vacuum(state: "State") -> None:
    store = state.store.require_file("vacuum")
    with store.writer_lock(), _sqlite.errors_named(state.path, "cannot vacuum"):
        # VACUUM rebuilds every table and index (evaluating index expressions) with no time
        # limit: the schema, which another program may have changed since the open, is
        # checked first.
        db = store.connection
        with _sqlite.transaction(db, write=False) as txn:
            store.before_read()
            txn.commit()
        with _sqlite.no_time_limit(db):
            db.execute("VACUUM")
            # VACUUM wrote the new file into the WAL; the checkpoint moves it into the file,
            # which shrinks, and TRUNCATE gives back the WAL's space.
            if store.journal_mode == "wal":
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def rekey(state: "State", new_key: Any) -> None:
    from ._state import Entry  # a cycle at import time otherwise

    if state.pending:
        raise StoreError(f"cannot rekey '{state.path}' with unsaved changes: save() or "
                         "discard() first", state.path)
    # The file keeps its id: the new key signs under the same file's rule.
    following = Signer(None if new_key is None else as_key_bytes(new_key),
                       state.signer.file_id)
    with state.store.writing("cannot rekey") as txn:
        state.refresh()
        state.undo = {}
        try:
            # No unsaved changes: the view is the store. Every entry is verified first.
            for key in sorted(state.view):
                entry = state.view[key]
                state.check_digest(key, entry)
                state.place(key, Entry(entry.pickle, following.digest(key, entry.pickle),
                                       entry.protocol, entry.revision, entry.modified_us,
                                       entry.value))
            state.store.set_meta("integrity_scheme", following.scheme)
            state.store.set_meta("key_id", following.key_id)
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
        state.store.set_meta("app_schema_version", version)
        state.schema_change = version

    if state.in_transaction:
        write()  # the transaction's rollback takes the row back, its save bumps the revision
    else:
        with session.transact():
            write()
