"""safe_loads with the pre-scan's fast path against safe_loads without it (the full scan and
SafeUnpickler for every pickle): on CPython's pickles of random values at protocols 0-5 and
on hostile mutations of them, both must return the same value or raise the same error type.

The fast path hands a pickle straight to ``pickle.loads``, so a pickle it wrongly takes runs
with no allowlist. The mutations name :func:`tripwire` (importable: this module) through
every opcode that imports or calls — GLOBAL, STACK_GLOBAL, INST, OBJ, REDUCE, NEWOBJ, BUILD,
EXT*, PERSID — so such a slip shows as a call, not only as a different outcome. Fixed seeds,
a few seconds."""

from __future__ import annotations

import datetime
import pickle
import random
import re
import struct
import unittest
from typing import Any, Callable, Dict, List, Tuple

from picklejar import DecodeLimits
from picklejar import _safe_pickle
from picklejar._prescan_fast import plain_pickle
from picklejar._safe_pickle import Allowlist

ALLOWLIST = Allowlist()
CALLS: List[Tuple[Any, ...]] = []


def tripwire(*args: Any) -> str:
    """What no pickle may reach: the allowlist refuses it, so only an unchecked
    ``pickle.loads`` can call it."""
    CALLS.append(args)
    return "tripped"


class Tripped:
    """A class no pickle may build (INST, OBJ, NEWOBJ) or set state on (BUILD)."""

    def __init__(self, *args: Any) -> None:
        CALLS.append(("__init__",) + args)

    def __setstate__(self, state: Any) -> None:
        CALLS.append(("__setstate__", state))


HERE = __name__.encode()


def _short(text: bytes) -> bytes:
    return b"\x8c" + bytes([len(text)]) + text


# Opcode sequences a hostile pickle slips in (each complete, or deliberately cut short).
HOSTILE: List[bytes] = [
    b"c" + HERE + b"\ntripwire\n",  # GLOBAL
    b"c" + HERE + b"\ntripwire\n(\x8c\x01xtR",  # GLOBAL + REDUCE
    b"cbuiltins\ngetattr\n",
    _short(HERE) + b"\x94" + _short(b"tripwire") + b"\x94\x93",  # STACK_GLOBAL
    _short(HERE) + _short(b"tripwire") + b"\x93)R",  # STACK_GLOBAL + REDUCE of ()
    b"(i" + HERE + b"\nTripped\n",  # INST
    b"(c" + HERE + b"\nTripped\no",  # OBJ
    b"c" + HERE + b"\nTripped\n)\x81",  # NEWOBJ
    b"c" + HERE + b"\nTripped\n)}\x92",  # NEWOBJ_EX
    b"}b",  # BUILD on whatever is below
    b"c" + HERE + b"\nTripped\n)\x81}b",  # BUILD a built object
    b"\x82\x01", b"\x83\x01\x00", b"\x84\x01\x00\x00\x00",  # EXT1, EXT2, EXT4
    b"P1\n", b"\x8c\x011Q",  # PERSID, BINPERSID
    b"\x8b\xff\xff\xff\x7f", b"\x8a\xff",  # LONG4 / LONG1 lengths past the end
    b"X\xff\xff\xff\xff", b"\x8d" + b"\xff" * 8,  # BINUNICODE(8) lengths past the end
    b"B\xff\xff\xff\x7f", b"\x8e" + b"\xff" * 8, b"\x96" + b"\xff" * 8,  # BINBYTES(8), BYTEARRAY8
    b"\x95" + b"\xff" * 8,  # FRAME of 2**64-1 bytes
    b"r\xff\xff\xff\x7f", b"q\xff", b"p999999999\n",  # PUTs to far memo indexes
    b"h\x00", b"h\xfe", b"j\xff\xff\xff\x7f", b"g0\n", b"\x94", b"\x94\x94",  # GETs, MEMOIZEs
    b"V" + b"x" * 3 + b"\n", b"V", b"S'a'\n", b"I1\n", b"L1L\n",  # protocol-0 text opcodes
    b"2", b"0", b"1", b"(", b"t", b"\x85", b"\x86", b"\x87", b")", b"\x90", b"\x91",  # stack
    b"\x97", b"\x98", b"\x80\x05", b".",  # NEXT_BUFFER, READONLY_BUFFER, PROTO, STOP
]

