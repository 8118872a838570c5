#!/usr/bin/env python3
"""The counter example as a test: 4 counter processes x 1,000 increments of one key, all at
once, while a reader watches the file with Python's sqlite3 and pickle modules. Checks that
the final count is exactly 4,000 and that every snapshot the reader took was whole: each
increment is one write transaction, so the count always equals the file's global revision
(docs/FORMAT.md), and a partial save would show them apart.

    check_counter.py COUNTER_EXE
"""
import os
import pickle
import sqlite3
import subprocess
import sys
import tempfile

PROCESSES = 4
INCREMENTS = 1000


def snapshot(path):
    """(revision, count) read in one read transaction, or None before the first save."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=30)
    try:
        db.execute("BEGIN")
        row = db.execute("SELECT value FROM meta WHERE name = 'revision'").fetchone()
        entry = db.execute("SELECT pickle FROM entries WHERE key = 'count'").fetchone()
        db.execute("COMMIT")
    except sqlite3.OperationalError:  # the file or its tables do not exist yet
        return None
    finally:
        db.close()
    if row is None:
        return None
    return row[0], (pickle.loads(entry[0]) if entry else 0)


def main():
    counter = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "counter.pj")
        subprocess.run([counter, path, "count", "0", "--fast"], check=True, capture_output=True)
        workers = [subprocess.Popen([counter, path, "count", str(INCREMENTS), "--fast"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(PROCESSES)]
        snapshots = 0
        while any(w.poll() is None for w in workers):
            seen = snapshot(path)
            if seen is not None:
                revision, count = seen
                if revision != count:
                    sys.exit(f"a reader saw a partial save: revision {revision}, count {count}")
                snapshots += 1
        finals = []
        for w in workers:
            out, err = w.communicate()
            if w.returncode != 0:
                sys.exit(f"counter failed ({w.returncode}): {err}")
            finals.append(int(out))
        total = snapshot(path)
    if total != (PROCESSES * INCREMENTS, PROCESSES * INCREMENTS):
        sys.exit(f"expected {PROCESSES * INCREMENTS} increments, the file holds {total}")
    if max(finals) != PROCESSES * INCREMENTS:
        sys.exit(f"the last counter to finish printed {max(finals)}")
    print(f"{PROCESSES} processes x {INCREMENTS} increments = {total[1]}; "
          f"{snapshots} snapshots read while they ran, all whole")


if __name__ == "__main__":
    main()
