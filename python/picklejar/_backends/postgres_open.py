"""Opening a store on a PostgreSQL server (docs/FORMAT-POSTGRES.md "Opening a store"): its
row found or created, checked as a file's meta table is, then the first load, the change feed
and the migration the open needs."""

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
    if plan.upgrade:  # format 1 is the first: no store is older
        raise FormatError(f"cannot open '{store.shown}': no upgrade from store format "
                          f"{found.format_version}", store.shown)
    with store.reading("cannot open") as txn:
        state.refresh()
        txn.commit()
    _changes.start_feed(state)
    _migrations.finish_open(state, session, plan.migrate)


def row_meta(row: Dict[str, Any], shown: str) -> Meta:
    """The meta rows a store's row holds, each checked as FORMAT.md's meta rows are, and the
    integrity columns as FORMAT-POSTGRES.md says: sha256 with no key id, or hmac-sha256 with
    16 lowercase hex digits."""
    meta = _format.meta_from_rows({name: row[name] for name in META_COLUMNS}, shown)
    scheme, key_id = meta.integrity_scheme, meta.key_id
    if (scheme == SHA256 and key_id is not None) or (scheme == HMAC_SHA256 and (
            key_id is None or len(key_id) != 16 or key_id.strip("0123456789abcdef"))):
        raise FormatError(f"cannot open '{shown}': its key_id {key_id!r} does not go with its "
                          f"integrity scheme '{scheme}'", shown)
    return meta
