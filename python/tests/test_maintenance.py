"""Operations on the whole file: vacuum(), rekey() and set_app_schema_version()."""

from __future__ import annotations

import os
import re
import unittest

from picklejar import FormatError, IntegrityError, Session, StoreError
from picklejar._integrity import key_id

from support import ScratchTest, close_dropping, meta, sql


def size_on_disk(path: str) -> int:
    wal = path + "-wal"
    return os.path.getsize(path) + (os.path.getsize(wal) if os.path.exists(wal) else 0)


class VacuumTest(ScratchTest):
    def test_vacuum_gives_back_the_space_of_5000_erased_2kb_entries(self) -> None:
        with Session(self.path(), durability="fast") as s, \
                Session(self.path(), durability="fast") as other:
            s.update((f"entry{i:05}", b"v" * 2048) for i in range(5000))
            s["kept"] = 1
            s.save()
            s.erase_prefix("entry")
            s.save()
            before, revision = size_on_disk(self.path()), s.info.revision
            self.assertGreater(before, 10_000_000)
            self.assertGreater(s.info.free_pages, 2000)
            s.vacuum()
            after = size_on_disk(self.path())
            print(f"\nvacuum: {before} -> {after} bytes", flush=True)
            self.assertLess(after, 1_000_000)
            self.assertEqual(s.info.free_pages, 0)
            self.assertEqual(s.info.revision, revision)
            self.assertEqual(list(s), ["kept"])
            self.assertEqual(other.load().keys(), ["kept"])
            other["after"] = 2
            other.save()
            self.assertEqual(s.load().added, ("after",))
        self.assertEqual(sql(self.path(), "PRAGMA integrity_check"), [("ok",)])
        with Session(self.path(), mode="read_only") as ro:
            with self.assertRaises(StoreError):
                ro.vacuum()


class SchemaChangedAfterOpenTest(ScratchTest):
    def test_vacuum_and_backup_check_it_first(self) -> None:
        # VACUUM and VACUUM INTO rebuild every index (evaluating its expressions) with no time
        # limit, so the schema is checked first on the session's own connection.
        with Session(self.path(), durability="fast") as s:
            s.update((f"entry{i:03}", b"v" * 2048) for i in range(200))
            s.save()
            s.erase_prefix("entry")
            s["kept"] = 1
            s.save()
            sql(self.path(), "CREATE INDEX trap ON entries "  # another program, after the open
                             "(CASE WHEN key = 'trap' THEN zeroblob(500000000) END)")
            (pages,), = sql(self.path(), "PRAGMA page_count")
            with self.assertRaisesRegex(FormatError, "index 'trap' on table 'entries'"):
                s.vacuum()
            self.assertEqual(sql(self.path(), "PRAGMA page_count"), [(pages,)])  # not rebuilt
            with self.assertRaisesRegex(FormatError,
                                        re.escape(f"'{self.path()}': its schema is not")):
                s.backup(self.path("b.pj"))
            self.assertEqual([name for name in os.listdir(os.path.dirname(self.path()))
                              if not name.startswith(os.path.basename(self.path()))], [])


class RekeyTest(ScratchTest):
    def test_adds_changes_and_removes_the_key(self) -> None:
        with Session(self.path()) as s:
            s.update(a=1, b=["x", "y"])
        s = Session(self.path())
        self.addCleanup(close_dropping, s)
        s.rekey(b"first key")  # sha256 -> hmac-sha256
        rows = meta(self.path())
        self.assertEqual((rows["integrity_scheme"], rows["key_id"]),
                         ("hmac-sha256", key_id(b"first key")))
        self.assertEqual(sql(self.path(), "SELECT count(*) FROM entries WHERE revision = 2"),
                         [(2,)])
        self.assertEqual(s["a"], 1)
        s["c"] = 3  # the session goes on, signing with the new key
        s.save()
        with self.assertRaises(IntegrityError):
            Session(self.path())
        with Session(self.path(), integrity_key=b"first key") as reopened:
            self.assertEqual(reopened["c"], 3)
        s.rekey("second key")  # a str key is its UTF-8 bytes
        with self.assertRaises(IntegrityError):
            Session(self.path(), integrity_key=b"first key")
        with Session(self.path(), integrity_key=b"second key") as reopened:
            self.assertEqual(dict(reopened), {"a": 1, "b": ["x", "y"], "c": 3})
        s.rekey(None)
        rows = meta(self.path())
        self.assertEqual((rows["integrity_scheme"], rows["key_id"]), ("sha256", None))
        with Session(self.path()) as plain:
            self.assertEqual(dict(plain), {"a": 1, "b": ["x", "y"], "c": 3})

    def test_a_tampered_entry_stops_it_and_nothing_is_written(self) -> None:
        with Session(self.path(), integrity_key=b"old") as s:
            s.update(a=1, b=2, c=3)
        sql(self.path(), "UPDATE entries SET pickle = X'80044b0b2e' WHERE key = 'b'")
        before = sql(self.path(), "SELECT key, digest, revision FROM entries ORDER BY key")
        with Session(self.path(), integrity_key=b"old") as t:
            with self.assertRaisesRegex(IntegrityError, "'b'"):
                t.rekey(b"new")
            self.assertEqual(sql(self.path(), "SELECT key, digest, revision FROM entries "
                                              "ORDER BY key"), before)
            self.assertEqual(meta(self.path())["key_id"], key_id(b"old"))
            self.assertEqual(t["a"], 1)
            t["d"] = 4

    def test_refused_with_unsaved_changes_read_only_and_in_transact(self) -> None:
        with Session(self.path()) as s:
            s["x"] = 1
            with self.assertRaisesRegex(StoreError, "unsaved"):
                s.rekey(b"k")
            s.save()
            with self.assertRaises(StoreError), s.transact():
                s.rekey(b"k")
        with Session(self.path(), mode="read_only") as ro:
            with self.assertRaises(StoreError):
                ro.rekey(b"k")


class SchemaVersionTest(ScratchTest):
    def test_set_app_schema_version(self) -> None:
        with Session(self.path()) as s:
            s.set_app_schema_version(3)
            self.assertEqual((s.info.app_schema_version, s.info.revision), (3, 1))
            s.set_app_schema_version(3)  # already: no write
            self.assertEqual(s.info.revision, 1)
            with s.transact():
                s["k"] = 1
                s.set_app_schema_version(4)
            self.assertEqual((s.info.app_schema_version, s.info.revision), (4, 2))
            with self.assertRaises(RuntimeError), s.transact():
                s.set_app_schema_version(9)
                raise RuntimeError("no")
            self.assertEqual(s.info.app_schema_version, 4)
        self.assertEqual(meta(self.path())["app_schema_version"], 4)
        with Session(self.path(), schema_version=4) as declared:
            with self.assertRaises(StoreError):
                declared.set_app_schema_version(5)
            declared.set_app_schema_version(4)


if __name__ == "__main__":
    unittest.main()
