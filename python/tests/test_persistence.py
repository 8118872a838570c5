"""Saving and loading: revisions and tombstones as docs/FORMAT.md writes them, incremental
refresh (including the fallback when tombstones were purged), discard, protocol conversion,
and the journal and synchronous pragmas per durability and file system."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import unittest
from unittest import mock

import picklejar
from picklejar import Session, StoreError, _filesystem

from support import ScratchTest, close_dropping, meta, raw, sql


class PersistenceTest(ScratchTest):
    def session(self, **options) -> Session:
        s = Session(self.path(), durability="fast", **options)
        self.addCleanup(close_dropping, s)
        return s

    def test_meta_is_read_alike_in_one_pass_and_row_by_row(self) -> None:
        from picklejar import _format
        s = self.session(app_name="app")
        s["a"] = 1
        s.save()
        self.assertEqual([f.name for f in dataclasses.fields(_format.Meta)],
                         list(_format._META_FIELDS))  # _well_formed_meta builds Meta by position
        rows = _format._meta_rows(s._state.store.db)
        fast = _format._well_formed_meta(rows)
        self.assertIsNotNone(fast)
        with mock.patch.object(_format, "_well_formed_meta", return_value=None):
            slow = _format.read_meta(s._state.store.db, self.path())
        self.assertEqual(fast, slow)
        for name, bad in (("revision", "7"), ("default_protocol", 6), ("writer_app", 1),
                          ("key_id", 2), ("purged_revision", 10 ** 6),
                          ("file_id", "A" + rows["file_id"][1:]), ("file_id", b"0" * 32)):
            with self.subTest(name=name):
                self.assertIsNone(_format._well_formed_meta({**rows, name: bad}))
        self.assertIsNone(_format._well_formed_meta({k: v for k, v in rows.items()
                                                     if k != "created_us"}))

    def test_a_new_file_has_every_meta_row(self) -> None:
        self.session(app_name="maker")
        rows = meta(self.path())
        self.assertEqual(rows["format_version"], 2)
        self.assertEqual(rows["min_reader_version"], 2)
        self.assertRegex(rows["file_id"], "^[0-9a-f]{32}$")
        self.assertEqual((rows["revision"], rows["purged_revision"]), (0, 0))
        self.assertEqual(rows["app_schema_version"], 0)
        self.assertEqual(rows["default_protocol"], 4)
        self.assertEqual(rows["created_us"], rows["modified_us"])
        self.assertEqual(rows["created_by"], f"picklejar-python {picklejar.__version__}")
        self.assertEqual(rows["writer_name"], "picklejar-python")
        self.assertEqual(rows["writer_app"], "maker")
        self.assertEqual(rows["integrity_scheme"], "sha256")
        self.assertIsNone(rows["key_id"])
        self.assertEqual(sql(self.path(), "PRAGMA application_id"), [(0x504A4152,)])
        self.assertEqual(sql(self.path(), "PRAGMA user_version"), [(2,)])
        self.assertEqual(sql(self.path(), "PRAGMA journal_mode"), [("wal",)])

    def test_each_save_is_one_revision(self) -> None:
        s = self.session()
        s["a"], s["b"] = 1, 2
        s.save()
        self.assertEqual(sql(self.path(), "SELECT key, revision FROM entries ORDER BY key"),
                         [("a", 1), ("b", 1)])
        s.save()  # nothing to write: the revision does not move
        self.assertEqual(meta(self.path())["revision"], 1)
        s["b"] = 3
        del s["a"]
        s.save()
        self.assertEqual(sql(self.path(), "SELECT key, revision FROM entries"), [("b", 2)])
        self.assertEqual(sql(self.path(), "SELECT key, revision FROM tombstones"), [("a", 2)])
        self.assertEqual(meta(self.path())["revision"], 2)
        s["a"] = 4  # setting it again removes the tombstone
        s.save()
        self.assertEqual(sql(self.path(), "SELECT count(*) FROM tombstones"), [(0,)])
        digest = sql(self.path(), "SELECT digest FROM entries WHERE key = 'a'")[0][0]
        self.assertEqual(digest, hashlib.sha256(pickle.dumps(4, 4)).digest())

    def test_a_save_of_many_keys_removes_the_tombstones_of_those_set_again(self) -> None:
        s = self.session()
        s.update({"a": 1, "b": 2, "c": 3})
        s.save()
        del s["a"], s["b"]
        s.save()
        self.assertEqual(sql(self.path(), "SELECT key FROM tombstones ORDER BY key"),
                         [("a",), ("b",)])
        s.update({"b": 4, "c": 5, "d": 6})  # one save of several keys, one of them erased
        s.save()
        self.assertEqual(sql(self.path(), "SELECT key FROM tombstones"), [("a",)])
        other = self.session()
        self.assertEqual(dict(other), {"b": 4, "c": 5, "d": 6})

    def test_erasing_a_key_nobody_saved_leaves_no_tombstone(self) -> None:
        s = self.session()
        other = Session(self.path())
        self.addCleanup(close_dropping, other)
        s["k"] = 1
        s.save()
        other.load()
        del s["k"]
        s.save()
        del other["k"]  # already gone from the file
        other.save()
        self.assertEqual(sql(self.path(), "SELECT key, revision FROM tombstones"), [("k", 2)])
        self.assertEqual(meta(self.path())["revision"], 3)

    def test_load_brings_in_what_others_saved(self) -> None:
        a, b = self.session(), self.session()
        a["x"], a["y"] = 1, 2
        a.save()
        self.assertEqual(len(b), 0)
        b.load()
        self.assertEqual(dict(b), {"x": 1, "y": 2})
        a["x"] = 10
        del a["y"]
        a["z"] = 3
        a.save()
        b["mine"] = "unsaved"
        b.load()
        self.assertEqual(dict(b), {"x": 10, "z": 3, "mine": "unsaved"})
        self.assertEqual(b.info.revision, 2)
        self.assertEqual(b.unsaved_keys(), ["mine"])

    def test_save_brings_in_what_others_saved(self) -> None:
        a, b = self.session(), self.session()
        a["x"] = 1
        a.save()
        b["y"] = 2
        b.save()
        self.assertEqual(dict(b), {"x": 1, "y": 2})
        self.assertEqual(b.entry_info("y").revision, 2)

    def test_refresh_after_tombstones_were_purged(self) -> None:
        a, b = self.session(), self.session()
        for key in "abc":
            a[key] = key
        a.save()
        b.load()
        del a["a"]
        a.save()
        # Another writer purged the tombstone that b needs.
        db = raw(self.path())
        db.execute("DELETE FROM tombstones")
        db.execute("UPDATE meta SET value = 2 WHERE name = 'purged_revision'")
        db.close()
        a["d"] = "d"
        a.save()
        b["c"] = "mine"  # pending keys stay, whatever the file says
        b.load()
        self.assertEqual(dict(b), {"b": "b", "c": "mine", "d": "d"})

    def test_tombstones_are_purged_after_10000_revisions(self) -> None:
        s = self.session()
        s["gone"] = 1
        s.save()
        del s["gone"]
        s.save()
        db = raw(self.path())
        db.execute("UPDATE meta SET value = 10001 WHERE name = 'revision'")
        db.close()
        s.load()
        s["k"] = 1
        s.save()  # revision 10002: tombstones of revisions <= 2 go
        self.assertEqual(sql(self.path(), "SELECT count(*) FROM tombstones"), [(0,)])
        self.assertEqual(meta(self.path())["purged_revision"], 2)

    def test_discard(self) -> None:
        s = self.session()
        s["kept"], s["changed"] = 1, 2
        s.save()
        s["changed"] = 20
        s["new"] = 3
        del s["kept"]
        self.assertEqual(s.unsaved_keys(), ["changed", "kept", "new"])
        s.discard()
        self.assertEqual(dict(s), {"kept": 1, "changed": 2})
        self.assertFalse(s.has_unsaved_changes)

    def test_discard_shows_what_load_brought_in_meanwhile(self) -> None:
        a, b = self.session(), self.session()
        a["k"] = 1
        a.save()
        b.load()
        b["k"] = 2
        a["k"] = 3
        a.save()
        b.load()
        self.assertEqual(b["k"], 2)  # the unsaved change stays on top
        b.discard()
        self.assertEqual(b["k"], 3)

    def test_convert_protocol(self) -> None:
        s = self.session()
        s["a"] = {"set": {1, 2}, "bytes": b"x"}
        s["b"] = [1.5]
        s.save()
        s.convert_protocol(0)
        self.assertEqual(meta(self.path())["default_protocol"], 0)
        self.assertEqual(s.info.default_protocol, 0)
        rows = sql(self.path(), "SELECT key, pickle, protocol, revision FROM entries ORDER BY key")
        self.assertEqual([(k, p, r) for k, _, p, r in rows], [("a", 0, 2), ("b", 0, 2)])
        self.assertEqual(pickle.loads(rows[0][1]), {"set": {1, 2}, "bytes": b"x"})
        s["c"] = 1  # the file's default protocol from now on
        self.assertEqual(s.entry_info("c").protocol, 0)
        with self.assertRaisesRegex(StoreError, "unsaved changes"):
            s.convert_protocol(4)
        with self.assertRaises(ValueError):
            s.convert_protocol(9)

    def test_a_failed_conversion_writes_nothing(self) -> None:
        with Session(self.path(), classes=[PersistenceTest]) as s:
            s["fine"] = [1]
            s["foreign"] = PersistenceTest  # loadable only with classes=[PersistenceTest]
        before = sql(self.path(), "SELECT key, pickle, revision FROM entries ORDER BY key")
        with Session(self.path()) as other:
            with self.assertRaises(picklejar.ForbiddenGlobal):
                other.convert_protocol(1)
            self.assertFalse(other.has_unsaved_changes)
            self.assertEqual(other.entry_info("fine").protocol, 4)
        self.assertEqual(sql(self.path(), "SELECT key, pickle, revision FROM entries "
                                          "ORDER BY key"), before)
        self.assertEqual(meta(self.path())["default_protocol"], 4)
        with Session(self.path(), classes=[PersistenceTest]) as other:
            other.convert_protocol(1)
            self.assertIs(other["foreign"], PersistenceTest)
        self.assertEqual(meta(self.path())["revision"], 2)

    def test_durability_and_filesystem_pragmas(self) -> None:
        cases = (
            ({"durability": "durable"}, ("wal", "full")),
            ({"durability": "fast"}, ("wal", "normal")),
            ({"filesystem": "local"}, ("wal", "full")),
            ({"filesystem": "network"}, ("delete", "full")),
            ({"filesystem": "network", "durability": "fast"}, ("delete", "full")),
        )
        for i, (options, expected) in enumerate(cases):
            with self.subTest(options), Session(self.path(f"{i}.pj"), **options) as s:
                self.assertEqual((s.info.journal_mode, s.info.synchronous), expected)
                s["k"] = 1
                s.save()
            journal = sql(self.path(f"{i}.pj"), "PRAGMA journal_mode")[0][0]
            self.assertEqual(journal, expected[0])

    def test_a_detected_network_file_system_gets_the_rollback_journal(self) -> None:
        self.assertTrue(_filesystem.is_network_filesystem(0x6969))  # NFS
        self.assertTrue(_filesystem.is_network_filesystem(0x65735546))  # FUSE
        self.assertFalse(_filesystem.is_network_filesystem(0xEF53))  # ext4
        self.assertIsNotNone(_filesystem.filesystem_type(self.path()))  # statfs works here
        with mock.patch.object(_filesystem, "filesystem_type", return_value=0xFF534D42):
            with Session(self.path()) as s:  # CIFS
                self.assertEqual((s.info.journal_mode, s.info.synchronous), ("delete", "full"))
        with mock.patch.object(_filesystem, "filesystem_type", return_value=0xEF53):
            with Session(self.path("local.pj")) as s:
                self.assertEqual(s.info.journal_mode, "wal")


if __name__ == "__main__":
    unittest.main()
