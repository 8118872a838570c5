"""Safe loading: entries unpickle through an allowlist; a planted os.system pickle raises
ForbiddenGlobal naming the global and runs nothing (a marker file proves it), registered
classes load, and the loudly named opt-out runs plain pickle.loads."""

from __future__ import annotations

import collections
import datetime
import decimal
import hashlib
import os
import pickle
import unittest
import uuid

import picklejar
from picklejar import DecodeError, ForbiddenGlobal, Session

from support import ScratchTest, raw


class User:
    def __init__(self, name: str, roles: list) -> None:
        self.name = name
        self.roles = roles

    def __eq__(self, other: object) -> bool:
        return type(other) is User and vars(self) == vars(other)


class Outer:
    class Inner:
        def __init__(self, v: int) -> None:
            self.v = v


class Point(tuple):
    def __reduce__(self):
        return (Point, (tuple(self),))


def plain_values():
    return [
        None, True, False, 0, -1, 2**100, 1.5, float("inf"), "text", "é\U0001F600", b"", b"\x00\xff",
        bytearray(b"ab"), (), (1, (2,)), [1, [2]], {"a": {"b": None}}, {1, 2}, frozenset({3}),
        set(), frozenset(), complex(1, -2), range(1, 10, 3), slice(1, None, 2), Ellipsis,
        NotImplemented, int, str, dict,
        datetime.date(2024, 3, 14), datetime.time(9, 26, 53, 589, tzinfo=datetime.timezone.utc),
        datetime.datetime(2023, 12, 31, 23, 59, 59, 999999,
                          tzinfo=datetime.timezone(datetime.timedelta(hours=-5), "EST")),
        datetime.datetime(2000, 1, 1), datetime.timedelta(days=-1, microseconds=5),
        datetime.timezone.utc, decimal.Decimal("-1.50"), decimal.Decimal("NaN"),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        collections.OrderedDict([("b", 1), ("a", 2)]),
    ]


def marker_pickle(command_module: str, marker: str, protocol_4: bool = False) -> bytes:
    """A pickle that calls module.system("touch marker") when loaded by plain pickle."""
    command = f"touch {marker}"
    if protocol_4:
        out = b"\x80\x04\x8c" + bytes([len(command_module)]) + command_module.encode()
        out += b"\x8c\x06system\x93\x8c" + bytes([len(command)]) + command.encode() + b"\x85R."
        return out
    return f"c{command_module}\nsystem\n(V{command}\ntR.".encode()


