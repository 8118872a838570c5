"""Reads that name the key and the file and never stop an application's start: get() with
expect= and on_error=; a session never saves what it cannot load back (values naming a
global its allowlist refuses), pathlib paths are plain data, and ForbiddenGlobal explains a
class registered under another name."""

from __future__ import annotations

import datetime
import pathlib
import pickle
import sys
import types
import unittest
import zoneinfo

import picklejar
from picklejar import DecodeError, EncodeError, ForbiddenGlobal, IntegrityError, Session

from support import BOTH_BACKENDS, ScratchTest, sql


class Geometry:
    """A registered class, as an application's state module would define it."""

    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Geometry) and (self.x, self.y) == (other.x, other.y)


def look_alike(module: str) -> type:
    """A class named Geometry in another module (a script's own copy of the class)."""
    cls = type("Geometry", (), {"__module__": module})
    parts = module.split(".")
    for i in range(1, len(parts) + 1):  # pickle imports the module to check the class
        sys.modules.setdefault(".".join(parts[:i]), types.ModuleType(".".join(parts[:i])))
    setattr(sys.modules[module], "Geometry", cls)
    return cls


class GetWithFallbackTest(ScratchTest):
    def setUp(self) -> None:
        super().setUp()
        with Session(self.path(), classes=[Geometry]) as s:
            s["window"] = pathlib.PurePosixPath("/home/ada")  # a wrong shape for the app
            s["geometry"] = Geometry(1, 2)
            s["recent"] = ["a.txt"]
            s["damaged"] = "its digest will not match"
        sql(self.path(), "UPDATE entries SET digest = zeroblob(32) WHERE key = 'damaged'")

    def test_expect_names_key_type_and_file(self) -> None:
        with Session(self.path()) as s:
            self.assertEqual(s.get("recent", [], expect=list), ["a.txt"])
            self.assertEqual(s.get("missing", {}, expect=dict), {})
            with self.assertRaises(TypeError) as caught:
                s.get("window", {}, expect=dict)
            self.assertEqual(str(caught.exception),
                             f"'window': expected dict, got pathlib.PurePosixPath in "
                             f"'{self.path()}'")
            with self.assertRaisesRegex(TypeError, "expected dict or list, got int"):
                s["n"] = 1
                s.get("n", expect=(dict, list))
            s.discard()

    def test_on_error_returns_the_default_and_reports(self) -> None:
        errors = []
        with Session(self.path()) as s:  # Geometry not registered here: ForbiddenGlobal
            self.assertEqual(s.get("window", {}, expect=dict, on_error=errors.append), {})
            self.assertEqual(s.get("geometry", None, on_error=errors.append), None)
            self.assertEqual(s.get("damaged", "default", on_error=errors.append), "default")
            self.assertEqual(s.get("recent", [], expect=list, on_error=errors.append),
                             ["a.txt"])
            self.assertEqual(s.get("missing", 5, on_error=errors.append), 5)
            self.assertFalse(s.has_unsaved_changes)
        self.assertEqual([type(e) for e in errors], [TypeError, ForbiddenGlobal, IntegrityError])
        for error, key in zip(errors, ("window", "geometry", "damaged")):
            self.assertIn(f"'{key}'", str(error))
            self.assertIn(self.path(), str(error))
        # Without on_error the entries raise as before; the file is untouched.
        with Session(self.path()) as s:
            with self.assertRaises(ForbiddenGlobal):
                s.get("geometry")
            with self.assertRaises(IntegrityError):
                s.get("damaged", "default")

    def test_an_undecodable_entry_written_by_another_program(self) -> None:
        import hashlib
        broken = b"\x80\x04K"  # BININT1 without its byte
        sql(self.path(), "UPDATE entries SET pickle = ?, digest = ? WHERE key = 'recent'",
            (broken, hashlib.sha256(broken).digest()))
        errors = []
        with Session(self.path()) as s:
            self.assertEqual(s.get("recent", [], on_error=errors.append), [])
        self.assertIsInstance(errors[0], DecodeError)
        self.assertIn(f"key 'recent' in '{self.path()}'", str(errors[0]))


