"""numpy arrays in Python sessions. numpy's array, scalar and dtype recipes are admitted when
numpy is installed, and then only in the forms numpy writes, with the shape checked against
the data before numpy runs (picklejar/_prescan_numpy.py); without numpy they are refused with
a ForbiddenGlobal that says so, and the package never imports numpy before a pickle names it.

The suite runs on interpreters with and without numpy: the tests of loading arrays exist where
numpy does (Debian's python3 has it), the others check both cases."""

from __future__ import annotations

import pickle
import unittest

import picklejar
from picklejar import DecodeError, ForbiddenGlobal
from support import ScratchTest, run_python

try:
    import numpy as np
except ImportError:  # the package works without numpy; see NumpyMissingTest
    np = None

# numpy.core.multiarray.scalar(numpy.dtype('f8', False, True) + BUILD, b'\x00' * 8) at
# protocol 0, written by hand so that an interpreter without numpy can make it.
SCALAR_P0 = (b"cnumpy.core.multiarray\nscalar\n(cnumpy\ndtype\n(Vf8\nI00\nI01\ntR"
             b"(I3\nV<\nNNNI-1\nI-1\nI0\ntb"
             b"c_codecs\nencode\n(V\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u00f8?\n"
             b"Vlatin1\ntRtR.")


class NumpyAvailabilityTest(ScratchTest):
    def test_numpy_globals_load_exactly_when_numpy_is_installed(self) -> None:
        if np is None:
            with self.assertRaises(ForbiddenGlobal) as caught:
                picklejar.safe_loads(SCALAR_P0)
            self.assertEqual(caught.exception.global_name, "numpy.core.multiarray.scalar")
            self.assertIn("numpy is not installed", str(caught.exception))
        else:
            value = picklejar.safe_loads(SCALAR_P0)
            self.assertIs(type(value), np.float64)
            self.assertEqual(value, 1.5)

    def test_numpy_is_imported_only_when_a_pickle_names_it(self) -> None:
        out = run_python(f"""
            import sys, picklejar
            with picklejar.Session({self.path()!r}) as s:
                s["a"] = [1, 2.5]
                s.save()
            with picklejar.Session({self.path()!r}) as s:
                assert s["a"] == [1, 2.5]
            print("numpy" in sys.modules)
        """).stdout
        self.assertEqual(out.strip(), "False")


