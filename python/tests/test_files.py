"""Opening checks (docs/FORMAT.md "Opening a file" and "Versions"): files that are not
picklejar sessions, or that this reader may not write, are refused and left byte for byte
as they were (contents and mtime), with no journal files made next to them."""

from __future__ import annotations

import errno
import os
import sqlite3
import unittest
from unittest import mock

from picklejar import FormatError, Session, StoreError

from support import ScratchTest, raw, sibling_files, snapshot, sql


class FileCheckTest(ScratchTest):
    def make_session(self, values=None, **options) -> None:
        with Session(self.path(), filesystem="network", **options) as s:  # no WAL left over
            s.update(values or {"k": "v"})
            s.save()
        self.assertEqual(sibling_files(self.path()), [])

    def assert_refused(self, message: str, modes=("create", "read_write", "read_only"),
                       error=FormatError) -> None:
        before = snapshot(self.path())
        siblings = sibling_files(self.path())
        for mode in modes:
            with self.subTest(mode=mode):
                with self.assertRaisesRegex(error, message) as caught:
                    Session(self.path(), mode=mode)
                self.assertEqual(caught.exception.path, self.path())
                self.assertEqual(snapshot(self.path()), before)
                self.assertEqual(sibling_files(self.path()), siblings)

    def edit(self, *statements: str) -> None:
        db = raw(self.path())
        for statement in statements:
            db.execute(statement)
        db.close()

    def test_random_bytes(self) -> None:
        with open(self.path(), "wb") as f:
            f.write(b"this is not an SQLite database, just text " * 200)
        self.assert_refused("not a picklejar file '.*s.pj': file is not a database")

    def test_another_applications_database(self) -> None:
        db = sqlite3.connect(self.path())
        db.execute("CREATE TABLE notes (text)")
        db.commit()
        db.close()
        self.assert_refused("an SQLite database with application_id 0x00000000")

    def test_an_empty_file_is_refused_unless_creating(self) -> None:
        open(self.path(), "wb").close()
        self.assert_refused("it is empty", modes=("read_write", "read_only"))
        with Session(self.path()) as s:  # create: it becomes a new session
            s["k"] = 1
            s.save()
        with Session(self.path(), mode="read_only") as s:
            self.assertEqual(s["k"], 1)

    def test_truncated_inside_the_last_page(self) -> None:
        self.make_session({"k": "x" * 20000})
        size = os.path.getsize(self.path())
        os.truncate(self.path(), size - 100)
        self.assert_refused("truncated: page 1 declares")

    def test_truncated_to_half(self) -> None:
        self.make_session({str(i): "x" * 1000 for i in range(50)})
        os.truncate(self.path(), os.path.getsize(self.path()) // 2)
        self.assert_refused("not a picklejar file '.*s.pj'")

    def test_format_version_below_1(self) -> None:
        self.make_session()
        self.edit("PRAGMA user_version = 0")
        self.assert_refused("file format version 0 was never written by picklejar")

    def test_newer_format_is_read_only_when_min_reader_version_allows(self) -> None:
        self.make_session({"k": "v"})
        self.edit("PRAGMA user_version = 3",
                  "UPDATE meta SET value = 3 WHERE name = 'format_version'",
                  "INSERT INTO meta VALUES ('a_future_row', 'kept')",
                  "CREATE TABLE a_future_table (x)")
        self.assert_refused("its file format version 3 is newer than this picklejar's .2.; it "
                            "may be opened read_only", modes=("create", "read_write"))
        before = snapshot(self.path())
        with Session(self.path(), mode="read_only") as s:
            self.assertEqual(dict(s), {"k": "v"})
            self.assertEqual(s.info.format_version, 3)
            s.load()
        self.assertEqual(snapshot(self.path()), before)

    def test_newer_format_needing_a_newer_reader(self) -> None:
        self.make_session()
        self.edit("PRAGMA user_version = 4",
                  "UPDATE meta SET value = 4 WHERE name = 'format_version'",
                  "UPDATE meta SET value = 3 WHERE name = 'min_reader_version'",
                  "DROP TABLE entries")  # a future format may change anything else
        self.assert_refused("its file format version 4 is newer than this picklejar's .2.; "
                            "reading it needs format version 3 or later")

    def test_meta_rows_missing_or_mistyped(self) -> None:
        cases = (
            ("DELETE FROM meta WHERE name = 'revision'", "meta row 'revision' is missing"),
            ("UPDATE meta SET value = '3' WHERE name = 'revision'",
             "meta row 'revision' has the wrong type"),
            ("UPDATE meta SET value = 1 WHERE name = 'writer_name'",
             "meta row 'writer_name' has the wrong type"),
            ("UPDATE meta SET value = x'00' WHERE name = 'key_id'",
             "meta row 'key_id' has the wrong type"),
            ("UPDATE meta SET value = 3 WHERE name = 'format_version'",
             "PRAGMA user_version is 2 but meta format_version is 3"),
            ("DROP TABLE tombstones", "its schema is not a session file's: table 'tombstones': "
                                      "missing"),
            ("ALTER TABLE entries DROP COLUMN modified_us", "table 'entries': it differs"),
            ("DROP TABLE meta", "table 'meta': missing"),
        )
        for statement, message in cases:
            with self.subTest(statement):
                if os.path.exists(self.path()):
                    os.remove(self.path())
                self.make_session()
                self.edit(statement)
                self.assert_refused(message)

    def test_unknown_integrity_scheme(self) -> None:
        self.make_session()
        self.edit("UPDATE meta SET value = 'md5' WHERE name = 'integrity_scheme'")
        self.assert_refused("unknown integrity scheme 'md5'")

    def test_a_directory_is_not_a_session(self) -> None:
        os.mkdir(self.path())
        with self.assertRaises(StoreError):
            Session(self.path())
        self.assertTrue(os.path.isdir(self.path()))

    def test_unknown_meta_rows_and_tables_are_kept(self) -> None:
        self.make_session()
        self.edit("INSERT INTO meta VALUES ('someone_elses_row', 42)",
                  "CREATE TABLE someone_elses_table (x)")
        with Session(self.path()) as s:
            s["k"] = "changed"
            s.save()
        self.assertEqual(sql(self.path(), "SELECT value FROM meta WHERE name = "
                                          "'someone_elses_row'"), [(42,)])

    def test_read_only_sessions_read_unlocked_when_the_lock_file_cannot_be_made(self) -> None:
        self.make_session({"k": 1})
        os.remove(self.path() + ".lock")
        real_open = os.open

        def read_only_media(path, flags, *args):  # what EROFS looks like to os.open
            if path.endswith(".lock") and flags & (os.O_CREAT | os.O_RDWR):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
            return real_open(path, flags, *args)

        with mock.patch("os.open", read_only_media):
            with Session(self.path(), mode="read_only") as s:
                self.assertEqual(s["k"], 1)
                s.load()
            with Session(self.path()) as s:  # readers take no lock file
                s["k"] = 2
                with self.assertRaisesRegex(StoreError, "cannot create lock file '.*s.pj.lock'"
                                                        ": Read-only file system"):
                    s.save()
                s.discard()
        self.assertFalse(os.path.exists(self.path() + ".lock"))

if __name__ == "__main__":
    unittest.main()