# The grammar's own tokens (the fast path's alphabet), to build near-plain pickles from.
TOKENS: List[bytes] = [
    b"N", b"\x88", b"\x89", b")", b"K\x07", b"M\x01\x02", b"J\xff\xff\xff\xff",
    b"G" + struct.pack(">d", 1.5), b"G" + struct.pack(">d", float("nan")),
    _short(b"k") + b"\x94", _short(b"\xc3\xa9"), _short(b"\xed\xa0\x80"), _short(b"\xff"),
    b"C\x02ab\x94", b"\x8a\x01\x80", b"\x8a\x02\x00\x01\x94", b"h\x00", b"h\x01", b"h\x02",
    b"j\x00\x00\x00\x00", b"}\x94", b"]\x94", b"(", b"u", b"e", b"s", b"a",
]


def hiding(snippet: bytes) -> bytes:
    """UNICODE reads to the newline: here it reads a counted string's header, and the
    opcodes the count appears to cover run after it."""
    inner = b"\n" + snippet + b"."
    return b"V" + _short(inner[:255])


def random_value(rng: random.Random, depth: int, shared: List[Any]) -> Any:
    """A value of every kind the allowlist loads, nested, some of it shared or cyclic."""
    roll = rng.random()
    if depth <= 0 or roll < 0.4:
        return rng.choice([
            lambda: rng.choice(["", "k", "ünï", "\ud800", "a\nb", "V", "x" * rng.randrange(300)]),
            lambda: bytes(rng.randrange(256) for _ in range(rng.randrange(12))),
            lambda: rng.choice([0, 1, -1, 255, 256, 65536, -(1 << 31), (1 << 31) - 1, 1 << 64,
                                rng.randrange(-(1 << 90), 1 << 90), -(1 << 2100)]),
            lambda: rng.choice([0.5, -0.0, 1e300, float("inf"), float("nan")]),
            lambda: rng.choice([True, False, None, (), 1 + 2j, bytearray(b"ba"), Ellipsis]),
            lambda: rng.choice([datetime.date(2024, 5, 17), datetime.timedelta(seconds=3)]),
            lambda: rng.choice(shared) if shared else "s",
        ])()
    width = rng.choice([0, 1, 1, 2, 3, 5])
    kind = rng.randrange(5)
    if kind == 0:
        value: Any = {rng.choice(["k", "a", 7, 1.5, None, True, b"b", (), (1, "t")]):
                      random_value(rng, depth - 1, shared) for _ in range(width)}
    elif kind == 1:
        value = [random_value(rng, depth - 1, shared) for _ in range(width)]
        if rng.random() < 0.1:
            value.append(value)  # a cycle
    elif kind == 2:
        value = tuple(random_value(rng, depth - 1, shared) for _ in range(width))
    elif kind == 3:
        value = {rng.choice([1, "m", b"m", 2.5, (), None]) for _ in range(width)}
    else:
        value = frozenset(rng.choice([3, "f", ()]) for _ in range(width))
    if rng.random() < 0.25:
        shared.append(value)
    return value


def grammar_value(rng: random.Random, depth: int) -> bytes:
    """A random derivation of the fast path's grammar, as raw opcodes."""
    if depth <= 0 or rng.random() < 0.4:
        return rng.choice(TOKENS[:20])
    if rng.random() < 0.5:
        items = [grammar_value(rng, depth - 1) + grammar_value(rng, depth - 1)
                 for _ in range(rng.randrange(4))]
        body = b"(" + b"".join(items) + b"u" if len(items) != 1 else items[0] + b"s"
        return b"}\x94" + (body if items else b"")
    items = [grammar_value(rng, depth - 1) for _ in range(rng.randrange(4))]
    body = b"(" + b"".join(items) + b"e" if len(items) != 1 else items[0] + b"a"
    return b"]\x94" + (body if items else b"")


def reframe(rng: random.Random, data: bytes) -> bytes:
    """With a FRAME at the start, usually its length set to what follows it, so that a
    mutation is read past the framing check."""
    if len(data) >= 11 and data[2] == 0x95 and rng.random() < 0.8:
        return data[:3] + (len(data) - 11).to_bytes(8, "little") + data[11:]
    return data


