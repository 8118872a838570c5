"""The allowlisted callables are called only in the forms CPython's pickler writes: every
entry of the default allowlist loads as CPython writes it at protocols 0-5, and other
argument forms are refused (ForbiddenGlobal naming the global, with offset and opcode)
before anything runs. BUILD and items on objects follow pickle's order: items, then one
BUILD."""

from __future__ import annotations

import collections
import copyreg
import datetime
import decimal
import pathlib
import pickle
import unittest
import uuid

import picklejar
from picklejar import DecodeError, ForbiddenGlobal
from picklejar._safe_pickle import DEFAULT_ALLOWED

MODULE = __name__.encode()
CALLS = []  # what record() was called with


def record(*args):  # registered as a function pickles may call
    CALLS.append(args)
    return len(CALLS)


class Box:
    """A registered class."""


class Bag(list):
    """A registered list subclass."""


class ViaNewobj:
    """Pickles itself through copyreg.__newobj__ at every protocol (a REDUCE below 2)."""

    def __init__(self, v: int = 0) -> None:
        self.v = v

    def __reduce_ex__(self, protocol: int):
        return copyreg.__newobj__, (type(self),), self.__dict__

    def __eq__(self, other: object) -> bool:
        return type(other) is ViaNewobj and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"ViaNewobj({self.v})"


REGISTERED = [record, Box, Bag, ViaNewobj]