class SafeLoadTest(ScratchTest):
    def plant(self, key: str, data: bytes) -> None:
        """Writes an entry the way an attacker who can write the file would: digest and all."""
        with Session(self.path()) as s:
            s[key] = "placeholder"
            s.save()
        db = raw(self.path())
        db.execute("UPDATE entries SET pickle = ?, digest = ? WHERE key = ?",
                   (data, hashlib.sha256(data).digest(), key))
        db.close()

    def test_every_plain_value_at_every_protocol(self) -> None:
        values = plain_values()
        for protocol in range(6):
            with self.subTest(protocol=protocol):
                for value in values:
                    back = picklejar.safe_loads(pickle.dumps(value, protocol))
                    self.assertEqual(type(back), type(value))
                    self.assertEqual(repr(back), repr(value))  # NaN != NaN
                    if value == value:
                        self.assertEqual(back, value)

    def test_session_values_round_trip(self) -> None:
        values = {str(i): v for i, v in enumerate(plain_values())}
        for protocol in (0, 2, 5):
            with Session(self.path(f"{protocol}.pj"), protocol=protocol) as s:
                s.update(values)
                s.save()
            with Session(self.path(f"{protocol}.pj")) as s:
                self.assertEqual(repr({key: s[key] for key in values}), repr(values))

    def test_planted_os_system_is_refused_and_runs_nothing(self) -> None:
        for i, (module, protocol_4) in enumerate((("os", False), ("posix", False),
                                                  ("os", True))):
            marker = self.path(f"marker{i}")
            with self.subTest(module=module, protocol_4=protocol_4):
                self.plant("evil", marker_pickle(module, marker, protocol_4))
                with Session(self.path()) as s:
                    with self.assertRaises(ForbiddenGlobal) as caught:
                        s["evil"]
                error = caught.exception
                self.assertEqual((error.module, error.name), (module, "system"))
                self.assertEqual(error.global_name, f"{module}.system")
                self.assertEqual((error.key, error.path), ("evil", self.path()))
                self.assertIn(f"key 'evil' in '{self.path()}': global '{module}.system' is "
                              "not in the allowlist", str(error))
                self.assertIsInstance(error, DecodeError)
                self.assertIsInstance(error, pickle.UnpicklingError)
                self.assertFalse(os.path.exists(marker))
        # The same pickle is live: plain pickle.loads runs it (so the check above can fail).
        with Session(self.path(), trusted_unsafe_pickle=True) as s:
            self.assertEqual(s["evil"], 0)
        self.assertTrue(os.path.exists(self.path("marker2")))

    def test_other_escapes_are_refused(self) -> None:
        cases = {
            "builtins.eval": b"cbuiltins\neval\n(V1+1\ntR.",
            "builtins.object.__subclasses__":
                b"cbuiltins\ngetattr\n(cbuiltins\nobject\nV__subclasses__\ntR.",
            "builtins.getattr": b"cbuiltins\ngetattr\n(cbuiltins\nobject\nI1\ntR.",
            "_codecs.encode": b"c_codecs\nencode\n(Vx\nVrot13\ntR.",
            "builtins.type": b"cbuiltins\ntype\n(N\ntR.",
            "__builtin__.__import__": b"c__builtin__\n__import__\n(Vos\ntR.",
            "os.system": b"ccopyreg\n_reconstructor\n(cos\nsystem\n)R.",
        }
        for expected, data in cases.items():
            with self.subTest(expected), self.assertRaises(ForbiddenGlobal) as caught:
                picklejar.safe_loads(data)
            self.assertEqual(caught.exception.global_name, expected)
        self.assertEqual(picklejar.safe_loads(b"c_codecs\nencode\n(V\\u00ff\nVlatin1\ntR."),
                         b"\xff")

    def test_malformed_pickles_are_decode_errors_naming_the_key(self) -> None:
        for data, message in ((b"garbage", "cannot unpickle"),
                              (pickle.dumps(1) + b"extra", "5 bytes after the pickle's STOP"),
                              (b"\x80\x04P0\n.", "persistent")):  # PERSID refused
            with self.subTest(data):
                self.plant("bad", data)
                with Session(self.path()) as s:
                    with self.assertRaisesRegex(DecodeError, f"key 'bad' in '.*s.pj': .*"
                                                             f"{message}") as caught:
                        s["bad"]
                    self.assertEqual(caught.exception.key, "bad")

    def test_registered_classes_load(self) -> None:
        values = {"user": User("ada", ["admin"]), "inner": Outer.Inner(5),
                  "point": Point((1, 2))}
        for protocol in range(6):
            with self.subTest(protocol=protocol):
                path = self.path(f"{protocol}.pj")
                with Session(path, protocol=protocol, classes=[User, Outer.Inner, Point]) as s:
                    s.update(values)
                with Session(path) as s:
                    with self.assertRaises(ForbiddenGlobal) as caught:
                        s["user"]
                    self.assertEqual(caught.exception.global_name, f"{__name__}.User")
                    with self.assertRaises(ForbiddenGlobal):
                        s["inner"]
                with Session(path, classes=[User, Outer.Inner, Point]) as s:
                    self.assertEqual(s["user"], values["user"])
                    self.assertIsInstance(s["inner"], Outer.Inner)
                    self.assertEqual(s["inner"].v, 5)
                    self.assertEqual(s["point"], (1, 2))
                    self.assertIsInstance(s["point"], Point)

    def test_registering_a_nested_class_does_not_allow_its_outer_class(self) -> None:
        with self.assertRaises(ForbiddenGlobal) as caught:
            picklejar.safe_loads(pickle.dumps(Outer, 4), classes=[Outer.Inner])
        self.assertEqual(caught.exception.global_name, f"{__name__}.Outer")
        with self.assertRaises(ForbiddenGlobal):
            picklejar.safe_loads(pickle.dumps(Outer, 2), classes=[Outer.Inner])
        self.assertIs(picklejar.safe_loads(pickle.dumps(Outer.Inner, 2), classes=[Outer.Inner]),
                      Outer.Inner)

    def test_getattr_is_only_a_way_in_never_a_value(self) -> None:
        # builtins.getattr as the loaded value, or an item of it, is refused: it would hand
        # the caller the unpickler's own lookup.
        for data in (b"\x80\x04cbuiltins\ngetattr\n.", b"\x80\x04]cbuiltins\ngetattr\na.",
                     b"cbuiltins\ngetattr\np0\n."):
            with self.subTest(data=data), self.assertRaises(ForbiddenGlobal) as caught:
                picklejar.safe_loads(data, classes=[Outer.Inner])
            self.assertIn("getattr is allowed only", str(caught.exception))
        # Used as the way in and kept through the memo as well: what the caller gets is inert.
        legit = pickle.dumps([Outer.Inner], 2)
        put = legit.index(b"q\x01")  # BINPUT 1 after GLOBAL '__builtin__ getattr'
        leaked = legit[:-1] + b"h\x01a."  # BINGET 1, APPEND, before STOP
        self.assertEqual(legit[-2:], b"a.")
        self.assertGreater(put, 0)
        value = picklejar.safe_loads(leaked, classes=[Outer.Inner])
        self.assertIs(value[0], Outer.Inner)
        self.assertNotIn("SafeUnpickler", repr(value[1]))
        with self.assertRaises(ForbiddenGlobal):
            value[1](Outer, "Inner")


if __name__ == "__main__":
    unittest.main()
