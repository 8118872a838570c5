"""The stores pysession_bench.py compares, each doing the benchmark's work its own way, as a
user of it would write it, at the same durability.

Every contender offers: new(path, durability) -> store, opened on a new empty file;
open(path, durability) -> store; close(store); fill(store, items) (set every (key, value)
and commit once); get(store, key); keys(store) -> list; load_all(path) -> dict (open and read
every value); save_one(store, key, value) (one key, committed on its own); and for the
4-process increments: counter(path, items) (a store holding items and "count" = 0),
incrementer(path) -> a function that adds 1 to "count" in one transaction (made in the
process that calls it), count(path) -> the final count, and `locked` (False when two
processes' increments can overwrite each other: lost updates are counted, not prevented).

Durability: "durable" survives power loss once a commit returns, "fast" survives the
process (not the machine) crashing. SQLite stores: WAL with synchronous=FULL (durable) or
NORMAL (fast), as picklejar's durability option sets them. shelve (dbm.gnu): sync() (an
msync of the mapped file) after each commit point (durable), or nothing (fast: gdbm writes
through its memory map, which survives the process).
"""

import dbm.gnu
import os
import pickle
import shelve
import sqlite3
import time

import diskcache
import sqlitedict

SYNCHRONOUS = {"durable": 2, "fast": 1}


class Picklejar:
    """picklejar.Session: set + save(); s[key]; iteration; transact()."""

    locked = True

    def __init__(self, module, name="picklejar"):
        self.pj = module
        self.name = name

    def session(self, path, durability="durable"):
        return self.pj.Session(path, durability=durability, lock_timeout=600)

    new = open = session

    def close(self, store):
        store.close()

    def fill(self, store, items):
        for k, v in items:
            store[k] = v
        store.save()

    def get(self, store, key):
        return store[key]

    def keys(self, store):
        return list(store)

    def load_all(self, path):
        store = self.session(path)
        values = {k: store[k] for k in store}
        return values, store

    def save_one(self, store, key, value):
        store[key] = value
        store.save()

    def counter(self, path, items):
        with self.session(path, "fast") as s:
            s.update(items)
            s["count"] = 0

    def incrementer(self, path):
        s = self.session(path, "fast")

        def increment():
            with s.transact():
                s["count"] = s["count"] + 1

        return increment

    def count(self, path):
        with self.session(path) as s:
            return s["count"]


class Sqlite3:
    """Python's sqlite3 module and pickle, by hand: one table of (key, pickle); executemany
    for a batch; SELECT + pickle.loads per get; BEGIN IMMEDIATE read-modify-write."""

    name = "sqlite3"
    locked = True

    def connect(self, path, durability="durable"):
        conn = sqlite3.connect(path, isolation_level=None, timeout=600)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = %d" % SYNCHRONOUS[durability])
        return conn

    def new(self, path, durability="durable"):
        conn = self.connect(path, durability)
        conn.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        return conn

    open = connect

    def close(self, store):
        store.close()

    def fill(self, store, items):
        store.execute("BEGIN")
        store.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)",
                          ((k, pickle.dumps(v, 4)) for k, v in items))
        store.execute("COMMIT")

    def get(self, store, key):
        row = store.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return pickle.loads(row[0])

    def keys(self, store):
        return [k for (k,) in store.execute("SELECT key FROM kv ORDER BY key")]

    def load_all(self, path):
        store = self.connect(path)
        values = {k: pickle.loads(v) for k, v in store.execute("SELECT key, value FROM kv")}
        return values, store

    def save_one(self, store, key, value):
        store.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, pickle.dumps(value, 4)))

    def counter(self, path, items):
        store = self.new(path, "fast")
        self.fill(store, list(items) + [("count", 0)])
        store.close()

    def incrementer(self, path):
        conn = self.connect(path, "fast")

        def increment():
            conn.execute("BEGIN IMMEDIATE")
            (value,) = conn.execute("SELECT value FROM kv WHERE key = 'count'").fetchone()
            conn.execute("UPDATE kv SET value = ? WHERE key = 'count'",
                         (pickle.dumps(pickle.loads(value) + 1, 4),))
            conn.execute("COMMIT")

        return increment

    def count(self, path):
        conn = self.connect(path)
        try:
            return self.get(conn, "count")
        finally:
            conn.close()