# One value per default allowlist entry, whose pickle (at some protocol) uses that entry.
EXERCISES = {
    ("builtins", "object"): object, ("builtins", "set"): {1, "a"},
    ("builtins", "frozenset"): frozenset({(1, 2)}), ("builtins", "bytearray"): bytearray(b"ab"),
    ("builtins", "bytes"): b"", ("builtins", "complex"): complex(1.5, -2),
    ("builtins", "list"): list, ("builtins", "dict"): dict, ("builtins", "tuple"): tuple,
    ("builtins", "str"): str, ("builtins", "int"): int, ("builtins", "float"): float,
    ("builtins", "bool"): bool, ("builtins", "range"): range(-3, 10 ** 30, 7),
    ("builtins", "slice"): slice(1, None, (2, 3)), ("builtins", "Ellipsis"): Ellipsis,
    ("builtins", "NotImplemented"): NotImplemented, ("_codecs", "encode"): b"\x00\xffx",
    ("copyreg", "_reconstructor"): uuid.UUID(int=5), ("copyreg", "__newobj__"): ViaNewobj(3),
    ("datetime", "date"): datetime.date(2024, 2, 29),
    ("datetime", "time"): datetime.time(1, 2, 3, 4, tzinfo=datetime.timezone.utc, fold=1),
    ("datetime", "datetime"): datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone(
        datetime.timedelta(hours=-3, minutes=-30), "NST")),
    ("datetime", "timedelta"): datetime.timedelta(days=-5, seconds=3, microseconds=9),
    ("datetime", "timezone"): datetime.timezone.min,
    ("decimal", "Decimal"): decimal.Decimal("-1.23E+400"), ("uuid", "UUID"): uuid.uuid4(),
    ("collections", "OrderedDict"): collections.OrderedDict([(1, [2]), ("b", None)]),
    ("pathlib", "PurePosixPath"): pathlib.PurePosixPath("/a/b"),
    ("pathlib", "PureWindowsPath"): pathlib.PureWindowsPath("c:/x/y"),
    ("pathlib", "PosixPath"): pathlib.PosixPath("/home/ada/notes.txt"),
}
try:
    import zoneinfo

    EXERCISES[("zoneinfo", "ZoneInfo._unpickle")] = [
        datetime.datetime(2024, 10, 27, 2, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"), fold=1),
        zoneinfo.ZoneInfo.no_cache("UTC")]
except ImportError:  # Python 3.8
    pass

# Entries this interpreter's pickler cannot write (a path of the other OS, Python 3.13's
# module name): the pickle CPython writes for them, and what it loads as here.
HAND_MADE = {
    ("pathlib", "WindowsPath"): b"\x80\x04\x8c\x07pathlib\x8c\x0bWindowsPath\x93\x8c\x03c:\\"
                                b"\x85R.",
    **{("pathlib._local", name): b"\x8c\x0epathlib._local\x8c" + bytes([len(name)])
       + name.encode() + b"\x93\x8c\x02/a\x85R." for name in
       ("PurePosixPath", "PureWindowsPath", "PosixPath", "WindowsPath")},
}


def loads(data: bytes):
    return picklejar.safe_loads(data, classes=REGISTERED)


def scanned_loads(data: bytes):
    """The pre-scan alone must accept ``data``; then it loads as safe_loads loads it."""
    from picklejar._prescan_ops import prescan
    from picklejar._safe_pickle import Allowlist

    prescan(data, Allowlist(REGISTERED))
    return loads(data)


class AcceptedFormsTest(unittest.TestCase):
    def test_every_allowlist_entry_is_exercised(self) -> None:
        self.assertEqual(set(EXERCISES) | set(HAND_MADE), set(DEFAULT_ALLOWED))

    def test_hand_made_forms_pass_the_pre_scan(self) -> None:
        from picklejar._prescan_ops import prescan
        from picklejar._safe_pickle import Allowlist

        for key, data in HAND_MADE.items():
            with self.subTest(key):
                prescan(data, Allowlist())
                if key[1] in ("PurePosixPath", "PureWindowsPath"):  # loads on any OS
                    self.assertEqual(loads(data), getattr(pathlib, key[1])("/a"))

    def test_cpython_forms_load_at_every_protocol(self) -> None:
        for key, value in EXERCISES.items():
            for protocol in range(6):
                for dumps in (pickle.dumps, pickle._dumps):  # type: ignore[attr-defined]
                    with self.subTest(key, protocol=protocol, pickler=dumps.__name__):
                        data = dumps(value, protocol)
                        self.assertEqual(repr(scanned_loads(data)), repr(pickle.loads(data)))

    def test_python_2_forms_load(self) -> None:
        for data in (
            b"ccollections\nOrderedDict\n((lp0\n(lp1\nS'a'\np2\naI1\naa(lp3\nI2\naI3\naatRp4\n.",
            b"c__builtin__\nbytearray\n(V\xe9\nS'latin-1'\ntR.",
            b"c__builtin__\nset\n((lp0\nI1\naL2L\natR.",
            b"c__builtin__\nxrange\n(I0\nI5\nI1\ntR.",
            b"ccopy_reg\n_reconstructor\n(cuuid\nUUID\nc__builtin__\nobject\nNtR(dS'int'\nL5L\nsb.",
            b"cdecimal\nDecimal\n(S'1.5'\ntR.",
            b"cdatetime\ndate\n(U\x04\x07l\x02\x03tR.",  # 1900-02-03: an ASCII state
            b"(I01\nI00\nF1.5\nS'x\\n'\nT\x01\x00\x00\x00yU\x01zl.",
        ):
            with self.subTest(data):
                self.assertEqual(repr(scanned_loads(data)), repr(pickle.loads(data)))

    def test_registered_callables_take_any_arguments(self) -> None:
        CALLS.clear()
        data = b"c" + MODULE + b"\nrecord\n(I1\nVtwo\n(ltR."
        self.assertEqual(scanned_loads(data), 1)
        self.assertEqual(CALLS, [(1, "two", [])])


REFUSED = {
    # name: (pickle, the global refused)
    "object()": (b"cbuiltins\nobject\n)R.", "builtins.object"),
    "set((1, 2))": (b"cbuiltins\nset\nK\x01K\x02\x86\x85R.", "builtins.set"),
    "set()": (b"cbuiltins\nset\n)R.", "builtins.set"),
    "frozenset('ab')": (b"cbuiltins\nfrozenset\n(Vab\ntR.", "builtins.frozenset"),
    "bytearray(16)": (b"cbuiltins\nbytearray\n(K\x10tR.", "builtins.bytearray"),
    "bytearray('x', 'bz2_codec')": (b"cbuiltins\nbytearray\n(Vx\nVbz2_codec\ntR.",
                                    "builtins.bytearray"),
    "bytearray(b'x', 'latin1')": (b"cbuiltins\nbytearray\n(C\x01xVlatin1\ntR.",
                                  "builtins.bytearray"),
    "bytes(16)": (b"cbuiltins\nbytes\n(K\x10tR.", "builtins.bytes"),
    "bytes('x', 'bz2_codec')": (b"cbuiltins\nbytes\n(Vx\nVbz2_codec\ntR.", "builtins.bytes"),
    "bytes(b'x')": (b"cbuiltins\nbytes\n(C\x01xtR.", "builtins.bytes"),
    "complex('1+2j')": (b"cbuiltins\ncomplex\n(V1+2j\ntR.", "builtins.complex"),
    "list('ab')": (b"cbuiltins\nlist\n(Vab\ntR.", "builtins.list"),
    "dict()": (b"cbuiltins\ndict\n)R.", "builtins.dict"),
    "tuple('ab')": (b"cbuiltins\ntuple\n(Vab\ntR.", "builtins.tuple"),
    "str(b'x', 'bz2_codec')": (b"cbuiltins\nstr\n(C\x01xVbz2_codec\ntR.", "builtins.str"),
    "int('9' * 4000)": (b"cbuiltins\nint\n(V" + b"9" * 4000 + b"\ntR.", "builtins.int"),
    "float('1e5')": (b"cbuiltins\nfloat\n(V1e5\ntR.", "builtins.float"),
    "bool(1)": (b"cbuiltins\nbool\n(K\x01tR.", "builtins.bool"),
    "range(10)": (b"cbuiltins\nrange\n(K\x0atR.", "builtins.range"),
    "range(0.5, 1, 1)": (b"cbuiltins\nrange\n(F0.5\nK\x01K\x01tR.", "builtins.range"),
    "slice(1)": (b"cbuiltins\nslice\n(K\x01tR.", "builtins.slice"),
    "Ellipsis()": (b"cbuiltins\nEllipsis\n)R.", "builtins.Ellipsis"),
    "NotImplemented()": (b"cbuiltins\nNotImplemented\n)R.", "builtins.NotImplemented"),
    "_codecs.encode('x', 'rot13')": (b"c_codecs\nencode\n(Vx\nVrot13\ntR.", "_codecs.encode"),
    "_codecs.encode('x', 'latin1', 'strict')": (b"c_codecs\nencode\n(Vx\nVlatin1\nVstrict\ntR.",
                                                "_codecs.encode"),
    "_codecs.encode(b'x', 'latin1')": (b"c_codecs\nencode\n(C\x01xVlatin1\ntR.",
                                       "_codecs.encode"),
    "_reconstructor(bytearray, bytearray, 16)": (
        b"ccopyreg\n_reconstructor\n(cbuiltins\nbytearray\ncbuiltins\nbytearray\nK\x10tR.",
        "copyreg._reconstructor"),
    "_reconstructor(object, object, 5)": (
        b"ccopyreg\n_reconstructor\n(cbuiltins\nobject\ncbuiltins\nobject\nK\x05tR.",
        "copyreg._reconstructor"),
    "_reconstructor(OrderedDict, dict, {})": (
        b"ccopyreg\n_reconstructor\n(ccollections\nOrderedDict\ncbuiltins\ndict\n}tR.",
        "copyreg._reconstructor"),
    "_reconstructor(Bag, list, 16)": (
        b"ccopyreg\n_reconstructor\n(c" + MODULE + b"\nBag\ncbuiltins\nlist\nK\x10tR.",
        "copyreg._reconstructor"),
    "__newobj__(bytes, 16)": (b"ccopyreg\n__newobj__\n(cbuiltins\nbytes\nK\x10tR.",
                              "builtins.bytes"),
    "NEWOBJ bytes(16)": (b"\x80\x02cbuiltins\nbytes\nK\x10\x85\x81.", "builtins.bytes"),
    "NEWOBJ tuple(range(5))": (b"\x80\x02cbuiltins\ntuple\ncbuiltins\nrange\nK\x00K\x05K\x01"
                               b"\x87R\x85\x81.", "builtins.tuple"),
    "NEWOBJ object(1)": (b"\x80\x02cbuiltins\nobject\nK\x01\x85\x81.", "builtins.object"),
    "NEWOBJ_EX object()": (b"\x80\x04cbuiltins\nobject\n)}\x92.", "builtins.object"),
    "INST bytearray(16)": (b"(K\x10ibuiltins\nbytearray\n.", "builtins.bytearray"),
    "OBJ bytearray(16)": (b"(cbuiltins\nbytearray\nK\x10o.", "builtins.bytearray"),
    "date(2024, 3, 14)": (b"cdatetime\ndate\n(M\xe8\x07K\x03K\x0etR.", "datetime.date"),
    "date(b'1234567')": (b"cdatetime\ndate\n(C\x071234567tR.", "datetime.date"),
    "datetime(state, 5)": (b"cdatetime\ndatetime\n(C\n\x07\xe8\x01\x01\x00\x00\x00\x00\x00\x00"
                           b"K\x05tR.", "datetime.datetime"),
    "time(state, 'x')": (b"cdatetime\ntime\n(C\x06\x00\x00\x00\x00\x00\x00Vx\ntR.",
                         "datetime.time"),
    "timedelta(1.5, 0, 0)": (b"cdatetime\ntimedelta\n(F1.5\nK\x00K\x00tR.",
                             "datetime.timedelta"),
    "timezone(5)": (b"cdatetime\ntimezone\n(K\x05tR.", "datetime.timezone"),
    "Decimal(5)": (b"cdecimal\nDecimal\n(K\x05tR.", "decimal.Decimal"),
    "Decimal('1', 2)": (b"cdecimal\nDecimal\n(V1\nK\x02tR.", "decimal.Decimal"),
    "UUID('...')": (b"cuuid\nUUID\n(V12345678123456781234567812345678\ntR.", "uuid.UUID"),
    "OrderedDict({'a': 1})": (b"ccollections\nOrderedDict\n(}Va\nK\x01stR.",
                              "collections.OrderedDict"),
    "OrderedDict([1, 2])": (b"ccollections\nOrderedDict\n((K\x01K\x02ltR.",
                            "collections.OrderedDict"),
    "PurePosixPath(16)": (b"cpathlib\nPurePosixPath\n(K\x10tR.", "pathlib.PurePosixPath"),
    "ZoneInfo._unpickle('UTC', 5)": (b"czoneinfo\nZoneInfo._unpickle\n(VUTC\nK\x05tR.",
                                     "zoneinfo.ZoneInfo._unpickle"),
    "ZoneInfo._unpickle(b'UTC', 1)": (b"czoneinfo\nZoneInfo._unpickle\n(C\x03UTCK\x01tR.",
                                      "zoneinfo.ZoneInfo._unpickle"),
    "getattr(int, 'from_bytes')": (b"cbuiltins\ngetattr\n(cbuiltins\nint\nVfrom_bytes\ntR.",
                                   "builtins.int.from_bytes"),
    "getattr(uuid.UUID, 'int', None)": (b"cbuiltins\ngetattr\n(cuuid\nUUID\nVint\nNtR.",
                                        "builtins.getattr"),
}


class RefusedFormsTest(unittest.TestCase):
    def test_each_is_refused_naming_the_global(self) -> None:
        for name, (data, global_name) in REFUSED.items():
            with self.subTest(name), self.assertRaises(ForbiddenGlobal) as caught:
                loads(data)
            self.assertEqual(caught.exception.global_name, global_name, name)
            self.assertIsInstance(caught.exception.offset, int, name)
            self.assertIn(" at offset ", str(caught.exception))

    def test_a_refused_name_is_shown_escaped_and_bounded(self) -> None:
        for data, module, shown in (
            (b"cos\x1b]0;title\x07\nsystem\n.", "os\x1b]0;title\x07",
             "'os\\x1b]0;title\\x07.system'"),
            (b"c" + b"m" * 100000 + b"\nsystem\n.", "m" * 100000, "... (100000 characters)"),
        ):
            with self.subTest(module[:10]), self.assertRaises(ForbiddenGlobal) as caught:
                loads(data)
            self.assertEqual(caught.exception.module, module)
            self.assertIn(shown, str(caught.exception))
            self.assertLess(len(str(caught.exception)), 500)
            self.assertNotIn("\x1b", str(caught.exception))

    def test_nothing_runs_before_the_refusal(self) -> None:
        """A registered call before the refused one would run first if pickle ran at all."""
        CALLS.clear()
        for name, (data, global_name) in REFUSED.items():
            if data.startswith(b"\x80"):
                continue
            with self.subTest(name), self.assertRaises(ForbiddenGlobal):
                loads(b"(c" + MODULE + b"\nrecord\n)R" + data[:-1] + b"t.")
        self.assertEqual(CALLS, [])


OBJECT_STATE = {
    # name: (pickle, words in the DecodeError)
    "a second BUILD": (b"\x80\x02c" + MODULE + b"\nBox\n)\x81}Vx\nK\x01sb}Vy\nK\x02sb.",
                       "second BUILD"),
    "OrderedDict, BUILD {'__setstate__': bytearray}, BUILD 16": (
        b"ccollections\nOrderedDict\n)R}V__setstate__\ncbuiltins\nbytearray\nsbK\x10b.",
        "second BUILD"),
    "APPENDS after BUILD": (b"\x80\x02c" + MODULE + b"\nBag\n)\x81}Vextend\ncbuiltins\nset\n"
                            b"sb(K\x01e.", "after its BUILD"),
    "SETITEMS after BUILD": (b"ccollections\nOrderedDict\n)R}Vx\nK\x01sb(K\x01K\x02u.",
                             "after its BUILD"),
    "BUILD on a global": (b"cuuid\nUUID\n(N}Vpicklejar_mark\nK\x01stb.", "BUILD target must"),
    "BUILD on a list": (b"]}b.", "BUILD target must"),
    "BUILD on a datetime": (b"\x80\x03cdatetime\ndate\nC\x04\x07\xe8\x03\x0e\x85R}b.",
                            "pickle writes none"),
    "a UUID's int of 200 bits": (b"\x80\x02cuuid\nUUID\n)\x81}Vint\n\x8a\x19" + b"\x01" * 25
                                 + b"sb.", "uuid.UUID's state"),
    "a UUID state with another field": (b"\x80\x02cuuid\nUUID\n)\x81}(Vint\nK\x01Vx\nK\x02ub.",
                                        "uuid.UUID's state"),
    "an OrderedDict's state that is not a dict": (b"ccollections\nOrderedDict\n)RK\x05b.",
                                                  "must be a dict"),
    "APPEND to a str": (b"Vx\nK\x01a.", "cannot append to"),
    "SETITEM on a list": (b"]K\x01K\x02s.", "cannot set items on"),
    "ADDITEMS to a frozenset": (b"\x80\x04(\x91(K\x01\x90.", "cannot add items to"),
    "REDUCE of a non-global": (b"Vx\n)R.", "must be a global"),
    "STACK_GLOBAL of non-strs": (b"\x80\x04K\x01K\x02\x93.", "requires str"),
    "an extension code": (b"\x80\x02\x82\x01.", "extension codes are refused"),
    "a persistent id": (b"P0\n.", "persistent IDs are refused"),
    "an out-of-band buffer": (b"\x80\x05\x97.", "out-of-band buffers are refused"),
    "an unhashable key": (b"}]K\x01s.", "unhashable type: 'list'"),
}


class ObjectStateTest(unittest.TestCase):
    def test_each_is_refused(self) -> None:
        for name, (data, words) in OBJECT_STATE.items():
            with self.subTest(name), self.assertRaises(DecodeError) as caught:
                loads(data)
            self.assertIn(words, str(caught.exception), name)
            self.assertIsInstance(caught.exception.offset, int, name)
        self.assertFalse(hasattr(uuid.UUID, "picklejar_mark"))

    def tearDown(self) -> None:
        if hasattr(uuid.UUID, "picklejar_mark"):  # without the pre-scan, BUILD sets it
            del uuid.UUID.picklejar_mark


if __name__ == "__main__":
    unittest.main()
