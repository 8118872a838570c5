"""pysession_bench: the Python package (python/picklejar) against the stores a Python user
would otherwise pick — sqlitedict, diskcache, shelve on dbm.gnu, and plain sqlite3 + pickle
written by hand — doing the same work at the same durability, printed as one table.

    scripts/bench-python [--keys=10000] [--single=1000] [--processes=4]
                         [--increments=1000] [--repeat=5] [--workloads=...]
                         [--baseline=DIR] [--json=FILE]

Workloads, on session_bench's values for everyone (bench/session_values.py: user-record
dicts, ~323 bytes pickled):
  batch      --keys new keys set and committed in one transaction
  gets       every key once in random order from a freshly opened store, decoded; the
             values are kept until the pass ends, as a program keeps the state it reads
             (picklejar's session keeps them anyway: without this, only picklejar would
             pay for making 10,000 values live at once)
  again      the same, a second time (picklejar's session now holds the decoded values;
             the others read and decode from SQLite or gdbm again)
  iterate    list every key of an open --keys-key store
  opened     open the --keys-key store (in this process, no value read; picklejar reads
             and checks every row at open, the others on each get)
  open       a new process opens the --keys-key store and reads every value into a dict
             (timed in that process, without its interpreter start and imports)
  single     --single new keys, each set and committed on its own, durable and fast
  transact   --processes processes adding 1 to one counter --increments times each, in a
             store of 1 and of --keys keys, fast durability (picklejar: transact(); sqlite3:
             BEGIN IMMEDIATE read-modify-write; diskcache: transact(); shelve: gdbm's writer
             lock; sqlitedict has no lock: its lost updates are counted)
Durability is equal everywhere (pysession_contenders.py says how): "durable" is picklejar's
default (WAL + synchronous=FULL), and everything but single-fast and transact uses it.

Contenders take turns: each round runs the workload once for every contender (starting
with a different one each round), so all see the same machine load; a time is the best of
--repeat rounds. --baseline=DIR adds the picklejar package in DIR/picklejar (another
checkout's python/) as the contender "before", for before/after tables in one run.
Runs on Debian's /usr/bin/python3 with python3-sqlitedict, python3-diskcache and
python3-gdbm (scripts/bench-python installs them).
"""

import argparse
import gc
import importlib.util
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.join(HERE, "..", "python")
sys.path.insert(0, HERE)

import pysession_contenders as contenders  # noqa: E402
from pysession_table import print_table  # noqa: E402
from session_values import key, record  # noqa: E402

WORKLOADS = ("batch", "gets", "again", "iterate", "opened", "open", "single", "transact")


def load_picklejar(package_dir, name):
    """The picklejar package in package_dir, imported as module ``name`` (so that two
    versions can be compared in one process)."""
    init = os.path.join(package_dir, "picklejar", "__init__.py")
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[os.path.dirname(init)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def make_contender(spec):
    """A contender from its spec: "picklejar:DIR", "before:DIR" or a store's name."""
    kind, _, where = spec.partition(":")
    if kind in ("picklejar", "before"):
        module_name = "picklejar" if kind == "picklejar" else "picklejar_before"
        contender = contenders.Picklejar(load_picklejar(where, module_name), kind)
        contender.spec = spec
        return contender
    contender = {"sqlite3": contenders.Sqlite3, "sqlitedict": contenders.SqliteDict,
                 "diskcache": contenders.Diskcache, "shelve": contenders.Shelve}[kind]()
    contender.spec = spec
    return contender


class Scratch:
    def __init__(self, root):
        self.root = root
        self.count = 0

    def fresh(self, name):
        self.count += 1
        return os.path.join(self.root, "%s-%d" % (name, self.count))


def timed(setup, body, teardown):
    state = setup()
    start = time.perf_counter()
    body(state)
    seconds = time.perf_counter() - start
    teardown(state)
    return seconds


# ---- the workloads: each runs once for one contender and returns seconds --------------------


class Workloads:
    def __init__(self, args, scratch):
        self.args = args
        self.scratch = scratch
        self.items = [(key(i), record(i)) for i in range(args.keys)]
        order = list(range(args.keys))
        random.Random(20261126).shuffle(order)
        self.order = [key(i) for i in order]
        self.stores = {}  # contender name -> a file holding every item

    def full_store(self, c):
        if c.name not in self.stores:
            path = self.scratch.fresh(c.name)
            store = c.new(path)
            c.fill(store, self.items)
            c.close(store)
            self.stores[c.name] = path
        return self.stores[c.name]

    def new_store(self, c, durability):
        path = self.scratch.fresh(c.name)
        return lambda: (path, c.new(path, durability))

    def dropper(self, c):
        def drop(state):
            c.close(state[1])
            contenders.remove(state[0])
        return drop

    def batch(self, c):
        return timed(self.new_store(c, "durable"), lambda s: c.fill(s[1], self.items),
                     self.dropper(c))

    def _gets(self, c, passes):
        path = self.full_store(c)
        order, get = self.order, c.get

        def read(store):
            kept = []
            for k in order:
                kept.append(get(store, k))

        def setup():
            store = c.open(path)
            for _ in range(passes - 1):
                read(store)
            return store

        return timed(setup, read, c.close)

    def gets(self, c):
        return self._gets(c, 1)

    def again(self, c):
        return self._gets(c, 2)

    def iterate(self, c):
        path = self.full_store(c)
        return timed(lambda: c.open(path), c.keys, c.close)

    def opened(self, c):
        path = self.full_store(c)
        stores = []
        seconds = timed(lambda: None, lambda _: stores.append(c.open(path)), lambda _: None)
        c.close(stores[0])
        return seconds

    def open(self, c):
        path = self.full_store(c)
        out = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--child-open", c.spec, path],
            check=True, capture_output=True, text=True).stdout.split()
        if int(out[1]) != self.args.keys:
            raise RuntimeError(f"{c.name} loaded {out[1]} values, not {self.args.keys}")
        return float(out[0])

    def single(self, c, durability):
        items = self.items[:self.args.single]

        def body(state):
            store, save_one = state[1], c.save_one
            for k, v in items:
                save_one(store, k, v)

        return timed(self.new_store(c, durability), body, self.dropper(c))

    def transact(self, c, store_keys):
        """(increments per second, lost updates)."""
        path = self.scratch.fresh(c.name)
        c.counter(path, self.items[:store_keys])
        rate = increments_per_second(lambda: c.incrementer(path), self.args.processes,
                                     self.args.increments)
        lost = self.args.processes * self.args.increments - c.count(path)
        contenders.remove(path)
        return rate, lost


