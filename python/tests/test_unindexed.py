"""Issue 15, item 5: a WAL-mode session file in a directory the reader may not write (the C++
side: tests/test_session_unindexed.cpp). Once the last writer closed, SQLite has deleted the
file's -wal and -shm, and a reader who cannot make the -shm again could not read at all
("attempt to write a readonly database", 1544). Such a reader now reads the file's own pages
(immutable=1) while no -wal exists, checking that no writer changed the file meanwhile, and
through SQLite's index while a writer has the file open.

The reader is another process: a second local user when the tests run as root (the directory
stays 0755, root's), else this user with the directory made 0555 except while the test
writes. It runs Debian's /usr/bin/python3 on a copy of the package in the scratch directory
(pyenv's interpreter and the checkout may be where the other user cannot read)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import unittest

from picklejar import Session
from support import PACKAGE_ROOT, ScratchTest
from test_paths import other_user

READER = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

# Reads the session at argv[1] whenever a line arrives, printing a, b (or the error).
READ_ON_REQUEST = """
    import sys
    from picklejar import Session
    s = Session(sys.argv[1], mode="read_only")
    print(s["a"], s["b"], s.info.journal_mode, flush=True)
    for line in sys.stdin:
        changed = s.changed()
        s.load()
        print(s["a"], s["b"], changed, flush=True)
"""

# Opens and reads the session at argv[1] until its stdin has a line, counting reads that saw
# one save (a == b) and reads refused because a writer changed the file during them.
READ_IN_A_LOOP = """
    import select, sys
    from picklejar import Session, StoreError
    consistent = changed = 0
    print("started", flush=True)
    for _ in range(100000):
        try:
            with Session(sys.argv[1], mode="read_only") as s:
                a, b = s["a"], s["b"]
            if a != b:
                print(f"mixed {a} {b}", flush=True)
                sys.exit(3)
            consistent += 1
        except StoreError as e:
            if "changed it during the read" not in str(e):
                raise
            changed += 1
        if consistent and select.select([sys.stdin], [], [], 0)[0]:
            break
    print(consistent, changed, flush=True)
"""


class UnindexedReadTest(ScratchTest):
    def setUp(self) -> None:
        super().setUp()
        os.chmod(self.dir, 0o755)
        self.package = os.path.join(self.dir, "package")
        shutil.copytree(os.path.join(PACKAGE_ROOT, "picklejar"),
                        os.path.join(self.package, "picklejar"))
        self.place = os.path.join(self.dir, "place")
        os.mkdir(self.place)
        self.file = os.path.join(self.place, "state.pj")
        self.lock()
        self.addCleanup(os.chmod, self.place, 0o755)

    def lock(self) -> None:
        """The reader may not write the directory: root's 0755 for the other user, or 0555."""
        os.chmod(self.place, 0o755 if os.geteuid() == 0 else 0o555)

    def unlock(self) -> None:
        os.chmod(self.place, 0o755)

    def write(self, a: int, b: int) -> None:
        self.unlock()
        with Session(self.file, durability="fast") as s:
            s["a"], s["b"] = a, b
        self.lock()

    def reader(self, code: str) -> subprocess.Popen:
        command = [READER, "-c", textwrap.dedent(code), self.file]
        if os.geteuid() == 0:
            command = ["runuser", "-u", other_user(), "--"] + command
        env = dict(os.environ, PYTHONPATH=self.package)
        return subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def finish(self, reader: subprocess.Popen) -> str:
        if not reader.stdin.closed:
            reader.stdin.close()
        out, err = reader.stdout.read(), reader.stderr.read()
        reader.stdout.close()
        reader.stderr.close()
        self.assertEqual(reader.wait(timeout=300), 0, err)
        return out

    def test_a_wal_file_whose_writers_all_closed_is_read_and_left_as_it_was(self) -> None:
        self.write(1, 2)
        self.assertFalse(os.path.exists(self.file + "-wal"))  # the last writer deleted it
        with open(self.file, "rb") as f:
            before = f.read()
        reader = self.reader("""
            import sys
            from picklejar import Session
            with Session(sys.argv[1], mode="read_only") as s:
                info = s.info
                print(s["a"], s["b"], info.journal_mode, info.entries, s.check_database(),
                      s.changed(), not s.load())
        """)
        self.assertEqual(self.finish(reader), "1 2 wal 2 [] False True\n")
        with open(self.file, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertFalse(os.path.exists(self.file + "-wal"))
        self.assertFalse(os.path.exists(self.file + "-shm"))

    def test_such_a_reader_sees_what_writers_save_later_with_a_wal_or_without(self) -> None:
        self.write(1, 1)
        reader = self.reader(READ_ON_REQUEST)
        try:
            self.assertEqual(reader.stdout.readline(), "1 1 wal\n")
            self.write(2, 2)  # saved and closed: no -wal now
            self.assertFalse(os.path.exists(self.file + "-wal"))
            reader.stdin.write("load\n")
            reader.stdin.flush()
            self.assertEqual(reader.stdout.readline(), "2 2 True\n")
            self.unlock()
            with Session(self.file, durability="fast") as writer:
                writer["a"], writer["b"] = 3, 3
                writer.save()  # still open: its -wal holds the save
                self.assertTrue(os.path.exists(self.file + "-wal"))
                reader.stdin.write("load\n")
                reader.stdin.flush()
                self.assertEqual(reader.stdout.readline(), "3 3 True\n")
            self.lock()
        finally:
            reader.stdin.close()
        self.finish(reader)

    def test_such_a_reader_never_sees_half_of_a_save_made_while_it_reads(self) -> None:
        # A writer opening, saving a == b and closing (checkpointing into the file) in a loop,
        # while the reader opens and reads in a loop: every read gives a == b or says the file
        # changed during it; nothing else.
        self.write(0, 0)
        reader = self.reader(READ_IN_A_LOOP)
        try:
            self.assertEqual(reader.stdout.readline(), "started\n")
            for i in range(1, 151):
                self.write(i, i)
            reader.stdin.write("done\n")
            reader.stdin.flush()
        finally:
            reader.stdin.close()
        consistent, changed = map(int, self.finish(reader).split())
        print(f"\nconsistent reads {consistent}, refused as changed meanwhile {changed}",
              file=sys.stderr)
        self.assertGreater(consistent, 0)


if __name__ == "__main__":
    unittest.main()
