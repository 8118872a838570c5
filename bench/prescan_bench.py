"""prescan_bench: what the Python package's pre-scan (python/picklejar/_prescan*.py) costs
next to the unpickling it guards, on the session benchmark's entries and on 1 MiB entries.

    python3 bench/prescan_bench.py [--repeat=5]

Workloads (pickles written by pickle.dumps, protocol 4):
    session entry   session_bench's user-record dicts (bench/session_bench_support.cpp,
                    session_values(); about 300 bytes), 2000 of them, time per entry
    1 MiB records   one list of those records, about 1 MiB
    1 MiB floats    one list of 116,000 floats
    1 MiB bytes     one bytes value of 1 MiB
Each is timed as the pre-scan alone, as SafeUnpickler.load() alone (what safe_loads runs
after the scan), and as safe_loads(), what reading an entry costs: the scan and the load, or
for small plain pickles the fast path (_prescan_fast.py) and pickle.loads. Times are the best
of --repeat runs, in CPU time (the machine may be shared).
"""

import argparse
import io
import os
import pickle
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, HERE)

from picklejar._prescan_ops import prescan  # noqa: E402
from picklejar._safe_pickle import Allowlist, SafeUnpickler, safe_loads  # noqa: E402
from session_values import record  # noqa: E402


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

    print(f"{'workload':15} {'bytes':>9} {'pre-scan':>12} {'load':>12} {'scan/load':>9} "
          f"{'safe_loads':>12} {'/load':>6}")
    for name, items in workloads:
        scan = best_per_item(lambda data: prescan(data, allowlist), items, repeat)
        loaded = best_per_item(load, items, repeat)
        safe = best_per_item(lambda data: safe_loads(data, allowlist), items, repeat)
        size = sum(map(len, items)) // len(items)
        print(f"{name:15} {size:9d} {scan * 1e6:9.1f} us {loaded * 1e6:9.1f} us "
              f"{scan / loaded:9.2f} {safe * 1e6:9.1f} us {safe / loaded:6.2f}")


if __name__ == "__main__":
    main()
