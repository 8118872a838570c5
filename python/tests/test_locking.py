"""The lock file protocol (docs/LOCKING.md): other processes' fcntl.lockf locks make opens and
saves wait and time out; ours are seen by them; threads of one process exclude each other
through the per-process registry, which keeps one descriptor per lock file."""

from __future__ import annotations

import os
import stat
import threading
import unittest

from picklejar import LockTimeout, Session, StoreError
from picklejar._locking import IDLE_LIMIT, FileLock, registry_state

from support import Holder, ScratchTest, close_dropping, run_python

TRY_LOCKF = """
    import fcntl, os, sys
    fd = os.open(sys.argv[1], os.O_RDWR)
    try:
        fcntl.lockf(fd, (fcntl.LOCK_EX if sys.argv[2] == "exclusive" else fcntl.LOCK_SH)
                    | fcntl.LOCK_NB)
        print("acquired")
    except OSError:
        print("blocked")
"""


def try_lockf(lock_file: str, mode: str) -> str:
    return run_python(TRY_LOCKF, lock_file, mode).stdout.strip()


def _target(fd: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def open_descriptors_of(path: str) -> int:
    target = os.path.realpath(path)
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == target:
                count += 1
        except OSError:
            pass
    return count


class LockingTest(ScratchTest):
    def session(self, path=None, **options) -> Session:
        s = Session(path or self.path(), durability="fast", **options)
        self.addCleanup(close_dropping, s)
        return s

    def test_save_times_out_while_another_process_holds_the_lock(self) -> None:
        s = self.session(lock_timeout=0.2)
        s["k"] = 1
        with Holder(self.path()) as holder:
            with self.assertRaises(LockTimeout) as caught:
                s.save()
            self.assertEqual(caught.exception.path, self.path() + ".lock")
            self.assertRegex(str(caught.exception),
                             r"timed out after 200 ms waiting for an exclusive lock on "
                             rf"'.*s.pj.lock' \(held by process {holder.pid}\)")
            # Readers take no lock file: SQLite's read transaction is their snapshot.
            s.load()
            with Session(self.path(), lock_timeout=0) as reader:
                self.assertEqual(reader.get("k"), None)
        self.assertEqual(s.unsaved_keys(), ["k"])  # kept for the next try
        s.save()
        self.assertEqual(Session(self.path())["k"], 1)

    def test_a_shared_holder_keeps_neither_readers_nor_writers_out(self) -> None:
        # Issue 15: a shared lock (an older picklejar reading, or a user who may only read the
        # lock file) no longer makes writers wait; SQLite's write lock orders writers.
        s = self.session(lock_timeout=0)
        s["k"] = 1
        s.save()
        with Holder(self.path(), exclusive=False):
            s.load()
            with Session(self.path(), mode="read_only", lock_timeout=0) as reader:
                self.assertEqual(reader["k"], 1)
            s["k"] = 2
            s.save()
            s.transact(lambda t: t.__setitem__("k", 3))
        self.assertEqual(Session(self.path(), mode="read_only")["k"], 3)

    def test_a_missing_file_is_created_under_the_exclusive_lock(self) -> None:
        with Holder(self.path(), exclusive=True):
            with self.assertRaisesRegex(LockTimeout, "an exclusive lock"):
                Session(self.path(), lock_timeout=0.05)
        self.assertFalse(os.path.exists(self.path()))

    def test_other_processes_see_our_locks(self) -> None:
        s = self.session()
        lock_file = self.path() + ".lock"
        self.assertEqual(try_lockf(lock_file, "exclusive"), "acquired")
        with s.transact():
            self.assertEqual(try_lockf(lock_file, "shared"), "blocked")
            self.assertEqual(try_lockf(lock_file, "exclusive"), "blocked")
        with FileLock.acquire(lock_file, exclusive=False, timeout=1):
            self.assertEqual(try_lockf(lock_file, "shared"), "acquired")
            self.assertEqual(try_lockf(lock_file, "exclusive"), "blocked")
        self.assertEqual(try_lockf(lock_file, "exclusive"), "acquired")

    def test_threads_increment_exactly(self) -> None:
        self.session()  # create the file first
        errors = []

        def work() -> None:
            try:
                with Session(self.path(), durability="fast", lock_timeout=60) as s:
                    for _ in range(100):
                        with s.transact():
                            s["n"] = s.get("n", 0) + 1
            except BaseException as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        with Session(self.path()) as s:
            self.assertEqual(s["n"], 400)
            self.assertEqual(s.info.revision, 400)

    def test_threads_exclude_each_other_through_any_path_spelling(self) -> None:
        os.mkdir(self.path("sub"))
        os.symlink(self.path(), self.path("link.pj"))
        spellings = [self.path(), self.path("link.pj"),
                     os.path.join(self.dir, "sub", "..", "s.pj")]
        # A link of our own is followed on request, to the lock file next to its target.
        sessions = [self.session(p, lock_timeout=0.05, follow_symlinks=True) for p in spellings]
        with sessions[0].transact():
            self.assertEqual(registry_state(spellings[2] + ".lock")["exclusive"], True)
            for other in sessions[1:]:
                result = []
                worker = threading.Thread(target=lambda o=other: result.append(_try_save(o)))
                worker.start()
                worker.join()
                self.assertEqual(result, ["held by another lock in this process"])
        for other in sessions[1:]:
            other["k"] = 1
            other.save()
        self.assertLessEqual(open_descriptors_of(self.path() + ".lock"), 1)

    def test_one_descriptor_per_lock_file_and_closing_sessions_keeps_the_lock(self) -> None:
        lock_file = self.path() + ".lock"
        holder = self.session()
        holder["k"] = 1
        holder.save()
        outcomes = []

        def open_and_close() -> None:
            try:
                Session(self.path(), mode="read_only", lock_timeout=0).close()
                outcomes.append("opened")
            except LockTimeout as e:
                outcomes.append("timed out" if "in this process" in str(e) else str(e))

        with holder.transact():
            for _ in range(3):  # other sessions of the file come and go...
                worker = threading.Thread(target=open_and_close)
                worker.start()
                worker.join()
            self.assertEqual(try_lockf(lock_file, "shared"), "blocked")  # ...the lock stays
            self.assertLessEqual(open_descriptors_of(lock_file), 1)
        for _ in range(3):
            open_and_close()
        self.assertEqual(outcomes, ["opened"] * 6)  # readers take no lock file
        self.assertEqual(try_lockf(lock_file, "exclusive"), "acquired")
        self.assertEqual(registry_state(lock_file),
                         {"shared": 0, "exclusive": False, "waiting": 0})

    def test_idle_lock_files_stay_open_up_to_a_limit(self) -> None:
        paths = [self.path(f"{i}.pj") for i in range(IDLE_LIMIT + 4)]
        for path in paths:
            with Session(path) as s:
                s["k"] = 1
                s.save()
        lock_fds = [n for n in os.listdir("/proc/self/fd")
                    if _target(n).startswith(self.dir) and _target(n).endswith(".lock")]
        self.assertEqual(len(lock_fds), IDLE_LIMIT)
        self.assertIsNone(registry_state(paths[0] + ".lock"))  # the least recently used
        self.assertIsNotNone(registry_state(paths[-1] + ".lock"))

    def test_the_lock_file_is_never_written_or_deleted(self) -> None:
        with self.session() as s:
            s["k"] = 1
            s.save()
            s.transact(lambda t: t.__setitem__("k", 2))
        self.assertEqual(os.path.getsize(self.path() + ".lock"), 0)

    def test_a_new_lock_file_is_read_write_for_who_may_write_the_database(self) -> None:
        # Whoever may open the lock file may hold a lock on it: users who may only read the
        # database get nothing (issue 15, item 1).
        with self.session() as s:
            s["k"] = 1
            s.save()
        for database, lock in ((0o640, 0o600), (0o644, 0o600), (0o664, 0o660), (0o666, 0o666)):
            os.chmod(self.path(), database)
            os.remove(self.path() + ".lock")
            with Session(self.path(), mode="read_only"):
                pass
            self.assertFalse(os.path.exists(self.path() + ".lock"))  # readers take no lock
            with Session(self.path()) as s:
                s["k"] = database
                s.save()
            self.assertEqual(stat.S_IMODE(os.stat(self.path() + ".lock").st_mode), lock)

    def test_a_lock_path_that_is_not_a_regular_file(self) -> None:
        os.mkfifo(self.path() + ".lock")
        with self.assertRaisesRegex(StoreError, "not a regular file"):
            Session(self.path())

    def test_forked_children_hold_none_of_the_parents_locks(self) -> None:
        s = self.session()
        s["k"] = 1
        s.save()
        read, write = os.pipe()
        with s.transact():
            pid = os.fork()
            if pid == 0:  # the child: report, then leave without cleanup
                report = []
                try:
                    s["k"]
                except StoreError as e:
                    report.append("refused" if "child made by fork()" in str(e) else str(e))
                report.append(try_lockf(self.path() + ".lock", "shared"))
                os.write(write, " ".join(report).encode())
                os._exit(0)
            os.close(write)
            with os.fdopen(read) as pipe:
                self.assertEqual(pipe.read(), "refused blocked")
            os.waitpid(pid, 0)
            s["k"] = 2  # the parent still holds its lock and its session
        self.assertEqual(Session(self.path())["k"], 2)


def _try_save(session: Session) -> str:
    try:
        session["k"] = 1
        session.save()
        return "saved"
    except LockTimeout as e:
        return "held by another lock in this process" if "in this process" in str(e) else str(e)


if __name__ == "__main__":
    unittest.main()
