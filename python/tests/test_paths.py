"""Issue 15: file names, symbolic links, file modes, refused files, and writers that neither
readers nor another user can starve (the C++ side: tests/test_session_paths.cpp)."""

from __future__ import annotations

import os
import pwd
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
import unittest

from picklejar import FormatError, LockTimeout, Session, StoreError
from support import ScratchTest, close_dropping, run_python, snapshot, start_python

ODD_NAMES = ["file:uri.pj", "file:mem.pj?mode=memory", "file:x.pj?nolock=1&immutable=1",
             "q?x=1.pj", "h#frag.pj", "p%41.pj", "nl\nname.pj", "emoji\U0001F600.pj",
             "-dash.pj", "n" * 247]

OTHER_USER = "pjtest15"


def other_user() -> str:
    """A second local user, created when missing (the test runs as root)."""
    try:
        pwd.getpwnam(OTHER_USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        OTHER_USER], check=True, capture_output=True)
    return OTHER_USER


def runs_as_root(test: unittest.TestCase, what: str) -> bool:
    """True when the tests run as root and can act as another user; otherwise says so."""
    if os.geteuid() == 0:
        return True
    print(f"\nnot run as root: cannot check {what} as another user (CI runs as root)",
          file=sys.stderr)
    return False


def bits(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


class FileNameTest(ScratchTest):
    def test_a_file_name_means_that_file(self) -> None:
        here = os.getcwd()
        self.addCleanup(os.chdir, here)
        for name in ODD_NAMES:
            with self.subTest(name=name):
                directory = os.path.join(self.dir, str(ODD_NAMES.index(name)))
                os.mkdir(directory)
                os.chdir(directory)
                with Session(name, durability="fast") as s:
                    s["name"] = name
                    s.save()
                    self.assertEqual(s.info.revision, 1)
                self.assertEqual(sorted(os.listdir(".")), sorted([name, name + ".lock"]))
                with Session(os.path.join(directory, name), mode="read_only") as s:
                    self.assertEqual(s["name"], name)
                os.chdir(here)

    def test_a_name_too_long_for_its_journal_is_refused_creating_nothing(self) -> None:
        # 247 + "-journal" is NAME_MAX (255); 251 + ".lock" is too; 256 is over NAME_MAX
        # itself. The limit counts bytes, not characters: an emoji is 4 bytes in UTF-8.
        names = ["n" * 248, "n" * 251, "n" * 256, "n" * 244 + "\U0001F600", "\U0001F600" * 62]
        for name in names:
            length = len(os.fsencode(name))
            for mode in ("create", "read_write", "read_only"):
                with self.subTest(length=length, mode=mode):
                    with self.assertRaisesRegex(StoreError, f"its name is {length} bytes long.*"
                                                            "session file names may be at most "
                                                            "247 bytes"):
                        Session(self.path(name), mode=mode)
        self.assertEqual(os.listdir(self.dir), [])


class SymlinkTest(ScratchTest):
    def setUp(self) -> None:
        super().setUp()
        os.mkdir(self.path("private"))

    def test_a_lock_file_that_is_a_symlink(self) -> None:
        os.symlink(self.path("private/x"), self.path("state.pj.lock"))
        with self.assertRaisesRegex(StoreError, "symbolic link"):
            Session(self.path("state.pj"))
        self.assertFalse(os.path.lexists(self.path("private/x")))

    def test_a_dangling_symlink_where_the_session_would_be(self) -> None:
        os.symlink(self.path("private/victim.pj"), self.path("other.pj"))
        with self.assertRaisesRegex(StoreError, "it is a symbolic link"):
            Session(self.path("other.pj"))
        self.assertEqual(os.listdir(self.path("private")), [])

    def test_a_symlink_to_a_session_is_followed_only_when_asked(self) -> None:
        with Session(self.path("private/real.pj")) as s:
            s["a"] = 1
            s.save()
        os.symlink(self.path("private/real.pj"), self.path("link.pj"))
        with self.assertRaises(StoreError):
            Session(self.path("link.pj"), mode="read_only")
        with Session(self.path("link.pj"), follow_symlinks=True) as s:
            self.assertEqual(s["a"], 1)
            s["a"] = 2
            s.save()
        self.assertFalse(os.path.exists(self.path("link.pj.lock")))  # the target's lock file

    @unittest.skipUnless(os.geteuid() == 0, "only root can give a file away")
    def test_a_lock_file_owned_by_another_user(self) -> None:
        with open(self.path("state.pj.lock"), "w"):
            pass
        uid = pwd.getpwnam(other_user()).pw_uid
        os.chown(self.path("state.pj.lock"), uid, -1)
        with self.assertRaisesRegex(StoreError, f"it belongs to user {uid}"):
            Session(self.path("state.pj"))

    def test_a_lock_file_owned_by_the_databases_owner_is_used(self) -> None:
        if not runs_as_root(self, "a lock file owned by the database's owner"):
            return
        with Session(self.path("state.pj")) as s:
            s["a"] = 1
            s.save()
        uid = pwd.getpwnam(other_user()).pw_uid
        for suffix in ("", ".lock"):
            os.chown(self.path("state.pj") + suffix, uid, -1)
        with Session(self.path("state.pj"), mode="read_write") as s:
            s["a"] = 2
            s.save()
        with Session(self.path("state.pj"), mode="read_only") as s:
            self.assertEqual(s["a"], 2)


class FileModeTest(ScratchTest):
    def test_file_mode_0600_reaches_wal_shm_and_lock_file(self) -> None:
        old = os.umask(0o022)  # without file_mode: 0644
        try:
            with Session(self.path(), file_mode=0o600, durability="fast") as s:
                s["token"] = "secret"
                s.save()
                for suffix in ("", "-wal", "-shm", ".lock"):
                    self.assertEqual(bits(self.path() + suffix), 0o600, suffix)
        finally:
            os.umask(old)

    def test_0600_by_default_with_an_integrity_key(self) -> None:
        old = os.umask(0o022)
        try:
            Session(self.path("keyed.pj"), integrity_key=b"k").close()
            Session(self.path("plain.pj")).close()
        finally:
            os.umask(old)
        self.assertEqual(bits(self.path("keyed.pj")), 0o600)
        self.assertEqual(bits(self.path("plain.pj")), 0o644)

    def test_existing_files_keep_their_bits_and_bad_modes_are_refused(self) -> None:
        Session(self.path()).close()
        os.chmod(self.path(), 0o640)
        Session(self.path(), file_mode=0o600).close()
        self.assertEqual(bits(self.path()), 0o640)
        for bad in (0o400, 0o1600, 0o200):
            with self.assertRaises(ValueError):
                Session(self.path(), file_mode=bad)
        with self.assertRaises(TypeError):
            Session(self.path(), file_mode="600")


class RefusedFileTest(ScratchTest):
    def test_a_1_byte_file_is_not_empty(self) -> None:
        with open(self.path(), "wb") as f:
            f.write(b"x")
        before = snapshot(self.path())
        with self.assertRaisesRegex(FormatError, "1 bytes that are not an SQLite database"):
            Session(self.path())
        self.assertEqual(snapshot(self.path()), before)

    def test_another_applications_database_gets_no_wal_or_shm(self) -> None:
        db = sqlite3.connect(self.path("other.db"))
        db.execute("CREATE TABLE t (x)")
        db.execute("INSERT INTO t VALUES (1)")
        db.commit()
        db.close()
        before = snapshot(self.path("other.db"))
        for mode in ("create", "read_write", "read_only"):
            with self.assertRaises(FormatError):
                Session(self.path("other.db"), mode=mode)
        self.assertEqual(snapshot(self.path("other.db")), before)
        self.assertEqual(sorted(os.listdir(self.dir)), ["other.db"])

    def test_a_spent_revision_counter_refuses_the_save(self) -> None:
        with Session(self.path()) as s:
            s["a"] = 1
            s.save()
        db = sqlite3.connect(self.path())
        db.execute("UPDATE meta SET value = 9223372036854775806 WHERE name = 'revision'")
        db.commit()
        db.close()
        s = Session(self.path(), mode="read_write")
        self.addCleanup(close_dropping, s)
        s["a"] = 2
        with self.assertRaisesRegex(FormatError, "the largest a file may hold"):
            s.save()


# Holds the lock file shared through a read-only descriptor, as a user who may only read it.
HOLD_SHARED_READ_ONLY = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.lockf(fd, fcntl.LOCK_SH, 0, 0, os.SEEK_SET)
print("locked", flush=True)
sys.stdin.read()
"""

# Tries to open a session's files as another user and, where it can, holds a read lock on the
# bytes SQLite locks (the -shm's byte 120 is the WAL write lock); prints how many opens failed
# with EACCES, then waits until its stdin closes.
TRY_TO_LOCK = """
import errno, fcntl, os, sys
os.stat(sys.argv[1])  # the directories let it in: a refusal below is the files' own bits
refused, kept = 0, []
for suffix in ("", "-wal", "-shm", ".lock"):
    try:
        fd = os.open(sys.argv[1] + suffix, os.O_RDONLY)
    except PermissionError:
        refused += 1
        continue
    kept.append(fd)
    start, length = (120, 1) if suffix == "-shm" else (0, 0)
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, length, start, os.SEEK_SET)
    except OSError:
        pass
