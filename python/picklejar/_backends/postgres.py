"""A session's store on a PostgreSQL server (docs/FORMAT-POSTGRES.md), through psycopg2,
which is imported only here, when a session opens a postgresql:// URL.

One connection per session, in autocommit mode with explicit transactions: reads are one
REPEATABLE READ READ ONLY snapshot, writes a READ COMMITTED transaction holding the store
row's lock (SELECT ... FOR UPDATE) under the session's lock timeout. A connection found lost
at the start of a call is opened again; one lost inside a call fails that call (ServerError)
and the server rolls back whatever it had begun."""

from __future__ import annotations

import contextlib
import os
from typing import (TYPE_CHECKING, Any, ContextManager, Dict, Iterable, Iterator, List, NoReturn,
                    Optional, Sequence, Set, Tuple, Union)

from .. import _format
from .._format import Meta
from .._options import Durability, OpenMode, Options
from .._state import Entry
from ..errors import FormatError, StoreError
from . import Store, Upsert
from .postgres_connection import MIN_IDLE_SECONDS, connect, layout_ready, ms, typed_error
from .postgres_open import META_COLUMNS, open_store, row_meta
from .postgres_sql import SQL, params
from .postgres_url import parse, shown_connected

# After postgres_connection, which says what to install when psycopg2 is missing.
import psycopg2  # noqa: E402
import psycopg2.extensions  # noqa: E402
import psycopg2.extras  # noqa: E402

if TYPE_CHECKING:
    from .postgres_feed import PostgresChangeFeed

Connection = psycopg2.extensions.connection
Cursor = psycopg2.extensions.cursor

# How long a transaction of this session may stay idle (the tests lower it).
_MIN_IDLE_SECONDS = MIN_IDLE_SECONDS
# A change set goes to the server in statements of at most this many bytes of pickles
# (docs/FORMAT-POSTGRES.md "Writing", steps 4-5: an array parameter is at most 1 GB).
_CHUNK_BYTES = 32 << 20


def _chunks(upserts: Sequence[Upsert]) -> Iterator[Sequence[Upsert]]:
    """``upserts`` in runs of at most _CHUNK_BYTES of pickles (one entry alone when larger)."""
    start, size = 0, 0
    for i, upsert in enumerate(upserts):
        if i > start and size + len(upsert[1]) > _CHUNK_BYTES:
            yield upserts[start:i]
            start, size = i, 0
        size += len(upsert[1])
    if start < len(upserts):
        yield upserts[start:]


class _Transaction:
    def __init__(self, store: "PostgresStore", write: bool) -> None:
        self._store = store
        self.open = True
        # A read ends with COMMIT; a write transaction with COMMIT once write_revision() ran,
        # else with ROLLBACK: it changes nothing (FORMAT-POSTGRES.md).
        self.wrote = not write

    def commit(self) -> None:
        self._store._cur.execute("COMMIT" if self.wrote else "ROLLBACK")
        self.open = False


