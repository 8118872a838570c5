"""The stores of a database as a whole (picklejar.list_stores, picklejar.delete_store) and a
store's sizes in Session.info, read from the server."""

from __future__ import annotations

import datetime
import os
import secrets
import threading
import time
import unittest
import urllib.parse

import psycopg2
from pg_support import execute, socket_url, store_row, tcp_url, unique

import picklejar
from picklejar import FormatError, LockTimeout, ServerError, Session, StoreError, StoreInfo

KEY = b"k" * 32


def admin_execute(statement: str) -> None:
    """A statement that cannot run in a transaction (CREATE DATABASE, ...), as the cluster's
    superuser over the socket."""
    conn = psycopg2.connect("")
    try:
        conn.autocommit = True
        conn.cursor().execute(statement)
    finally:
        conn.close()


def fresh_database(test: unittest.TestCase) -> str:
    """An empty database of the test's own (no picklejar tables), dropped after it."""
    name = f"pj_{secrets.token_hex(6)}"
    admin_execute(f"CREATE DATABASE {name}")  # a name of our own, not data
    test.addCleanup(admin_execute, f"DROP DATABASE {name} WITH (FORCE)")
    return name


def database_url(database: str, store: str = "") -> str:
    """Over the socket (PGHOST) to ``database``; naming ``store`` when given."""
    query = f"?store={urllib.parse.quote(store, safe='')}" if store else ""
    return f"postgresql:///{database}{query}"


def tables_in(database: str) -> int:
    conn = psycopg2.connect(dbname=database)
    try:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'picklejar'")
        return int(cur.fetchone()[0])
    finally:
        conn.close()


class ListStoresTest(unittest.TestCase):
    def test_stores_are_listed_by_name_in_code_point_order_with_their_row(self) -> None:
        database = fresh_database(self)
        names = ["b", "a", "Z", "é", "ab", "a b", "\U0001f389"]
        for name in names:
            Session(database_url(database, name),
                    integrity_key=KEY if name == "a" else None).close()
        s = Session(database_url(database, "a"), integrity_key=KEY)
        s["x"] = 1
        s.save()
        s["y"] = 2
        s.save()
        modified = s.info.modified
        s.close()
        stores = picklejar.list_stores(database_url(database))
        self.assertEqual([store.name for store in stores], sorted(names))  # code point order
        first = stores[[store.name for store in stores].index("a")]
        self.assertEqual(first, StoreInfo("a", 2, 2, modified, "hmac-sha256"))
        row = store_row("b", database)
        self.assertEqual(stores[[st.name for st in stores].index("b")],
                         StoreInfo("b", 2, 0, datetime.datetime(1970, 1, 1,
                                   tzinfo=datetime.timezone.utc) +
                                   datetime.timedelta(microseconds=row["modified_us"]),
                                   "sha256"))

    def test_a_database_without_stores_lists_none_and_gets_no_tables(self) -> None:
        database = fresh_database(self)
        self.assertEqual(picklejar.list_stores(database_url(database)), [])
        self.assertEqual(tables_in(database), 0)
        self.assertFalse(picklejar.delete_store(database_url(database, "x"), missing_ok=True))
        self.assertEqual(tables_in(database), 0)

    def test_the_url_must_name_a_database_or_a_store_as_each_function_needs(self) -> None:
        with self.assertRaisesRegex(StoreError, r"names a database, without \?store=NAME"):
            picklejar.list_stores(socket_url("one"))
        with self.assertRaisesRegex(StoreError, "store=NAME exactly once"):
            picklejar.delete_store("postgresql://")
        for call in (picklejar.list_stores, picklejar.delete_store):
            with self.subTest(call.__name__):
                with self.assertRaisesRegex(StoreError, "not a postgresql:// URL"):
                    call("state.pj")
                with self.assertRaises(TypeError):
                    call(b"postgresql://")  # type: ignore[arg-type]

    def test_a_newer_layout_is_listed_while_readable_and_never_deleted_from(self) -> None:
        database = fresh_database(self)
        with Session(database_url(database, "s")) as s:
            s["x"] = 1

        def set_layout(version: int, min_reader: int) -> None:
            conn = psycopg2.connect(dbname=database)
            try:
                with conn, conn.cursor() as cur:
                    cur.execute("UPDATE picklejar.layout SET version = %s, "
                                "min_reader_version = %s", (version, min_reader))
            finally:
                conn.close()

        set_layout(2, 1)
        self.assertEqual([st.name for st in picklejar.list_stores(database_url(database))],
                         ["s"])
        with self.assertRaisesRegex(FormatError, "layout 2 is newer"):
            picklejar.delete_store(database_url(database, "s"))
        set_layout(2, 2)
        with self.assertRaisesRegex(FormatError, "needs layout 2"):
            picklejar.list_stores(database_url(database))
        set_layout(1, 1)
        self.assertTrue(picklejar.delete_store(database_url(database, "s")))


    def test_a_layout_table_without_its_row_is_a_format_error(self) -> None:
        database = fresh_database(self)
        Session(database_url(database, "s")).close()
        conn = psycopg2.connect(dbname=database)
        try:
            with conn, conn.cursor() as cur:
                cur.execute("DELETE FROM picklejar.layout")
        finally:
            conn.close()
        for call in (lambda: picklejar.list_stores(database_url(database)),
                     lambda: Session(database_url(database, "s"))):
            with self.subTest(call), self.assertRaisesRegex(FormatError, "layout has no row"):
                call()


