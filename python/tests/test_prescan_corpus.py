"""The pre-scan against CPython's picklers: every pickle pickle.dumps (C) and pickle._dumps
(pure Python) write at protocols 0-5 for the package's value kinds — generated nested
containers, big ints, long strs and bytes, shared references, cycles, datetimes, Decimals,
UUIDs, OrderedDicts, sets, and registered classes of every pickling shape — and the same
pickles after pickletools.optimize, pass the pre-scan and load equal to pickle.loads."""

from __future__ import annotations

import collections
import datetime
import decimal
import enum
import pickle
import pickletools
import random
import unittest
import uuid
from typing import Any, List

import picklejar
from picklejar._prescan_ops import prescan
from picklejar._safe_pickle import Allowlist


class Plain:
    def __init__(self, a: Any = None, b: Any = None) -> None:
        self.a, self.b = a, b

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}{vars(self)}"


class Slotted:
    __slots__ = ("x", "y")

    def __init__(self, x: Any = 0, y: Any = 0) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return type(other) is Slotted and (self.x, self.y) == (other.x, other.y)

    def __repr__(self) -> str:
        return f"Slotted({self.x!r}, {self.y!r})"


class WithNewArgs(Plain):
    def __new__(cls, a: Any = None, b: Any = None):  # type: ignore[no-untyped-def]
        return super().__new__(cls)

    def __getnewargs__(self):  # type: ignore[no-untyped-def]
        return (self.a, self.b)


