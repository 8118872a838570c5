"""Opening a store on a PostgreSQL server (docs/FORMAT-POSTGRES.md "Opening a store"): its
row found or created, checked as a file's meta table is, the upgrade of a format-1 store, then
the first load, the change feed and the migration the open needs."""

from __future__ import annotations

from typing import Any, Dict

from .. import _changes, _format, _migrations, _open
from .._format import Meta
from .._integrity import HMAC_SHA256, SHA256
from ..errors import FormatError, StoreError

# The meta rows a store's row holds, under their FORMAT.md names.
META_COLUMNS = ("format_version", "min_reader_version", "app_schema_version",
                "default_protocol", "revision", "purged_revision", "created_us",
                "modified_us", "created_by", "writer_name", "writer_version", "writer_app",
                "integrity_scheme", "key_id")


def open_store(store: Any, state: Any, session: Any) -> None:
    """Opens (or creates) the store for ``state``: the store's row checked as a file's meta
    table is (versions, integrity key, app schema), the first load, the change feed, then
    the migration it needs, once, under the row's lock (FORMAT-POSTGRES.md "Opening a
    store")."""
    if store.options.keep_backups:
        raise StoreError(f"cannot open '{store.shown}' with keep_backups: a store on a "
                         "server is backed up by the server's tools (pg_dump)", store.shown)
    row = store.find_or_create(_open._new_file_meta(state))
    found = _format.Inspection(kind="picklejar", format_version=row["format_version"])
    found.meta.format_version = row["format_version"]
    found.meta.min_reader_version = row["min_reader_version"]
    if found.meta.min_reader_version > _format.FORMAT_VERSION:
        _open.decide(state, found)  # refuses, naming both versions
    found.meta = row_meta(row, store.shown)
    plan = _open.decide(state, found)
    if plan.upgrade:
        upgrade_store(state)
    with store.reading("cannot open") as txn:
        state.refresh()
        txn.commit()
    _changes.start_feed(state)
    _migrations.finish_open(state, session, plan.migrate)


def upgrade_store(state: Any) -> None:
    """Format 1 -> 2 under the store's row lock, in one write transaction (FORMAT-POSTGRES.md
    "App schema migrations and format upgrades of a store"), as files are upgraded
    (_format._bind_file_id): the store's file_id is its file id; every entry that verifies
    under format 1's HMAC is re-signed under the key derived from it, at the upgrade's
    revision; one that does not keeps its digest (it keeps failing its check). sha256 stores
    change only their row. Nothing happens when another client upgraded the store first."""
    from .._state import Entry  # a cycle at import time otherwise

    with state.store.writing("cannot upgrade") as txn:
        state.refresh()  # the first look: the row as locked, every entry
        meta = state.meta
        if meta.format_version >= _format.FORMAT_VERSION:
            txn.commit()
            return
        if meta.format_version != 1:
            raise FormatError(f"cannot open '{state.path}': no upgrade from store format "
                              f"{meta.format_version}", state.path)
        old = state.signer.for_file(None)
        new = state.signer.for_file(bytes.fromhex(meta.file_id))
        state.undo = {}
        try:
            if new.key_id is not None:
                for key in sorted(state.view):
                    entry = state.view[key]
                    if old.verify(key, entry.pickle, entry.digest):
                        state.place(key, Entry(entry.pickle, new.digest(key, entry.pickle),
                                               entry.protocol, entry.revision,
                                               entry.modified_us))
            state.store.set_meta("format_version", _format.FORMAT_VERSION)
            state.store.set_meta("min_reader_version", _format.MIN_READER_VERSION)
            written = state.write_pending(force=True)
            txn.commit()
        except BaseException:
            state.rollback_undo()
            raise
    state.undo = None
    state.signer = new
    meta.format_version = _format.FORMAT_VERSION
    meta.min_reader_version = _format.MIN_READER_VERSION
    state.finish_save(written)


def row_meta(row: Dict[str, Any], shown: str) -> Meta:
    """The meta rows a store's row holds, each checked as FORMAT.md's meta rows are, and the
    integrity columns as FORMAT-POSTGRES.md says: sha256 with no key id, or hmac-sha256 with
    16 lowercase hex digits."""
    rows = {name: row[name] for name in META_COLUMNS}
    rows["file_id"] = bytes(row["file_id"]).hex()  # 16 bytes: the table's CHECK
    meta = _format.meta_from_rows(rows, shown)
    meta.file_id = rows["file_id"]  # a store's id from format 1 on; format 2 binds it
    scheme, key_id = meta.integrity_scheme, meta.key_id
    if (scheme == SHA256 and key_id is not None) or (scheme == HMAC_SHA256 and (
            key_id is None or len(key_id) != 16 or key_id.strip("0123456789abcdef"))):
        raise FormatError(f"cannot open '{shown}': its key_id {key_id!r} does not go with its "
                          f"integrity scheme '{scheme}'", shown)
    return meta
