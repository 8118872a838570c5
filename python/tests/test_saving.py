"""Nothing lost silently: ``with Session(...)`` saves a block left normally and discards one
left by an exception; close() (and garbage collection) warn of dropped changes unless
discard() was called; touch() and writeback=True save values changed in place."""

from __future__ import annotations

import gc
import unittest
import warnings

import picklejar
from picklejar import ConflictError, Session, StoreError

from support import BOTH_BACKENDS, ScratchTest, close_dropping, meta


def saved(path: str) -> dict:
    with Session(path, mode="read_only") as s:
        return dict(s)


class WithBlockTest(ScratchTest):
    BACKENDS = BOTH_BACKENDS

    def test_a_block_left_normally_saves(self) -> None:
        with Session(self.path()) as s:
            s["x"] = 1
            s["lst"] = [1, 2]
        self.assertTrue(s.closed)
        self.assertEqual(saved(self.path()), {"x": 1, "lst": [1, 2]})
        self.assertEqual(meta(self.path())["revision"], 1)  # one save, one revision

    def test_a_block_left_by_an_exception_discards_and_closes(self) -> None:
        with Session(self.path()) as s:
            s["kept"] = 1
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the discard is deliberate: no warning
            with self.assertRaisesRegex(RuntimeError, "half way"):
                with Session(self.path()) as s:
                    s["kept"] = 2
                    s["new"] = 3
                    raise RuntimeError("failed half way")
        self.assertTrue(s.closed)
        self.assertEqual(saved(self.path()), {"kept": 1})

    def test_nothing_to_save_writes_nothing(self) -> None:
        with Session(self.path()) as s:
            s["a"] = 1
        with Session(self.path()) as s:
            s["a"]
        with Session(self.path(), mode="read_only") as s:
            s["a"]
        self.assertEqual(meta(self.path())["revision"], 1)

    def test_a_save_that_fails_raises_from_the_with_statement(self) -> None:
        with Session(self.path()) as s:
            s["a"] = 1
        other = Session(self.path())
        self.addCleanup(close_dropping, other)
        with self.assertRaises(ConflictError):
            with Session(self.path(), conflicts="strict") as s:
                s["a"] = 2
                other["a"] = 3
                other.save()
        self.assertTrue(s.closed)
        self.assertEqual(saved(self.path()), {"a": 3})

    def test_closed_inside_the_block(self) -> None:
        with Session(self.path()) as s:
            s["a"] = 1
            s.save()
            s.close()
        self.assertEqual(saved(self.path()), {"a": 1})


