"""session_bench's Python contenders: sqlitedict, diskcache and the sqlite3 module, timed on
the values session_bench made, as session_bench times picklejar (best of --repeat runs, the
same workloads at the same durability). Prints "contender/workload value" lines: seconds,
increments per second for transact_*, 1 or 0 for transact_*_exact (the final count was
exact), and text for the versions line; session_bench puts them in its table.

    session_bench_py.py VALUES SCRATCH [--repeat=3] [--single=1000] [--processes=4]
                        [--increments=5000] [--workloads=batch,gets,open,single,transact]

VALUES holds the benchmark's values as pickles (4-byte little-endian length, then the
pickle), so every contender stores equal objects. Runs on Debian's python3 with
python3-sqlitedict and python3-diskcache (scripts/bench-session installs both).

Durability: "durable" is WAL + synchronous=FULL, "fast" WAL + synchronous=NORMAL, as in
picklejar (sqlitedict takes journal_mode="WAL" and a PRAGMA synchronous; diskcache its
sqlite_synchronous setting).
"""

import argparse
import multiprocessing
import os
import pickle
import random
import shutil
import sqlite3
import struct
import sys
import time

import diskcache
import sqlitedict

SYNCHRONOUS = {"durable": 2, "fast": 1}


def read_values(path):
    with open(path, "rb") as f:
        data = f.read()
    values, at = [], 0
    while at < len(data):
        (size,) = struct.unpack_from("<I", data, at)
        values.append(pickle.loads(data[at + 4:at + 4 + size]))
        at += 4 + size
    return values


def key(i):
    return "key%06d" % i


def best_of(repeat, setup, timed, teardown=lambda state: None):
    """Seconds of the fastest of `repeat` runs of timed(state), each between an untimed
    setup() and teardown(state)."""
    best = float("inf")
    for _ in range(repeat):
        state = setup()
        start = time.perf_counter()
        timed(state)
        best = min(best, time.perf_counter() - start)
        teardown(state)
    return best


def close(store):
    store.close()


class Scratch:
    """Fresh paths under one directory, each removed before reuse."""

    def __init__(self, root):
        self.root = root
        self.count = 0

    def fresh(self, name):
        self.count += 1
        path = os.path.join(self.root, "%s-%d" % (name, self.count))
        shutil.rmtree(path, ignore_errors=True)
        return path


# ---- sqlitedict ---------------------------------------------------------------------------


def open_sqlitedict(path, durability, autocommit=False):
    d = sqlitedict.SqliteDict(path, journal_mode="WAL", autocommit=autocommit)
    d.conn.execute("PRAGMA synchronous = %d" % SYNCHRONOUS[durability])
    return d


def put_all(store, values):
    for i, v in enumerate(values):
        store[key(i)] = v


class SqliteDictContender:
    name = "sqlitedict"

    def __init__(self, scratch):
        self.scratch = scratch

    def new(self, durability="durable", autocommit=False):
        return open_sqlitedict(self.scratch.fresh("sqlitedict") + ".sqlite", durability,
                               autocommit)

    def make(self, values):
        d = self.new()
        put_all(d, values)
        d.commit()
        d.close()
        return d.filename

    def batch_save(self, values, repeat):
        def timed(d):
            put_all(d, values)
            d.commit()

        return best_of(repeat, self.new, timed, close)

    def random_gets(self, path, order, repeat, again=False):
        def timed(d):
            for i in order:
                d[key(i)]

        def setup():
            d = open_sqlitedict(path, "durable")
            if again:
                timed(d)
            return d

        return best_of(repeat, setup, timed, close)

    def open_read(self, path, repeat):
        def timed(state):
            state.append(open_sqlitedict(path, "durable"))
            dict(state[0].items())

        return best_of(repeat, list, timed, lambda state: state[0].close())

    def single_saves(self, values, durability, repeat):
        return best_of(repeat, lambda: self.new(durability, autocommit=True),
                       lambda d: put_all(d, values), close)


# ---- diskcache ----------------------------------------------------------------------------


def open_diskcache(path, durability):
    return diskcache.Cache(path, sqlite_synchronous=SYNCHRONOUS[durability])


class DiskcacheContender:
    name = "diskcache"

    def __init__(self, scratch):
        self.scratch = scratch

    def new(self, durability="durable"):
        return open_diskcache(self.scratch.fresh("diskcache"), durability)

    def make(self, values):
        with self.new() as cache:
            with cache.transact():
                put_all(cache, values)
            return cache.directory

    def batch_save(self, values, repeat):
        def timed(cache):
            with cache.transact():
                put_all(cache, values)

        return best_of(repeat, self.new, timed, close)

    def random_gets(self, path, order, repeat, again=False):
        def timed(cache):
            for i in order:
                cache[key(i)]

        def setup():
            cache = open_diskcache(path, "durable")
            if again:
                timed(cache)
            return cache

        return best_of(repeat, setup, timed, close)

    def open_read(self, path, repeat):
        def timed(state):
            state.append(open_diskcache(path, "durable"))
            {k: state[0][k] for k in state[0]}

        return best_of(repeat, list, timed, lambda state: state[0].close())

    def single_saves(self, values, durability, repeat):
        return best_of(repeat, lambda: self.new(durability), lambda c: put_all(c, values), close)


