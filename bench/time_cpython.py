#!/usr/bin/env python3
"""Times CPython's pickle.loads (the C accelerator, _pickle) on pickle files, in-process.

    python3 bench/time_cpython.py [--repeat N] [--min-time SECONDS] [--dumps] FILE...

With --dumps it times pickle.dumps instead (bench/encode_bench.cpp): each file is loaded once
and the object is pickled again at the file's own protocol (the PROTO opcode's, 0 without
one). Classes the files name must be importable; this script's directory (bench/) is on
sys.path, which is where encode_bench_classes.py is.

Like timeit: every file is loaded once first, then for each file the loop count M doubles
until one repeat of M loads takes at least --min-time, and the best of N repeats is kept. The garbage collector is off while
timing, as timeit does (that favours CPython: gc passes over fresh containers would slow it
down). Each load's result is dropped right away, so deallocation is part of the time.

Prints the interpreter, then one machine-readable line per file:
    python<TAB><version> <implementation>
    cpython<TAB><file name><TAB><best seconds per loads()><TAB><loops><TAB><repeats>
"""
import argparse
import functools
import gc
import os
import pickle
import platform
import sys
import time


def time_loop(fn, data, loops):
    start = time.perf_counter()
    for _ in range(loops):
        fn(data)
    return time.perf_counter() - start


def best_per_loop(fn, data, repeat, min_time):
    loops = 1
    while True:
        elapsed = time_loop(fn, data, loops)
        if elapsed >= min_time:
            break
        loops *= 2
    best = elapsed
    for _ in range(repeat - 1):
        best = min(best, time_loop(fn, data, loops))
    return best / loops, loops


def protocol_of(data):
    """The protocol a pickle says it is (PROTO is its first opcode from protocol 2)."""
    return data[1] if data[:1] == b"\x80" else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.2)
    parser.add_argument("--dumps", action="store_true",
                        help="time pickle.dumps of each file's object instead of pickle.loads")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    import _pickle  # fails loudly if the C accelerator is missing
    if pickle.loads is not _pickle.loads or pickle.dumps is not _pickle.dumps:
        sys.exit("time_cpython.py: pickle.loads/dumps are not the C accelerator")

    print("python\t%s %s" % (platform.python_version(), platform.python_implementation()))
    # The C pickler counts nesting against the recursion limit (1,000 by default), as
    # make_payloads.py says.
    sys.setrecursionlimit(10_000)
    gc.disable()
    payloads = []
    for path in args.files:
        with open(path, "rb") as f:
            payloads.append((os.path.basename(path), f.read()))
    # Every file is loaded once before any is timed (and a bad file fails before timing), so
    # every row runs with the allocator in the same, steady state, as decode_bench does;
    # with --dumps, every object is also pickled once before any is timed.
    jobs = []  # (name, function timed, its argument)
    for name, data in payloads:
        if args.dumps:
            obj = pickle.loads(data)
            jobs.append((name, functools.partial(pickle.dumps, protocol=protocol_of(data)), obj))
        else:
            pickle.loads(data)
            jobs.append((name, pickle.loads, data))
    if args.dumps:
        for _, dumps, obj in jobs:
            dumps(obj)
    for name, fn, arg in jobs:
        seconds, loops = best_per_loop(fn, arg, args.repeat, args.min_time)
        print("cpython\t%s\t%.9e\t%d\t%d" % (name, seconds, loops, args.repeat), flush=True)


if __name__ == "__main__":
    main()