class WithNewArgsEx(Plain):
    def __new__(cls, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        return super().__new__(cls)

    def __getnewargs_ex__(self):  # type: ignore[no-untyped-def]
        return (self.a,), {"b": self.b}


class WithState(Plain):
    def __getstate__(self):  # type: ignore[no-untyped-def]
        return (self.a, self.b)

    def __setstate__(self, state) -> None:  # type: ignore[no-untyped-def]
        self.a, self.b = state


class Reduces(Plain):
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return Reduces, (self.a,), {"b": self.b}, iter([1, 2]), iter([("k", "v")])

    def append(self, item: Any) -> None:
        self.__dict__.setdefault("items", []).append(item)

    def extend(self, items: Any) -> None:
        self.__dict__.setdefault("items", []).extend(items)

    def __setitem__(self, key: Any, value: Any) -> None:
        self.__dict__.setdefault("mapping", {})[key] = value


class MyDict(dict):
    pass


class MyList(list):
    pass


class MySet(set):
    pass


class MyFrozen(frozenset):
    pass


class MyInt(int):
    pass


class MyStr(str):
    pass


class MyTuple(tuple):
    pass


class MyBytes(bytes):
    pass


class MyError(Exception):
    pass


class Outer:
    class Inner(Plain):
        pass


CLASSES = [Plain, Slotted, WithNewArgs, WithNewArgsEx, WithState, Reduces, MyDict, MyList,
           MySet, MyFrozen, MyInt, MyStr, MyTuple, MyBytes, MyError, Outer.Inner]


def registered_values() -> List[Any]:
    d = MyDict(a=1)
    d.attr = [2]  # type: ignore[attr-defined]
    lst = MyList([1, 2])
    lst.attr = "x"  # type: ignore[attr-defined]
    return [
        Plain(1, [2, 3]), Slotted("x", (1,)), WithNewArgs(5, "s"),
        WithState({1: 2}, None), Reduces("r", 2), d, lst, MySet({1, 2}), MyFrozen({3}),
        MyInt(7), MyStr("s"), MyTuple((1, (2,))), MyBytes(b"\x00\xff"),
        MyError("boom", 3), Outer.Inner(1, 2), Plain, MyList, [Plain(0, None)] * 3,
    ]


class Generator:
    """Seeded random values of the package's kinds, with sharing and cycles."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def scalar(self) -> Any:
        r = self.rng
        return r.choice([
            lambda: r.randrange(-300, 300),
            lambda: r.getrandbits(r.choice([31, 32, 63, 64, 65, 200, 3000])) * r.choice([1, -1]),
            lambda: r.random() * 10 ** r.randrange(-5, 300),
            lambda: "".join(chr(r.choice([65, 0xE9, 0x263A, 0x1F600, 10, 92, 0xD800]))
                            for _ in range(r.randrange(0, 30))),
            lambda: bytes(r.getrandbits(8) for _ in range(r.randrange(0, 30))),
            lambda: r.choice([None, True, False, float("nan"), float("-inf"), -0.0]),
            lambda: datetime.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=r.choice([
                None, datetime.timezone.utc,
                datetime.timezone(datetime.timedelta(hours=3), "X")])),
            lambda: r.choice([datetime.date(2021, 5, 6), datetime.time(1, 2, 3, 4),
                              datetime.timedelta(days=-3, seconds=5)]),
            lambda: decimal.Decimal(r.choice(["1.5", "-0", "NaN", "1E+999", "-Infinity"])),
            lambda: uuid.UUID(int=r.getrandbits(128)),
            lambda: complex(r.random(), -r.random()),
            lambda: bytearray(r.getrandbits(8) for _ in range(r.randrange(0, 20))),
            lambda: r.choice([range(3), range(-5, 10 ** 20, 7), slice(1, None, 2), Ellipsis,
                              NotImplemented, int, dict, collections.OrderedDict]),
            lambda: r.choice(["x" * 255, "y" * 256, b"z" * 256, "w" * 70000, b"v" * 70000]),
        ])()

    def key(self, depth: int) -> Any:
        if depth <= 0 or self.rng.random() < 0.5:
            value = self.scalar()
            try:
                hash(value)
                return value
            except TypeError:
                return depth
        kind = self.rng.choice([tuple, frozenset])
        return kind(self.key(depth - 1) for _ in range(self.rng.randrange(0, 4)))

    def value(self, depth: int, shared: List[Any]) -> Any:
        r = self.rng
        if depth <= 0:
            return self.scalar()
        n = r.choice([0, 1, 2, 3, 5]) if depth > 1 else r.choice([0, 1, 3, 1001])
        choice = r.randrange(8)
        if choice == 0:
            value: Any = [self.value(depth - 1, shared) for _ in range(n)]
        elif choice == 1:
            value = tuple(self.value(depth - 1, shared) for _ in range(n))
        elif choice == 2:
            value = {self.key(2): self.value(depth - 1, shared) for _ in range(n)}
        elif choice == 3:
            value = {self.key(2) for _ in range(n)}
        elif choice == 4:
            value = frozenset(self.key(2) for _ in range(n))
        elif choice == 5:
            value = collections.OrderedDict((self.key(1), self.value(depth - 1, shared))
                                            for _ in range(n))
        elif choice == 6 and shared:
            value = r.choice(shared)
        else:
            value = self.scalar()
        if r.random() < 0.3:
            shared.append(value)
        return value

    def values(self, count: int) -> List[Any]:
        out = []
        for _ in range(count):
            value = self.value(self.rng.randrange(1, 5), [])
            if isinstance(value, list) and self.rng.random() < 0.3:
                value.append(value)  # a cycle
            if isinstance(value, dict) and self.rng.random() < 0.3:
                value["self"] = value
            out.append(value)
        return out


def special_values() -> List[Any]:
    deep: Any = []
    for _ in range(300):
        deep = [deep]
    shared = ["shared"]
    return [deep, 10 ** 4000, -(2 ** 100000), "y" * 200000, b"z" * 200000, bytearray(70000),
            set(range(3000)), frozenset(range(1500)), {i: [i] for i in range(2500)},
            list(range(2500)), [shared, shared, (shared, shared)], {(1, 2): (1, 2)}]


_ATOMS = (type(None), bool, int, str, bytes, range, slice, datetime.date, datetime.time,
          datetime.timedelta, datetime.tzinfo, decimal.Decimal, uuid.UUID, type(Ellipsis),
          type(NotImplemented), enum.Enum)


def canon(x: Any, memo: Any = None) -> Any:
    """A comparable description of a loaded value: its types, contents and sharing (as
    references to the first visit), with NaNs equal and set members in a fixed order."""
    memo = {} if memo is None else memo
    if id(x) in memo:
        return ("@", memo[id(x)])
    t = type(x)
    if t is float:
        return ("float", repr(x) if x == x else "nan")
    if t is complex:
        return ("complex", canon(x.real, memo), canon(x.imag, memo))
    if t is int:
        return ("int", hex(x))
    if t in _ATOMS or isinstance(x, type) or (isinstance(x, _ATOMS) and not hasattr(x, "__dict__")):
        return (t.__qualname__, repr(x))
    memo[id(x)] = len(memo)
    parts: List[Any] = [t.__qualname__]
    if isinstance(x, (list, tuple)):
        parts.append(tuple(canon(item, memo) for item in x))
    elif isinstance(x, (set, frozenset)):  # members and keys are hashable: no cycles to track
        parts.append(tuple(sorted((canon(item, {}) for item in x), key=repr)))
    elif isinstance(x, dict):
        parts.append(tuple((canon(k, {}), canon(v, memo)) for k, v in x.items()))
    elif isinstance(x, int):
        parts.append(hex(x))
    elif isinstance(x, (bytearray, str, bytes)):
        parts.append(repr(x))
    elif isinstance(x, BaseException):
        parts.append(canon(x.args, memo))
    if hasattr(x, "__dict__"):
        parts.append(canon(vars(x), memo))
    elif hasattr(t, "__slots__"):
        parts.append(tuple(canon(getattr(x, name, None), memo) for name in t.__slots__))
    return tuple(parts)


class CorpusTest(unittest.TestCase):
    def check(self, values: List[Any], classes: List[Any] = (), min_protocol: int = 0,
              picklers: Any = (pickle.dumps, pickle._dumps)) -> int:  # type: ignore
        """Pickles each value at each protocol with each pickler (also optimized, when small);
        returns how many pickles passed."""
        allowlist = Allowlist(classes)
        checked = 0
        for i, value in enumerate(values):
            label = repr(canon(value))[:80]
            for protocol in range(min_protocol, 6):
                for dumps in picklers:
                    try:
                        data = dumps(value, protocol)
                    except (ValueError, TypeError, RecursionError, pickle.PicklingError):
                        continue  # not picklable at this protocol (by CPython itself)
                    variants = [data] if len(data) > 20000 else [data, pickletools.optimize(data)]
                    for variant in variants:
                        with self.subTest(i=i, protocol=protocol, pickler=dumps.__name__,
                                          value=label):
                            prescan(variant, allowlist)
                            back = picklejar.safe_loads(variant, classes=classes)
                            self.assertEqual(canon(back), canon(pickle.loads(variant)))
                            checked += 1
        return checked

    def test_generated_values(self) -> None:
        self.assertGreater(self.check(Generator(14).values(40)), 800)

    def test_special_values(self) -> None:
        self.assertGreater(self.check(special_values(), picklers=(pickle.dumps,)), 50)

    def test_registered_classes(self) -> None:
        self.assertGreater(self.check(registered_values(), CLASSES), 400)
        # __getnewargs_ex__ below protocol 4 is written as functools.partial(cls.__new__, ...):
        # a global outside the allowlist, refused as ever.
        self.assertGreater(self.check([WithNewArgsEx(1, 2)], CLASSES, min_protocol=4), 3)
        with self.assertRaises(picklejar.ForbiddenGlobal) as caught:
            prescan(pickle.dumps(WithNewArgsEx(1, 2), 2), Allowlist(CLASSES))
        self.assertEqual(caught.exception.global_name, "functools.partial")

if __name__ == "__main__":
    unittest.main()
