"""The stores of a database as a whole (docs/FORMAT-POSTGRES.md "Listing and deleting
stores"): list them, delete one. Each call opens a connection of its own and closes it; it
never creates the tables."""

from __future__ import annotations

import contextlib
from typing import Iterator, List, Tuple

from ..errors import StoreError
from .postgres_connection import MIN_IDLE_SECONDS, connect, layout_ready, ms, typed_error
from .postgres_sql import SQL, params
from .postgres_url import StoreUrl, parse, parse_database, shown_connected

import psycopg2  # noqa: E402  (after postgres_connection, which says what to install)
import psycopg2.extensions  # noqa: E402

# A row of list_stores: name, format_version, revision, modified_us, integrity_scheme.
StoreRow = Tuple[str, int, int, int, str]


@contextlib.contextmanager
def _connection(url: StoreUrl, doing: str,
                lock_timeout: float) -> Iterator[Tuple[psycopg2.extensions.cursor, str]]:
    """A cursor on a new connection and the URL as shown (with what libpq connected to);
    the server's errors inside as typed ones naming it."""
    conn = connect(url.dsn, url.shown, doing, max(MIN_IDLE_SECONDS, lock_timeout))
    shown = shown_connected(conn.info, url.name or None)
    try:
        yield conn.cursor(), shown
    except psycopg2.Error as e:
        raise typed_error(e, doing, shown, bool(conn.closed), lock_timeout) from None
    finally:
        conn.close()


def list_stores(url: str) -> List[StoreRow]:
    """Every store of the database ``url`` names, by name in code point order; none when the
    database has no picklejar tables."""
    doing = "cannot list the stores of"
    with _connection(parse_database(url, doing), doing, 0.0) as (cur, shown):
        if not layout_ready(cur, shown, doing, create=False, write=False):
            return []
        cur.execute(SQL["list_stores"])
        return [(name, version, revision, modified_us, scheme)
                for name, version, revision, modified_us, scheme in cur.fetchall()]


def delete_store(url: str, lock_timeout: float, missing_ok: bool) -> bool:
    """Deletes the store ``url`` names with its entries and tombstones, in a write transaction
    that waits for the store's row lock up to ``lock_timeout`` (LockTimeout). Whether there
    was such a store; StoreError when there was none, unless ``missing_ok``."""
    doing = "cannot delete"
    store = parse(url)
    with _connection(store, doing, lock_timeout) as (cur, shown):
        deleted = False
        if layout_ready(cur, shown, doing, create=False, write=True):
            # An error before COMMIT leaves it all as it was: closing the connection rolls
            # the transaction back.
            cur.execute(SQL["begin_write"])
            cur.execute(SQL["write_settings"], params(ms(lock_timeout), "on"))
            cur.execute(SQL["delete_store"], params(store.name))
            deleted = cur.fetchone() is not None
            cur.execute("COMMIT")
        if not deleted and not missing_ok:
            raise StoreError(f"{doing} '{shown}': no such store", shown)
        return deleted