def mutate(rng: random.Random, data: bytes) -> bytes:
    """``data`` with a byte flipped, cut short, a byte dropped or doubled, a hostile or
    grammar opcode sequence inserted or put in place of an opcode's bytes."""
    at = rng.randrange(2, len(data)) if len(data) > 2 else len(data)
    roll = rng.random()
    if roll < 0.15:
        out = data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]
    elif roll < 0.22:
        return data[:at]  # truncated: the frame stays as written
    elif roll < 0.32:
        out = data[:at] + data[at + 1:]
    elif roll < 0.38:
        out = data[:at] + data[at:at + 1] + data[at:]
    elif roll < 0.65:
        out = data[:at] + rng.choice(HOSTILE) + data[at:]
    elif roll < 0.75:
        out = data[:at] + hiding(rng.choice(HOSTILE)) + data[at:]
    elif roll < 0.9:
        out = data[:at] + rng.choice(TOKENS) + data[at + rng.randrange(3):]
    else:
        out = data[:at] + rng.choice(HOSTILE) + data[at + rng.randrange(1, 4):]
    return reframe(rng, out)


def outcome(data: bytes, limits: DecodeLimits, fast: bool) -> Tuple[Any, ...]:
    """("value", type, repr) or ("error", exception type) of safe_loads, with the fast path
    on or off."""
    real = _safe_pickle.plain_pickle
    if not fast:
        _safe_pickle.plain_pickle = lambda data, limits: False  # type: ignore[assignment]
    try:
        value = _safe_pickle.safe_loads(data, ALLOWLIST, limits)
    except RecursionError:
        return ("error", RecursionError)
    except Exception as e:  # noqa: BLE001 - the type is the outcome
        return ("error", type(e))
    finally:
        _safe_pickle.plain_pickle = real  # type: ignore[assignment]
    return ("value", type(value), canonical(value, {}))


_ADDRESS = re.compile(r"at 0x[0-9a-f]+")


def canonical(value: Any, seen: Dict[int, int]) -> str:
    """repr(value) that two loads of one pickle share: objects' addresses left out and set
    members sorted (builtins.getattr loads as a bound method, hashed by address)."""
    if id(value) in seen:
        return f"<cycle {seen[id(value)]}>"
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        seen[id(value)] = len(seen)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(canonical(item, seen) for item in value)
    elif isinstance(value, dict):
        inner = ", ".join(f"{canonical(k, seen)}: {canonical(v, seen)}"
                          for k, v in value.items())
    elif isinstance(value, (set, frozenset)):
        inner = ", ".join(sorted(canonical(item, seen) for item in value))
    else:
        return _ADDRESS.sub("at 0x?", repr(value))
    return f"{type(value).__name__}[{inner}]"


DEFAULT = DecodeLimits()
# One limit tight at a time (the fast path's size bound is the least over the limits, so a
# wrong bound for one shows only when that one is the least).
TIGHT = [
    DecodeLimits(max_total_bytes=6000), DecodeLimits(max_hash_work=40),
    DecodeLimits(max_hash_work=400), DecodeLimits(max_objects=30),
    DecodeLimits(max_depth=3), DecodeLimits(max_container_items=4),
    DecodeLimits(max_memo_entries=3), DecodeLimits(max_input_bytes=60),
    DecodeLimits(max_allocation_bytes=255),
]


