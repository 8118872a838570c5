"""The operations people reach for: keys(prefix=), erase_prefix, update (all or nothing),
increment/add (atomic across processes), info's sizes, and Session's options as keyword-only
parameters that help() and IDEs show."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
import unittest

import picklejar
from picklejar import EncodeError, Session, StoreError

from support import BOTH_BACKENDS, ScratchTest, child_env, close_dropping, meta, sql


class GroupsTest(ScratchTest):
    BACKENDS = BOTH_BACKENDS

    def test_keys_with_a_prefix_and_erase_prefix(self) -> None:
        with Session(self.path()) as s:
            for key in ("window/x", "window/y", "window", "windows/z", "recent"):
                s[key] = 1
            view = s.keys(prefix="window/")
            self.assertEqual(list(view), ["window/x", "window/y"])
            self.assertEqual(len(view), 2)
            self.assertIn("window/x", view)
            self.assertNotIn("window", view)
            self.assertNotIn("recent", view)
            self.assertEqual(list(s.keys("window")), ["window", "window/x", "window/y",
                                                      "windows/z"])
            self.assertEqual(list(s.keys()), sorted(s))
            s["window/w"] = 2
            self.assertEqual(list(view), ["window/w", "window/x", "window/y"])  # a live view
            with self.assertRaises(TypeError):
                s.keys(prefix=1)
            s.save()
            self.assertEqual(s.erase_prefix("window/"), 3)
            self.assertEqual(s.unsaved_keys(), ["window/w", "window/x", "window/y"])
            self.assertEqual(s.erase_prefix("nothing"), 0)
        with Session(self.path()) as s:
            self.assertEqual(list(s), ["recent", "window", "windows/z"])
            s.clear()
        with Session(self.path(), mode="read_only") as s:
            self.assertEqual(len(s), 0)
            with self.assertRaises(StoreError):
                s.erase_prefix("")

    def test_update_is_all_or_nothing(self) -> None:
        with Session(self.path()) as s:
            s.update({"a": 1}, b=2)
            s.update([("c", 3)])
            with self.assertRaises(EncodeError):
                s.update({"d": 4, "e": lambda: None})
            with self.assertRaises(TypeError):
                s.update({"f": 5, 6: "not a str key"})
            self.assertEqual(dict(s), {"a": 1, "b": 2, "c": 3})
        self.assertEqual(meta(self.path())["revision"], 1)


class IncrementAddTest(ScratchTest):
    BACKENDS = BOTH_BACKENDS

    def test_increment_saves_its_one_key(self) -> None:
        s = Session(self.path())
        self.addCleanup(close_dropping, s)
        self.assertEqual(s.increment("n"), 1)
        self.assertEqual(s.increment("n", 41), 42)
        self.assertEqual(s.increment("n", -50), -8)
        self.assertEqual(s.increment("big", 2**70), 2**70)  # Python ints are unbounded
        self.assertEqual(meta(self.path())["revision"], 4)
        s["other"] = 1
        s["n"] = 100  # the key's own unsaved value is the base, and is saved with it
        self.assertEqual(s.increment("n"), 101)
        self.assertEqual(s.unsaved_keys(), ["other"])
        with Session(self.path()) as other:
            self.assertEqual(other["n"], 101)
            self.assertNotIn("other", other)

    def test_what_increment_refuses(self) -> None:
        with Session(self.path()) as s:
            s["text"] = "seven"
            s["flag"] = True
        with Session(self.path()) as s:
            with self.assertRaises(TypeError) as caught:
                s.increment("text")
            self.assertEqual(str(caught.exception),
                             f"'text': expected int, got str in '{self.shown()}'")
            with self.assertRaisesRegex(TypeError, "got bool"):
                s.increment("flag")
            with self.assertRaises(TypeError):
                s.increment("n", 1.5)
            with self.assertRaises(TypeError):
                s.increment("n", True)
            with self.assertRaises(ValueError):
                s.increment("a\udc80")
            self.assertFalse(s.has_unsaved_changes)
        self.assertEqual(meta(self.path())["revision"], 1)
        with Session(self.path(), mode="read_only") as s, self.assertRaises(StoreError):
            s.increment("n")

    def test_add_sets_only_an_absent_key(self) -> None:
        s = Session(self.path())
        self.addCleanup(close_dropping, s)
        self.assertTrue(s.add("k", [1]))
        self.assertFalse(s.add("k", [2]))
        s["mine"] = "unsaved"
        self.assertFalse(s.add("mine", 3))  # this session's unsaved value counts as there
        self.assertEqual(s.unsaved_keys(), ["mine"])  # ...and a failed add saves nothing
        del s["k"]
        self.assertTrue(s.add("k", "again"))  # erased here first: added, and saved
        with Session(self.path()) as other:
            self.assertEqual(dict(other), {"k": "again"})
        with self.assertRaises(EncodeError):
            s.add("f", lambda: None)

    def test_inside_transact_they_join_it(self) -> None:
        with Session(self.path()) as s:
            s["n"] = 1
        with Session(self.path()) as s:
            with self.assertRaises(RuntimeError):
                with s.transact():
                    s.increment("n")
                    s.add("joined", 1)
                    raise RuntimeError("no")
            self.assertEqual(dict(s), {"n": 1})
            with s.transact():
                self.assertEqual(s.increment("n"), 2)
                self.assertTrue(s.add("joined", 1))
                self.assertEqual(s.unsaved_keys(), ["joined", "n"])
            self.assertFalse(s.has_unsaved_changes)
        self.assertEqual(meta(self.path())["revision"], 2)

    def test_processes_racing_lose_nothing(self) -> None:
        code = """
            import sys
            import picklejar
            s = picklejar.Session(sys.argv[1], durability="fast", lock_timeout=60)
            s["unsaved"] = 1  # never saved: increment and add write only their key
            sys.stdin.readline()
            won = s.add("winner", sys.argv[2])
            for _ in range(int(sys.argv[3])):
                s.increment("count")
            s.increment("winners", int(won))
            s.discard()
            s.close()
        """
        with Session(self.path()):
            pass
        children = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), self.path(),
                                      str(i), "150"], env=child_env(), stdin=subprocess.PIPE,
                                     text=True) for i in range(4)]
        for child in children:
            child.stdin.write("go\n")
            child.stdin.close()
        for child in children:
            self.assertEqual(child.wait(timeout=300), 0)
        with Session(self.path()) as s:
            self.assertEqual(s["count"], 600)
            self.assertEqual(s["winners"], 1)
            self.assertIn(s["winner"], {"0", "1", "2", "3"})
            self.assertNotIn("unsaved", s)


class InfoSizesTest(ScratchTest):
    def test_info_has_the_files_sizes(self) -> None:
        s = Session(self.path(), durability="fast")
        self.addCleanup(close_dropping, s)
        self.assertEqual((s.info.entries, s.info.pickle_bytes), (0, 0))
        for i in range(300):
            s[f"k{i}"] = b"x" * 2000
        s.save()
        s["pending"] = b"not counted"
        info = s.info
        self.assertEqual(info.entries, 300)
        self.assertEqual(info.pickle_bytes,
                         sum(s.entry_info(k).pickle_size for k in s if k != "pending"))
        ((page_size,),) = sql(self.path(), "PRAGMA page_size")
        ((page_count,),) = sql(self.path(), "PRAGMA page_count")
        self.assertEqual(info.page_size, page_size)
        self.assertEqual(info.file_bytes, page_size * page_count)
        self.assertEqual(info.wal_bytes, os.stat(self.path() + "-wal").st_size)
        self.assertEqual(info.free_pages, 0)
        s.discard()
        s.clear()
        s.save()
        self.assertEqual(s.info.entries, 0)
        self.assertGreater(s.info.free_pages, 200)
        with s.transact():
            self.assertEqual(s.info.entries, 0)


class OptionsTest(ScratchTest):
    def test_options_are_keyword_only_parameters_with_types(self) -> None:
        for function in (Session.__init__, picklejar.open):
            parameters = inspect.signature(function).parameters
            options = [p for p in parameters.values() if p.name not in ("self", "path")]
            self.assertEqual([p.name for p in options],
                             ["mode", "lock_timeout", "protocol", "durability", "filesystem",
                              "conflicts", "schema_version", "migrations", "integrity_key",
                              "app_name", "classes", "limits", "trusted_unsafe_pickle",
                              "writeback", "keep_backups", "backup_directory", "file_mode",
                              "follow_symlinks"])
            for p in options:
                self.assertIs(p.kind, inspect.Parameter.KEYWORD_ONLY, p.name)
                self.assertIsNot(p.annotation, inspect.Parameter.empty, p.name)
        self.assertIn("writeback", Session.__init__.__doc__)
        with self.assertRaises(TypeError):
            Session(self.path(), "read_only")  # options are keyword-only
        with self.assertRaises(TypeError):
            Session(self.path(), not_an_option=1)
        with picklejar.open(self.path(), mode="create", lock_timeout=1) as s:
            self.assertEqual(s.path, self.path())


if __name__ == "__main__":
    unittest.main()
