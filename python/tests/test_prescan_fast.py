"""The pre-scan's fast path (picklejar/_prescan_fast.py): what it lets ``pickle.loads`` read
at once, the scan must accept or CPython must refuse.

Checked against the real thing: CPython's pickles of random plain values, and thousands of
mutations of them (opcodes changed, dropped, doubled), each asked of plain_pickle(), of the
full scan and of CPython's unpickler."""

from __future__ import annotations

import io
import pickle
import random
import unittest
from typing import Any, List
from unittest import mock

import picklejar
from picklejar import DecodeError, DecodeLimits, LimitError
from picklejar import _safe_pickle
from picklejar._prescan_fast import plain_pickle
from picklejar._prescan_ops import prescan
from picklejar._safe_pickle import Allowlist, SafeUnpickler

ALLOWLIST = Allowlist()
LIMITS = DecodeLimits()


def record(i: int) -> dict:
    """A session benchmark value (bench/session_values.py)."""
    return {"id": i, "name": f"User Number {i}", "email": f"user{i}@example.org",
            "score": (i % 1000) * 0.37, "active": i % 3 != 0,
            "tags": ["alpha", "beta", f"group-{i % 17}"], "created": "2024-05-17T12:34:56Z",
            "history": [i * 7 + h for h in range(5)],
            "prefs": {"theme": "dark", "font_size": 10 + i % 8, "autosave": i % 2 == 0,
                      "recent": [f"/home/user/doc{i}.txt", "/home/user/notes.md"]}}


def random_value(rng: random.Random, depth: int, shared: List[Any]) -> Any:
    """A plain value: dicts and lists (some of one item, some shared or cyclic) of str,
    bytes, ints of every size, floats, bools, None and ()."""
    roll = rng.random()
    if depth <= 0 or roll < 0.45:
        return rng.choice([
            lambda: rng.choice(["", "a", "key", "ünï", "\ud800x", "x" * rng.randrange(270)]),
            lambda: bytes(rng.randrange(256) for _ in range(rng.randrange(20))),
            lambda: rng.choice([0, 1, -1, -2, 255, 256, 65535, 65536, -(1 << 31), 1 << 40,
                                rng.randrange(-(1 << 70), 1 << 70), 1 << 2000]),
            lambda: rng.choice([0.5, -0.0, 1e300, float("inf")]),
            lambda: rng.choice([True, False, None, (), "t", "f"]),
            lambda: rng.choice(shared) if shared else "s",
        ])()
    if roll < 0.75:
        value: Any = {}
        for _ in range(rng.choice([0, 1, 1, 2, 3, 5])):
            key = rng.choice(["k", "a", "b", "c", rng.randrange(1000), 1.5, None, True, b"b",
                              ()])
            value[key] = random_value(rng, depth - 1, shared)
    else:
        value = [random_value(rng, depth - 1, shared)
                 for _ in range(rng.choice([0, 1, 1, 2, 4]))]
        if rng.random() < 0.05:
            value.append(value)  # a cycle
    if rng.random() < 0.2:
        shared.append(value)
    return value


def mutations(rng: random.Random, data: bytes, count: int) -> List[bytes]:
    """Pickles near ``data``: a byte replaced by an opcode (often a structural byte by
    another: a closer of the other kind, a MARK, a MEMOIZE), a byte dropped or doubled."""
    structural = b"}]()eusa\x94"
    interesting = structural + b"hjKMJNG\x88\x89\x8cC\x8a.\x95q2tR"
    at_structure = [i for i, byte in enumerate(data) if byte in structural]
    out = []
    for _ in range(count):
        roll = rng.random()
        at = rng.choice(at_structure) if at_structure and roll < 0.4 else \
            rng.randrange(len(data))
        if roll < 0.4:
            out.append(data[:at] + bytes([rng.choice(structural)]) + data[at + 1:])
        elif roll < 0.7:
            out.append(data[:at] + bytes([rng.choice(interesting)]) + data[at + 1:])
        elif roll < 0.85:
            out.append(data[:at] + data[at + 1:])
        else:
            out.append(data[:at] + data[at:at + 1] + data[at:])
    return out


def scan_accepts(data: bytes) -> bool:
    try:
        prescan(data, ALLOWLIST, LIMITS)
        return True
    except DecodeError:  # LimitError and ForbiddenGlobal are DecodeErrors
        return False


