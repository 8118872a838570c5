"""docs/FORMAT-POSTGRES.md against a real PostgreSQL server, with psycopg2 alone.

Every statement is one of the page's own ```sql blocks (format_client.py takes them from the
page), run against the private server scripts/test starts (scripts/pg-server: PGHOST,
PGPORT, PGUSER, PGPASSFILE in the environment). Without a server this suite fails: it is
never skipped. Each run works in a database of its own, dropped at the end."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import format_client as pj  # noqa: E402

DATABASE = f"pj_format_{os.getpid()}"
_admin = None
_tests_run: set = set()


def settings(database: str = DATABASE, tcp: bool = False) -> dict:
    s = {"dbname": database}
    if tcp:  # over TCP, with the password from PGPASSFILE
        s["host"] = os.environ["PICKLEJAR_PG_TCP"]
    return s


def setUpModule() -> None:
    global _admin
    if not os.environ.get("PGHOST") or not os.environ.get("PGPORT"):
        raise RuntimeError("no PostgreSQL server: run scripts/test, or first "
                           'eval "$(scripts/pg-server start)"')
    _admin = psycopg2.connect(dbname=os.environ.get("PGDATABASE", "postgres"))
    _admin.autocommit = True
    _admin.cursor().execute(f"CREATE DATABASE {DATABASE}")  # a name of our own, not data


def tearDownModule() -> None:
    if _admin is not None:
        _admin.cursor().execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        _admin.close()
    # After a whole run, every statement of the page must have been run by some test.
    ran_all = len(_tests_run) == len(unittest.TestLoader().getTestCaseNames(FormatPostgresTest))
    if ran_all and set(pj.BLOCKS) - pj.USED:
        raise AssertionError(f"FORMAT-POSTGRES.md blocks no test ran: {set(pj.BLOCKS) - pj.USED}")


def fresh_database(test: unittest.TestCase) -> str:
    """A new empty database for a test that needs one, dropped after it."""
    name = f"{DATABASE}_{test._testMethodName[5:30]}"
    _admin.cursor().execute(f"CREATE DATABASE {name}")
    test.addCleanup(_admin.cursor().execute, f"DROP DATABASE {name} WITH (FORCE)")
    return name


def p(value, protocol: int = 4) -> tuple:
    return pickle.dumps(value, protocol), protocol


def race_tables(database: str, start_at: float, results) -> None:
    conn = pj.connect(**settings(database))
    time.sleep(max(0.0, start_at - time.time()))
    try:
        results.put(("ok", pj.ensure_tables(conn)))
    except Exception as e:  # reported to the parent, which fails the test
        results.put(("error", repr(e)))


def increment(store_name: str, times: int, results) -> None:
    """transact()-style increments: read under the row lock, add one, write."""
    conn = pj.connect(**settings(tcp=True))
    store = pj.open_store(conn, store_name)

    def add_one(cur, row):
        got = pj.run(cur, "entries_since", row["store_id"], 0).fetchall()
        counts = {bytes(k).decode(): pickle.loads(bytes(v)) for k, v, *_ in got}
        return {"n": p(counts["n"] + 1)}

    for _ in range(times):
        pj.write(conn, store, under_lock=add_one, lock_timeout="60s")
    results.put("done")


def hold_lock(store_name: str, ready) -> None:
    conn = pj.connect(**settings())
    cur = conn.cursor()
    pj.run(cur, "begin_write")
    pj.run(cur, "lock_store", store_name).fetchone()
    ready.put("locked")
    time.sleep(120)  # until killed


class FormatPostgresTest(unittest.TestCase):
    def setUp(self) -> None:
        _tests_run.add(self._testMethodName)
        self.conn = pj.connect(**settings())
        self.addCleanup(self.conn.close)
        pj.ensure_tables(self.conn)

    def new_store(self, key=None, **options) -> pj.Store:
        name = f"{self._testMethodName}-{len(pj.USED)}-{time.monotonic_ns()}"
        self.assertIsNotNone(pj.create_store(self.conn, name, key, **options))
        return pj.open_store(self.conn, name, key)

    def test_the_page_has_the_statements_of_every_operation(self) -> None:
        self.assertEqual(set(pj.BLOCKS), {
            "create_tables", "layout_exists", "read_layout", "begin_write", "layout_lock",
            "connection_settings", "create_store", "read_store", "list_stores",
            "delete_store", "begin_read", "entries_since", "tombstones_since", "all_keys",
            "store_revision", "store_sizes", "write_settings", "lock_store", "put_entries",
            "drop_tombstones", "erase_entries", "purge_tombstones",
            "update_store", "set_file_id", "notify", "listen"})
        for name, sql in pj.BLOCKS.items():  # data only ever as parameters
            for literal in re.findall(r"'([^']*)'", sql):
                self.assertNotIn("$", literal, name)
            self.assertNotIn("%", sql, name)

    def test_racing_clients_create_the_tables_once(self) -> None:
        database = fresh_database(self)
        ctx = multiprocessing.get_context("fork")
        results = ctx.Queue()
        start_at = time.time() + 1.0
        procs = [ctx.Process(target=race_tables, args=(database, start_at, results))
                 for _ in range(6)]
        for proc in procs:
            proc.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for proc in procs:
            proc.join(60)
        self.assertEqual(outcomes, [("ok", (1, 1))] * len(procs))
        conn = pj.connect(**settings(database))
        self.addCleanup(conn.close)
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM picklejar.layout")
        self.assertEqual(cur.fetchone(), (1,))
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'picklejar'")
        self.assertEqual(cur.fetchone(), (4,))

    def test_a_store_is_created_once_and_listed(self) -> None:
        store = self.new_store()
        self.assertIsNone(pj.create_store(self.conn, store.name))  # the name is taken
        self.assertEqual(store.row["revision"], 0)
        self.assertEqual(store.row["format_version"], 2)
        self.assertEqual(store.row["min_reader_version"], 2)
        self.assertEqual(len(bytes(store.row["file_id"])), 16)
        other = self.new_store(key=b"k")
        names = [n for n, *_ in pj.run(self.conn.cursor(), "list_stores")]
        self.assertLess(names.index(store.name), names.index(other.name))
        with self.assertRaisesRegex(pj.FormatError, "no store"):
            pj.open_store(self.conn, "no such store")

    def test_entries_saved_and_read_back_verified(self) -> None:
        store = self.new_store()
        values = {"": "empty", "a\x00b": [1, 2.5], "é🎉": {"x": (None, b"y")}, "b": 7}
        r1 = pj.write(self.conn, store, {k: p(v) for k, v in values.items()})
        self.assertEqual(r1, 1)
        snap = pj.read_changes(self.conn, store, 0)
        self.assertEqual(snap.revision, 1)
        got = {k: pickle.loads(pj.verified(store, k, e[0], e[2])) for k, e in snap.entries.items()}
        self.assertEqual(got, values)
        self.assertEqual({e[3] for e in snap.entries.values()}, {1})
        # Keys sort by code point, as in a file: the bytea primary key's order.
        cur = self.conn.cursor()
        cur.execute("SELECT key FROM picklejar.entry WHERE store_id = %s ORDER BY key",
                    (store.store_id,))
        self.assertEqual([bytes(k).decode() for (k,) in cur], sorted(values))
        self.assertEqual(pj.run(cur, "store_revision", store.store_id).fetchone(), (1,))
        # Nothing to change: nothing written, the revision stays.
        self.assertIsNone(pj.write(self.conn, store, {"never there": None}))
        self.assertEqual(pj.run(cur, "store_revision", store.store_id).fetchone(), (1,))

    def test_tombstones_and_changes_since_a_revision(self) -> None:
        store = self.new_store()
        pj.write(self.conn, store, {"a": p(1), "b": p(2), "c": p(3)})  # R1
        pj.write(self.conn, store, {"b": None})  # R2
        pj.write(self.conn, store, {"c": p(30), "d": p(4)})  # R3
        snap = pj.read_changes(self.conn, store, 1)
        self.assertEqual(snap.revision, 3)
        self.assertEqual(sorted(snap.entries), ["c", "d"])
        self.assertEqual(snap.erased, ["b"])
        self.assertEqual(pj.read_changes(self.conn, store, 2).erased, [])
        self.assertEqual(pj.read_changes(self.conn, store, 3).entries, {})
        pj.write(self.conn, store, {"b": p(22)})  # R4: b is back, its tombstone gone
        snap = pj.read_changes(self.conn, store, 1)
        self.assertEqual((sorted(snap.entries), snap.erased), (["b", "c", "d"], []))
        cur = self.conn.cursor()
        cur.execute("SELECT count(*) FROM picklejar.tombstone WHERE store_id = %s",
                    (store.store_id,))
        self.assertEqual(cur.fetchone(), (0,))

    def test_purged_tombstones_make_a_refresh_list_every_key(self) -> None:
        store = self.new_store()
        pj.write(self.conn, store, {"a": p(1), "b": p(2)})  # R1
        pj.write(self.conn, store, {"a": None})  # R2: a's tombstone
        # Pretend 10,000 more saves happened (the revision is all that purging looks at).
        self.conn.cursor().execute("UPDATE picklejar.store SET revision = 10002 "
                                   "WHERE store_id = %s", (store.store_id,))
        self.assertEqual(pj.write(self.conn, store, {"c": p(3)}), 10003)
        store = pj.open_store(self.conn, store.name)
        self.assertEqual(store.row["purged_revision"], 3)
        snap = pj.read_changes(self.conn, store, 1)  # 1 < purged: tombstones may be gone
        self.assertEqual(snap.erased, [])
        self.assertEqual(sorted(snap.all_keys), ["b", "c"])  # "a" is missing: erased

    def test_concurrent_writers_under_the_row_lock_lose_nothing(self) -> None:
        store = self.new_store()
        pj.write(self.conn, store, {"n": p(0)})
        ctx = multiprocessing.get_context("fork")
        results = ctx.Queue()
        procs = [ctx.Process(target=increment, args=(store.name, 200, results))
                 for _ in range(4)]
        for proc in procs:
            proc.start()
        self.assertEqual([results.get(timeout=120) for _ in procs], ["done"] * 4)
        for proc in procs:
            proc.join(60)
            self.assertEqual(proc.exitcode, 0)
        snap = pj.read_changes(self.conn, store, 0)
        self.assertEqual(pickle.loads(snap.entries["n"][0]), 800)
        self.assertEqual(snap.revision, 801)

    def test_a_held_row_lock_times_out_writers_and_blocks_no_reader(self) -> None:
        store = self.new_store()
        pj.write(self.conn, store, {"a": p(1)})
        holder = pj.connect(**settings())
        self.addCleanup(holder.close)
        cur = holder.cursor()
        pj.run(cur, "begin_write")
        pj.run(cur, "lock_store", store.name).fetchone()
        began = time.monotonic()
        with self.assertRaisesRegex(pj.LockTimeout, store.name):
            pj.write(self.conn, store, {"a": p(2)}, lock_timeout="300ms")
        waited = time.monotonic() - began
        self.assertGreaterEqual(waited, 0.25)
        self.assertLess(waited, 30)
        # A reader neither waits for the lock nor sees anything of the failed write.
        snap = pj.read_changes(self.conn, store, 0)
        self.assertEqual((snap.revision, pickle.loads(snap.entries["a"][0])), (1, 1))
        cur.execute("COMMIT")
        self.assertEqual(pj.write(self.conn, store, {"a": p(2)}, lock_timeout="300ms"), 2)

    def test_a_killed_lock_holder_leaves_nothing_behind(self) -> None:
        store = self.new_store()
        pj.write(self.conn, store, {"a": p(1)})
        ctx = multiprocessing.get_context("fork")
        ready = ctx.Queue()
        proc = ctx.Process(target=hold_lock, args=(store.name, ready))
        proc.start()
        self.assertEqual(ready.get(timeout=60), "locked")
        with self.assertRaises(pj.LockTimeout):
            pj.write(self.conn, store, {"a": p(2)}, lock_timeout="200ms")
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(60)
        self.assertEqual(pj.write(self.conn, store, {"a": p(2)}, lock_timeout="30s"), 2)

    def test_an_idle_transaction_cannot_hold_a_store(self) -> None:
        store = self.new_store()
        hung = pj.connect(idle_timeout="500ms", **settings())
        self.addCleanup(hung.close)
        pj.run(hung.cursor(), "begin_write")
        pj.run(hung.cursor(), "lock_store", store.name).fetchone()
        with self.assertRaises(pj.LockTimeout):
            pj.write(self.conn, store, {"a": p(1)}, lock_timeout="100ms")
        # The server ends the idle transaction's connection, and with it the lock.
        self.assertEqual(pj.write(self.conn, store, {"a": p(1)}, lock_timeout="30s"), 1)
        with self.assertRaisesRegex(psycopg2.Error, "idle-in-transaction|closed"):
            hung.cursor().execute("SELECT 1")

    def test_a_store_of_a_newer_format_is_refused(self) -> None:
        store = self.new_store()
        cur = self.conn.cursor()
        cur.execute("UPDATE picklejar.store SET format_version = 3, min_reader_version = 3 "
                    "WHERE store_id = %s", (store.store_id,))
        with self.assertRaisesRegex(pj.FormatError, "format 3"):
            pj.open_store(self.conn, store.name)
        with self.assertRaisesRegex(pj.FormatError, "needs a reader of format 3"):
            pj.open_store(self.conn, store.name, writable=False)
        with self.assertRaisesRegex(pj.FormatError, "format 3"):
            pj.write(self.conn, store, {"a": p(1)})
        self.assertEqual(pj.run(cur, "store_revision", store.store_id).fetchone(), (0,))
        # A newer format that older readers may read: read-only, never written.
        cur.execute("UPDATE picklejar.store SET min_reader_version = 2 WHERE store_id = %s",
                    (store.store_id,))
        readonly = pj.open_store(self.conn, store.name, writable=False)
        self.assertEqual(pj.read_changes(self.conn, readonly, 0).revision, 0)
        with self.assertRaisesRegex(pj.FormatError, "this program writes format 2"):
            pj.open_store(self.conn, store.name)

    def test_a_format_1_store_is_upgraded_under_the_row_lock(self) -> None:
        key = b"upgrade key"
        store = self.new_store(key=key)
        pj.write(self.conn, store, {"good": p(1), "bad": p(2)})
        cur = self.conn.cursor()
        # As format 1 left it: the row at 1, digests signed with the key itself, one damaged.
        cur.execute("UPDATE picklejar.store SET format_version = 1, min_reader_version = 1 "
                    "WHERE store_id = %s", (store.store_id,))
        cur.execute("UPDATE picklejar.entry SET digest = %s WHERE store_id = %s AND key = %s",
                    (pj.digest(b"good", p(1)[0], key), store.store_id, b"good"))
        cur.execute("UPDATE picklejar.entry SET digest = %s WHERE store_id = %s AND key = %s",
                    (bytes(32), store.store_id, b"bad"))
        with self.assertRaisesRegex(pj.FormatError, "must first be upgraded"):
            pj.open_store(self.conn, store.name, key, writable=False)
        upgraded = pj.open_store(self.conn, store.name, key)
        self.assertEqual((upgraded.row["format_version"], upgraded.row["min_reader_version"]),
                         (2, 2))
        self.assertEqual(upgraded.row["revision"], 2)
        self.assertEqual(upgraded.file_id, store.file_id)  # the store keeps its id
        snap = pj.read_changes(self.conn, upgraded, 0)
        self.assertEqual(pickle.loads(pj.verified(upgraded, "good", snap.entries["good"][0],
                                                  snap.entries["good"][2])), 1)
        self.assertEqual(snap.entries["good"][3], 2)
        self.assertEqual((snap.entries["bad"][2], snap.entries["bad"][3]), (bytes(32), 1))
        with self.assertRaisesRegex(pj.IntegrityError, "does not verify"):
            pj.verified(upgraded, "bad", snap.entries["bad"][0], snap.entries["bad"][2])

    def test_tables_of_a_newer_layout_are_refused(self) -> None:
        database = fresh_database(self)
        conn = pj.connect(**settings(database))
        self.addCleanup(conn.close)
        self.assertEqual(pj.ensure_tables(conn), (1, 1))
        conn.cursor().execute("UPDATE picklejar.layout SET version = 2, min_reader_version = 2")
        for writable in (True, False):
            with self.assertRaisesRegex(pj.FormatError, "need a reader of layout 2"):
                pj.ensure_tables(conn, writable)
        conn.cursor().execute("UPDATE picklejar.layout SET min_reader_version = 1")
        with self.assertRaisesRegex(pj.FormatError, "may only read them"):
            pj.ensure_tables(conn)
        self.assertEqual(pj.ensure_tables(conn, writable=False), (2, 1))

    def test_keys_are_at_most_2048_bytes(self) -> None:
        store = self.new_store()
        longest = "é" * 1024  # 2,048 bytes of UTF-8
        self.assertEqual(pj.write(self.conn, store, {longest: p(1)}), 1)
        with self.assertRaisesRegex(psycopg2.errors.CheckViolation, "entry_key_check"):
            pj.write(self.conn, store, {longest + "x": p(2)})
        self.assertEqual(list(pj.read_changes(self.conn, store, 0).entries), [longest])

    def test_a_key_that_is_not_utf8_is_refused(self) -> None:
        store = self.new_store()
        pj.write(self.conn, store, {"ok": p(1)})
        self.conn.cursor().execute(
            "UPDATE picklejar.entry SET key = '\\xeda080'::bytea WHERE store_id = %s",
            (store.store_id,))  # a lone surrogate, as UTF-8 cannot hold it
        with self.assertRaisesRegex(pj.FormatError, r"key b'\\xed\\xa0\\x80' is not UTF-8"):
            pj.read_changes(self.conn, store, 0)

    def test_migration_runs_once_under_the_row_lock(self) -> None:
        store = self.new_store()
        pj.write(self.conn, store, {"v": p("old")})
        ran = []

        def migrate(cur, row):
            if row["app_schema_version"] >= 1:  # re-read under the lock: already done
                return {}
            ran.append(row["revision"])
            return {"v": p("new")}

        for _ in range(2):
            pj.write(self.conn, store, under_lock=migrate, row_changes={"app_schema_version": 1})
        self.assertEqual(ran, [1])
        store = pj.open_store(self.conn, store.name)
        self.assertEqual(store.row["app_schema_version"], 1)

    def test_notification_is_sent_at_commit_only(self) -> None:
        store = self.new_store()
        listener = pj.connect(**settings())
        self.addCleanup(listener.close)
        pj.run(listener.cursor(), "listen")
        holder = pj.connect(**settings())
        self.addCleanup(holder.close)
        pj.run(holder.cursor(), "begin_write")
        pj.run(holder.cursor(), "lock_store", store.name).fetchone()
        with self.assertRaises(pj.LockTimeout):  # a write that fails sends nothing
            pj.write(self.conn, store, {"a": p(2)}, lock_timeout="100ms")
        holder.cursor().execute("ROLLBACK")
        r = pj.write(self.conn, store, {"a": p(1)})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not listener.notifies:
            listener.poll()
            time.sleep(0.01)
        time.sleep(0.2)  # anything else sent would have arrived by now
        listener.poll()
        self.assertEqual([(n.channel, n.payload) for n in listener.notifies],
                         [("picklejar", f"{store.store_id}:{r}")])

    def test_sizes_count_the_store_s_entries_and_pickle_bytes(self) -> None:
        store, other = self.new_store(), self.new_store()
        cur = self.conn.cursor()
        self.assertEqual(pj.run(cur, "store_sizes", store.store_id).fetchone(), (0, 0))
        a, b = p("a" * 1000), p([1, 2, 3], 2)
        pj.write(self.conn, store, {"a": a, "b": b, "gone": p(None)})
        pj.write(self.conn, store, {"gone": None})  # erased: a tombstone, not counted
        pj.write(self.conn, other, {"elsewhere": p(b"x" * 500)})
        self.assertEqual(pj.run(cur, "store_sizes", store.store_id).fetchone(),
                         (2, len(a[0]) + len(b[0])))

    def test_deleting_a_store_takes_its_entries(self) -> None:
        store = self.new_store()
        pj.write(self.conn, store, {"a": p(1)})
        pj.write(self.conn, store, {"a": None, "b": p(2)})
        cur = self.conn.cursor()
        self.assertEqual(pj.run(cur, "delete_store", store.name).fetchone(), (store.store_id,))
        for table in ("entry", "tombstone"):
            cur.execute(f"SELECT count(*) FROM picklejar.{table} WHERE store_id = %s",
                        (store.store_id,))
            self.assertEqual(cur.fetchone(), (0,), table)
        self.assertNotIn(store.name, [n for n, *_ in pj.run(cur, "list_stores")])

    def test_entries_of_real_session_files_verify_unchanged(self) -> None:
        """Files written by the C++ CLI and the Python package; their rows copied as they are
        (pickle, protocol, digest) into stores of the same scheme verify with the same key."""
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        key = b"secret key \xff"  # passed to the Python writer through argv: no NUL
        key_file = os.path.join(tmp.name, "key")
        with open(key_file, "wb") as f:
            f.write(key)
        files = []
        for integrity in (None, key):
            path = os.path.join(tmp.name, f"cli-{integrity is not None}.pj")
            for name, value in (("é🎉", '{"list": [1, 2.5]}'), ("back\\slash", '"text"')):
                cmd = [os.environ["PICKLEJAR_BIN"], "set", path, name, "--json", value]
                cmd += ["--key-file", key_file] if integrity else []
                subprocess.run(cmd, check=True, capture_output=True)
            files.append((path, integrity))
            path = os.path.join(tmp.name, f"py-{integrity is not None}.pj")
            code = ("import sys, picklejar\n"
                    "with picklejar.Session(sys.argv[1], integrity_key=sys.argv[2].encode("
                    "'latin-1') or None) as s:\n"
                    "    s.update({'': [1, (2, 3)], 'x\\x00y': {'z': b'\\xff'}, 'ü': 2**70})\n"
                    "    s.save()\n")
            subprocess.run([sys.executable, "-c", code, path,
                            (integrity or b"").decode("latin-1")], check=True,
                           env=dict(os.environ, PYTHONPATH=os.environ["PICKLEJAR_PYTHONPATH"]))
            files.append((path, integrity))
        for path, integrity in files:
            with self.subTest(path=os.path.basename(path)):
                db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                meta = dict(db.execute("SELECT name, value FROM meta"))
                rows = db.execute("SELECT key, pickle, protocol, digest FROM entries").fetchall()
                db.close()
                self.assertEqual(meta["key_id"], None if integrity is None else pj.key_id(key))
                self.assertGreaterEqual(len(rows), 2)
                store = self.new_store(key=integrity)
                self.assertEqual(store.row["key_id"], meta["key_id"])
                file_id = bytes.fromhex(meta["file_id"])
                pj.copy_entries(self.conn, store, rows, file_id)
                self.assertEqual(store.file_id, file_id)
                snap = pj.read_changes(self.conn, store, 0)
                for name, data, protocol, d in rows:
                    got, got_protocol, got_digest, _ = snap.entries[name]
                    self.assertEqual((got, got_protocol, got_digest), (data, protocol, d))
                    pj.verified(store, name, got, got_digest)  # raises if it does not
                    self.assertEqual(pj.digest(name.encode(), got, integrity, file_id), d)
                # The same bytes written by this page's put_entries get the file's digest.
                again = pj.Store(store.name, store.row, integrity)
                pj.write(self.conn, again, {name: (data, protocol) for name, data, protocol, _
                                            in rows})
                snap = pj.read_changes(self.conn, store, 1)
                self.assertEqual({n: e[2] for n, e in snap.entries.items()},
                                 {n: d for n, _, _, d in rows})
                # A tampered bytea is refused before decoding.
                self.conn.cursor().execute(
                    "UPDATE picklejar.entry SET pickle = pickle || '\\x00'::bytea "
                    "WHERE store_id = %s AND key = %s", (store.store_id, rows[0][0].encode()))
                tampered = pj.read_changes(self.conn, store, 0).entries[rows[0][0]]
                with self.assertRaisesRegex(pj.IntegrityError, "does not verify"):
                    pj.verified(store, rows[0][0], tampered[0], tampered[2])
                if integrity is not None:
                    with self.assertRaisesRegex(pj.IntegrityError, "written with key"):
                        pj.open_store(self.conn, store.name, b"another key")
                    with self.assertRaisesRegex(pj.IntegrityError, "needs its integrity key"):
                        pj.open_store(self.conn, store.name)


if __name__ == "__main__":
    unittest.main()
