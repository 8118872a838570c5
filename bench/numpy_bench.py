#!/usr/bin/env python3
"""numpy's side of bench/numpy_bench.cpp: makes the array and its pickles, and times
pickle.loads / pickle.dumps of it in-process (needs numpy: Debian's python3-numpy).

    /usr/bin/python3 bench/numpy_bench.py DIR [--mb 100] [--repeat N] [--min-time SECONDS]

Writes DIR/array.p4.pkl and DIR/array.p5.pkl (pickle.dumps in band), DIR/array.oob.pkl with
its out-of-band buffer DIR/array.oob.buf (pickle.dumps(a, 5, buffer_callback=...), which also
holds the raw items). Timing as bench/time_cpython.py: timeit's method, the garbage collector
off, each result dropped inside the loop. Then each operation runs once under tracemalloc,
which numpy reports its data allocations to: the most it had allocated at once (bytes of the
array's size are a copy of it). Prints
    numpy<TAB><numpy version> on Python <version>
    row<TAB><name><TAB><best seconds per call><TAB><loops><TAB><peak bytes allocated>
"""
import argparse
import gc
import os
import pickle
import platform
import time
import tracemalloc

import numpy as np


def best_per_call(fn, repeat, min_time):
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            break
        loops *= 2
    best = elapsed
    for _ in range(repeat - 1):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, time.perf_counter() - start)
    return best / loops, loops


def allocated_by(fn):
    """Bytes fn() allocated at its peak (a copy made and dropped on the way counts)."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    result = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return peak - before


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dir')
    parser.add_argument('--mb', type=int, default=100)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--min-time', type=float, default=0.2)
    args = parser.parse_args()

    a = np.random.default_rng(20).random(args.mb * 2**20 // 8)
    pickles = {protocol: pickle.dumps(a, protocol) for protocol in (4, 5)}
    buffers = []
    oob = pickle.dumps(a, 5, buffer_callback=buffers.append)
    raw = bytes(buffers[0].raw())
    for name, data in (('array.p4.pkl', pickles[4]), ('array.p5.pkl', pickles[5]),
                       ('array.oob.pkl', oob), ('array.oob.buf', raw)):
        with open(os.path.join(args.dir, name), 'wb') as f:
            f.write(data)

    print('numpy\t%s on Python %s' % (np.__version__, platform.python_version()))
    oob_buffer = [pickle.PickleBuffer(raw)]
    jobs = [
        ('loads_p5', lambda: pickle.loads(pickles[5])),
        ('loads_p4', lambda: pickle.loads(pickles[4])),
        ('loads_oob', lambda: pickle.loads(oob, buffers=oob_buffer)),
        ('dumps_p5', lambda: pickle.dumps(a, 5)),
        ('dumps_p4', lambda: pickle.dumps(a, 4)),
    ]
    gc.disable()
    for _, fn in jobs:
        fn()
    for name, fn in jobs:
        seconds, loops = best_per_call(fn, args.repeat, args.min_time)
        print('row\t%s\t%.9e\t%d\t%d' % (name, seconds, loops, allocated_by(fn)), flush=True)


if __name__ == '__main__':
    main()
