"""Backups: Session.backup() of a file another process keeps writing (and what cp makes of
it), the backup file itself, keep_backups and list_backups(), and restore()."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import time
import unittest

import picklejar
from picklejar import FormatError, IntegrityError, Session, StoreError

from support import ScratchTest, child_env, close_dropping, raw, snapshot, sql

# Creates the file, prints "created", waits for a line, then saves until the file "running"
# beside it is gone.
WRITER = """
    import os, sys, picklejar
    path = sys.argv[1]
    running = os.path.join(os.path.dirname(path), "running")
    s = picklejar.Session(path, durability="fast", lock_timeout=60)
    print("created", flush=True)
    sys.stdin.readline()
    i = 0
    while os.path.exists(running):
        s[f"key{i % 200}"] = b"x" * 2048
        s["count"] = i
        s.save()
        i += 1
    s.close()
"""


def check_backup(path: str) -> int:
    """Opens a backup as an application would and reads every entry (verifying each)."""
    with Session(path, mode="read_only") as copy:
        assert copy.check_database() == [], path
        for key in copy:
            copy[key]
        return copy.info.revision


class LiveBackupTest(ScratchTest):
    def test_backup_of_a_file_another_process_keeps_saving_cp_is_not_one(self) -> None:
        open(self.path("running"), "w").close()
        writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(WRITER), self.path()],
                                  env=child_env(), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.addCleanup(writer.kill)
        self.assertEqual(writer.stdout.readline().strip(), "created")
        # What cp copies: the database file alone, as created (the journal turns WAL after
        # the creation), without any save that follows in the -wal.
        shutil.copyfile(self.path(), self.path("cp.pj"))
        writer.stdin.write("go\n")
        writer.stdin.flush()
        with Session(self.path("cp.pj"), mode="read_only") as copied:
            self.assertEqual(copied.info.revision, 0)
        last = -1
        for n in range(10):
            with Session(self.path(), mode="read_only") as reader:
                out = self.path(f"backup{n}.pj")
                info = reader.backup(out)
            self.assertEqual(info.path, out)
            self.assertEqual(info.unverified_keys, [])
            self.assertEqual(info.bytes, os.path.getsize(out))
            self.assertFalse(os.path.exists(out + "-wal"))
            revision = check_backup(out)
            self.assertEqual(revision, info.revision)
            self.assertGreaterEqual(revision, last)
            last = revision
            time.sleep(0.02)
        os.unlink(self.path("running"))
        self.assertEqual(writer.wait(60), 0)
        writer.stdout.close()
        writer.stdin.close()
        self.assertGreater(last, 0)

    def test_cp_of_a_file_in_use_opens_as_an_older_state_without_a_word(self) -> None:
        # What README "Backing up a live file" warns of: saves still in the -wal are not in a
        # copy of the file alone, which opens without an error; a backup has them.
        s = Session(self.path(), durability="fast")
        self.addCleanup(close_dropping, s)
        for i in range(3):
            s[f"k{i}"] = i
            s.save()
        self.assertGreater(os.path.getsize(self.path() + "-wal"), 0)
        shutil.copyfile(self.path(), self.path("cp.pj"))
        with Session(self.path("cp.pj"), mode="read_only") as copied:
            self.assertEqual((copied.info.revision, dict(copied)), (0, {}))
        s.backup(self.path("backup.pj"))
        with Session(self.path("backup.pj"), mode="read_only") as backed_up:
            self.assertEqual((backed_up.info.revision, dict(backed_up)),
                             (3, {"k0": 0, "k1": 1, "k2": 2}))


class BackupFileTest(ScratchTest):
    def setUp(self) -> None:
        super().setUp()
        self.s = Session(self.path(), durability="fast")
        self.addCleanup(close_dropping, self.s)
        self.s.update(a=1, b=[1, 2, 3])
        self.s.save()
        self.s["unsaved"] = 1

    def test_holds_the_saved_state_keeps_the_mode_replaces_a_file_whole(self) -> None:
        os.chmod(self.path(), 0o640)
        out = self.path("copy.pj")
        with open(out, "w") as f:
            f.write("an older backup")
        info = self.s.backup(out)
        self.assertEqual((info.entries, info.revision), (2, 1))
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o640)
        self.assertEqual(sorted(os.listdir(self.dir)),
                         ["copy.pj", "s.pj", "s.pj-shm", "s.pj-wal", "s.pj.lock"])
        with Session(out) as copy:
            self.assertEqual(dict(copy), {"a": 1, "b": [1, 2, 3]})

    def test_refuses_its_own_files_and_a_database_in_use(self) -> None:
        for name in ("s.pj", "s.pj-wal", "s.pj-shm", "s.pj.lock"):
            with self.assertRaisesRegex(StoreError, "own file"):
                self.s.backup(self.path(name))
        open(self.path("open.pj-wal"), "w").close()
        with self.assertRaisesRegex(StoreError, "-wal' exists"):
            self.s.backup(self.path("open.pj"))

    def test_a_failure_leaves_nothing_behind(self) -> None:
        open(self.path("plain"), "w").close()
        with self.assertRaises(StoreError):
            self.s.backup(os.path.join(self.path("plain"), "copy.pj"))
        self.assertEqual(sorted(os.listdir(self.dir)),
                         ["plain", "s.pj", "s.pj-shm", "s.pj-wal", "s.pj.lock"])

    def test_from_a_read_only_session_naming_entries_that_do_not_verify(self) -> None:
        self.s.discard()
        sql(self.path(), "UPDATE entries SET digest = zeroblob(32) WHERE key = 'b'")
        with Session(self.path(), mode="read_only") as reader:
            info = reader.backup(self.path("copy.pj"))
        self.assertEqual(info.unverified_keys, ["b"])
        self.assertEqual(sql(self.path("copy.pj"), "SELECT count(*) FROM entries"), [(2,)])

    def test_refused_inside_transact(self) -> None:
        self.s.discard()
        with self.assertRaises(StoreError), self.s.transact():
            self.s.backup(self.path("copy.pj"))


class KeepBackupsTest(ScratchTest):
    def launch(self, value: int, **options) -> None:
        with Session(self.path("state.pj"), keep_backups=3, **options) as s:
            s["launches"] = value
        time.sleep(0.002)

    def setUp(self) -> None:
        super().setUp()
        self.file = self.path("state.pj")
        self.launch(0)  # a new file: nothing to back up
        self.assertEqual(picklejar.list_backups(self.file), [])
        for launch in range(1, 6):
            self.launch(launch)
        self.backups = picklejar.list_backups(self.file)

    def value(self, backup: picklejar.BackupFile) -> int:
        with Session(backup.path, mode="read_only") as s:
            return s["launches"]

    def test_the_last_three_newest_first(self) -> None:
        self.assertEqual(len(self.backups), 3)
        self.assertGreater(self.backups[0].time, self.backups[1].time)
        self.assertEqual([self.value(b) for b in self.backups], [4, 3, 2])

    def test_an_unchanged_file_is_not_backed_up_again(self) -> None:
        for _ in range(3):
            Session(self.file, keep_backups=3).close()
        now = picklejar.list_backups(self.file)
        self.assertEqual(self.value(now[0]), 5)
        self.assertEqual(now[1].path, self.backups[0].path)

    def test_the_backup_precedes_a_migration(self) -> None:
        def migrate(s: Session) -> None:
            s["migrated"] = True
        Session(self.file, keep_backups=3, schema_version=2,
                migrations=[picklejar.Migration(0, 2, migrate)]).close()
        with Session(picklejar.list_backups(self.file)[0].path, mode="read_only") as before:
            self.assertEqual(before.info.app_schema_version, 0)
            self.assertNotIn("migrated", before)

    def test_another_directory_and_a_backup_that_cannot_be_written(self) -> None:
        elsewhere = self.path("backups")
        os.mkdir(elsewhere)
        Session(self.file, keep_backups=2, backup_directory=elsewhere).close()
        self.assertEqual(len(picklejar.list_backups(self.file, elsewhere)), 1)
        open(self.path("not-a-dir"), "w").close()
        before = snapshot(self.file)
        with self.assertRaises(StoreError):
            Session(self.file, keep_backups=2, backup_directory=self.path("not-a-dir"))
        self.assertEqual(snapshot(self.file), before)

    def test_read_only_sessions_make_none_and_names_must_match(self) -> None:
        Session(self.file, mode="read_only", keep_backups=3).close()
        for name in ("state.pj.backup-yesterday", "state.pj.backup-20261307T084233.645309Z",
                     "other.pj.backup-20261207T084233.645309Z"):
            open(self.path(name), "w").close()
        self.assertEqual(picklejar.list_backups(self.file), self.backups)
        with self.assertRaises(ValueError):
            Session(self.file, keep_backups=-1)


class RestoreTest(ScratchTest):
    def setUp(self) -> None:
        super().setUp()
        self.s = Session(self.path(), durability="fast", schema_version=1)
        self.addCleanup(close_dropping, self.s)
        self.s.update(keep=1, change=2, gone=3)
        self.s.save()
        self.s.backup(self.path("b.pj"))
        self.s["change"] = 20
        del self.s["gone"]
        self.s["new"] = 4
        self.s.save()
        self.other = Session(self.path(), durability="fast")
        self.addCleanup(close_dropping, self.other)

    def test_entries_exactly_and_the_app_versions(self) -> None:
        with Session(self.path(), durability="fast") as tool:
            tool.convert_protocol(2)
            tool.set_app_schema_version(3)
            tool.restore(self.path("b.pj"))
            self.assertEqual(dict(tool), {"change": 2, "gone": 3, "keep": 1})
            self.assertEqual((tool.info.app_schema_version, tool.info.default_protocol), (1, 4))
            with Session(self.path("b.pj"), mode="read_only") as backup:
                self.assertEqual(tool.find_pickle("keep"), backup.find_pickle("keep"))
        changes = self.other.load()
        self.assertEqual((changes.added, changes.changed, changes.removed),
                         (("gone",), ("change", "keep"), ("new",)))

    def test_refused_before_anything_is_written(self) -> None:
        before = snapshot(self.path())
        sql(self.path("b.pj"), "UPDATE entries SET digest = zeroblob(32) WHERE key = 'keep'")
        with self.assertRaisesRegex(IntegrityError, "'keep' does not verify"):
            self.s.restore(self.path("b.pj"))
        with Session(self.path("keyed.pj"), integrity_key=b"k") as keyed:
            keyed.backup(self.path("keyed-backup.pj"))
        with self.assertRaisesRegex(IntegrityError, "key id"):
            self.s.restore(self.path("keyed-backup.pj"))
        with open(self.path("junk.pj"), "w") as f:
            f.write("not a database, not at all, no")
        with self.assertRaises(FormatError):
            self.s.restore(self.path("junk.pj"))
        with self.assertRaises(StoreError):
            self.s.restore(self.path("missing.pj"))
        self.s["x"] = 1
        with self.assertRaisesRegex(StoreError, "unsaved"):
            self.s.restore(self.path("b.pj"))
        self.s.discard()
        self.assertEqual(snapshot(self.path()), before)

    def test_a_row_an_open_would_refuse_is_refused_naming_key_and_backup(self) -> None:
        # The schema's CHECKs hold the protocol's type, not its range: restored, the file
        # would no longer open.
        before = snapshot(self.path())
        sql(self.path("b.pj"), "UPDATE entries SET protocol = 9 WHERE key = 'keep'")
        with self.assertRaisesRegex(FormatError, re.escape(
                f"malformed entry 'keep' in '{self.path('b.pj')}': its protocol 9 is not 0-5")):
            self.s.restore(self.path("b.pj"))
        self.assertEqual(snapshot(self.path()), before)

    def test_a_session_declaring_another_schema_version_refuses(self) -> None:
        with Session(self.path("b.pj")) as copy:
            copy.set_app_schema_version(5)
        with self.assertRaisesRegex(FormatError, "app schema version 5"):
            self.s.restore(self.path("b.pj"))


if __name__ == "__main__":
    unittest.main()
