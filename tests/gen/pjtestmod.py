"""A small module of classes whose instances go into the test corpus, and the corpus values.

Class instances exercise the object forms: plain classes (NEWOBJ + BUILD, or
copyreg._reconstructor at protocols 0-1), __slots__, __reduce__ to a function, __getnewargs_ex__
(NEWOBJ_EX), __getnewargs__ (NEWOBJ with args), list/dict subclasses (APPENDS/SETITEMS on the
object), nested classes (getattr(Outer, 'Inner') below protocol 4, a dotted STACK_GLOBAL from 4).

corpus_values() returns (name, value) pairs; every value is built fresh and deterministically
(no randomness; set/frozenset members are ints or other types whose order does not depend on
str hash randomization, except where noted, and that is fine because make_corpus.py describes
the very object it pickles, in the same process).
"""
import collections
import datetime
import decimal
import enum
import functools
import itertools
import struct
import sys
import uuid


# ---- classes ----------------------------------------------------------------------------------

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


class SlottedWithDict:
    """Both __slots__ and a __dict__: state is the pair (dict, slots)."""
    __slots__ = ("a", "__dict__")

    def __init__(self, a, extra):
        self.a = a
        self.extra = extra


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


class WithNewArgs:
    """NEWOBJ with a non-empty argument tuple (protocol 2+)."""

    def __new__(cls, a, b):
        obj = super().__new__(cls)
        obj.total = a + b
        return obj

    def __init__(self, a, b):
        self.parts = (a, b)

    def __getnewargs__(self):
        return self.parts


class TupleState:
    """A __getstate__ that is not a dict: BUILD gets a tuple."""

    def __init__(self, a):
        self.a = a

    def __getstate__(self):
        return (self.a, "v1")

    def __setstate__(self, state):
        self.a = state[0]


class Bag:
    """__reduce__ with all five parts: APPENDS and SETITEMS on a non-container object."""

    def __init__(self):
        self.items = []
        self.mapping = {}

    def __reduce__(self):
        return (Bag, (), {"note": "bag"}, iter(["x", "y"]), iter([("k", 1), ("l", 2)]))


class Tags(list):
    pass


class Registry(dict):
    pass


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 10


class Perm(enum.Flag):
    R = 4
    W = 2
    X = 1


class Outer:
    class Inner:
        def __init__(self, v):
            self.v = v

    class Middle:
        class Deepest:
            pass


def module_function(x):
    return x


# ---- values -----------------------------------------------------------------------------------

def _float_from_bits(hex_bits):
    return struct.unpack(">d", bytes.fromhex(hex_bits))[0]


def _int_ladder():
    """Every int opcode boundary: BININT1 (0..255), BININT2 (..65535), BININT (int32), LONG1
    with a 255-byte payload and LONG4 from 256 bytes, and the protocol-0 INT/LONG cut at int64."""
    values = [0, 1, 2, 255, 256, 65535, 65536, -1, -2, -255, -256, -65535, -65536,
              2**31 - 1, -2**31, 2**31, -2**31 - 1, 2**32, 2**63 - 1, -2**63, 2**63, -2**63 - 1,
              2**64, 2**64 - 1, -2**64, 2**100, -2**100]
    for n in (1, 2, 8, 9, 254, 255, 256, 257):  # payload bytes n: largest/smallest in n bytes
        top = 2**(8 * n - 1)
        values += [top - 1, top, -top, -top - 1]
    return values


def _floats():
    return [0.0, -0.0, 1.0, -1.5, 0.1, 1 / 3, 123456789.125, 1e16, 1e22, 1e23, 1e-5, 1e-7,
            2.5e100, -1.5e-300, 1e300, 1.7976931348623157e308, 2.2250738585072014e-308,
            5e-324, 4.9406564584124654e-322, 9007199254740993.0, 1e15, 123e-20]


