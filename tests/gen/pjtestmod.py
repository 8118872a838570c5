"""A small module of classes whose instances go into the test corpus, and the corpus values.

Class instances exercise the object forms: plain classes (NEWOBJ + BUILD, or
copyreg._reconstructor at protocols 0-1), __slots__, __reduce__ to a function, __getnewargs_ex__
(NEWOBJ_EX), list/dict subclasses (APPENDS/SETITEMS on the object).
"""
import collections
import datetime
import decimal
import enum
import uuid


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


class Empty:
    pass


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b


def make_widget(name, size):
    return Widget(name, size)


class Widget:
    def __init__(self, name, size):
        self.name = name
        self.size = size

    def __reduce__(self):
        return (make_widget, (self.name, self.size))


class KwOnly:
    def __new__(cls, *, key):
        obj = super().__new__(cls)
        obj.key = key
        return obj

    def __getnewargs_ex__(self):
        return (), {"key": self.key}


class Tags(list):
    pass


class Registry(dict):
    pass


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Outer:
    class Inner:
        def __init__(self, v):
            self.v = v


def _int_boundaries():
    values = [0, 1, 255, 256, 65535, 65536, -1, -255, -256, -65535, -65536,
              2**31 - 1, -2**31, 2**31, -2**31 - 1, 2**63 - 1, -2**63, 2**63, -2**63 - 1,
              2**64, 2**64 - 1, -2**64]
    for bits in (8 * 254, 8 * 255, 8 * 256, 8 * 257):
        values += [2**bits - 1, 2**bits, -2**bits, -2**bits - 1]
    return values


def corpus_values():
    shared = [1, 2]
    cyclic = [0]
    cyclic.append(cyclic)
    cyclic_dict = {}
    cyclic_dict["self"] = cyclic_dict
    nested_tuple_list = ([],)
    nested_tuple_list[0].append(nested_tuple_list)
    point = Point(1, "two")
    return [
        ("none", None),
        ("bools", [True, False]),
        ("int_boundaries", _int_boundaries()),
        ("floats", [0.0, -0.0, 1.5, 1e16, 1e-5, 1e300, 5e-324, float("inf"), float("-inf"),
                    float("nan"), 0.1, 123456789.125]),
        ("strings", ["", "a", "caf\u00e9", "\u20ac" * 3, "\U0001F600", "\ud800", "\udc80x",
                     "a'b", 'a"b', "a'\"b", "\\", "\n\r\t\x00\x1a", "x" * 255, "y" * 256]),
        ("bytes_values", [b"", b"a", bytes(range(256)), b"x" * 255, b"y" * 256]),
        ("bytearrays", [bytearray(), bytearray(b"abc"), bytearray(range(256))]),
        ("containers", {"list": [1, [2, [3]]], "tuple": (1, (2,), ()), "empty": ([], {}, set()),
                        "set": {1, 2, 3}, "frozen": frozenset({"a"}), 1: "int key",
                        (1, 2): "tuple key", None: "none key", 2.5: "float key",
                        b"k": "bytes key", frozenset({1}): "frozenset key"}),
        ("tuples_sizes", [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)]),
        ("big_list", list(range(2500))),
        ("list_1001", list(range(1001))),
        ("dict_1000", {i: str(i) for i in range(1000)}),
        ("set_1000", set(range(1000))),
        ("shared", [shared, shared, {"again": shared}]),
        ("cyclic_list", cyclic),
        ("cyclic_dict", cyclic_dict),
        ("tuple_cycle", nested_tuple_list),
        ("ordered_dict", collections.OrderedDict([("b", 1), ("a", 2)])),
        ("point", point),
        ("points_shared", [point, point]),
        ("empty_instance", Empty()),
        ("slotted", Slotted(1, [2])),
        ("widget", Widget("w", 3)),
        ("kwonly", KwOnly(key="k")),
        ("tags", Tags(["x", "y"])),
        ("registry", Registry(a=1)),
        ("enum", [Color.RED, Color.GREEN, Color.RED]),
        ("nested_class", Outer.Inner(5)),
        ("globals", [len, Point, collections.OrderedDict]),
        ("datetime", [datetime.datetime(2024, 5, 6, 7, 8, 9, 10), datetime.date(2020, 1, 2),
                      datetime.timedelta(days=1, seconds=2)]),
        ("decimal", decimal.Decimal("1.50")),
        ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
        ("complex", complex(1, 2)),
        ("defaultdict", collections.defaultdict(list, {"a": [1]})),
    ]
