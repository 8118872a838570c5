"""Processes sharing one store over TCP: atomic increments, a lock holder killed, a migration
raced."""

from __future__ import annotations

import os
import signal
import time
import unittest

from pg_support import finish, start_python, store_row, tcp_url, unique

from picklejar import LockTimeout, Session

INCREMENTER = """
    import sys, picklejar
    url, count = sys.argv[1], int(sys.argv[2])
    sys.stdin.readline()  # start together
    with picklejar.Session(url, lock_timeout=60) as s:
        for _ in range(count):
            with s.transact():
                s["n"] = s.get("n", 0) + 1
    print("done")
"""

HOLDER = """
    import sys, time, picklejar
    s = picklejar.Session(sys.argv[1])
    with s.transact():
        for i in range(50):
            s[f"partial/{i}"] = i
        # The rows written as the commit would write them, then killed before COMMIT.
        s._state.write_pending(force=False)
        print("holding", flush=True)
        time.sleep(600)
"""

MIGRATOR = """
    import os, sys, picklejar
    def migrate(s):
        s["runs"] = s.get("runs", 0) + 1
        s["migrated_by"] = os.getpid()
    url = sys.argv[1]
    sys.stdin.readline()
    with picklejar.Session(url, schema_version=1, migrations=[(0, 1, migrate)],
                           lock_timeout=60) as s:
        print(s["runs"], s.info.app_schema_version)
"""


class ProcessesTest(unittest.TestCase):
    def test_three_processes_increment_exactly_3000_times(self) -> None:
        url = tcp_url(unique("increments"))
        Session(url).close()
        children = [start_python(INCREMENTER, url, "1000") for _ in range(3)]
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        for child in children:
            self.assertEqual(finish(child), "done\n")
        with Session(url, mode="read_only") as s:
            self.assertEqual(s["n"], 3000)
        self.assertEqual(store_row(url.rpartition("=")[2])["revision"], 3000)

    def test_a_killed_lock_holder_blocks_no_one_and_leaves_nothing(self) -> None:
        name = unique("killed")
        url = tcp_url(name)
        with Session(url) as s:
            s["before"] = 1
        holder = start_python(HOLDER, url)
        self.addCleanup(lambda: holder.poll() is None and holder.kill())
        self.assertEqual(holder.stdout.readline(), "holding\n")
        with Session(url, lock_timeout=0.3) as s:
            with self.assertRaises(LockTimeout) as caught:
                s.increment("after")
            self.assertIn(f"store={name}", str(caught.exception))
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(30)
        started = time.monotonic()
        with Session(url, lock_timeout=30) as s:
            self.assertEqual(s.increment("after"), 1)
            self.assertLess(time.monotonic() - started, 30)
            self.assertEqual(sorted(s), ["after", "before"])  # none of the holder's keys
        self.assertEqual(store_row(name)["revision"], 2)
        holder.stdout.close()
        holder.stdin.close()
        holder.stderr.close()

    def test_four_processes_racing_migrate_once(self) -> None:
        name = unique("migration")
        url = tcp_url(name)
        with Session(url) as s:
            s["data"] = "v0"
        children = [start_python(MIGRATOR, url) for _ in range(4)]
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [finish(child) for child in children]
        self.assertEqual(outputs, ["1 1\n"] * 4)
        with Session(url, mode="read_only") as s:
            self.assertEqual(s["runs"], 1)
            self.assertIn(s["migrated_by"], [child.pid for child in children])
        row = store_row(name)
        self.assertEqual((row["app_schema_version"], row["revision"]), (1, 2))


if __name__ == "__main__":
    unittest.main()