def _special_floats():
    return [float("inf"), float("-inf"), float("nan"), -float("nan"),
            _float_from_bits("7ff8000000000001"),  # quiet NaN with a payload
            _float_from_bits("fff80000deadbeef"),  # negative NaN with a payload
            _float_from_bits("7ff0000000000001")]  # signalling NaN


def _text():
    return ["", "a", "caf\u00e9", "\u00ff\u0080", "\u20ac" * 3, "\u4e2d\u6587", "\U0001F600",
            "\U0010FFFF", "\ud800", "\udfff", "\udc80x", "\ud83d\ude00", "a\ud800\udc00b",
            "a'b", 'a"b', "a'\"b", "\\", "\\u0041", "\\x41", "back\\slash\n", "\n", "\r\n",
            "\t", "\x00", "\x1a", "\x7f", "nul\x00inside", "\x00\n\r\x1a\\", "  spaces  ",
            "(V", "I1\n."]


def _text_lengths():
    """SHORT_BINUNICODE holds up to 255 UTF-8 bytes, BINUNICODE more."""
    return ["x" * 255, "y" * 256, "\u00e9" * 127 + "z", "\u00e9" * 128, "\u20ac" * 85,
            "\u20ac" * 86, "\U0001F600" * 63 + "abc", "\U0001F600" * 64]


def _bytes_values():
    return [b"", b"a", b"\x00", bytes(range(256)), b"x" * 255, b"y" * 256, b"\\\n\r'\"",
            b"\x80\xff"]


def _bytearrays():
    return [bytearray(), bytearray(b"abc"), bytearray(range(256)), bytearray(b"q" * 256)]


def _key_kinds():
    """A dict whose keys cover every hashable kind (no two keys equal in Python)."""
    return {None: "none", True: "bool", 7: "int", -3: "negative int", 2**70: "big int",
            2.5: "float", -0.0: "negative zero", float("inf"): "inf", "s": "str", "": "empty str",
            "\u20ac": "non-latin-1 str", b"b": "bytes", b"": "empty bytes", (1, "t"): "tuple",
            (): "empty tuple", ((1,), (2, (3,))): "nested tuple", frozenset({1, 2}): "frozenset",
            frozenset(): "empty frozenset", Point: "class", len: "builtin function",
            module_function: "function", Color.RED: "enum member",
            decimal.Decimal("1.5"): "decimal", complex(0, 1): "complex",
            datetime.date(2020, 2, 29): "date"}


def _containers():
    return {"list": [1, [2, [3]]], "tuple": (1, (2,), ()), "empty": ([], {}, set(), frozenset(), ()),
            "set": {1, 2, 3}, "frozen": frozenset({4, 5}), "mixed set": {None, 1, 2.5, b"b", (1, 2),
                                                                         frozenset({3})}}


def _sized(make, sizes=(999, 1000, 1001, 2000, 2001)):
    return [("%s_%d" % (make.__name__.strip("_"), n), make(n)) for n in sizes]


def _list_(n):
    return list(range(n))


def _dict_(n):
    return {i: -i for i in range(n)}


def _set_(n):
    return set(range(n))


def _frozenset_(n):
    return frozenset(range(n))


def _tuple_cycles():
    """Tuples of length 1-4 reached again through a list while they are being pickled: the
    recursion fallbacks (POP x n + GET, POP_MARK + GET, and protocol 0's POP x (n+1))."""
    out = []
    for n in range(1, 5):
        inner = []
        t = tuple([inner] + list(range(n - 1)))
        inner.append(t)
        out.append(t)
    return out


def _nested(depth, wrap):
    value = "leaf"
    for _ in range(depth):
        value = wrap(value)
    return value


