"""C++ and Python processes on one file at once: transact() increments from both never lose
an update; each side's exclusive lock makes the other's save time out with LockTimeout;
revisions and conflicts are shared."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import unittest

from picklejar import ConflictError, LockTimeout, Session

from cpp import CppHolder, run_tool, start_counter, start_tool, tool_lines
from support import ScratchTest, child_env, close_dropping

PYTHON_COUNTER = """
    import sys
    from picklejar import Session
    path, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with Session(path, durability="fast", lock_timeout=120) as s:
        for _ in range(n):
            with s.transact():
                s[key] = s.get(key, 0) + 1
"""


class MixedProcessesTest(ScratchTest):
    def test_two_cpp_and_two_python_processes_count_to_4000(self) -> None:
        with Session(self.path()) as s:  # created once, so nobody races to create it
            s["other"] = "kept"
            s.save()
        children = [start_counter(self.path(), "n", 1000) for _ in range(2)]
        children += [
            subprocess.Popen([sys.executable, "-c", textwrap.dedent(PYTHON_COUNTER),
                              self.path(), "n", "1000"], env=child_env(),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = []
        for child in children:
            out, err = child.communicate(timeout=600)
            self.assertEqual(child.returncode, 0, out + err)
            outputs.append(out)
        for out in outputs[:2]:  # each counter prints the value after its last increment
            self.assertTrue(1000 <= int(out) <= 4000, out)
        with Session(self.path()) as s:
            self.assertEqual(s["n"], 4000)
            self.assertEqual(s["other"], "kept")
            self.assertEqual(s.info.revision, 4001)
        self.assertEqual(tool_lines("dump", self.path()), ["n\t4000", "other\t'kept'"])

    def test_a_cpp_lock_makes_python_time_out(self) -> None:
        s = Session(self.path(), lock_timeout=0.2)
        self.addCleanup(close_dropping, s)
        s["k"] = 1
        with CppHolder(self.path()) as holder:
            with self.assertRaises(LockTimeout) as caught:
                s.save()
            self.assertIn(f"waiting for an exclusive lock on '{self.path()}.lock' (held by "
                          f"process {holder.pid})", str(caught.exception))
            # Readers take no lock file: opening and loading do not wait for writers.
            with Session(self.path(), lock_timeout=0) as reader:
                self.assertEqual(len(reader), 0)
            s.load()
        s.save()  # the holder is gone
        self.assertEqual(tool_lines("dump", self.path()), ["k\t1"])

    def test_a_python_lock_makes_cpp_time_out(self) -> None:
        run_tool("save", self.path(), "k", "1")
        saver = start_tool("save", self.path(), "k", "3", "200", "--wait")
        self.assertEqual(saver.stdout.readline(), "opened\n")
        with Session(self.path()) as s:
            with s.transact():
                s["k"] = 2
                result = run_tool("save", self.path(), "k", "3", "200", check=False)
                self.assertEqual(result.returncode, 1)  # opening needs no lock, saving does
                self.assertIn(f"LockTimeout: timed out after 200 ms waiting for an exclusive "
                              f"lock on '{self.path()}.lock' (held by process {os.getpid()})",
                              result.stderr)
                out, err = saver.communicate("go\n", timeout=60)  # an open session's save()
                self.assertEqual(saver.returncode, 1, out + err)
                self.assertIn(f"LockTimeout: timed out after 200 ms waiting for an exclusive "
                              f"lock on '{self.path()}.lock' (held by process {os.getpid()})",
                              err)
        run_tool("save", self.path(), "k", "3", "200")
        with Session(self.path()) as s:
            self.assertEqual(s["k"], 3)
            self.assertEqual(s.info.revision, 3)

    def test_conflicts_between_languages(self) -> None:
        run_tool("save", self.path(), "k", "1")
        strict = Session(self.path(), conflicts="strict")
        self.addCleanup(close_dropping, strict)
        lww = Session(self.path())
        self.addCleanup(close_dropping, lww)
        run_tool("save", self.path(), "k", "2")
        strict["k"] = 10
        with self.assertRaises(ConflictError) as caught:
            strict.save()
        self.assertEqual(caught.exception.keys, ["k"])
        lww["k"] = 20
        lww.save()
        self.assertEqual(tool_lines("dump", self.path()), ["k\t20"])
        run_tool("save", self.path(), "j", "5")
        lww.load()
        self.assertEqual(dict(lww), {"j": 5, "k": 20})


if __name__ == "__main__":
    unittest.main()