class PostgresStore(Store):
    kind = "postgresql"

    def __init__(self, url: str, options: Options) -> None:
        parsed = parse(url)
        self.__dsn = parsed.dsn  # may hold a password: never shown, never in a message
        self.name = parsed.name
        self.shown = parsed.shown
        self.options = options
        self.read_only = options.mode == OpenMode.read_only
        self.conn: Optional[Connection] = None
        self._cursor: Optional[Cursor] = None
        self._listening = False
        self.store_id: Optional[int] = None
        self.file_id: Optional[bytes] = None
        self._row: Optional[Dict[str, Any]] = None  # the store's row in this transaction
        self._changed_meta: Dict[str, Any] = {}
        self._txn: Optional[_Transaction] = None
        self._pid = os.getpid()
        self.shown = shown_connected(self._connect("cannot open").info, self.name)

    def __repr__(self) -> str:
        return f"<PostgresStore {self.shown!r}>"

    # ---- the connection -----------------------------------------------------------------------

    def _connect(self, doing: str) -> Connection:
        idle = max(_MIN_IDLE_SECONDS, float(self.options.lock_timeout))
        conn = connect(self.__dsn, self.shown, doing, idle)
        try:
            cur = conn.cursor()
            self.conn, self._cursor, self._listening = conn, cur, False
            if not layout_ready(cur, self.shown, doing, create=not self.read_only,
                                write=not self.read_only):
                raise StoreError(f"{doing} '{self.shown}': the database holds no picklejar "
                                 "stores (no schema picklejar)", self.shown)
            return conn
        except BaseException as e:
            self.conn = self._cursor = None
            lost = bool(conn.closed)
            conn.close()
            if isinstance(e, psycopg2.Error):  # e.g. no right to create the tables
                raise self._typed(e, doing, lost) from None
            raise

    def _usable(self, doing: str) -> Cursor:
        """The connection's cursor, reconnecting when the connection was lost since the last
        call (between calls nothing is pending on the server)."""
        if self.conn is None or self.conn.closed:
            self._drop()
            self._connect(doing)
        return self._cur

    @property
    def _cur(self) -> Cursor:
        """The connection's cursor, within a call (after _usable())."""
        if self._cursor is None:
            raise StoreError(f"'{self.shown}': the connection to the server is closed",
                             self.shown)
        return self._cursor

    @property
    def _conn(self) -> Connection:
        """The connection, within a call (after _usable())."""
        if self.conn is None:
            raise StoreError(f"'{self.shown}': the connection to the server is closed",
                             self.shown)
        return self.conn

    def _drop(self) -> None:
        conn, self.conn, self._cursor, self._listening = self.conn, None, None, False
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _begin(self, begin: str, doing: str) -> Cursor:
        """The statement ``begin`` (begin_read or begin_write), on a new connection if the one
        held turns out lost: nothing was sent in this call yet, so beginning again is safe."""
        cur = self._usable(doing)
        try:
            cur.execute(SQL[begin])
            return cur
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            if self.conn is not None and not self.conn.closed:
                raise
        self._drop()
        cur = self._usable(doing)
        cur.execute(SQL[begin])
        return cur

    def _rollback_quietly(self) -> None:
        if self.conn is None or self.conn.closed:
            return
        try:
            self._cur.execute("ROLLBACK")
        except psycopg2.Error:
            self._drop()  # a connection in an unknown state is not used again

    # ---- errors -------------------------------------------------------------------------------

    def _typed(self, error: "psycopg2.Error", doing: str, lost: bool) -> StoreError:
        return typed_error(error, doing, self.shown, lost, float(self.options.lock_timeout))

    @contextlib.contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except psycopg2.Error as e:
            if self.conn is not None and self.conn.closed:
                self._drop()
            lost = self.conn is None or bool(self.conn.closed)
            raise self._typed(e, doing, lost) from None

    # ---- transactions -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self, begin: str, doing: str, write: bool) -> Iterator[_Transaction]:
        with self.errors(doing):
            cur = self._begin(begin, doing)
            if self._listening:  # hints psycopg2 collected: the transaction reads the truth
                self._conn.notifies.clear()
            txn = self._txn = _Transaction(self, write)
            self._row, self._changed_meta = None, {}
            try:
                if write:
                    self._lock(cur)
                yield txn
            finally:
                self._row = None
                if txn.open:
                    self._rollback_quietly()

    def reading(self, doing: str) -> ContextManager[_Transaction]:
        return self._transaction("begin_read", doing, write=False)

    def writing(self, doing: str) -> ContextManager[_Transaction]:
        return self._transaction("begin_write", doing, write=True)

    def _lock(self, cur: Cursor) -> None:
        durable = self.options.durability == Durability.durable
        cur.execute(SQL["write_settings"],
                    params(ms(float(self.options.lock_timeout)), "on" if durable else "off"))
        cur.execute(SQL["lock_store"], params(self.name))
        self._row = self._row_of(cur.fetchone())

    def _row_of(self, row: Optional[Tuple[Any, ...]]) -> Dict[str, Any]:
        if row is None:
            raise StoreError(f"the store '{self.shown}' was deleted", self.shown)
        found = dict(zip(("store_id", "file_id", *META_COLUMNS), row))
        if self.store_id is not None and found["store_id"] != self.store_id:
            raise StoreError(f"the store '{self.shown}' was deleted and created again while "
                             "open: open it again", self.shown)
        return found

    # ---- reading ------------------------------------------------------------------------------

    def before_read(self) -> None:
        if self._row is None:
            self._cur.execute(SQL["read_store"], params(self.name))
            self._row = self._row_of(self._cur.fetchone())

    def _read_row(self) -> Dict[str, Any]:
        """The store's row as this transaction read it (before_read() or the lock)."""
        row = self._row
        if row is None:
            raise StoreError(f"'{self.shown}': the store's row was not read in this "
                             "transaction", self.shown)
        return row

    def revision(self) -> int:
        revision: int = self._read_row()["revision"]
        return revision

    def read_meta(self) -> Meta:
        return row_meta(self._read_row(), self.shown)

    def _key(self, raw: Union[bytes, memoryview]) -> str:
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError(f"malformed row in '{self.shown}': a key is not UTF-8 (its bytes: "
                              f"{bytes(raw)[:40]!r})", self.shown) from None

    def entries_since(self, seen: int) -> List[Tuple[str, Entry]]:
        cur = self._cur
        cur.execute(SQL["entries_since"], params(self.store_id, seen))
        key = self._key
        return [(key(k), Entry(bytes(data), bytes(digest), protocol, revision, modified_us))
                for k, data, protocol, digest, revision, modified_us in cur.fetchall()]

    def tombstones_since(self, seen: int) -> List[str]:
        cur = self._cur
        cur.execute(SQL["tombstones_since"], params(self.store_id, seen))
        return [self._key(k) for k, _ in cur.fetchall()]

    def all_keys(self) -> Set[str]:
        cur = self._cur
        cur.execute(SQL["all_keys"], params(self.store_id))
        return {self._key(k) for (k,) in cur.fetchall()}

    # ---- writing ------------------------------------------------------------------------------

    def set_meta(self, name: str, value: Any) -> None:
        self._changed_meta[name] = value

    def write_revision(self, revision: int, now: int, upserts: Sequence[Upsert],
                       erased: Iterable[str], purged_revision: int,
                       writer: Tuple[str, str, str]) -> int:
        cur, store_id = self._cur, self.store_id
        for chunk in _chunks(upserts):
            keys = [key.encode("utf-8") for key, *_ in chunk]
            cur.execute(SQL["put_entries"], params(
                store_id, keys, [u[1] for u in chunk], [u[2] for u in chunk],
                [u[3] for u in chunk], revision, now))
            cur.execute(SQL["drop_tombstones"], params(store_id, keys))
        gone = [name.encode("utf-8") for name in erased]
        if gone:
            cur.execute(SQL["erase_entries"], params(store_id, gone, revision))
        limit, purged = revision - _format.TOMBSTONE_RETENTION, purged_revision
        if limit > purged:
            cur.execute(SQL["purge_tombstones"], params(store_id, limit))
            if cur.rowcount > 0:
                purged = limit
        row = dict(self._read_row(), **self._changed_meta)
        cur.execute(SQL["update_store"], params(
            store_id, revision, purged, now, *writer, row["app_schema_version"],
            row["default_protocol"], row["integrity_scheme"], row["key_id"],
            row["format_version"], row["min_reader_version"]))
        cur.execute(SQL["notify"], params(f"{store_id}:{revision}"))
        txn = self._txn
        assert txn is not None  # write_revision() runs inside writing()
        txn.wrote = True
        return purged

    # ---- opening ------------------------------------------------------------------------------

    def find_or_create(self, new_meta: Meta) -> Dict[str, Any]:
        """The store's row, created (when the session may) with ``new_meta``; racing creators
        agree on one row (ON CONFLICT DO NOTHING)."""
        with self.errors("cannot open"):
            cur = self._usable("cannot open")
            cur.execute(SQL["read_store"], params(self.name))
            row = cur.fetchone()
            if row is None and self.options.mode == OpenMode.create and not self.read_only:
                m = new_meta
                cur.execute(SQL["create_store"], params(
                    self.name, bytes.fromhex(m.file_id), m.app_schema_version,
                    m.default_protocol, m.created_us, m.created_by, m.writer_name,
                    m.writer_version, m.writer_app, m.integrity_scheme, m.key_id))
                cur.execute(SQL["read_store"], params(self.name))
                row = cur.fetchone()
            if row is None:
                raise StoreError(f"cannot open '{self.shown}': no such store", self.shown)
            found = self._row_of(row)
        self.store_id, self.file_id = found["store_id"], bytes(found["file_id"])
        return found

    def open(self, state: Any, session: Any) -> None:
        open_store(self, state, session)

    # ---- the rest -----------------------------------------------------------------------------

    def current_revision(self) -> int:
        """store_revision, outside any transaction: the change feed's truth."""
        with self.errors("cannot look at"):
            cur = self._usable("cannot look at")
            try:
                cur.execute(SQL["store_revision"], params(self.store_id))
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                if self.conn is not None and not self.conn.closed:
                    raise
                self._drop()
                cur = self._usable("cannot look at")
                cur.execute(SQL["store_revision"], params(self.store_id))
            row = cur.fetchone()
            self._conn.notifies.clear()  # the revision says more than any hint before it
            revision: int = -1 if row is None else row[0]
            return revision

    def listen(self) -> bool:
        """LISTEN on the session's connection; True when it was not listening (the caller
        must then look at the revision again before waiting)."""
        if self._listening and self.conn is not None and not self.conn.closed:
            return False
        cur = self._usable("cannot watch")
        cur.execute(SQL["listen"])
        self._listening = True
        return True

    def change_feed(self) -> "PostgresChangeFeed":
        from .postgres_feed import PostgresChangeFeed

        return PostgresChangeFeed(self)

    def sizes(self, in_transaction: bool) -> Dict[str, int]:
        """The store's entries and their pickles' bytes on the server now, in one read
        transaction (inside transact() or a migration, in the write transaction already
        open). A server has no pages or journal of a store's own: those sizes are 0."""
        with contextlib.ExitStack() as stack:
            if not in_transaction:
                txn = stack.enter_context(self.reading("cannot read the sizes of"))
                self.before_read()  # StoreError when the store was deleted
            cur = self._cur
            cur.execute(SQL["store_sizes"], params(self.store_id))
            entries, pickle_bytes = cur.fetchone() or (0, 0)  # (an aggregate: always a row)
            if not in_transaction:
                txn.commit()
        return {"entries": entries, "pickle_bytes": pickle_bytes}

    def require_file(self, what: str) -> NoReturn:
        raise StoreError(f"cannot {what} '{self.shown}': it is a store on a PostgreSQL server, "
                         "not a file (the server's own tools back it up and vacuum it: "
                         "pg_dump, autovacuum)", self.shown)

    def close(self) -> None:
        if os.getpid() == self._pid:
            self._drop()

    def abandon(self) -> PostgresStore:
        """In a forked child: the connection's socket is the parent's too. It is pointed at
        /dev/null in the child, so that nothing the child does or frees (psycopg2 says
        goodbye to the server when a connection is freed) reaches the parent's server
        session; the store is kept referenced and never used again."""
        if self.conn is not None and not self.conn.closed:
            with contextlib.suppress(OSError, psycopg2.Error):
                null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
                os.dup2(null, self.conn.fileno())
                os.close(null)
        return self