class PlainPickleTest(unittest.TestCase):
    def assert_sound(self, data: bytes, counts: dict) -> None:
        """If the fast path takes ``data``, the scan accepts it or CPython refuses it, and
        a value CPython returns is the one the scan + SafeUnpickler return."""
        if not plain_pickle(data, LIMITS):
            counts["declined"] += 1
            return
        try:
            fast = pickle.loads(data)
        except Exception:  # noqa: BLE001 - any refusal counts
            counts["cpython refuses"] += 1
            return
        self.assertTrue(scan_accepts(data), f"the scan refuses {data!r}, CPython loads it")
        slow = SafeUnpickler(io.BytesIO(data), ALLOWLIST).load()
        self.assertEqual(repr(fast), repr(slow))
        counts["both accept"] += 1

    def test_cpython_pickles_and_their_mutations(self) -> None:
        rng = random.Random(2126)
        counts = {"declined": 0, "cpython refuses": 0, "both accept": 0}
        for i in range(1500):
            value = random_value(rng, rng.randrange(1, 6), [])
            data = pickle.dumps(value, rng.choice([4, 5]))
            self.assert_sound(data, counts)
            for mutated in mutations(rng, data, 40):
                self.assert_sound(mutated, counts)
        # The corpus exercises every outcome, many times.
        self.assertGreater(counts["both accept"], 5000, counts)
        self.assertGreater(counts["cpython refuses"], 300, counts)
        self.assertGreater(counts["declined"], 10000, counts)

    def test_takes_the_common_session_entries(self) -> None:
        s = "shared"
        for value in [record(7), {}, [], {"theme": "dark"}, ["/home/user/notes.md"],
                      {"n": 1 << 64, "b": b"\x00\xff", "t": (), "x": None},
                      [s, s, {s: s}], {"list": [[1, 2], [3, [4, 5]]], "n": 1},
                      {"a": {"b": [{}]}}, [[[]], {}], {"e": {}, "f": []}]:
            with self.subTest(value=value):
                data = pickle.dumps(value, 4)
                self.assertTrue(plain_pickle(data, LIMITS))
                with mock.patch.object(_safe_pickle, "prescan", side_effect=AssertionError):
                    self.assertEqual(_safe_pickle.safe_loads(data, ALLOWLIST), value)

    def test_declines_what_cpython_does_quietly_and_the_scan_refuses(self) -> None:
        cases = {
            # SETITEMS on a non-empty list replaces an item (CPython: [5])
            "SETITEMS on a list": b"\x80\x04]\x94(K\x01e(K\x00K\x05u.",
            "SETITEM on a list": b"\x80\x04]\x94(K\x01eK\x00K\x05s.",
            "SETITEMS on a list it opened": b"\x80\x04]\x94(K\x00K\x05u.",
            # an empty slice: CPython does nothing, whatever the target
            "APPENDS with nothing on a dict": b"\x80\x04}\x94(e.",
            "SETITEMS with nothing on a list": b"\x80\x04]\x94(u.",
        }
        for name, data in cases.items():
            with self.subTest(name):
                self.assertFalse(plain_pickle(data, LIMITS))
                with self.assertRaises(DecodeError):
                    picklejar.safe_loads(data)

    def test_declines_globals_tuples_sets_and_old_protocols(self) -> None:
        for value in [(1, 2), {1, 2}, frozenset(), 1 + 2j, bytearray(b"x"), "x" * 256,
                      {"a": (1,)}]:
            with self.subTest(value=value):
                self.assertFalse(plain_pickle(pickle.dumps(value, 4), LIMITS))
        for protocol in range(4):
            self.assertFalse(plain_pickle(pickle.dumps({"a": [1]}, protocol), LIMITS))

    def test_declines_frames_that_do_not_end_with_the_pickle(self) -> None:
        data = pickle.dumps({"a": "b" * 10}, 4)
        for length in (len(data) - 12, len(data) - 10):  # STOP after the frame, or missing
            framed = data[:3] + length.to_bytes(8, "little") + data[11:]
            with self.subTest(length=length):
                self.assertFalse(plain_pickle(framed, LIMITS))
                if scan_accepts(framed):
                    self.assertEqual(picklejar.safe_loads(framed), {"a": "b" * 10})
                else:
                    with self.assertRaises(DecodeError):
                        picklejar.safe_loads(framed)

    def test_declines_pickles_that_could_reach_a_limit(self) -> None:
        data = pickle.dumps(record(3), 4)
        for field in ("max_input_bytes", "max_objects", "max_memo_entries",
                      "max_container_items", "max_depth"):
            with self.subTest(field):
                self.assertTrue(plain_pickle(data, DecodeLimits(**{field: len(data)})))
                self.assertFalse(plain_pickle(data, DecodeLimits(**{field: len(data) - 1})))
        self.assertFalse(plain_pickle(data, DecodeLimits(max_total_bytes=len(data) * 127)))
        self.assertFalse(plain_pickle(data, DecodeLimits(max_allocation_bytes=254)))
        self.assertFalse(plain_pickle(data, DecodeLimits(max_hash_work=1000)))
        # and what is over a limit is refused as before, by the scan
        with self.assertRaises(LimitError) as caught:
            picklejar.safe_loads(data, limits=DecodeLimits(max_objects=10))
        self.assertEqual(caught.exception.limit, "max_objects")

    def test_errors_are_the_scans(self) -> None:
        # In the grammar but refused by CPython: the scan's error, at the scan's offset.
        for data in [b"\x80\x04]\x94(h\x05e.", b"\x80\x04\x8c\x02\xff\xfe\x94.",
                     b"\x80\x04}\x94(]\x94K\x01u."]:
            with self.subTest(data=data):
                self.assertTrue(plain_pickle(data, LIMITS))
                with self.assertRaises(DecodeError) as caught:
                    picklejar.safe_loads(data)
                with self.assertRaises(DecodeError) as scanned:
                    prescan(data, ALLOWLIST, LIMITS)
                self.assertEqual(str(caught.exception), str(scanned.exception))
                self.assertEqual(caught.exception.offset, scanned.exception.offset)
                # nothing of CPython's refusal shows: the scan raised as it always does
                self.assertEqual(repr(caught.exception.__context__),
                                 repr(scanned.exception.__context__))

    def test_large_inputs_are_matched_without_backtracking_blowup(self) -> None:
        # Near the size bound, nested deep and failing only at the end: the expression must
        # still answer (a catastrophic backtrack would never return).
        body = b"}\x94(\x8c\x01a\x94" * 7 + b"]\x94(" + b"K\x01" * 3000 + b"e" + b"u" * 7
        for tail in (b".", b"", b"u.", b"e."):
            data = b"\x80\x04" + body + tail
            self.assertEqual(plain_pickle(data, LIMITS), tail == b".")


if __name__ == "__main__":
    unittest.main()
