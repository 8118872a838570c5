"""The application's schema: migrations run at open, in order, in one transaction, exactly
once even when processes race; refusals for read-only, newer and chainless files."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import unittest

from picklejar import FormatError, Migration, Session, StoreError

from support import BOTH_BACKENDS, ScratchTest, child_env, close_dropping, meta, untouched


def rename_user(s: Session) -> None:
    s["user"] = {"name": s.pop("username")}


def add_visits(s: Session) -> None:
    user = s["user"]
    user["visits"] = 0
    s["user"] = user


MIGRATIONS = [Migration(1, 2, rename_user), Migration(2, 3, add_visits)]


class MigrationTest(ScratchTest):
    BACKENDS = BOTH_BACKENDS

    def make_v1(self) -> None:
        with Session(self.path(), schema_version=1) as s:
            s["username"] = "ada"
            s["other"] = 1
            s.save()

    def test_a_new_file_gets_the_schema_version(self) -> None:
        with Session(self.path(), schema_version=7, migrations=MIGRATIONS) as s:
            self.assertEqual(s.info.app_schema_version, 7)
        self.assertEqual(meta(self.path())["app_schema_version"], 7)
        self.assertEqual(meta(self.path())["revision"], 0)

    def test_migrates_in_order_in_one_revision(self) -> None:
        self.make_v1()
        with Session(self.path(), schema_version=3, migrations=MIGRATIONS) as s:
            self.assertEqual(dict(s), {"user": {"name": "ada", "visits": 0}, "other": 1})
            self.assertFalse(s.has_unsaved_changes)
            self.assertEqual(s.info.app_schema_version, 3)
            self.assertEqual(s.info.revision, 2)
        rows = meta(self.path())
        self.assertEqual((rows["app_schema_version"], rows["revision"]), (3, 2))
        with Session(self.path(), schema_version=3) as s:  # at 3 now: no migrations needed
            self.assertEqual(s["user"]["visits"], 0)

    def test_sessions_without_a_schema_version_neither_check_nor_change_it(self) -> None:
        self.make_v1()
        with Session(self.path()) as s:
            s["x"] = 1
            s.save()
            self.assertEqual(s.info.app_schema_version, 1)
        self.assertEqual(meta(self.path())["app_schema_version"], 1)

    def test_a_failing_migration_leaves_the_file_unmigrated(self) -> None:
        self.make_v1()

        def broken(s: Session) -> None:
            s["user"] = "half"
            raise RuntimeError("migration failed")

        before = meta(self.path())
        with self.assertRaisesRegex(RuntimeError, "migration failed"):
            Session(self.path(), schema_version=3,
                    migrations=[MIGRATIONS[0], Migration(2, 3, broken)])
        self.assertEqual(meta(self.path()), before)
        with Session(self.path(), schema_version=1) as s:
            self.assertEqual(dict(s), {"username": "ada", "other": 1})

    def test_synchronizing_inside_a_migration_is_refused(self) -> None:
        self.make_v1()
        with self.assertRaisesRegex(StoreError, "inside transact.. or a migration"):
            Session(self.path(), schema_version=2, migrations=[(1, 2, lambda s: s.save())])
        self.assertEqual(meta(self.path())["app_schema_version"], 1)

    def test_refusals_leave_the_file_untouched(self) -> None:
        self.make_v1()
        before = untouched(self.path())
        cases = (
            ({"schema_version": 3, "migrations": MIGRATIONS[1:]}, "no migration from app "
             "schema version 1"),
            ({"schema_version": 3, "migrations": MIGRATIONS, "mode": "read_only"},
             "must first be migrated to 3"),
            ({"schema_version": 0}, "app schema version 1 is newer than this program's .0."),
        )
        for options, message in cases:
            with self.subTest(options), self.assertRaisesRegex(FormatError, message):
                Session(self.path(), **options)
            self.assertEqual(untouched(self.path()), before)
        with Session(self.path(), schema_version=0, mode="read_only") as s:  # newer: readable
            self.assertEqual(s["username"], "ada")

    def test_a_session_stops_writing_once_another_program_migrated_past_it(self) -> None:
        self.make_v1()
        old = Session(self.path(), schema_version=1)
        self.addCleanup(close_dropping, old)
        with Session(self.path(), schema_version=3, migrations=MIGRATIONS):
            pass
        old["x"] = 1
        with self.assertRaisesRegex(FormatError, "migrated to app schema version 3 by another"):
            old.save()
        with Session(self.path(), schema_version=1, mode="read_only") as reader:
            reader.load()  # read-only sessions may keep reading
            self.assertNotIn("x", reader)

    def test_racing_processes_migrate_exactly_once(self) -> None:
        self.make_v1()
        counter = os.path.join(self.dir, "runs.txt")
        code = """
            import os, sys
            from picklejar import Migration, Session

            def step(s):
                with open(sys.argv[2], "a") as f:  # one line per run of the migration
                    f.write(f"{os.getpid()}\\n")
                s["migrated"] = s.get("migrated", 0) + 1

            sys.stdin.read()  # start together
            with Session(sys.argv[1], schema_version=2, lock_timeout=60,
                         migrations=[Migration(1, 2, step)]) as s:
                print(s["migrated"], s.info.app_schema_version)
        """
        children = [
            subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), self.path(), counter], env=child_env(),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for _ in range(4)
        ]
        outputs = [child.communicate("", timeout=120)[0] for child in children]
        self.assertEqual([c.returncode for c in children], [0] * 4)
        self.assertEqual(outputs, ["1 2\n"] * 4)
        with open(counter) as f:
            self.assertEqual(len(f.read().splitlines()), 1)
        self.assertEqual(meta(self.path())["revision"], 2)


if __name__ == "__main__":
    unittest.main()
