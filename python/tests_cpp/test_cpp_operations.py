"""increment() and add() from C++ (session_tool race) and Python processes racing on one
file: exact final counts, exactly one add() of a key succeeds, and neither side's other
unsaved changes reach the file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import unittest

from picklejar import Session

from cpp import start_tool
from support import ScratchTest, child_env

PYTHON_RACER = """
    import sys
    import picklejar
    path, key, n, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    s = picklejar.Session(path, durability="fast", lock_timeout=120)
    s["unsaved-py"] = 1  # never saved: increment and add write only their key
    sys.stdin.readline()
    won = s.add("winner", name)
    for _ in range(n):
        s.increment(key)
    s.increment("winners", int(won))
    s.discard()
    s.close()
"""


class RaceTest(ScratchTest):
    def test_cpp_and_python_increment_and_add_lose_nothing(self) -> None:
        with Session(self.path()) as s:  # created once, so nobody races to create it
            s["other"] = "kept"
        per_process = 300
        names = ["cpp-0", "cpp-1", "py-0", "py-1"]
        children = [start_tool("race", self.path(), "count", str(per_process), name)
                    for name in names[:2]]
        children += [
            subprocess.Popen([sys.executable, "-c", textwrap.dedent(PYTHON_RACER), self.path(),
                              "count", str(per_process), name], env=child_env(),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for name in names[2:]
        ]
        for child in children:  # all start together
            child.stdin.write("go\n")
            child.stdin.flush()
        for child in children:
            out, err = child.communicate(timeout=600)  # closes stdin: C++ reads no more
            self.assertEqual(child.returncode, 0, f"{out}{err}")
        with Session(self.path()) as s:
            self.assertEqual(s["count"], len(names) * per_process)
            self.assertEqual(s["winners"], 1)
            self.assertIn(s["winner"], names)
            self.assertEqual(s["other"], "kept")
            self.assertNotIn("unsaved-cpp", s)
            self.assertNotIn("unsaved-py", s)
            # One revision per increment and per add that won, plus the two before the race.
            self.assertEqual(s.info.revision, 1 + len(names) * (per_process + 1) + 1)


if __name__ == "__main__":
    unittest.main()