print(refused, flush=True)
sys.stdin.read()
"""

# Re-opens a session in a loop until its stdin closes; prints how many opens it made.
REOPEN = """
import sys, threading, picklejar
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
opened = 0
print("started", flush=True)
while not stop.is_set():
    with picklejar.Session(sys.argv[1], mode="read_only") as s:
        len(s)
    opened += 1
print(opened, flush=True)
"""


# Holds the lock file shared in turns of 0.3 s, relocking at once, until stdin closes: what a
# reader of older versions (which read under the shared lock) does when it re-opens a big
# file in a loop. Four of these, staggered, keep the file shared-locked all the time.
RELAY_SHARED = """
import fcntl, os, sys, threading, time
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
fd = os.open(sys.argv[1], os.O_RDWR)
time.sleep(float(sys.argv[2]))
print("started", flush=True)
while not stop.is_set():
    fcntl.lockf(fd, fcntl.LOCK_SH, 0, 0, os.SEEK_SET)
    time.sleep(0.3)
    fcntl.lockf(fd, fcntl.LOCK_UN, 0, 0, os.SEEK_SET)
"""


class StarvationTest(ScratchTest):
    def test_readers_holding_the_lock_file_in_turns_never_time_a_writer_out(self) -> None:
        # Issue 15: 4 re-opening readers made 10 of 10 transact() calls time out, since a
        # writer polled for the exclusive lock and won only when no reader held it.
        with Session(self.path()) as s:
            s["counter"] = -1
            s.save()
        holders = [start_python(RELAY_SHARED, self.path() + ".lock", str(i * 0.075))
                   for i in range(4)]
        timeouts, longest = 0, 0.0
        try:
            for h in holders:
                self.assertEqual(h.stdout.readline(), "started\n")
            time.sleep(0.3)  # all four in their loops
            with Session(self.path(), lock_timeout=2) as writer:
                for i in range(10):
                    start = time.monotonic()
                    try:
                        writer.transact(lambda t, i=i: t.__setitem__("counter", i))
                    except LockTimeout:
                        timeouts += 1
                    longest = max(longest, time.monotonic() - start)
        finally:
            for h in holders:
                h.stdin.close()
                h.wait(timeout=60)
                h.stdout.close()
        print(f"\n4 processes holding the lock file shared in turns: {timeouts} of 10 "
              f"transact() timed out (lock_timeout 2 s); longest {longest:.3f} s",
              file=sys.stderr)
        self.assertEqual(timeouts, 0)
        with Session(self.path(), mode="read_only") as s:
            self.assertEqual(s["counter"], 9)

    def test_a_user_who_may_only_read_the_lock_file_cannot_keep_writers_out(self) -> None:
        os.chmod(self.dir, 0o755)
        with Session(self.path()) as s:
            s["a"] = 1
            s.save()
        # The lock file as older versions made it (0644): readable by everyone.
        os.chmod(self.path(), 0o644)
        os.chmod(self.path() + ".lock", 0o644)
        if runs_as_root(self, "the lock file held by another user"):
            holder = subprocess.Popen(
                # /usr/bin/python3: pyenv's interpreter lives under /root.
                ["runuser", "-u", other_user(), "--", "/usr/bin/python3", "-c",
                 HOLD_SHARED_READ_ONLY, self.path() + ".lock"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        else:
            print("the shared lock below is held by this same user", file=sys.stderr)
            holder = start_python(HOLD_SHARED_READ_ONLY, self.path() + ".lock")
        try:
            self.assertEqual(holder.stdout.readline(), "locked\n")
            start = time.monotonic()
            with Session(self.path(), lock_timeout=20) as s:
                s["a"] = 2
                s.save()
                s.transact(lambda t: t.__setitem__("b", 3))
            took = time.monotonic() - start
            print(f"\nsave + transact with another user holding the lock file shared: "
                  f"{took:.3f} s", file=sys.stderr)
            self.assertLess(took, 10)
        finally:
            holder.stdin.close()
            holder.wait(timeout=60)
            holder.stdout.close()
        with Session(self.path(), mode="read_only") as s:
            self.assertEqual((s["a"], s["b"]), (2, 3))

    def test_with_file_mode_0600_another_user_cannot_delay_a_save(self) -> None:
        # SQLite's own locks are not the lock file's: whoever can read a session's -shm can
        # hold its WAL write lock and make every save fail with "database is locked"
        # (docs/FORMAT.md, "Lock protocol"). With 0600 another user cannot open its files.
        if not runs_as_root(self, "files of mode 0600"):
            return
        os.chmod(self.dir, 0o755)
        old = os.umask(0o022)  # without file_mode: 0644, which the other user could read
        try:
            s = Session(self.path(), file_mode=0o600, lock_timeout=2)
        finally:
            os.umask(old)
        with s:  # kept open: its -wal and -shm exist
            s["a"] = 1
            s.save()
            self.assertTrue(os.path.exists(self.path() + "-shm"))
            other = subprocess.Popen(
                ["runuser", "-u", other_user(), "--", "/usr/bin/python3", "-c", TRY_TO_LOCK,
                 self.path()], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            try:
                refused = other.stdout.readline()
                start = time.monotonic()
                s["a"] = 2
                s.save()
                took = time.monotonic() - start
            finally:
                other.stdin.close()
                other.wait(timeout=60)
                other.stdout.close()
        print(f"\nsave with another user trying the files of mode 0600: {took:.3f} s",
              file=sys.stderr)
        self.assertEqual(refused, "4\n")  # the database, -wal, -shm and lock file
        self.assertLess(took, 1)
        with Session(self.path(), mode="read_only") as s:
            self.assertEqual(s["a"], 2)

    def test_readers_reopening_a_big_file_never_time_a_writer_out(self) -> None:
        with Session(self.path(), durability="fast") as s:
            s.update({f"k{i}": "x" * 40 for i in range(20000)})
            s.save()
        readers = [start_python(REOPEN, self.path()) for _ in range(4)]
        timeouts, longest = 0, 0.0
        try:
            for r in readers:
                self.assertEqual(r.stdout.readline(), "started\n")
            with Session(self.path(), lock_timeout=5) as writer:
                for i in range(10):
                    start = time.monotonic()
                    try:
                        writer.transact(lambda t, i=i: t.__setitem__("counter", i))
                    except LockTimeout:
                        timeouts += 1
                    longest = max(longest, time.monotonic() - start)
        finally:
            opens = []
            for r in readers:
                r.stdin.close()
                opens.append(r.stdout.readline().strip())
                r.wait(timeout=120)
                r.stdout.close()
        print(f"\n4 readers re-opening a 20,000-entry file ({opens} opens): {timeouts} of 10 "
              f"transact() timed out; longest {longest:.3f} s", file=sys.stderr)
        self.assertEqual(timeouts, 0)
        with Session(self.path(), mode="read_only") as s:
            self.assertEqual(s["counter"], 9)


if __name__ == "__main__":
    unittest.main()
