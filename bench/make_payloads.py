#!/usr/bin/env python3
"""Writes the decode benchmark's payloads: pickles made by this python3's pickle.dumps.

    python3 bench/make_payloads.py OUTDIR

For every workload and protocol 4 (3.8-3.13's default) and 5 it writes
OUTDIR/<workload>.p<N>.pkl. The values are built from a fixed seed, so every run (and every
machine with the same CPython) decodes the same bytes. Workloads, as bench/decode_bench.cpp
names them:

    mixed          records like pyperformance's pickle benchmark: dicts of str/int/float with
                   nested lists and tuples
    ints_100k      a list of 100,000 small ints (BININT1/BININT2/BININT widths)
    str_dict_10k   a dict of 10,000 str -> str
    blob_1mb       one 1 MiB bytes object (a single BINBYTES payload)
    bigints        10,000 ints of 65 to 2,048 bits, both signs (LONG1/LONG4)
    nested_1000    lists nested 1,000 deep, one int per level
    nonascii_10k   10,000 non-ASCII strs (Latin-1, Cyrillic, CJK, emoji)
"""
import os
import pickle
import random
import sys

PROTOCOLS = (4, 5)
SEED = 20261126

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
         "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa")
NON_ASCII_ALPHABETS = (
    "àéîõüçñßøåæÀÉÎÕÜ",            # Latin-1 (2-byte UTF-8)
    "абвгдежзийклмнопрст",          # Cyrillic (2-byte)
    "日本語中文字漢字東京大阪",       # CJK (3-byte)
    "😀😃😄🎉🚀🌍🐍🍕",               # emoji (4-byte)
)


def mixed(rng):
    records = []
    for i in range(1000):
        records.append({
            "id": i,
            "name": " ".join(rng.choice(WORDS) for _ in range(2)),
            "email": "%s%d@example.com" % (rng.choice(WORDS), i),
            "age": rng.randrange(18, 90),
            "score": rng.random() * 100,
            "balance": rng.uniform(-1e6, 1e6),
            "active": rng.random() < 0.5,
            "tags": [rng.choice(WORDS) for _ in range(rng.randrange(0, 6))],
            "location": (rng.uniform(-90, 90), rng.uniform(-180, 180)),
            "history": [(rng.randrange(1 << 31), rng.random()) for _ in range(3)],
            "parent": None if i % 7 == 0 else rng.randrange(i + 1),
        })
    return {"version": 3, "generated_by": "make_payloads.py", "records": records}


def ints_100k(rng):
    widths = (1 << 8, 1 << 16, 1 << 31)
    return [rng.randrange(widths[i % 3]) for i in range(100_000)]


def str_dict_10k(rng):
    return {"key-%05d-%s" % (i, rng.choice(WORDS)): "%s %s %d" % (rng.choice(WORDS),
                                                                  rng.choice(WORDS), i)
            for i in range(10_000)}


def blob_1mb(rng):
    return rng.randbytes(1 << 20)


def bigints(rng):
    values = []
    for i in range(10_000):
        v = rng.getrandbits(rng.randrange(65, 2049)) | (1 << 64)
        values.append(-v if i % 2 else v)
    return values


def nested_1000(rng):
    value = []
    for i in range(1000):
        value = [i, value]
    return value


def nonascii_10k(rng):
    out = []
    for i in range(10_000):
        alphabet = NON_ASCII_ALPHABETS[i % len(NON_ASCII_ALPHABETS)]
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(4, 40))))
    return out


WORKLOADS = (mixed, ints_100k, str_dict_10k, blob_1mb, bigints, nested_1000, nonascii_10k)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_payloads.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    # The C pickler counts nesting against the recursion limit (1,000 by default).
    sys.setrecursionlimit(10_000)
    for make in WORKLOADS:
        value = make(random.Random(SEED))
        for protocol in PROTOCOLS:
            path = os.path.join(outdir, "%s.p%d.pkl" % (make.__name__, protocol))
            with open(path, "wb") as f:
                f.write(pickle.dumps(value, protocol=protocol))


if __name__ == "__main__":
    main()
