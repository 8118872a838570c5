"""pysession_bench's table: one row per workload, one column per contender, and picklejar's
standing against each (its time over plain sqlite3 + pickle's: the target is at most 1.5;
and how many times faster it is than sqlitedict, diskcache and shelve)."""

import sys


def rows(args):
    """(row, label, unit, scale from seconds or increments/s, higher is better)."""
    keys, single, processes = args.keys, args.single, args.processes
    return [
        ("batch", f"batch save, {keys} new keys, 1 txn", "ms", 1e3, False),
        ("gets", f"{keys} random gets", "us/get", 1e6 / keys, False),
        ("again", f"{keys} random gets, again", "us/get", 1e6 / keys, False),
        ("iterate", f"iterate {keys} keys", "ms", 1e3, False),
        ("opened", f"open a store of {keys} keys", "ms", 1e3, False),
        ("open", f"open + load all {keys}, new process", "ms", 1e3, False),
        ("single_durable", f"{single} single-key saves, durable", "us/save", 1e6 / single,
         False),
        ("single_fast", f"{single} single-key saves, fast", "us/save", 1e6 / single, False),
        ("transact_1key", f"{processes}-proc transact, 1 key", "k incr/s", 1e-3, True),
        ("transact_10k", f"{processes}-proc transact, {keys} keys", "k incr/s", 1e-3, True),
    ]


def number(value, scale):
    if value is None:
        return "-"
    shown = value * scale
    return f"{shown:.0f}" if shown >= 100 else f"{shown:.3g}"


def slowdown(results, ours, theirs, row, higher):
    """How many times slower `ours` is than `theirs` (below 1: faster)."""
    a, b = results.get((ours, row)), results.get((theirs, row))
    if not a or not b:
        return None
    return b / a if higher else a / b


def print_table(results, names, args, out=sys.stdout):
    ours = [n for n in names if n in ("before", "picklejar")]
    others = [n for n in names if n not in ours]
    header = f"{'workload':36} {'unit':>8}"
    for n in ours:
        header += f" {n:>10}"
    for n in others:
        header += f" {n:>10}"
    for n in ours:
        header += f" {n[:3] + '/sql3':>9}"
    for n in others:
        if n != "sqlite3":
            header += f" {'vs ' + n[:6]:>10}"
    print(header, file=out)
    for row, label, unit, scale, higher in rows(args):
        if not any((n, row) in results for n in names):
            continue
        line = f"{label:36} {unit:>8}"
        for n in ours + others:
            line += f" {number(results.get((n, row)), scale):>10}"
            lost = results.get((n, row + "_lost"))
            if lost:
                line = line[:-10] + f" {number(results.get((n, row)), scale) + '*':>9}"
        for n in ours:
            ratio = slowdown(results, n, "sqlite3", row, higher)
            line += f" {'-' if ratio is None else f'{ratio:.2f}x':>9}"
        for n in others:
            if n != "sqlite3":
                ratio = slowdown(results, "picklejar", n, row, higher)
                line += f" {'-' if ratio is None else f'{1 / ratio:.2f}x':>10}"
        print(line, file=out)
    lost = [(n, row, results[(n, row + "_lost")]) for row, *_ in rows(args)
            for n in names if results.get((n, row + "_lost"))]
    for n, row, count in lost:
        print(f"* {n} lost {count} of {args.processes * args.increments} increments "
              f"({row}): it has no read-modify-write transaction", file=out)
    print(f"{'pj/sql3'}: picklejar's time over plain sqlite3 + pickle's (target <= 1.5x); "
          "'vs X': how many times faster picklejar is than X. Best of "
          f"{args.repeat}, contenders interleaved.", file=out)
