"""C++ and Python processes on one file: change notification both ways (C++ saves and Python
waits, Python saves and C++ waits; latency printed, bound loose), rekey in one language read
with the new key in the other, and backups made in one opened by the other."""

from __future__ import annotations

import statistics
import sys
import time
import unittest

from picklejar import IntegrityError, Session

from cpp import run_tool, start_tool, tool_lines
from support import ScratchTest

KEY_HEX = "6e6577206b6579"  # b"new key"


def report(direction: str, latencies_ms: list) -> None:
    print(f"\n{direction}: median {statistics.median(latencies_ms):.2f} ms, "
          f"max {max(latencies_ms):.2f} ms", file=sys.stderr)


class ChangesAcrossLanguagesTest(ScratchTest):
    def test_cpp_saves_python_waits(self) -> None:
        with Session(self.path(), durability="fast") as waiter:
            writer = start_tool("saves", self.path())
            self.addCleanup(writer.kill)
            latencies = []
            for i in range(10):
                writer.stdin.write("go\n")
                writer.stdin.flush()
                changes = waiter.wait_for_change(20)
                woke = time.monotonic_ns()
                saved = int(writer.stdout.readline())
                self.assertEqual(changes.keys(), [f"k{i}"])
                latencies.append(max(0, woke - saved) / 1e6)
            writer.stdin.close()
            self.assertEqual(writer.wait(60), 0, writer.stderr.read())
            writer.stdout.close()
            writer.stderr.close()
        report("C++ saves, Python's wait_for_change returns", latencies)
        self.assertLess(max(latencies), 2000)

    def test_python_saves_cpp_waits(self) -> None:
        with Session(self.path(), durability="fast") as writer:
            latencies = []
            for i in range(8):
                waiter = start_tool("wait", self.path(), "20000")
                self.assertEqual(waiter.stdout.readline().strip(), "ready")
                time.sleep(0.05)  # waiting by now
                writer[f"p{i}"] = i
                writer.save()
                saved = time.monotonic_ns()
                out, err = waiter.communicate(timeout=60)
                self.assertEqual(waiter.returncode, 0, err)
                keys, woke, _cpu, _seconds = out.strip().split("\t")
                self.assertEqual(keys, f"p{i}")
                latencies.append(max(0, int(woke) - saved) / 1e6)
        report("Python saves, C++'s wait_for_change returns", latencies)
        self.assertLess(max(latencies), 2000)

    def test_a_cpp_waiter_polls_a_rollback_journal_file_python_writes(self) -> None:
        with Session(self.path(), durability="fast", filesystem="network") as writer:
            waiter = start_tool("wait", self.path(), "20000", "--network")
            self.assertEqual(waiter.stdout.readline().strip(), "ready")
            time.sleep(0.2)  # the poll has slowed down by now
            writer["polled"] = 1
            writer.save()
            out, err = waiter.communicate(timeout=60)
            self.assertEqual(waiter.returncode, 0, err)
            self.assertEqual(out.split("\t")[0], "polled")


class RekeyAcrossLanguagesTest(ScratchTest):
    def test_rekeyed_in_cpp_opens_in_python_with_the_new_key(self) -> None:
        with Session(self.path()) as s:
            s.update(a=1, b=["x"])
        run_tool("rekey", self.path(), KEY_HEX)
        with self.assertRaises(IntegrityError):
            Session(self.path())
        with Session(self.path(), integrity_key=b"new key") as s:
            self.assertEqual(dict(s), {"a": 1, "b": ["x"]})
            self.assertEqual(s.info.integrity_scheme, "hmac-sha256")
        run_tool("rekey", self.path(), "none", "--key", KEY_HEX)
        with Session(self.path()) as s:
            self.assertEqual(dict(s), {"a": 1, "b": ["x"]})

    def test_rekeyed_in_python_opens_in_cpp_with_the_new_key(self) -> None:
        with Session(self.path()) as s:
            s.update(a=1, b=["x"])
            s.save()
            s.rekey(b"new key")
        self.assertEqual(tool_lines("dump", self.path(), "--key", KEY_HEX),
                         ["a\t1", "b\t['x']"])
        failed = run_tool("dump", self.path(), check=False)
        self.assertEqual(failed.returncode, 1)
        self.assertIn("IntegrityError", failed.stderr)


class BackupAcrossLanguagesTest(ScratchTest):
    def test_a_backup_made_in_one_language_opens_in_the_other(self) -> None:
        with Session(self.path()) as s:
            s.update(a=1, b=["x"])
        self.assertEqual(tool_lines("backup", self.path(), self.path("cpp-backup.pj")), ["1"])
        with Session(self.path("cpp-backup.pj"), mode="read_only") as copy:
            self.assertEqual(dict(copy), {"a": 1, "b": ["x"]})
        with Session(self.path()) as s:
            s.backup(self.path("py-backup.pj"))
        self.assertEqual(tool_lines("dump", self.path("py-backup.pj"), "--read-only"),
                         ["a\t1", "b\t['x']"])


if __name__ == "__main__":
    unittest.main()