class FastPathDifferentialTest(unittest.TestCase):
    def setUp(self) -> None:
        CALLS.clear()

    def compare(self, data: bytes, counts: Dict[str, int],
                limits_tried: Tuple[DecodeLimits, ...] = (DEFAULT,)) -> None:
        for limits in limits_tried:
            taken = plain_pickle(data, limits)
            fast = outcome(data, limits, fast=True)
            self.assertEqual(CALLS, [], f"{data!r} ran code (fast path taken: {taken})")
            slow = outcome(data, limits, fast=False)
            self.assertEqual(fast, slow, f"{data!r} with {limits}")
            if taken:
                counts["taken, " + fast[0]] += 1
            else:
                counts["declined"] += 1

    def run_corpus(self, seed: int, make: Callable[[random.Random], bytes], pickles: int,
                   mutants: int) -> Dict[str, int]:
        rng = random.Random(seed)
        counts = {"declined": 0, "taken, value": 0, "taken, error": 0}
        for _ in range(pickles):
            data = make(rng)
            limits = (DEFAULT, rng.choice(TIGHT), rng.choice(TIGHT))
            self.compare(data, counts, limits)
            for _ in range(mutants):
                mutated = data
                for _ in range(rng.choice([1, 1, 1, 2, 3])):
                    mutated = mutate(rng, mutated)
                self.compare(mutated, counts, limits)
        return counts

    def test_cpython_pickles_at_every_protocol_and_their_mutations(self) -> None:
        def make(rng: random.Random) -> bytes:
            value = random_value(rng, rng.randrange(1, 5), [])
            return pickle.dumps(value, rng.randrange(6))

        counts = self.run_corpus(2121, make, 600, 12)
        # Every outcome happens often: the corpus reaches the fast path and its fallback.
        self.assertGreater(counts["taken, value"], 150, counts)
        self.assertGreater(counts["declined"], 10000, counts)

    def test_plain_pickles_and_their_mutations(self) -> None:
        def make(rng: random.Random) -> bytes:
            value = random_value(rng, rng.randrange(1, 5), [])
            plain = pickle.loads(pickle.dumps(value, 4), fix_imports=False)
            return pickle.dumps(_plain(plain, {}), rng.choice([4, 5]))

        counts = self.run_corpus(2122, make, 800, 12)
        self.assertGreater(counts["taken, value"], 1500, counts)
        self.assertGreater(counts["taken, error"], 100, counts)

    def test_grammar_derivations_and_their_mutations(self) -> None:
        def make(rng: random.Random) -> bytes:
            body = grammar_value(rng, rng.randrange(1, 5)) + b"."
            if rng.random() < 0.5:
                return b"\x80\x04\x95" + len(body).to_bytes(8, "little") + body
            return b"\x80\x05" + body

        counts = self.run_corpus(2123, make, 1200, 8)
        self.assertGreater(counts["taken, value"], 1500, counts)
        self.assertGreater(counts["taken, error"], 500, counts)

    def test_the_size_bound_holds_at_the_tightest_limits_it_allows(self) -> None:
        # _max_sizes: a plain pickle of n bytes stays within limits of n (items, objects,
        # memo entries, depth), 128 n total bytes and the hashing of n // 2 colliding keys.
        # At exactly those limits the fast path still takes it, and the scan must accept it.
        rng = random.Random(2124)
        accepted = 0
        for i in range(3000):
            if i % 2:
                data = b"\x80\x05" + grammar_value(rng, rng.randrange(1, 6)) + b"."
            else:
                data = pickle.dumps(_plain(random_value(rng, rng.randrange(1, 5), []), {}), 4)
            if not plain_pickle(data, DEFAULT):
                continue  # a str of 256 bytes or more
            n, key_cost = len(data), 16 if b"\x8a" in data else 1
            keys = n // 2
            limits = DecodeLimits(
                max_input_bytes=n, max_depth=n, max_memo_entries=n, max_container_items=n,
                max_objects=n, max_total_bytes=128 * n, max_allocation_bytes=255,
                max_hash_work=key_cost * (keys + keys * (keys - 1) // 2))
            self.assertTrue(plain_pickle(data, limits), data)
            fast, slow = outcome(data, limits, fast=True), outcome(data, limits, fast=False)
            self.assertEqual(fast, slow, data)
            accepted += fast[0] == "value"
        self.assertGreater(accepted, 2000)

    def test_opcodes_hidden_behind_unicode_do_not_run(self) -> None:
        # UNICODE ('V') reads to the newline, which here is the first byte of a counted
        # string's payload: CPython then runs the GLOBAL and REDUCE the count seemed to cover.
        for snippet in HOSTILE[:2] + HOSTILE[4:11]:
            data = b"\x80\x04]\x94(" + hiding(snippet) + b"e."
            with self.subTest(snippet=snippet):
                self.assertFalse(plain_pickle(data, DEFAULT))
                self.compare(data, {"declined": 0, "taken, value": 0, "taken, error": 0})
        # A V inside an argument is no opcode: such pickles still take the fast path.
        value = {"V": "VVV", "x": [b"V", ord("V"), "a\nV"]}
        self.assertTrue(plain_pickle(pickle.dumps(value, 4), DEFAULT))


def _plain(value: Any, seen: Dict[int, Any]) -> Any:
    """``value`` with tuples, sets and objects turned into lists and strs: what the fast
    path's grammar holds (sharing and cycles kept)."""
    if id(value) in seen:
        return seen[id(value)]
    if isinstance(value, dict):
        out: Any = {}
        seen[id(value)] = out
        for k, v in value.items():
            out[k if isinstance(k, (str, int, float, bytes, type(None))) else repr(k)] = \
                _plain(v, seen)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items: List[Any] = []
        seen[id(value)] = items
        items.extend(_plain(v, seen) for v in value)
        return items
    if value == () or isinstance(value, (str, int, float, bytes, type(None))):
        return value
    return repr(value)


if __name__ == "__main__":
    unittest.main()