if np is not None:

    def native(a):
        a = np.asarray(a)
        return np.ascontiguousarray(a.astype(a.dtype.newbyteorder("=")))

    def same(a, b) -> bool:
        """Equal as numpy keeps them: type, shape, dtype (byte order aside), bytes."""
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, np.dtype):
            return a == b
        return type(a) is type(b) and np.shape(a) == np.shape(b) and \
            native(a).dtype == native(b).dtype and native(a).tobytes() == native(b).tobytes()

    VALUES = [
        np.array([True, False]), np.arange(-3, 3, dtype="i1"), np.arange(6, dtype="u2"),
        np.arange(6, dtype="i4").reshape(2, 3), np.arange(4, dtype="u8"),
        np.array([0.5, np.nan, -np.inf], dtype="f2"), np.linspace(0, 1, 5, dtype="f4"),
        np.asfortranarray(np.arange(24.0).reshape(2, 3, 4)), np.array([1 + 2j], dtype="c8"),
        np.array([1 - 2j, 3j]), np.array([b"ab", b""]), np.array(["h\u00e9", "x"]),
        np.array(["2020-01-01", "NaT"], dtype="M8[ns]"), np.array([5, -1], dtype="m8[10s]"),
        np.array(3.25), np.zeros((0, 3)), np.arange(10)[::2], np.array([1, 2], dtype=">i4"),
        np.frombuffer(b"abcd", dtype="u1"), np.float32(1.5), np.int64(-7), np.bool_(True),
        np.datetime64("2020-01-01"), np.timedelta64(3, "ms"), np.bytes_(b"x"), np.str_("y"),
        np.dtype(">u2"), np.dtype("M8[s]"), np.arange(200_000.0),
        np.zeros(2, dtype=np.dtype("f8", metadata={"unit": "m"})),
        np.zeros(2, dtype=np.dtype("M8[s]", metadata={"tz": "UTC"})),
        {"a": np.zeros(3), "b": np.ones(3), "n": np.arange(2)},
    ]

    class Recipe:
        """Pickles as the given reduce tuple, whatever numpy would say about it."""

        def __init__(self, *reduce_value):
            self.reduce_value = reduce_value

        def __reduce__(self):
            return self.reduce_value

    class WithItems(Recipe):
        """A recipe with list items (APPENDS), which numpy never writes."""

        def __reduce__(self):
            return self.reduce_value + (iter([1.0]),)

    class DType:
        """A numpy.dtype recipe with any type string and state."""

        def __init__(self, typestr, state):
            self.typestr, self.state = typestr, state

        def __reduce__(self):
            return np.dtype, (self.typestr, False, True), self.state

    RECONSTRUCT = np.core.multiarray._reconstruct
    FROMBUFFER = np.core.numeric._frombuffer
    SCALAR = np.core.multiarray.scalar
    F8 = np.dtype("f8")

    def state3(endian="<", elsize=-1, alignment=-1, flags=0):
        return (3, endian, None, None, None, elsize, alignment, flags)

    def reconstructed(shape, dtype, data, version=1, fortran=False, args=(np.ndarray, (0,), b"b")):
        return Recipe(RECONSTRUCT, args, (version, shape, dtype, fortran, data))

    def m8(metadata):
        return DType("M8", (4,) + state3()[1:] + (metadata,))

    # name: (value, the exception, words in its message)
    HOSTILE = {
        "size mismatch": (reconstructed((2, 3), F8, b"\0" * 40), DecodeError, "does not match"),
        "size mismatch, frombuffer": (Recipe(FROMBUFFER, (bytearray(16), F8, (3,), "C")),
                                      DecodeError, "does not match"),
        "a huge shape over 8 bytes": (Recipe(FROMBUFFER, (b"\0" * 8, F8, (2**59,), "C")),
                                      DecodeError, "does not match"),
        "an overflowing shape": (reconstructed((2**40, 2**40, 2**40), F8, b""), DecodeError,
                                 "overflows"),
        "an overflowing shape with a zero": (reconstructed((0, 2**40, 2**40), F8, b""),
                                             DecodeError, "overflows"),
        "a negative dimension": (reconstructed((2, -3), F8, b""), DecodeError, "non-negative"),
        "65 dimensions": (reconstructed((1,) * 65, F8, b"\0" * 8), DecodeError, "64"),
        "a shape that is a list": (reconstructed([2], F8, b"\0" * 16), DecodeError, "shape"),
        "an object array": (np.array([1, "a"], dtype=object), ForbiddenGlobal, "'O8'"),
        "a structured array": (np.zeros(2, dtype=[("x", "f4")]), ForbiddenGlobal, "'V4'"),
        "float128": (np.zeros(2, dtype="f16"), ForbiddenGlobal, "'f16'"),
        "a dtype with fields": (reconstructed((1,), DType("f8", (3, "<", None, ("x",), {"x": 1},
                                                                 -1, -1, 0)), b"\0" * 8),
                                DecodeError, "state must be the one numpy writes"),
        "an object flag": (reconstructed((1,), DType("f8", state3(flags=63)), b"\0" * 8),
                           DecodeError, "state must be the one numpy writes"),
        "a bad time unit": (reconstructed((1,), DType("M8", (4,) + state3()[1:] + (
            ({}, (b"parsec", 1, 1, 1)),)), b"\0" * 8), DecodeError, "numpy writes"),
        "a list as data": (reconstructed((1,), F8, [1.0]), DecodeError, "must be bytes"),
        "a subclass": (Recipe(RECONSTRUCT, (np.matrix, (0,), b"b"),
                              (1, (1, 1), F8, False, b"\0" * 8)), ForbiddenGlobal, "matrix"),
        "order 'Z'": (Recipe(FROMBUFFER, (bytearray(8), F8, (1,), "Z")), ForbiddenGlobal,
                      "_frombuffer"),
        "axis_order not a permutation": (Recipe(FROMBUFFER, (bytearray(48), F8, (2, 3), "K",
                                                             (0, 0))), DecodeError, "permutation"),
        "a short scalar": (Recipe(SCALAR, (F8, b"\0" * 7)), DecodeError, "does not match"),
        "_reconstruct's placeholder not (0,)": (
            reconstructed((1,), F8, b"\0" * 8, args=(np.ndarray, (1,), b"b")), ForbiddenGlobal,
            "_reconstruct"),
        "_reconstruct's placeholder not b'b'": (
            reconstructed((1,), F8, b"\0" * 8, args=(np.ndarray, (0,), b"B")), ForbiddenGlobal,
            "_reconstruct"),
        "is_fortran an int": (reconstructed((1,), F8, b"\0" * 8, fortran=1), DecodeError,
                              "(1, shape, dtype, is_fortran, data)"),
        "an array with no BUILD": (Recipe(RECONSTRUCT, (np.ndarray, (0,), b"b")), DecodeError,
                                   "never had its BUILD"),
        "a dtype with no BUILD": (Recipe(SCALAR, (Recipe(np.dtype, ("f8", False, True)),
                                                  b"\0" * 8)), DecodeError, "numpy.dtype"),
        "a lone dtype with no BUILD": (Recipe(np.dtype, ("f8", False, True)), DecodeError,
                                       "never had its BUILD"),
        "an array with items": (WithItems(RECONSTRUCT, (np.ndarray, (0,), b"b"),
                                          (1, (1,), F8, False, b"\0" * 8)),
                                DecodeError, "append to"),
        "version 4 of 8 items": (reconstructed((1,), DType("f8", (4,) + state3()[1:]), b"\0" * 8),
                                 DecodeError, "state must be the one numpy writes"),
        "version 3 of 9 items": (reconstructed((1,), DType("f8", state3() + ({},)), b"\0" * 8),
                                 DecodeError, "state must be the one numpy writes"),
        "metadata not a dict": (reconstructed((1,), DType("f8", (4,) + state3()[1:] + ([],)),
                                              b"\0" * 8), DecodeError, "numpy writes"),
        "flags over 32 bits": (reconstructed((1,), DType("f8", state3(flags=2**40)), b"\0" * 8),
                               DecodeError, "numpy writes"),
        "a time unit's metadata not a dict": (
            reconstructed((1,), m8((None, (b"ns", 1, 1, 1))), b"\0" * 8), DecodeError,
            "numpy writes"),
        "a time unit's events not 1": (reconstructed((1,), m8(({}, (b"ns", 1, 2, 1))), b"\0" * 8),
                                       DecodeError, "numpy writes"),
        "an S0 array": (reconstructed((0,), DType("S0", state3("|", 0, 1)), b""), DecodeError,
                        "no bytes"),
        "axis_order with order 'C'": (Recipe(FROMBUFFER, (bytearray(8), F8, (1,), "C", None)),
                                      DecodeError, "axis_order"),
        "a scalar of ndarray": (Recipe(SCALAR, (np.ndarray, b"\0" * 8)), DecodeError,
                                "must be a numpy.dtype"),
    }

    class NumpyLoadTest(ScratchTest):
        def test_every_form_numpy_writes_loads_as_numpy_loads_it(self) -> None:
            for value in VALUES:
                for protocol in range(2, 6):
                    with self.subTest(value=repr(value)[:60], protocol=protocol):
                        data = pickle.dumps(value, protocol)
                        self.assertTrue(same(picklejar.safe_loads(data), pickle.loads(data)))

        def test_hostile_recipes_are_refused_before_numpy_runs(self) -> None:
            for name, (value, error, words) in HOSTILE.items():
                for protocol in (2, 5):
                    with self.subTest(name, protocol=protocol):
                        with self.assertRaises(error) as caught:
                            picklejar.safe_loads(pickle.dumps(value, protocol))
                        self.assertIn(words, str(caught.exception))
                        self.assertIn(" at offset ", str(caught.exception))

        def test_registering_numpy_does_not_lift_the_checks(self) -> None:
            value, _, words = HOSTILE["size mismatch"]
            with self.assertRaises(DecodeError) as caught:
                picklejar.safe_loads(pickle.dumps(value, 4),
                                     classes=[RECONSTRUCT, FROMBUFFER, SCALAR, np.ndarray,
                                              np.dtype])
            self.assertIn(words, str(caught.exception))

        def test_limits_cover_the_arrays(self) -> None:
            data = pickle.dumps(np.zeros(100_000), 5)
            with self.assertRaises(picklejar.LimitError):
                picklejar.safe_loads(data, limits=picklejar.DecodeLimits(max_total_bytes=500_000))
            self.assertEqual(picklejar.safe_loads(data).shape, (100_000,))

        def test_a_session_keeps_arrays_without_registering_anything(self) -> None:
            with picklejar.Session(self.path()) as s:
                s["image"] = np.arange(12, dtype="f4").reshape(3, 4)
                s["loss"] = np.float64(0.25)
                s.save()
            with picklejar.Session(self.path()) as s:
                self.assertTrue(same(s["image"], np.arange(12, dtype="f4").reshape(3, 4)))
                self.assertEqual(s["loss"], 0.25)


if __name__ == "__main__":
    unittest.main()
