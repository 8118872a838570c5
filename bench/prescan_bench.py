"""prescan_bench: what the Python package's pre-scan (python/picklejar/_prescan*.py) costs
next to the unpickling it guards, on the session benchmark's entries and on 1 MiB entries.

    python3 bench/prescan_bench.py [--repeat=5]

Workloads (pickles written by pickle.dumps, protocol 4):
    session entry   session_bench's user-record dicts (bench/session_bench_support.cpp,
                    session_values(); about 300 bytes), 2000 of them, time per entry
    1 MiB records   one list of those records, about 1 MiB
    1 MiB floats    one list of 116,000 floats
    1 MiB bytes     one bytes value of 1 MiB
Each is timed as the pre-scan alone and as SafeUnpickler.load() alone (what safe_loads runs
after the scan); times are the best of --repeat runs, in CPU time (the machine may be shared).
"""

import argparse
import io
import os
import pickle
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from picklejar._prescan_ops import prescan  # noqa: E402
from picklejar._safe_pickle import Allowlist, SafeUnpickler  # noqa: E402

THEMES = ["dark", "light", "solarized", "high-contrast"]


def record(i):
    """session_values()'s i-th value, as Python builds it."""
    return {"id": i, "name": f"User Number {i}", "email": f"user{i}@example.org",
            "score": (i % 1000) * 0.37, "active": i % 3 != 0,
            "tags": ["alpha", "beta", f"group-{i % 17}"], "created": "2024-05-17T12:34:56Z",
            "history": [i * 7 + h for h in range(5)],
            "prefs": {"theme": THEMES[i % 4], "font_size": 10 + i % 8, "autosave": i % 2 == 0,
                      "recent": [f"/home/user/doc{i}.txt", "/home/user/notes.md"]}}


def best_per_item(function, items, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for item in items:
            function(item)
        best = min(best, time.process_time() - start)
    return best / len(items)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    allowlist = Allowlist()
    rng = random.Random(1)
    workloads = [
        ("session entry", [pickle.dumps(record(i), 4) for i in range(2000)]),
        ("1 MiB records", [pickle.dumps([record(i) for i in range(6400)], 4)]),
        ("1 MiB floats", [pickle.dumps([rng.random() for _ in range(116000)], 4)]),
        ("1 MiB bytes", [pickle.dumps(rng.getrandbits(8 << 20).to_bytes(1 << 20, "little"), 4)]),
    ]

    def load(data):
        SafeUnpickler(io.BytesIO(data), allowlist).load()

    print(f"{'workload':15} {'bytes':>9} {'pre-scan':>12} {'load':>12} {'scan/load':>9}")
    for name, items in workloads:
        scan = best_per_item(lambda data: prescan(data, allowlist), items, repeat)
        loaded = best_per_item(load, items, repeat)
        size = sum(map(len, items)) // len(items)
        print(f"{name:15} {size:9d} {scan * 1e6:9.1f} us {loaded * 1e6:9.1f} us "
              f"{scan / loaded:9.2f}")


if __name__ == "__main__":
    main()