class DeleteStoreTest(unittest.TestCase):
    def test_deleting_takes_the_store_s_entries_and_tombstones(self) -> None:
        name = unique("deleted")
        with Session(socket_url(name)) as s:
            s.update({"a": 1, "b": 2})
            s.save()
            del s["b"]
        store_id = store_row(name)["store_id"]
        counts = "SELECT (SELECT count(*) FROM picklejar.entry WHERE store_id = %s), " \
                 "(SELECT count(*) FROM picklejar.tombstone WHERE store_id = %s)"
        self.assertEqual(execute(counts, (store_id, store_id)), [(1, 1)])
        self.assertTrue(picklejar.delete_store(socket_url(name)))
        self.assertEqual(store_row(name), {})
        self.assertEqual(execute(counts, (store_id, store_id)), [(0, 0)])
        self.assertNotIn(name, [st.name for st in picklejar.list_stores("postgresql://")])
        with self.assertRaisesRegex(StoreError, "no such store"):
            Session(socket_url(name), mode="read_write")
        with self.assertRaises(StoreError) as caught:
            picklejar.delete_store(socket_url(name))
        self.assertIn(f"cannot delete 'postgresql://", str(caught.exception))
        self.assertIn(f"store={name}': no such store", str(caught.exception))
        self.assertFalse(picklejar.delete_store(socket_url(name), missing_ok=True))

    def test_deleting_waits_for_the_store_s_lock_up_to_the_timeout(self) -> None:
        name = unique("locked")
        holder = Session(socket_url(name))
        self.addCleanup(holder.close)
        with holder.transact():
            holder["x"] = 1
            started = time.monotonic()
            with self.assertRaises(LockTimeout) as caught:
                picklejar.delete_store(socket_url(name), lock_timeout=0.3)
            self.assertGreaterEqual(time.monotonic() - started, 0.25)
            self.assertIn(f"store={name}", str(caught.exception))
        self.assertEqual(store_row(name)["revision"], 1)  # still there, and saved
        # A writer holding the lock finishes first (its commit succeeds: the store was still
        # there); the delete then goes through.
        locked = threading.Event()
        errors: list = []

        def hold() -> None:
            try:
                with Session(socket_url(name)) as s, s.transact():
                    s["y"] = 2
                    locked.set()
                    time.sleep(0.5)
            except BaseException as e:  # noqa: B902 - reported by the test below
                errors.append(e)
                locked.set()

        thread = threading.Thread(target=hold)
        thread.start()
        self.assertTrue(locked.wait(60))
        started = time.monotonic()
        self.assertTrue(picklejar.delete_store(socket_url(name),
                                               lock_timeout=datetime.timedelta(seconds=60)))
        self.assertGreaterEqual(time.monotonic() - started, 0.4)  # it waited for the lock
        thread.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(store_row(name), {})

    def test_a_session_open_on_a_deleted_store_is_told(self) -> None:
        name = unique("open-deleted")
        s = Session(socket_url(name))
        self.addCleanup(s.close)
        self.addCleanup(s.discard)
        s["x"] = 1
        s.save()
        picklejar.delete_store(socket_url(name))
        for call in (s.load, lambda: s.info, s.save):
            with self.subTest(call), self.assertRaisesRegex(StoreError, "was deleted"):
                s["y"] = 2
                call()


