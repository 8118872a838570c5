"""Session as a collections.abc.MutableMapping: the dict interface over the in-memory view,
keys, errors, read-only and closed sessions, repr and info."""

from __future__ import annotations

import collections.abc
import datetime
import os
import pathlib
import pickle
import unittest

import picklejar
from picklejar import Session, StoreError

from support import ScratchTest, close_dropping, meta, sql


class MappingTest(ScratchTest):
    def session(self, **options) -> Session:
        s = Session(self.path(), durability="fast", **options)
        self.addCleanup(close_dropping, s)
        return s

    def test_is_a_mutable_mapping(self) -> None:
        s = self.session()
        self.assertIsInstance(s, collections.abc.MutableMapping)
        s["b"] = 2
        s["a"] = [1, {"x": None}]
        self.assertEqual(s["a"], [1, {"x": None}])
        self.assertEqual(len(s), 2)
        self.assertIn("a", s)
        self.assertNotIn("z", s)
        self.assertNotIn(1, s)
        self.assertEqual(s.get("z", 7), 7)
        self.assertEqual(s.setdefault("c", 3), 3)
        self.assertEqual(s.pop("b"), 2)
        self.assertEqual(list(s.keys()), ["a", "c"])
        self.assertEqual(list(s.items()), [("a", [1, {"x": None}]), ("c", 3)])
        s.update({"d": 4}, e=5)
        self.assertEqual(dict(s), {"a": [1, {"x": None}], "c": 3, "d": 4, "e": 5})
        self.assertEqual(s, {"a": [1, {"x": None}], "c": 3, "d": 4, "e": 5})
        del s["a"]
        with self.assertRaises(KeyError):
            s["a"]
        with self.assertRaises(KeyError):
            del s["a"]
        s.clear()
        self.assertEqual(len(s), 0)
        self.assertEqual(s.unsaved_keys(), ["a", "b", "c", "d", "e"])

    def test_keys_iterate_in_code_point_order(self) -> None:
        s = self.session()
        keys = ["b", "", "a", "é", "Z", "\U0001F600", "ab", "\uffff"]
        for i, key in enumerate(keys):
            s[key] = i
        s.save()
        self.assertEqual(list(s), sorted(keys))
        with Session(self.path(), mode="read_only") as other:
            self.assertEqual(list(other), sorted(keys))
        by_bytes = sorted(keys, key=lambda k: k.encode("utf-8"))
        self.assertEqual(by_bytes, sorted(keys))  # SQLite's BINARY collation agrees

    def test_changing_while_iterating_continues_after_the_current_key(self) -> None:
        s = self.session()
        for key in "bdf":
            s[key] = 0
        seen = []
        for key in s:
            seen.append(key)
            if key == "b":
                s["a"] = 1  # before the current key: not reached
                s["c"] = 1  # after it: reached
                del s["d"]
        self.assertEqual(seen, ["b", "c", "f"])

    def test_clear_and_membership_never_unpickle(self) -> None:
        s = self.session()
        s["a"], s["b"] = 1, 2
        s.save()
        sql(self.path(), "UPDATE entries SET pickle = x'00' WHERE key = 'a'")  # damaged
        with Session(self.path()) as other:
            self.assertIn("a", other)
            self.assertEqual(len(other), 2)
            self.assertEqual(other.entry_info("a").pickle_size, 1)
            with self.assertRaises(picklejar.IntegrityError):
                other["a"]
            other.clear()
            self.assertEqual(len(other), 0)
            other.save()
        self.assertEqual(sql(self.path(), "SELECT count(*) FROM entries"), [(0,)])

    def test_paths_must_be_text(self) -> None:
        with self.assertRaises(TypeError):
            Session(os.fsencode(self.path()))
        with Session(pathlib.Path(self.path())) as s:
            self.assertEqual(s.path, self.path())

    def test_keys_must_be_str_sqlite_can_hold(self) -> None:
        s = self.session()
        with self.assertRaises(TypeError):
            s[b"bytes"] = 1
        with self.assertRaises(TypeError):
            s[1] = 1
        with self.assertRaisesRegex(ValueError, "lone surrogate at offset 1"):
            s["a\udc80"] = 1
        with self.assertRaises(KeyError):
            s[1]
        self.assertFalse(s.has_unsaved_changes)

    def test_set_pickles_now(self) -> None:
        s = self.session()
        with self.assertRaisesRegex(picklejar.EncodeError, "cannot save key 'f' in '.*s.pj'"):
            s["f"] = lambda: None
        self.assertNotIn("f", s)
        value = {"n": 1}
        s["v"] = value
        value["n"] = 2  # the cached object is the caller's, as in C++...
        self.assertEqual(s["v"], {"n": 2})
        s.save()
        with Session(self.path()) as other:  # ...but the pickle was made at set time
            self.assertEqual(other["v"], {"n": 1})

    def test_values_are_plain_pickles_at_the_sessions_protocol(self) -> None:
        s = self.session(protocol=2)
        s["k"] = {"a": (1, 2.5, "x", b"y")}
        s.save()
        ((data, protocol),) = sql(self.path(), "SELECT pickle, protocol FROM entries")
        self.assertEqual(data, pickle.dumps({"a": (1, 2.5, "x", b"y")}, 2))
        self.assertEqual(protocol, 2)
        self.assertEqual(s.entry_info("k").protocol, 2)
        self.assertEqual(meta(self.path())["default_protocol"], 2)  # set at creation

    def test_entry_info(self) -> None:
        s = self.session()
        s["k"] = "v"
        info = s.entry_info("k")
        self.assertEqual((info.revision, info.pickle_size), (0, len(pickle.dumps("v", 4))))
        self.assertEqual(info.modified, datetime.datetime(1970, 1, 1,
                                                          tzinfo=datetime.timezone.utc))
        before = datetime.datetime.now(datetime.timezone.utc)
        s.save()
        info = s.entry_info("k")
        self.assertEqual(info.revision, 1)
        self.assertLessEqual(abs((info.modified - before).total_seconds()), 60)
        self.assertIsNone(s.entry_info("nope"))

    def test_info_and_repr(self) -> None:
        s = self.session(app_name="tests")
        info = s.info
        self.assertEqual((info.format_version, info.revision, info.default_protocol), (2, 0, 4))
        self.assertEqual((info.journal_mode, info.synchronous), ("wal", "normal"))
        self.assertEqual(info.created_by, f"picklejar-python {picklejar.__version__}")
        self.assertEqual(info.integrity_scheme, "sha256")
        self.assertIsNone(info.key_id)
        self.assertFalse(info.read_only)
        s["x"] = 1
        self.assertRegex(repr(s), r"<picklejar.Session '.*s.pj': 1 keys, revision 0, 1 unsaved>")
        s.save()
        self.assertEqual(s.info.writer, f"picklejar-python {picklejar.__version__}")
        self.assertEqual(s.info.writer_app, "tests")
        self.assertEqual(meta(self.path())["writer_app"], "tests")
        s.close()
        self.assertEqual(repr(s), "<picklejar.Session closed>")

    def test_read_only_sessions_refuse_changes(self) -> None:
        with Session(self.path()) as s:
            s["k"] = 1
            s.save()
        with Session(self.path(), mode="read_only") as s:
            self.assertTrue(s.read_only)
            self.assertTrue(s.info.read_only)
            for change in (lambda: s.__setitem__("k", 2), lambda: s.__delitem__("k"),
                           s.save, s.transact().__enter__, lambda: s.convert_protocol(2)):
                with self.assertRaisesRegex(StoreError, "read-only"):
                    change()
            self.assertEqual(s["k"], 1)

    def test_closed_sessions_refuse_everything(self) -> None:
        s = Session(self.path())
        s["k"] = 1
        with self.assertWarns(ResourceWarning):  # drops "k" (test_saving.py)
            s.close()
        s.close()  # twice is fine
        self.assertTrue(s.closed)
        for use in (lambda: s["k"], lambda: len(s), s.load, s.save, lambda: list(s),
                    lambda: s.info):
            with self.assertRaisesRegex(StoreError, "closed"):
                use()


    def test_bad_options(self) -> None:
        for options, error in (
            ({"mode": "append"}, ValueError),
            ({"protocol": 6}, ValueError),
            ({"protocol": "4"}, TypeError),
            ({"lock_timeout": -1}, ValueError),
            ({"durability": "none"}, ValueError),
            ({"migrations": [(0, 1, print)]}, ValueError),  # no schema_version
            ({"schema_version": 2, "migrations": [(1, 1, print)]}, ValueError),
            ({"schema_version": 2, "migrations": [(0, 1, print), (0, 2, print)]}, ValueError),
            ({"integrity_key": 5}, TypeError),
            ({"no_such_option": 1}, TypeError),
        ):
            with self.subTest(options):
                with self.assertRaises(error):
                    Session(self.path(), **options)
        self.assertFalse(os.path.exists(self.path()))

    def test_missing_file_without_create(self) -> None:
        for mode in ("read_write", "read_only"):
            with self.assertRaisesRegex(StoreError, "no such file"):
                Session(self.path(), mode=mode)
        self.assertFalse(os.path.exists(self.path()))

    def test_file_names_with_uri_characters(self) -> None:
        for name in ("we?ird #name %20 é.pj", "file:x.pj", "new\nline.pj"):
            with self.subTest(name):
                with Session(self.path(name)) as s:
                    s["k"] = name
                    s.save()
                self.assertTrue(os.path.exists(self.path(name) + ".lock"))
                with Session(self.path(name), mode="read_only") as s:
                    self.assertEqual(s["k"], name)
        made = {n for n in os.listdir(self.dir) if not n.endswith(("-wal", "-shm"))}
        self.assertEqual(made, {f"{n}{suffix}" for n in ("we?ird #name %20 é.pj", "file:x.pj",
                                                         "new\nline.pj")
                                for suffix in ("", ".lock")})

    def test_relative_paths(self) -> None:
        here = os.getcwd()
        os.chdir(self.dir)
        self.addCleanup(os.chdir, here)
        with Session("relative.pj") as s:
            s["k"] = 1
            s.save()
            self.assertEqual(s.path, "relative.pj")
        self.assertTrue(os.path.exists(self.path("relative.pj.lock")))
        with Session(self.path("relative.pj"), mode="read_only") as s:
            self.assertEqual(s["k"], 1)

    def test_enum_and_string_options_agree(self) -> None:
        with Session(self.path(), mode=picklejar.OpenMode.create,
                     durability=picklejar.Durability.fast,
                     lock_timeout=datetime.timedelta(seconds=1)) as s:
            self.assertEqual(s.info.synchronous, "normal")
        with picklejar.open(self.path(), mode="read_write") as s:
            self.assertEqual(s.info.synchronous, "full")


if __name__ == "__main__":
    unittest.main()