# ---- concurrent increments ----------------------------------------------------------------


def _increment_child(prepare, increments, ready, go, results):
    increment = prepare()
    ready.put(os.getpid())
    go.wait()
    for _ in range(increments):
        increment()
    results.put(time.monotonic())


def increments_per_second(prepare, processes, increments):
    """Runs prepare() (which returns a function doing one increment) in `processes` forked
    children; once all are ready they increment `increments` times each. Increments per
    second from the start signal to the last child's last increment."""
    context = multiprocessing.get_context("fork")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    children = [context.Process(target=_increment_child,
                                args=(prepare, increments, ready, go, results))
                for _ in range(processes)]
    for child in children:
        child.start()
    for _ in children:
        ready.get(timeout=120)
    start = time.monotonic()
    go.set()
    end = max(results.get(timeout=600) for _ in children)
    for child in children:
        child.join()
        if child.exitcode != 0:
            raise RuntimeError("an incrementing process failed")
    return processes * increments / (end - start)


def sqlite3_counter(path, extra_rows):
    """The plain sqlite3 module: a table of rows, one of them the counter."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO kv VALUES (?, ?)",
                     ((key(i), pickle.dumps(v, 4)) for i, v in enumerate(extra_rows)))
    conn.execute("INSERT INTO kv VALUES ('count', 0)")
    conn.execute("COMMIT")
    conn.close()


def sqlite3_incrementer(path):
    def prepare():
        conn = sqlite3.connect(path, isolation_level=None, timeout=600)
        conn.execute("PRAGMA synchronous = NORMAL")

        def increment():
            conn.execute("BEGIN IMMEDIATE")
            (value,) = conn.execute("SELECT value FROM kv WHERE key = 'count'").fetchone()
            conn.execute("UPDATE kv SET value = ? WHERE key = 'count'", (value + 1,))
            conn.execute("COMMIT")

        return increment

    return prepare


def sqlite3_count(path):
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT value FROM kv WHERE key = 'count'").fetchone()[0]


def diskcache_incrementer(path):
    def prepare():
        cache = open_diskcache(path, "fast")
        return lambda: cache.incr("count", 1, default=0)

    return prepare


def transact_rows(scratch, values, processes, increments, repeat):
    """The best increments per second of `repeat` runs, and whether every final count was
    exact, on a 1-key and a 10k-key store, for the sqlite3 module and diskcache."""
    out = {}
    total = processes * increments
    def record(name, rate, exact):
        out[name] = max(out.get(name, 0), rate)
        out[name + "_exact"] = int(out.get(name + "_exact", 1) and exact)

    for label, extra in (("1key", []), ("10k", values)):
        for _ in range(repeat):  # alternating, on fresh files
            path = scratch.fresh("sqlite3") + ".sqlite"
            sqlite3_counter(path, extra)
            rate = increments_per_second(sqlite3_incrementer(path), processes, increments)
            record("sqlite3/transact_" + label, rate, sqlite3_count(path) == total)

            path = scratch.fresh("diskcache")
            with open_diskcache(path, "fast") as cache:
                with cache.transact():
                    for i, v in enumerate(extra):
                        cache[key(i)] = v
            rate = increments_per_second(diskcache_incrementer(path), processes, increments)
            with open_diskcache(path, "fast") as cache:
                record("diskcache/transact_" + label, rate, cache["count"] == total)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("values")
    parser.add_argument("scratch")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--single", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--increments", type=int, default=5000)
    parser.add_argument("--workloads", default="batch,gets,open,single,transact")
    args = parser.parse_args()
    wants = args.workloads.split(",")
    values = read_values(args.values)
    order = list(range(len(values)))
    random.Random(20261126).shuffle(order)
    scratch = Scratch(args.scratch)
    results = {}
    for contender in (SqliteDictContender(scratch), DiskcacheContender(scratch)):
        name = contender.name
        if "batch" in wants:
            results[name + "/batch_save"] = contender.batch_save(values, args.repeat)
        if "gets" in wants or "open" in wants:
            store = contender.make(values)
            if "gets" in wants:
                results[name + "/random_gets"] = contender.random_gets(store, order, args.repeat)
                results[name + "/random_gets_again"] = contender.random_gets(
                    store, order, args.repeat, again=True)
            if "open" in wants:
                results[name + "/open_read"] = contender.open_read(store, args.repeat)
        if "single" in wants:
            for durability in ("durable", "fast"):
                results["%s/single_%s" % (name, durability)] = contender.single_saves(
                    values[:args.single], durability, args.repeat)
    if "transact" in wants:
        results.update(
            transact_rows(scratch, values, args.processes, args.increments, args.repeat))
    results["python/versions"] = "Python %s (%s), sqlitedict %s, diskcache %s, SQLite %s" % (
        sys.version.split()[0], sys.executable, sqlitedict.__version__, diskcache.__version__,
        sqlite3.sqlite_version)
    for name, value in results.items():
        print(name, value)


if __name__ == "__main__":
    main()
