"""Conflicts between two sessions: last_writer_wins (per key) and strict (ConflictError
naming every conflicting key, nothing written, changes kept)."""

from __future__ import annotations

import unittest

from picklejar import ConflictError, Session

from support import BOTH_BACKENDS, ScratchTest, close_dropping, meta


class ConflictTest(ScratchTest):
    BACKENDS = BOTH_BACKENDS

    def pair(self, **options):
        a = Session(self.path(), durability="fast")
        self.addCleanup(close_dropping, a)
        a["shared"], a["theirs"], a["gone"] = 0, 0, 0
        a.save()
        b = Session(self.path(), durability="fast", **options)
        self.addCleanup(close_dropping, b)
        return a, b

    def test_last_writer_wins_per_key(self) -> None:
        a, b = self.pair()
        a["shared"] = "a"
        a["theirs"] = "a"
        a.save()
        b["shared"] = "b"
        b["mine"] = "b"
        b.save()
        self.assertEqual(dict(b), {"shared": "b", "theirs": "a", "gone": 0, "mine": "b"})
        a.load()
        self.assertEqual(dict(a), dict(b))  # keys b did not change were never touched

    def test_last_writer_wins_erasures_too(self) -> None:
        a, b = self.pair()
        a["gone"] = "rewritten"
        a.save()
        del b["gone"]
        b.save()
        a.load()
        self.assertNotIn("gone", a)

    def test_strict_reports_every_conflict_and_writes_nothing(self) -> None:
        a, b = self.pair(conflicts="strict")
        a["shared"] = "a"
        del a["gone"]
        a["fresh"] = "a"
        a.save()
        b["shared"] = "b"
        b["gone"] = "b"
        b["fresh"] = "b"  # absent when b began: now present
        b["alone"] = "b"
        revision = meta(self.path())["revision"]
        with self.assertRaises(ConflictError) as caught:
            b.save()
        self.assertEqual(caught.exception.keys, ["fresh", "gone", "shared"])
        self.assertIn("another session changed keys", str(caught.exception))
        self.assertEqual(caught.exception.path, self.shown())
        self.assertEqual(meta(self.path())["revision"], revision)
        self.assertEqual(b.unsaved_keys(), ["alone", "fresh", "gone", "shared"])
        b.discard()
        self.assertEqual(dict(b), {"shared": "a", "theirs": 0, "fresh": "a"})
        b["alone"] = "b"
        b.save()

    def test_same_value_rewritten_still_conflicts(self) -> None:
        a, b = self.pair(conflicts="strict")
        a["shared"] = 0
        a.save()
        b["shared"] = 1
        with self.assertRaises(ConflictError) as caught:
            b.save()
        self.assertEqual(caught.exception.keys, ["shared"])

    def test_strict_transact_never_conflicts_on_its_own_changes(self) -> None:
        a, b = self.pair(conflicts="strict")
        a["shared"] = "a"
        a.save()
        with b.transact():
            b["shared"] = b["shared"] + "b"
        a.load()
        self.assertEqual(a["shared"], "ab")

    def test_strict_transact_reports_changes_made_before_it(self) -> None:
        a, b = self.pair(conflicts="strict")
        b["shared"] = "b"
        a["shared"] = "a"
        a.save()
        with self.assertRaises(ConflictError):
            with b.transact():
                b["other"] = 1
        self.assertEqual(b.unsaved_keys(), ["shared"])  # transact's change undone
        self.assertNotIn("other", b)


if __name__ == "__main__":
    unittest.main()
