"""transact(): the atomic read-modify-write, as a context manager and with a function; commit,
rollback on exceptions, joining, and what is refused inside."""

from __future__ import annotations

import unittest

from picklejar import Session, StoreError

from support import BOTH_BACKENDS, ScratchTest, close_dropping, meta


class TransactTest(ScratchTest):
    BACKENDS = BOTH_BACKENDS

    def session(self, **options) -> Session:
        s = Session(self.path(), durability="fast", **options)
        self.addCleanup(close_dropping, s)
        return s

    def test_commits_on_success(self) -> None:
        s = self.session()
        with s.transact() as t:
            self.assertIs(t, s)
            s["n"] = s.get("n", 0) + 1
        self.assertFalse(s.has_unsaved_changes)
        self.assertEqual(meta(self.path())["revision"], 1)
        with Session(self.path()) as other:
            self.assertEqual(other["n"], 1)

    def test_function_form_returns_its_result(self) -> None:
        s = self.session()

        def bump(t: Session) -> int:
            t["n"] = t.get("n", 0) + 5
            return t["n"]

        self.assertEqual(s.transact(bump), 5)
        self.assertEqual(s.transact(bump), 10)
        self.assertEqual(meta(self.path())["revision"], 2)

    def test_sees_what_others_saved_first(self) -> None:
        a, b = self.session(), self.session()
        a["n"] = 41
        a.save()
        with b.transact():
            b["n"] = b["n"] + 1
        a.load()
        self.assertEqual(a["n"], 42)

    def test_rolls_back_on_an_exception(self) -> None:
        s = self.session()
        s["a"] = 1
        s.save()
        s["before"] = "unsaved"  # changes made before transact() stay unsaved
        with self.assertRaisesRegex(RuntimeError, "boom"):
            with s.transact():
                s["a"] = 2
                s["b"] = 3
                del s["before"]
                raise RuntimeError("boom")
        self.assertEqual(dict(s), {"a": 1, "before": "unsaved"})
        self.assertEqual(s.unsaved_keys(), ["before"])
        self.assertEqual(meta(self.path())["revision"], 1)
        with self.assertRaisesRegex(KeyError, "x"):
            s.transact(lambda t: t.__setitem__("a", 5) or t["x"])
        self.assertEqual(s["a"], 1)
        # The lock was released: another session can write.
        with Session(self.path(), lock_timeout=0) as other:
            other["c"] = 1
            other.save()

    def test_commits_changes_made_before_too(self) -> None:
        s = self.session()
        s["before"] = 1
        with s.transact():
            s["inside"] = 2
        self.assertFalse(s.has_unsaved_changes)
        with Session(self.path()) as other:
            self.assertEqual(dict(other), {"before": 1, "inside": 2})

    def test_nested_transact_joins_the_outer_one(self) -> None:
        s = self.session()
        with s.transact():
            s["a"] = 1
            with s.transact():
                s["b"] = 2
            s.transact(lambda t: t.__setitem__("c", 3))
        self.assertEqual(meta(self.path())["revision"], 1)
        with self.assertRaises(ValueError):
            with s.transact():
                s["d"] = 4
                with s.transact():
                    s["e"] = 5
                    raise ValueError
        self.assertEqual(sorted(s), ["a", "b", "c"])

    def test_refuses_synchronizing_inside(self) -> None:
        s = self.session()
        s["k"] = 1
        s.save()
        for call in (s.save, s.load, s.discard, lambda: s.convert_protocol(2)):
            with self.assertRaisesRegex(StoreError, "inside transact"):
                with s.transact():
                    s["k"] = 2
                    call()
            self.assertEqual(s["k"], 1)

    def test_no_change_writes_nothing(self) -> None:
        s = self.session()
        with s.transact():
            pass
        self.assertEqual(meta(self.path())["revision"], 0)


if __name__ == "__main__":
    unittest.main()