class WriteWhatLoadsTest(ScratchTest):
    BACKENDS = BOTH_BACKENDS

    def test_a_value_naming_an_unregistered_class_is_refused_at_set(self) -> None:
        for protocol in range(6):
            with self.subTest(protocol=protocol), Session(self.path(), protocol=protocol) as s:
                with self.assertRaises(EncodeError) as caught:
                    s["geometry"] = {"main": [Geometry(1, 2)]}
                self.assertIn(f"cannot save key 'geometry' in '{self.shown()}': its pickle names "
                              f"{__name__}.Geometry, which this session's allowlist would "
                              "refuse on load", str(caught.exception))
                self.assertNotIn("geometry", s)
                self.assertFalse(s.has_unsaved_changes)
                with self.assertRaises(EncodeError):
                    s["f"] = len  # builtins.len: not plain data either
        with Session(self.path(), classes=[Geometry]) as s:
            s["geometry"] = Geometry(1, 2)
        with Session(self.path(), classes=[Geometry]) as s:
            self.assertEqual(s["geometry"], Geometry(1, 2))

    def test_pathlib_paths_are_plain_data(self) -> None:
        values = {"pure": pathlib.PurePosixPath("/a/b"), "win": pathlib.PureWindowsPath("c:/x"),
                  "here": pathlib.PosixPath("/home/ada/notes.txt"),
                  "nested": {"recent": [pathlib.Path("/tmp/x")]}}
        for protocol in range(6):
            with self.subTest(protocol=protocol):
                path = self.path(f"{protocol}.pj")
                with Session(path, protocol=protocol) as s:
                    s.update(values)
                with Session(path) as s:
                    self.assertEqual(dict(s), values)
                    self.assertIs(type(s["here"]), pathlib.PosixPath)
        # As Python 3.13 names them.
        data = pickle.dumps(pathlib.PurePosixPath("/a")).replace(
            b"\x8c\x07pathlib", b"\x8c\x0epathlib._local")
        self.assertEqual(picklejar.safe_loads(data), pathlib.PurePosixPath("/a"))

    def test_zoneinfo_datetimes_are_plain_data(self) -> None:
        paris = zoneinfo.ZoneInfo("Europe/Paris")
        value = {"opened": datetime.datetime(2024, 7, 1, 9, 30, tzinfo=paris),
                 "ambiguous": datetime.datetime(2024, 10, 27, 2, 30, tzinfo=paris, fold=1)}
        for protocol in range(6):
            with self.subTest(protocol=protocol):
                path = self.path(f"{protocol}.pj")
                with Session(path, protocol=protocol) as s:
                    s["times"] = value
                with Session(path) as s:
                    self.assertEqual(s["times"], value)
                    self.assertIs(s["times"]["opened"].tzinfo, paris)
        # ZoneInfo is only the way to its _unpickle: not a callable a pickle may use.
        with self.assertRaises((ForbiddenGlobal, TypeError)):  # "not callable": nothing ran
            picklejar.safe_loads(b"\x80\x04\x8c\x08zoneinfo\x8c\x08ZoneInfo\x93"
                                 b"\x8c\x03UTC\x85R.")
        with self.assertRaises(ForbiddenGlobal):  # nor are its other methods
            picklejar.safe_loads(b"cbuiltins\ngetattr\n(czoneinfo\nZoneInfo\nVclear_cache\n"
                                 b"tR)R.")

    def test_trusted_sessions_write_anything(self) -> None:
        with Session(self.path(), trusted_unsafe_pickle=True) as s:
            s["geometry"] = Geometry(3, 4)
        with Session(self.path(), trusted_unsafe_pickle=True) as s:
            self.assertEqual(s["geometry"], Geometry(3, 4))

    def test_other_writes_are_checked_too(self) -> None:
        with Session(self.path()) as s:
            with self.assertRaises(EncodeError):
                s.add("geometry", Geometry(1, 2))
            with self.assertRaises(EncodeError):
                s.update({"ok": 1, "bad": Geometry(1, 2)})
            self.assertEqual(dict(s), {})
            self.assertFalse(s.has_unsaved_changes)


class RegisteredElsewhereTest(ScratchTest):
    BACKENDS = BOTH_BACKENDS

    def test_forbidden_global_explains_module_and_qualname(self) -> None:
        saved_as = look_alike("deskapp.state")
        with Session(self.path(), classes=[saved_as]) as s:
            s["geometry"] = saved_as()
        mine = look_alike("__main__")  # a script's own class of the same name
        with Session(self.path(), classes=[mine]) as s:
            with self.assertRaises(ForbiddenGlobal) as caught:
                s["geometry"]
        message = str(caught.exception)
        self.assertIn(f"key 'geometry' in '{self.shown()}'", message)
        self.assertIn("registered classes: __main__.Geometry is not deskapp.state.Geometry: a "
                      "class is found by its __module__ and __qualname__, which must equal the "
                      "name in the pickle", message)
        # The same explanation when saving one under the wrong name.
        with Session(self.path(), classes=[saved_as]) as s:
            with self.assertRaisesRegex(EncodeError, "registered classes: deskapp.state.Geometry "
                                                     "is not __main__.Geometry"):
                s["mine"] = mine()


if __name__ == "__main__":
    unittest.main()