def _graphs():
    shared = [1, 2]
    shared_dict = {"k": shared}
    shared_bytes = bytearray(b"shared")
    cyclic = [0]
    cyclic.append(cyclic)
    cyclic_dict = {}
    cyclic_dict["self"] = cyclic_dict
    a, b = [], []
    a.append(b)
    b.append(a)
    nested_tuple_list = ([],)
    nested_tuple_list[0].append(nested_tuple_list)
    point = Point(1, "two")
    point_cycle = Point(None, None)
    point_cycle.x = point_cycle
    point_cycle.y = [point_cycle]
    left, right = Point(0, None), Point(1, None)
    left.y, right.y = right, left
    holder = Point(None, None)
    held = (holder, "t")
    holder.x = held  # the tuple is reached again through the object's state while it is saved
    odict_cycle = collections.OrderedDict()
    odict_cycle["me"] = odict_cycle
    strs = [str(i) for i in range(300)]  # > 256 memo entries: LONG_BINPUT/LONG_BINGET
    return [
        ("shared", [shared, shared, shared_dict, shared_dict, shared_bytes, shared_bytes]),
        ("cyclic_list", cyclic),
        ("cyclic_dict", cyclic_dict),
        ("mutual_lists", [a, b]),
        ("tuple_cycle", nested_tuple_list),
        ("tuple_cycles_by_length", _tuple_cycles()),
        ("points_shared", [point, point, {"p": point}]),
        ("object_cycle", point_cycle),
        ("object_mutual_cycle", [left, right]),
        ("tuple_object_cycle", held),
        ("odict_cycle", odict_cycle),
        # Instances without __eq__ are distinct keys in CPython however alike their recipes.
        ("alike_instance_keys", {Point(1, "a"): "first", Point(1, "a"): "second"}),
        ("alike_instance_members", [{Empty(), Empty()}, frozenset({(Empty(), 1), (Empty(), 1)})]),
        ("memo_over_256", [strs, list(reversed(strs)), strs]),
        ("deep_lists", _nested(500, lambda v: [v])),
        ("deep_tuples", _nested(300, lambda v: (v,))),
        ("deep_dicts", _nested(300, lambda v: {"d": v})),
        ("deep_mixed", _nested(170, lambda v: [({"k": v},)])),  # ~500 levels of containers
    ]


def _objects():
    return [
        ("point", Point(1, "two")),
        ("empty_instance", Empty()),
        ("slotted", Slotted(1, [2])),
        ("slotted_with_dict", SlottedWithDict(1, "extra")),
        ("widget", Widget("w", 3)),
        ("kwonly", KwOnly(key="k")),
        ("with_newargs", WithNewArgs(2, 3)),
        ("tuple_state", TupleState([1])),
        ("bag", Bag()),
        ("tags", Tags(["x", "y"])),
        ("tags_with_attr", _with_attr(Tags([1, 2]), "label", "t")),
        ("registry", Registry(a=1, b=[2])),
        ("registry_with_attr", _with_attr(Registry(z=0), "owner", "me")),
        ("enum", [Color.RED, Color.GREEN, Color.RED, Level.HIGH, Perm.R | Perm.W, Perm.X]),
        ("nested_class", Outer.Inner(5)),
        ("nested_classes_shared", [Outer.Inner(1), Outer.Inner(2), Outer.Middle.Deepest()]),
        ("nested_class_refs", [Outer.Inner, Outer.Middle.Deepest, Outer.Inner]),
        ("globals", [len, Point, collections.OrderedDict, module_function, Color, type(None),
                     NotImplemented, Ellipsis]),
        ("exceptions", [ValueError("bad", 1), KeyError("k"), _with_attr(RuntimeError(), "note", 1)]),
        ("range", [range(5), range(1, 10, 3)]),
        ("partial", functools.partial(module_function, 1)),
    ]


def _with_attr(obj, name, value):
    setattr(obj, name, value)
    return obj


