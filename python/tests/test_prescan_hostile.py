"""Issue 14 §2: one small entry must never crash or exhaust the process reading it.

Each hostile entry is written into a real session file with a valid digest and read through
``Session[key]`` in a separate process capped at 1 GiB of address space and 120 s of CPU
(the default limits, except max_total_bytes where the name says).
The reader must exit normally after a typed error naming the key and file, quickly and with
a small peak RSS (getrusage(RUSAGE_CHILDREN) of that process). Before the pre-scan these
entries crashed the reader (SIGSEGV), took gigabytes or minutes, or imported a codec."""

from __future__ import annotations

import pickle
import struct
import unittest

from support import ScratchTest, plant_entry, run_bounded, run_python

# The reader: prints the error's class, what it names, and whether it names key and file.
READER = """
    import sys, picklejar
    path, key, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
    options = {}
    if hasattr(picklejar, "DecodeLimits"):  # (so that without it the entry shows what it does)
        options["limits"] = picklejar.DecodeLimits(max_total_bytes=total)
    with picklejar.Session(path, mode="read_only", **options) as s:
        try:
            s[key]
            print("loaded")
        except picklejar.PicklejarError as e:
            what = getattr(e, "limit", None) or getattr(e, "global_name", None) or ""
            print(type(e).__name__, what, getattr(e, "offset", None), getattr(e, "opcode", None),
                  e.key == key and e.path == path)
    print("codec imported" if "encodings.bz2_codec" in sys.modules else "no codec imported")
"""

MIB = 1 << 20


def deep_tuple_key(depth: int) -> bytes:
    """{((((1,),),)...): 1}, the key nested ``depth`` tuples deep (TUPLE1 per level)."""
    return b"\x80\x04}K\x01" + b"\x85" * depth + b"K\x01s."


def dag_key(levels: int) -> bytes:
    """{t: 1} where t0 = 1 and t(i) = (t(i-1), t(i-1)): DUP + TUPLE2 per level, so hashing
    it walks 2**levels leaves (CPython does not cache tuple hashes)."""
    return b"\x80\x04}K\x01" + b"2\x86" * levels + b"K\x01s."


def colliding_int_keys(count: int) -> bytes:
    """A dict whose int keys all hash alike (k * (2**61 - 1) + 5): CPython compares each new
    key with every earlier one."""
    modulus = (1 << 61) - 1
    return pickle.dumps({k * modulus + 5: None for k in range(count)}, 4)


HOSTILE = {
    # name: (pickle, expected error class, what it names, peak RSS bound in MiB)
    "a dict key nested 1,000,000 tuples deep": (
        deep_tuple_key(1_000_000), "LimitError", "max_depth", 200),
    "LONG_BINPUT 100000000": (
        b"\x80\x02]r\x00\xe1\xf5\x05.", "DecodeError", "", 200),
    "builtins.bytearray(2500000000)": (
        b"\x80\x04\x8c\x08builtins\x8c\tbytearray\x93J\x00\xf9\x02\x95\x85R.",
        "ForbiddenGlobal", "builtins.bytearray", 200),
    "list(range(3*10**8))": (
        b"cbuiltins\nlist\n(cbuiltins\nrange\n(K\x00J\x00\xa3\xe1\x11K\x01tRtR.",
        "ForbiddenGlobal", "builtins.list", 200),
    "list(range(3*10**8)) with range's one-argument form": (
        b"cbuiltins\nlist\n(cbuiltins\nrange\n(J\x00\xa3\xe1\x11tRtR.",
        "ForbiddenGlobal", "builtins.range", 200),
    "int(decimal.Decimal('1e10000000'))": (
        b"cbuiltins\nint\n(cdecimal\nDecimal\n(V1e10000000\ntRtR.",
        "ForbiddenGlobal", "builtins.int", 200),
    "a 48-level hash DAG as a dict key": (
        dag_key(48), "LimitError", "max_hash_work", 200),
    "builtins.bytes('x', 'bz2_codec')": (
        b"cbuiltins\nbytes\n(Vx\nVbz2_codec\ntR.", "ForbiddenGlobal", "builtins.bytes", 200),
    "12,000 dict keys with one hash": (
        colliding_int_keys(12_000), "LimitError", "max_hash_work", 200),
    "OrderedDict + BUILD {'__setstate__': bytearray} + BUILD 2500000000": (
        b"ccollections\nOrderedDict\n)R}V__setstate__\ncbuiltins\nbytearray\nsbJ\x00\xf9\x02\x95b.",
        "DecodeError", "", 200),
    "OrderedDict + BUILD {'extend': set} + APPENDS [48-level DAG]": (
        b"ccollections\nOrderedDict\n)R}Vextend\ncbuiltins\nset\nsb(K\x01" + b"2\x86" * 48
        + b"e.", "DecodeError", "", 200),
    "5,000,000 empty lists (5 MB), max_total_bytes 256 MiB": (
        b"\x80\x04(" + b"]" * 5_000_000 + b"l.", "LimitError", "max_total_bytes", 600),
    "a BINBYTES8 that declares 2**40 bytes": (
        b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b"xx.", "DecodeError", "", 200),
}


class HostileEntryTest(ScratchTest):
    def test_each_hostile_entry_is_refused_by_a_reader_that_survives(self) -> None:
        for name, (data, error, names, rss_mib) in HOSTILE.items():
            with self.subTest(name):
                path = self.path()
                plant_entry(path, "evil", data)
                total = 256 << 20 if "max_total_bytes 256 MiB" in name else 1 << 30
                run = run_bounded(READER, path, "evil", str(total))
                self.assertEqual(run["returncode"], 0, f"{name}: {run}")
                first, last = run["stdout"].splitlines()[0], run["stdout"].splitlines()[-1]
                words = first.split()
                self.assertEqual(words[0], error, f"{name}: {first}")
                if names:
                    self.assertEqual(words[1], names, f"{name}: {first}")
                self.assertEqual(words[-1], "True", f"{name}: the error names key and file")
                self.assertNotEqual(words[-3], "None", f"{name}: the error has an offset")
                self.assertEqual(last, "no codec imported")
                self.assertLess(run["maxrss_kb"], rss_mib * 1024, f"{name}: peak RSS {run}")
                self.assertLess(run["seconds"], 60, f"{name}: took {run['seconds']:.1f} s")

    def test_the_entries_are_live(self) -> None:
        """The same kind of bytes does what the issue says when loaded without the pre-scan
        (small sizes here): the checks above can fail."""
        imports = run_python("""
            import pickle, sys
            try:
                pickle.loads(b"cbuiltins\\nbytes\\n(Vx\\nVbz2_codec\\ntR.")
            except LookupError:  # not a text encoding: found out after importing it
                pass
            print("encodings.bz2_codec" in sys.modules)
        """)
        self.assertEqual(imports.stdout.strip(), "True")
        self.assertEqual(len(pickle.loads(HOSTILE["builtins.bytearray(2500000000)"][0]
                                          .replace(b"J\x00\xf9\x02\x95", b"K\x10"))), 16)
        self.assertEqual(len(pickle.loads(b"\x80\x04}K\x01" + b"2\x86" * 12 + b"K\x01s.")), 1)
        setstate = pickle.loads(HOSTILE[
            "OrderedDict + BUILD {'__setstate__': bytearray} + BUILD 2500000000"][0]
            .replace(b"J\x00\xf9\x02\x95", b"K\x10"))
        self.assertIs(setstate.__setstate__, bytearray)  # and bytearray(16) was called


if __name__ == "__main__":
    unittest.main()