class ServerErrorsTest(unittest.TestCase):
    """A role with a password and no rights on the stores, over TCP: typed errors with the
    server's SQLSTATE, never the password."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.role = f"pj_{secrets.token_hex(4)}"
        cls.password = "Pw-" + secrets.token_hex(12)
        conn = psycopg2.connect("")
        conn.autocommit = True
        conn.cursor().execute(f"CREATE ROLE {cls.role} LOGIN PASSWORD %s", (cls.password,))
        conn.close()
        Session(socket_url(unique("tables"))).close()  # the tables exist

    def url(self, store: str = "", password: str = "") -> str:
        url = tcp_url(store or "x", self.role, password or self.password)
        return url if store else url.partition("?")[0]

    def check(self, error: BaseException, sqlstate: object) -> None:
        self.assertIsInstance(error, ServerError)
        assert isinstance(error, ServerError)
        self.assertEqual(error.sqlstate, sqlstate)
        text = str(error)
        self.assertNotIn(self.password, text)
        self.assertNotIn(self.password[3:], text)
        self.assertIn(f"postgresql://{self.role}@127.0.0.1:{os.environ['PGPORT']}/", text)

    def test_refused_statements_are_server_errors_with_their_sqlstate(self) -> None:
        for call in (lambda: picklejar.list_stores(self.url()),
                     lambda: picklejar.delete_store(self.url(unique("refused")))):
            with self.subTest(call), self.assertRaises(ServerError) as caught:
                call()
            self.check(caught.exception, "42501")  # insufficient_privilege
            self.assertIn("permission denied", str(caught.exception))

    def test_a_session_that_may_not_create_the_tables_is_told(self) -> None:
        database = fresh_database(self)
        url = tcp_url("s", self.role, self.password).replace(
            f"/{os.environ['PGDATABASE']}?", f"/{database}?")
        with self.assertRaises(ServerError) as caught:
            Session(url)
        self.check(caught.exception, "42501")
        self.assertIn(f"/{database}?store=s", str(caught.exception))

    def test_a_wrong_password_is_a_server_error_without_it(self) -> None:
        wrong = "wrong-" + self.password
        for call in (lambda: picklejar.list_stores(self.url(password=wrong)),
                     lambda: picklejar.delete_store(self.url("x", password=wrong))):
            with self.subTest(call), self.assertRaises(ServerError) as caught:
                call()
            self.assertIn("password authentication failed", str(caught.exception))
            self.assertNotIn(wrong, str(caught.exception))
            self.assertNotIn(self.password[3:], str(caught.exception))


class InfoSizesTest(unittest.TestCase):
    def server_sizes(self, name: str) -> tuple:
        (row,) = execute("SELECT count(*), coalesce(sum(octet_length(e.pickle)), 0) "
                         "FROM picklejar.entry e JOIN picklejar.store s USING (store_id) "
                         "WHERE s.name = %s", (name,))
        return (int(row[0]), int(row[1]))

    def test_info_counts_the_store_on_the_server_now(self) -> None:
        name = unique("sizes")
        writer = Session(socket_url(name))
        reader = Session(socket_url(name))
        for s in (writer, reader):
            self.addCleanup(s.close)
        self.assertEqual((reader.info.entries, reader.info.pickle_bytes), (0, 0))
        writer.update({f"k{i}": "v" * (100 * i) for i in range(5)})
        writer.save()
        reader["pending"] = b"x" * 10_000  # unsaved: not counted
        self.addCleanup(reader.discard)
        info = reader.info  # another session's save, not yet loaded here
        self.assertEqual((info.entries, info.pickle_bytes), self.server_sizes(name))
        self.assertEqual(info.entries, 5)
        self.assertEqual((info.page_size, info.file_bytes, info.free_pages, info.wal_bytes),
                         (0, 0, 0, 0))
        del writer["k4"]
        writer.save()
        with reader.transact():  # inside the write transaction, as it stands
            self.assertEqual((reader.info.entries, reader.info.pickle_bytes),
                             self.server_sizes(name))
            self.assertEqual(reader.info.entries, 4)


if __name__ == "__main__":
    unittest.main()