def _stdlib():
    ist = datetime.timezone(datetime.timedelta(hours=5, minutes=30), "IST")
    return [
        ("datetime", [datetime.datetime(2024, 5, 6, 7, 8, 9, 10), datetime.date(2020, 1, 2),
                      datetime.time(1, 2, 3, 4), datetime.timedelta(days=1, seconds=2),
                      datetime.timedelta(days=-3, microseconds=7), datetime.datetime.min,
                      datetime.datetime.max]),
        ("datetime_tz", [datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc),
                         datetime.datetime(2001, 2, 3, tzinfo=ist),
                         datetime.datetime(2021, 11, 7, 1, 30, fold=1),
                         datetime.time(12, 0, tzinfo=ist), datetime.timezone.utc,
                         datetime.timezone(-datetime.timedelta(hours=8))]),
        ("decimal", [decimal.Decimal("1.50"), decimal.Decimal("-0"), decimal.Decimal("NaN"),
                     decimal.Decimal("-Infinity"), decimal.Decimal("1E+100")]),
        ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
        ("complex", [complex(1, 2), complex(-0.0, float("inf")), 3j]),
        ("defaultdict", collections.defaultdict(list, {"a": [1]})),
        ("defaultdict_no_factory", collections.defaultdict(None, {1: 2})),
        ("counter_and_deque", [collections.Counter("abracadabra"), collections.deque([1, 2], maxlen=5)]),
        ("ordered_dict", collections.OrderedDict([("b", 1), ("a", 2)])),
        ("ordered_dict_nested", collections.OrderedDict(
            [("inner", collections.OrderedDict([("x", collections.OrderedDict())])),
             ("list", [collections.OrderedDict([(1, 2)])])])),
        ("ordered_dict_empty", collections.OrderedDict()),
        ("ordered_dict_with_attributes", _odict_with_attributes()),
    ]


def _odict_with_attributes():
    od = collections.OrderedDict(a=1)
    od.note = "an attribute"  # pickled as BUILD on the OrderedDict
    return od


def _compat_globals():
    """Names that protocols 0-2 write under their Python 2 names (_compat_pickle), which the
    decoder maps back."""
    return [("py2_names", [range, str, int, ValueError, OSError, StopIteration, functools.reduce,
                           collections.UserDict, collections.UserList, itertools.zip_longest,
                           itertools.filterfalse, sys.intern, chr, bytearray, set, frozenset,
                           object, dict, list, zip, map, filter])]


def _framing():
    """Protocol 4+ frames: a payload over 64 KiB in many frames, and str/bytes of at least
    64 KiB written outside any frame."""
    return [
        ("frames_many", ["%04d" % i + "f" * 96 for i in range(680)]),  # 68 KB of small strs
        ("frames_big_str", ["head", "s" * 70000, "tail"]),
        ("frames_boundary", ["u" * 65535, b"\x00" + b"v" * 65535]),  # framed, then unframed
        ("frames_big_bytearray", bytearray(b"\x01" + b"a" * 69999)),
    ]


def corpus_values():
    cases = [
        ("none", None),
        ("bools", [True, False]),
        ("true", True),
        ("small_int", 5),
        ("int_ladder", _int_ladder()),
        ("int_huge", [2**14000, -3**8800]),  # just under the 4300 digits of int <-> str
        ("floats", _floats()),
        ("float_specials", _special_floats()),
        ("float_alone", 2.5),
        ("strings", _text()),
        ("string_lengths", _text_lengths()),
        ("str_alone", "alone"),
        ("bytes_values", _bytes_values()),
        ("bytearrays", _bytearrays()),
        ("key_kinds", _key_kinds()),
        ("containers", _containers()),
        ("tuples_sizes", [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((),)]),
        ("empty_list", []),
        ("empty_dict", {}),
        ("empty_set", set()),
        ("empty_frozenset", frozenset()),
        ("empty_tuple", ()),
        ("single_item", [[1], {1: 2}, {3}]),
    ]
    cases += _sized(_list_) + _sized(_dict_) + _sized(_set_) + _sized(_frozenset_, (1000, 2001))
    cases += _graphs() + _objects() + _stdlib() + _compat_globals() + _framing()
    return cases