def _increment_child(prepare, increments, ready, go, results):
    increment = prepare()
    ready.put(os.getpid())
    go.wait()
    for _ in range(increments):
        increment()
    results.put(time.monotonic())


def increments_per_second(prepare, processes, increments):
    """Forks `processes` children that each run prepare() (which returns a function doing
    one increment), then increment `increments` times once all are ready. Increments per
    second from the start signal to the last child's last increment."""
    context = multiprocessing.get_context("fork")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    children = [context.Process(target=_increment_child,
                                args=(prepare, increments, ready, go, results))
                for _ in range(processes)]
    for child in children:
        child.start()
    for _ in children:
        ready.get(timeout=600)
    start = time.monotonic()
    go.set()
    end = max(results.get(timeout=3600) for _ in children)
    for child in children:
        child.join()
        if child.exitcode != 0:
            raise RuntimeError("an incrementing process failed")
    return processes * increments / (end - start)


# ---- running them interleaved ----------------------------------------------------------------


def run(args, contender_list, workloads):
    """{(contender name, row): best value}, rows as pysession_table names them."""
    results = {}

    def keep(name, row, value, better=min):
        results[(name, row)] = better(results.get((name, row), value), value)

    wanted = args.workloads.split(",")
    rows = []
    for w in WORKLOADS:
        if w not in wanted:
            continue
        if w == "single":
            rows += [("single_durable", lambda c: workloads.single(c, "durable")),
                     ("single_fast", lambda c: workloads.single(c, "fast"))]
        elif w == "transact":
            rows += [("transact_1key", lambda c: workloads.transact(c, 0)),
                     ("transact_10k", lambda c: workloads.transact(c, args.keys))]
        else:
            rows.append((w, getattr(workloads, w)))
    for row, work in rows:
        print(f"  {row}...", file=sys.stderr, flush=True)
        for r in range(args.repeat):
            shift = r % len(contender_list)
            for c in contender_list[shift:] + contender_list[:shift]:
                gc.collect()
                value = work(c)
                if row.startswith("transact"):
                    keep(c.name, row, value[0], max)
                    keep(c.name, row + "_lost", value[1], max)
                else:
                    keep(c.name, row, value)
    return results


def child_open(spec, path):
    """--child-open: times opening the store and reading every value, in this new process."""
    c = make_contender(spec)
    start = time.perf_counter()
    values, store = c.load_all(path)
    seconds = time.perf_counter() - start
    c.close(store)
    print(seconds, len(values))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--child-open":
        child_open(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=10000)
    parser.add_argument("--single", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--increments", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--contenders", default="picklejar,sqlite3,sqlitedict,diskcache,shelve")
    parser.add_argument("--baseline", help="another checkout's python/ directory")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--scratch", help="where the stores are made (default: $TMPDIR)")
    args = parser.parse_args()
    specs = []
    for name in args.contenders.split(","):
        if name == "picklejar":
            if args.baseline:
                specs.append("before:" + os.path.abspath(args.baseline))
            specs.append("picklejar:" + os.path.abspath(PACKAGE_DIR))
        else:
            specs.append(name)
    contender_list = [make_contender(spec) for spec in specs]
    with tempfile.TemporaryDirectory(prefix="pysession_bench-", dir=args.scratch) as root:
        workloads = Workloads(args, Scratch(root))
        results = run(args, contender_list, workloads)
    names = [c.name for c in contender_list]
    print_table(results, names, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "versions": versions(),
                       "results": [[c, r, v] for (c, r), v in sorted(results.items())]},
                      f, indent=1)


def versions():
    import sqlite3

    import diskcache
    import sqlitedict

    return (f"Python {sys.version.split()[0]} ({sys.executable}), SQLite "
            f"{sqlite3.sqlite_version}, sqlitedict {sqlitedict.__version__}, diskcache "
            f"{diskcache.__version__}, gdbm via dbm.gnu")


if __name__ == "__main__":
    main()
