"""Issue 14 §6, Python half: one reading per pickle. The package loads entries through a
file object (pickle.Unpickler(io.BytesIO(...))), and CPython's file reader and its bytes
reader disagree on malformed framing; GLOBAL/INST names that are empty or cut off are
refused too. Every refusal is a DecodeError with the byte offset and the opcode."""

from __future__ import annotations

import io
import pickle
import struct
import unittest

import picklejar
from picklejar import DecodeError, ForbiddenGlobal, Session

from support import ScratchTest, plant_entry

FRAME, GLOBAL, INST = pickle.FRAME[0], pickle.GLOBAL[0], pickle.INST[0]
SHORT_BINUNICODE = pickle.SHORT_BINUNICODE[0]


def frame(payload: bytes) -> bytes:
    return b"\x95" + struct.pack("<Q", len(payload)) + payload


# A str whose payload starts in a frame and ends after it: pickle.loads(bytes) reads "abc"
# and then BININT1 2; pickle.load(file) reads "cK\x02" from after the frame.
STRADDLING_PAYLOAD = b"\x80\x04" + frame(b"\x8c\x03ab") + b"cK\x02."
# A FRAME inside a frame that is not used up (pickle.py refuses it, _pickle reads on).
NESTED_FRAME = b"\x80\x04" + frame(frame(b"K\x01") + b"0K\x03") + b"0K\x04."
# A line (UNICODE's argument) that starts in a frame and ends after it.
STRADDLING_LINE = b"\x80\x04" + frame(b"NVab") + b"c\n."
# A frame that declares more bytes than the pickle has.
LONG_FRAME = b"\x80\x04\x95" + struct.pack("<Q", 1000) + b"N."

MALFORMED = {
    # name: (pickle, offset of the refused opcode, the opcode, words in the message)
    "a payload across a frame's end": (STRADDLING_PAYLOAD, 11, SHORT_BINUNICODE,
                                       "malformed framing"),
    "a FRAME before the previous frame is used up": (NESTED_FRAME, 11, FRAME,
                                                     "malformed framing"),
    "a line across a frame's end": (STRADDLING_LINE, 12, ord("V"), "malformed framing"),
    "a frame longer than the pickle": (LONG_FRAME, 2, FRAME, "truncated"),
    "an empty GLOBAL module name": (b"c\nlog\n.", 0, GLOBAL, "module name is empty"),
    "an empty GLOBAL module and name": (b"c\n\n.", 0, GLOBAL, "module name is empty"),
    "an empty GLOBAL name": (b"cbuiltins\n\n.", 0, GLOBAL, "GLOBAL name is empty"),
    "a GLOBAL name cut off by the end": (b"cbuiltins\nse", 0, GLOBAL, "has no newline"),
    "a GLOBAL module cut off by the end": (b"cbuilt", 0, GLOBAL, "has no newline"),
    "a GLOBAL name running past its frame": (b"\x80\x04" + frame(b"cbuiltins\nse")
                                             + b"t\n.", 11, GLOBAL, "malformed framing"),
    "an empty INST class name": (b"(ibuiltins\n\n.", 1, INST, "INST class name is empty"),
    "an INST with an empty module": (b"(i\nset\n.", 1, INST, "module name is empty"),
    "an INST name cut off by the end": (b"(ibuiltins\nse", 1, INST, "has no newline"),
}


class ReadersDisagreeTest(unittest.TestCase):
    def test_the_vectors_are_read_differently_by_cpython(self) -> None:
        """So refusing them matters: CPython's own readers disagree on each."""
        self.assertEqual(pickle.loads(STRADDLING_PAYLOAD), 2)
        self.assertEqual(pickle.load(io.BytesIO(STRADDLING_PAYLOAD)), "cK\x02")
        self.assertEqual(pickle.loads(NESTED_FRAME), 4)
        with self.assertRaisesRegex(pickle.UnpicklingError, "new frame before end"):
            pickle._loads(NESTED_FRAME)  # type: ignore[attr-defined]
        with self.assertRaisesRegex(pickle.UnpicklingError, "exhausted before end of frame"):
            pickle._loads(STRADDLING_LINE)  # type: ignore[attr-defined]


class MalformedTest(ScratchTest):
    def test_each_is_refused_with_offset_and_opcode(self) -> None:
        for name, (data, offset, opcode, words) in MALFORMED.items():
            with self.subTest(name), self.assertRaises(DecodeError) as caught:
                picklejar.safe_loads(data)
            error = caught.exception
            self.assertNotIsInstance(error, ForbiddenGlobal, name)
            self.assertEqual((error.offset, error.opcode), (offset, opcode), name)
            self.assertIn(f"at offset {offset} (opcode 0x{opcode:02x} ", str(error))
            self.assertIn(words, str(error), name)

    def test_each_is_refused_through_a_session_naming_key_and_file(self) -> None:
        path = self.path()
        for i, (name, (data, offset, opcode, words)) in enumerate(MALFORMED.items()):
            plant_entry(path, f"k{i}", data)
        with Session(path) as s:
            for i, (name, (data, offset, opcode, words)) in enumerate(MALFORMED.items()):
                with self.subTest(name), self.assertRaises(DecodeError) as caught:
                    s[f"k{i}"]
                self.assertEqual((caught.exception.key, caught.exception.path), (f"k{i}", path))
                self.assertEqual(caught.exception.offset, offset)
                self.assertIn(f"key 'k{i}' in '{path}': cannot unpickle: pickle decode error at "
                              f"offset {offset}", str(caught.exception))

    def test_well_formed_framing_is_read(self) -> None:
        """Frames are optional, may be empty, may end exactly where a payload starts (CPython
        writes payloads of 64 KiB and more outside frames), and STOP may follow a frame."""
        big = b"x" * 70000
        for data, value in (
            (pickle.dumps([big, big.decode(), [1] * 30000], 4), [big, big.decode(), [1] * 30000]),
            (b"\x80\x04" + frame(b"") + frame(b"K\x01") + b".", 1),
            (b"\x80\x04" + frame(b"\x8c\x03") + b"abc.", "abc"),
            (b"\x80\x04" + frame(b"K\x07.") , 7),
            (b"\x80\x04" + frame(b"\x95" + struct.pack("<Q", 2)) + b"K\x05.", 5),
        ):
            with self.subTest(data[:24]):
                self.assertEqual(pickle.loads(data), value)
                self.assertEqual(picklejar.safe_loads(data, limits=picklejar.DecodeLimits()),
                                 value)


if __name__ == "__main__":
    unittest.main()
