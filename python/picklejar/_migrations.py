"""The chain of the application's own schema migrations, run once under the store's
exclusive lock (docs/FORMAT.md "The application's schema"; mirrors
lib/src/store/migrations.cpp), and the end of every open. Upgrades of the file format are
_format.py's (files) and _backends/postgres_open.py's (stores)."""

from __future__ import annotations

from typing import Any, List, Sequence

from . import _changes, _format
from ._options import Migration
from ._state import State


def migration_path(migrations: Sequence[Migration], from_version: int, to_version: int,
                   path: str) -> List[Migration]:
    """The migrations leading from app schema ``from_version`` to ``to_version``, in order.
    FormatError naming ``path`` when there is no such chain."""
    return _format.version_chain(
        migrations, from_version, to_version,
        lambda version: f"no migration from app schema version {version} (migrating to "
                        f"{to_version})", path)


def migrate(state: State, session: Any) -> None:
    """Under the exclusive lock: migrates the file's app schema to options.schema_version in
    one write transaction, running the steps on ``session``; exactly once however many
    processes race (the version is re-read inside the transaction), and not at all when a
    step raises."""
    with state.store.writing("cannot migrate") as txn:
        state.refresh()
        target = state.options.schema_version
        assert target is not None  # _open.decide() plans a migration only to a declared one
        if state.meta.app_schema_version >= target:  # another process got there first
            txn.commit()
            return
        chain = migration_path(state.options.migrations, state.meta.app_schema_version,
                               target, state.path)
        state.undo = {}
        state.in_transaction = True
        try:
            for step in chain:
                step.apply(session)
            state.in_transaction = False
            state.sync_writeback()
            state.store.set_meta("app_schema_version", target)
            written = state.write_pending(force=True)
            txn.commit()
        except BaseException:
            state.in_transaction = False
            state.rollback_undo()
            raise
        state.undo = None
        state.meta.app_schema_version = target
        state.finish_save(written)


def finish_open(state: State, session: Any, needs_migration: bool) -> None:
    """The end of every open, once the store is created or found and loaded: the migration
    the open decided on (under the store's exclusive lock; exactly once), then the look that
    starts change notification."""
    if needs_migration:
        migrate(state, session)
    with state.store.reading("cannot open") as txn:
        state.refresh()
        _changes.begin(state)
        txn.commit()