class DroppedChangesTest(ScratchTest):
    BACKENDS = BOTH_BACKENDS

    def test_close_warns_naming_the_keys_it_drops(self) -> None:
        s = Session(self.path())
        s["b"] = 1
        s["a"] = 2
        with self.assertWarns(ResourceWarning) as caught:
            s.close()
        message = str(caught.warning)
        self.assertIn(f"closing session '{self.shown()}' drops unsaved changes to 2 keys", message)
        self.assertIn("('a', 'b')", message)
        self.assertEqual(caught.filename, __file__)  # points at the close() call
        self.assertEqual(saved(self.path()), {})
        self.assertEqual(meta(self.path())["revision"], 0)

    def test_discard_saved_or_unchanged_close_quietly(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            s = Session(self.path())
            s["a"] = 1
            s.discard()
            s.close()
            s = Session(self.path())
            s["a"] = 1
            s.save()
            s.close()
            Session(self.path()).close()

    def test_an_unclosed_session_collected_with_changes_warns(self) -> None:
        s = Session(self.path())
        s["a"] = 1
        with self.assertWarns(ResourceWarning) as caught:
            del s
            gc.collect()
        self.assertIn("garbage-collecting an unclosed session", str(caught.warning))
        self.assertEqual(saved(self.path()), {})

    def test_in_place_changes_with_writeback_count_as_dropped(self) -> None:
        with Session(self.path()) as s:
            s["lst"] = [1]
        s = Session(self.path(), writeback=True)
        s["lst"].append(2)
        with self.assertWarns(ResourceWarning):
            s.close()


class InPlaceChangesTest(ScratchTest):
    BACKENDS = BOTH_BACKENDS

    def setUp(self) -> None:
        super().setUp()
        with Session(self.path()) as s:
            s["lst"] = [1, 2]
            s["d"] = {"n": 1}

    def test_without_touch_an_in_place_change_is_not_saved(self) -> None:
        with Session(self.path()) as s:
            s["lst"].append(3)
            self.assertEqual(s["lst"], [1, 2, 3])  # the cached object...
            self.assertFalse(s.has_unsaved_changes)  # ...not a change save() knows of
        self.assertEqual(saved(self.path())["lst"], [1, 2])

    def test_touch_saves_it(self) -> None:
        with Session(self.path()) as s:
            s["lst"].append(3)
            s.touch("lst")
            self.assertEqual(s.unsaved_keys(), ["lst"])
        self.assertEqual(saved(self.path())["lst"], [1, 2, 3])
        self.assertEqual(meta(self.path())["revision"], 2)

    def test_touch_keeps_the_protocol_and_refuses_what_it_cannot_do(self) -> None:
        with Session(self.path(), protocol=2) as s:
            s["old"] = {"n": 1}
        with Session(self.path()) as s:
            s["old"]["n"] = 2
            s.touch("old")
            self.assertEqual(s.entry_info("old").protocol, 2)
            with self.assertRaises(KeyError):
                s.touch("missing")
        self.assertEqual(saved(self.path())["old"], {"n": 2})
        with Session(self.path(), mode="read_only") as s, self.assertRaises(StoreError):
            s.touch("old")

    def test_writeback_saves_every_value_changed_in_place(self) -> None:
        with Session(self.path(), writeback=True) as s:
            s["lst"].append(3)
            s.get("d")["n"] = 2
            new = {"set": "then changed"}
            s["new"] = new
            new["and"] = "changed after the set"
            self.assertEqual(s.unsaved_keys(), ["d", "lst", "new"])
        self.assertEqual(saved(self.path()), {
            "lst": [1, 2, 3], "d": {"n": 2},
            "new": {"set": "then changed", "and": "changed after the set"}})

    def test_writeback_writes_only_what_changed(self) -> None:
        with Session(self.path(), writeback=True) as s:
            for key in s:
                s[key]
            self.assertFalse(s.has_unsaved_changes)
            s["d"]["n"] = 1  # the same value: not a change
        self.assertEqual(meta(self.path())["revision"], 1)

    def test_writeback_keeps_watching_after_a_save(self) -> None:
        with Session(self.path(), writeback=True) as s:
            lst = s["lst"]
            lst.append(3)
            s.save()
            lst.append(4)
        self.assertEqual(saved(self.path())["lst"], [1, 2, 3, 4])

    def test_writeback_changes_are_discarded_and_rolled_back(self) -> None:
        s = Session(self.path(), writeback=True)
        self.addCleanup(close_dropping, s)
        s["lst"].append(3)
        s.discard()
        self.assertEqual(s["lst"], [1, 2])  # the file's value again
        self.assertFalse(s.has_unsaved_changes)
        with self.assertRaises(RuntimeError):
            with s.transact():
                s["lst"].append(4)
                raise RuntimeError("no")
        self.assertEqual(s["lst"], [1, 2])
        with s.transact():
            s["lst"].append(5)
        self.assertEqual(saved(self.path())["lst"], [1, 2, 5])

    def test_writeback_changes_stay_on_top_of_a_load(self) -> None:
        s = Session(self.path(), writeback=True)
        self.addCleanup(close_dropping, s)
        s["lst"].append(3)
        with Session(self.path()) as other:
            other["d"] = {"n": 9}
            other["lst"] = ["theirs"]
        s.load()
        self.assertEqual(s["lst"], [1, 2, 3])  # an unsaved change, like a set
        self.assertEqual(s["d"], {"n": 9})
        s.save()
        self.assertEqual(saved(self.path())["lst"], [1, 2, 3])

    def test_writeback_must_be_a_bool(self) -> None:
        with self.assertRaises(TypeError):
            Session(self.path(), writeback="yes")


if __name__ == "__main__":
    unittest.main()
