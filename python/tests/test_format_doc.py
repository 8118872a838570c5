"""The package against docs/FORMAT.md's own Python code: the doc's read_session() reads files
the package writes (SHA-256 and HMAC), and the doc's lock_session() and the package's locks
exclude each other both ways."""

from __future__ import annotations

import os
import re
import unittest

from picklejar import LockTimeout, Session

from support import REPO_ROOT, ScratchTest, run_python, start_python


def doc_code(heading: str) -> str:
    """The first ```python block after the line ``heading`` in docs/FORMAT.md."""
    with open(os.path.join(REPO_ROOT, "docs", "FORMAT.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("\n" + heading)
    return re.compile(r"```python\n(.*?)```", re.S).search(text, start).group(1)


class FormatDocTest(ScratchTest):
    def test_the_docs_reader_reads_our_files(self) -> None:
        namespace: dict = {}
        exec(compile(doc_code("## Reading a session file from Python"), "FORMAT.md", "exec"),
             namespace)
        read_session = namespace["read_session"]
        values = {"a": [1, 2.5], "é": {"x": (None, b"y")}, "": "empty key"}
        for key in (None, b"secret"):
            path = self.path(f"{key}.pj")
            with Session(path, integrity_key=key) as s:
                s.update(values)
                s.save()
                del s["a"]
                s["b"] = 1
                s.save()
            expected = {"é": {"x": (None, b"y")}, "": "empty key", "b": 1}
            self.assertEqual(read_session(path, key), expected)
            if key is not None:
                with self.assertRaisesRegex(ValueError, "integrity key mismatch"):
                    read_session(path)

    def test_the_docs_lock_and_ours_exclude_each_other(self) -> None:
        code = doc_code("**From Python**") + """
import sys
fd = lock_session(sys.argv[1], exclusive=sys.argv[2] == "exclusive",
                  timeout=float(sys.argv[3]))
print("locked", flush=True)
sys.stdin.read()
"""
        with Session(self.path(), lock_timeout=0.2) as s:
            s["k"] = 1
            s.save()
            holder = start_python(code, self.path(), "exclusive", "5")
            try:
                self.assertEqual(holder.stdout.readline(), "locked\n")
                s["k"] = 2
                with self.assertRaisesRegex(LockTimeout, "an exclusive lock .*held by "
                                                         f"process {holder.pid}"):
                    s.save()
                with Session(self.path(), lock_timeout=0) as reader:  # readers take no lock
                    self.assertEqual(reader["k"], 1)
            finally:
                holder.stdin.close()
                holder.wait(timeout=30)
                holder.stdout.close()
            with s.transact():
                waiter = run_python(code, self.path(), "shared", "0.1", check=False)
                self.assertNotEqual(waiter.returncode, 0)
                self.assertIn("TimeoutError: timed out waiting for the lock", waiter.stderr)
            s.save()
        self.assertEqual(Session(self.path(), mode="read_only")["k"], 2)


if __name__ == "__main__":
    unittest.main()
