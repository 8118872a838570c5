"""Nothing lost silently: a value whose pickle the session's reader would refuse under its
DecodeLimits is refused when it is set (EncodeError naming key, file and limit), the session
unchanged and nothing written; what the limits allow is saved and reads back."""

from __future__ import annotations

import contextlib
import pickle
import sys
from typing import Any, Iterator

from picklejar import DecodeLimits, EncodeError, Session
from picklejar._safe_pickle import Allowlist, safe_loads
from picklejar._write_check import needs_load

from support import ScratchTest, snapshot

MAX_DEPTH = DecodeLimits().max_depth


def nested(depth: int) -> Any:
    """A list ``depth`` deep as the reader counts (an empty list is 1 deep)."""
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def chained(depth: int) -> Any:
    """A list holding lists, each holding the one before: as deep as ``nested(depth)`` plus
    one, yet pickled with a recursion of three (each inner list is a memo reference)."""
    lists: Any = [[]]
    for _ in range(depth - 1):
        lists.append([lists[-1]])
    return lists


@contextlib.contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


class WriteLimitsTest(ScratchTest):
    def assert_refused(self, s: Session, limit: str, set_it: Any) -> None:
        before = snapshot(self.path())
        keys = set(s.unsaved_keys())
        with self.assertRaises(EncodeError) as caught:
            set_it()
        message = str(caught.exception)
        self.assertIn("cannot save key 'deep'", message)
        self.assertIn(self.path(), message)
        self.assertIn(limit, message)
        self.assertNotIn("deep", s)
        self.assertEqual(set(s.unsaved_keys()), keys)
        self.assertEqual(snapshot(self.path()), before)

    def test_one_level_too_deep_is_refused_at_set(self) -> None:
        with recursion_limit(4 * MAX_DEPTH), Session(self.path()) as s:
            self.assert_refused(s, "max_depth",
                                lambda: s.__setitem__("deep", nested(MAX_DEPTH + 1)))
        with Session(self.path()) as s:
            self.assertEqual(dict(s), {})

    def test_exactly_max_depth_is_saved_and_reads_back(self) -> None:
        with recursion_limit(4 * MAX_DEPTH):
            with Session(self.path()) as s:
                s["deep"] = nested(MAX_DEPTH)
            with Session(self.path()) as s:
                value = s["deep"]
                depth = 1
                while value:
                    value, depth = value[0], depth + 1
                self.assertEqual(depth, MAX_DEPTH)

    def test_the_recursion_limit_does_not_bound_the_depth(self) -> None:
        # The pickler recurses three deep, the reader counts MAX_DEPTH + 1. Protocol 0: its
        # pickle has no byte that could be GLOBAL ("c"), so only the limits can refuse it.
        self.assertLess(sys.getrecursionlimit(), MAX_DEPTH)
        value = chained(MAX_DEPTH)
        data = pickle.dumps(value, 0)
        self.assertNotIn(b"c", data)
        with self.assertRaisesRegex(Exception, "max_depth"):
            safe_loads(data, Allowlist())
        with Session(self.path(), protocol=0) as s:
            self.assert_refused(s, "max_depth", lambda: s.__setitem__("deep", value))
            s["shallower"] = chained(MAX_DEPTH - 1)
        with Session(self.path()) as s:
            self.assertEqual(len(s["shallower"]), MAX_DEPTH - 1)

    def test_custom_small_limits_are_checked_at_write(self) -> None:
        cases = [
            (DecodeLimits(max_depth=20), nested(21), "max_depth"),
            (DecodeLimits(max_depth=20), {"a": (1, 2, nested(19))}, "max_depth"),
            (DecodeLimits(max_memo_entries=50), [str(i) for i in range(100)],
             "max_memo_entries"),
            (DecodeLimits(max_input_bytes=1000), "x" * 2000, "max_input_bytes"),
        ]
        for limits, value, limit in cases:
            with self.subTest(limit=limit), Session(self.path(), limits=limits) as s:
                self.assert_refused(s, limit, lambda: s.__setitem__("deep", value))
                s["fits"] = nested(20) if limit == "max_depth" else [1, 2]

    def test_update_add_and_transact_are_checked(self) -> None:
        limits = DecodeLimits(max_depth=20)
        with Session(self.path(), limits=limits) as s:
            s["kept"] = 1
            self.assert_refused(s, "max_depth",
                                lambda: s.update({"other": 2, "deep": nested(21)}))
            self.assertNotIn("other", s)  # update is all or nothing
            self.assert_refused(s, "max_depth", lambda: s.add("deep", nested(21)))

            def body(t: Session) -> None:
                t["inside"] = 3
                t["deep"] = nested(21)

            self.assert_refused(s, "max_depth", lambda: s.transact(body))
            self.assertNotIn("inside", s)
        with Session(self.path()) as s:
            self.assertEqual(dict(s), {"kept": 1})

    def test_needs_load_is_false_only_for_what_the_reader_accepts(self) -> None:
        limits = DecodeLimits(max_depth=30, max_memo_entries=40)
        values = [nested(d) for d in (1, 29, 30, 31, 40)] + [
            [str(i) for i in range(n)] for n in (39, 40, 41, 80)] + [
            {f"k{i}": [nested(i % 35), "text " * i, i * 1.5] for i in range(n)}
            for n in (20, 60)] + [
            [Unlisted()], {f"k{i}": ("x" * 300, i) for i in range(40)}]
        for value in values:
            for protocol in range(6):
                data = pickle.dumps(value, protocol)
                if not needs_load(data, protocol, limits):
                    with self.subTest(protocol=protocol, size=len(data)):
                        safe_loads(data, Allowlist(), limits)

    def test_a_long_pickle_naming_a_global_is_loaded(self) -> None:
        value = {f"key{i}": [i, f"value {i}", i * 1.5] for i in range(1500)}
        value["obj"] = Unlisted()  # type: ignore[assignment]
        for protocol in range(6):
            with self.subTest(protocol=protocol):
                self.assertTrue(needs_load(pickle.dumps(value, protocol), protocol,
                                           DecodeLimits()))


class Unlisted:
    pass