class SqliteDict:
    """sqlitedict.SqliteDict in WAL mode: d[key] = value, then commit()."""

    name = "sqlitedict"
    locked = False  # no read-modify-write transaction: concurrent increments overwrite

    def open(self, path, durability="durable"):
        d = sqlitedict.SqliteDict(path, journal_mode="WAL", timeout=600)
        d.conn.execute("PRAGMA synchronous = %d" % SYNCHRONOUS[durability])
        return d

    new = open

    def close(self, store):
        store.close()

    def fill(self, store, items):
        for k, v in items:
            store[k] = v
        store.commit()

    def get(self, store, key):
        return store[key]

    def keys(self, store):
        return list(store.keys())

    def load_all(self, path):
        store = self.open(path)
        return dict(store.items()), store

    def save_one(self, store, key, value):
        store[key] = value
        store.commit()

    def counter(self, path, items):
        d = self.open(path, "fast")
        self.fill(d, list(items) + [("count", 0)])
        d.close()

    def incrementer(self, path):
        d = self.open(path, "fast")

        def increment():
            d["count"] = d["count"] + 1
            d.commit()

        return increment

    def count(self, path):
        d = self.open(path)
        try:
            return d["count"]
        finally:
            d.close()


class Diskcache:
    """diskcache.Cache: cache[key] = value (a transaction each, or one in transact());
    cache.transact() for the read-modify-write."""

    name = "diskcache"
    locked = True

    def open(self, path, durability="durable"):
        return diskcache.Cache(path, sqlite_synchronous=SYNCHRONOUS[durability], timeout=600)

    new = open

    def close(self, store):
        store.close()

    def fill(self, store, items):
        with store.transact():
            for k, v in items:
                store[k] = v

    def get(self, store, key):
        return store[key]

    def keys(self, store):
        return list(store)

    def load_all(self, path):
        store = self.open(path)
        return {k: store[k] for k in store}, store

    def save_one(self, store, key, value):
        store[key] = value

    def counter(self, path, items):
        with self.open(path, "fast") as cache:
            self.fill(cache, list(items) + [("count", 0)])

    def incrementer(self, path):
        cache = self.open(path, "fast")

        def increment():
            with cache.transact():
                cache["count"] = cache["count"] + 1

        return increment

    def count(self, path):
        with self.open(path) as cache:
            return cache["count"]


class Shelve:
    """shelve on dbm.gnu: shelf[key] = value, sync() at each commit point when durable;
    for the increments, gdbm's own writer lock: open (retrying while another process holds
    it), read, write, close (closing syncs)."""

    name = "shelve"
    locked = True

    def __init__(self):
        self.durable = {}

    def open(self, path, durability="durable", flag="c"):
        shelf = shelve.Shelf(dbm.gnu.open(path, flag), protocol=4)
        self.durable[id(shelf)] = durability == "durable"
        return shelf

    new = open

    def close(self, store):
        self.durable.pop(id(store), None)
        store.close()

    def commit(self, store):
        if self.durable[id(store)]:
            store.sync()

    def fill(self, store, items):
        for k, v in items:
            store[k] = v
        self.commit(store)

    def get(self, store, key):
        return store[key]

    def keys(self, store):
        return list(store.keys())

    def load_all(self, path):
        store = self.open(path, flag="r")
        return {k: store[k] for k in store}, store

    def save_one(self, store, key, value):
        store[key] = value
        self.commit(store)

    def counter(self, path, items):
        shelf = self.open(path, "fast")
        self.fill(shelf, list(items) + [("count", 0)])
        self.close(shelf)

    def incrementer(self, path):
        def increment():
            pause = 20e-6
            while True:
                try:
                    shelf = shelve.Shelf(dbm.gnu.open(path, "w"), protocol=4)
                    break
                except dbm.gnu.error as e:
                    if e.args[0] != 11:  # EAGAIN: another process holds the writer lock
                        raise
                    time.sleep(pause)
                    pause = min(pause * 2, 1e-3)
            shelf["count"] = shelf["count"] + 1
            shelf.close()

        return increment

    def count(self, path):
        shelf = self.open(path, flag="r")
        try:
            return shelf["count"]
        finally:
            self.close(shelf)


def files_of(path):
    """Every file a store at ``path`` may have made (diskcache's is a directory)."""
    return [path + suffix for suffix in ("", "-wal", "-shm", ".lock")]


def remove(path):
    if os.path.isdir(path):
        import shutil

        shutil.rmtree(path)
        return
    for name in files_of(path):
        try:
            os.remove(name)
        except FileNotFoundError:
            pass
