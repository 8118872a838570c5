#!/usr/bin/env python3
"""End-to-end tests of the picklejar command ($PICKLEJAR_BIN) on pickles made to fool an
inspector or exhaust it: DAG pickles for dump, framing that Python's two readers read apart,
names CPython refuses, BUILD gadgets and discarded calls, the `scan` verb, converting dict and
list subclasses below protocol 2, and JSON the decoder could not read back. Expectations come
from the running python3 (pickle, pickletools, pickle._Unframer)."""
import io
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import time
import types
import unittest

BIN = os.environ.get("PICKLEJAR_BIN")

# A module for the subclass tests: pickles name pjsub.Registry and pjsub.Tags.
pjsub = types.ModuleType("pjsub")
exec("class Registry(dict): pass\nclass Tags(list): pass\n", pjsub.__dict__)
sys.modules["pjsub"] = pjsub


def run(args, data=None, timeout=120):
    return subprocess.run([BIN] + args, input=data, capture_output=True, timeout=timeout)


def frame(n):
    return b"\x95" + struct.pack("<Q", n)


def tuple_dag(levels):
    """Each level a tuple of the previous one twice, through the memo (BINGET)."""
    p = b"\x80\x02)q\x00"
    for i in range(1, levels + 1):
        p += b"0h" + bytes([i - 1]) + b"h" + bytes([i - 1]) + b"\x86q" + bytes([i])
    return p + b"."


def dict_dag(levels):
    p = b"\x80\x02}q\x00"
    for i in range(1, levels + 1):
        prev = b"h" + bytes([i - 1])
        p += b"0}q" + bytes([i]) + b"(X\x01\x00\x00\x00a" + prev + b"X\x01\x00\x00\x00b" + prev + b"u"
    return p + b"."


def recipe_dag(levels):
    p = b"\x80\x02cmod\nC\nq\x00)q\x01"
    for i in range(2, levels + 2):
        prev = b"h" + bytes([i - 1])
        p += b"0h\x00" + prev + prev + b"\x86Rq" + bytes([i])
    return p + b"."


DAGS = {
    "dup_tuples": b"\x80\x02)" + b"2\x86" * 48 + b".",  # 100 bytes
    "dup_lists": b"\x80\x02]" + b"2\x86" * 48 + b".",
    "memo_tuples": tuple_dag(48),
    "dicts": dict_dag(40),
    "object_recipes": recipe_dag(40),
}

# os.system('touch MARKER') is never run: these only go to picklejar.
DISCARDED_CALL = b"cos\nsystem\n(Vtouch /nonexistent/x\ntR0N."
REDUCE_AT = DISCARDED_CALL.index(b"tR") + 1
OD_GADGET = (b"\x80\x04ccollections\nOrderedDict\n)R}\x8c\x0c__setstate__cos\nsystem\nsb"
             b"\x8c\x14touch /nonexistent/x\x94b.")


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def write(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def assertOneLineError(self, result, *parts, status=1):
        self.assertEqual(result.returncode, status, result)
        self.assertEqual(result.stdout, b"")
        err = result.stderr.decode("utf-8")
        self.assertEqual(err.count("\n"), 1, err)
        for part in parts:
            self.assertIn(part, err)
        return err


class DumpDagTest(CliTest):
    def test_dag_pickles_print_small_and_fast(self):
        for name, data in DAGS.items():
            with self.subTest(name):
                start = time.monotonic()
                result = run(["dump"], data, timeout=60)
                self.assertEqual(result.returncode, 0, result)
                self.assertLess(len(result.stdout), 40 * len(data))
                self.assertIn(b"#1=", result.stdout)
                self.assertIn(b"#2#", result.stdout)
                self.assertIn(b"note: objects that appear more than once", result.stderr)
                self.assertLess(time.monotonic() - start, 30)  # main took > 20 s, or never ended

    def test_small_sharing_prints_as_python_and_expand_prints_everything(self):
        small = pickle.dumps((lambda a: [a, a, {"k": a}])([1, 2]))
        result = run(["dump"], small)
        self.assertEqual(result.stdout.decode(), repr(pickle.loads(small)) + "\n")
        self.assertEqual(result.stderr, b"")
        # 2**18 leaves: over the 1 MiB of repeats, labelled by default, Python's text with --expand.
        data = tuple_dag(18)
        self.assertIn(b"#1=", run(["dump"], data).stdout)
        expanded = run(["dump", "--expand"], data)
        self.assertEqual(expanded.returncode, 0)
        self.assertEqual(expanded.stdout.decode(), repr(pickle.loads(data)) + "\n")
        self.assertEqual(expanded.stderr, b"")


class FramingTest(CliTest):
    # Bytes CPython's C pickle.loads reads one way and its framed reader (pickle._loads,
    # pickle.load from a file) refuses: each must be refused with the offset and opcode.
    CASES = [
        (b"\x80\x04" + frame(5) + b"\x8c\x05hello\x94.", "offset 11", "SHORT_BINUNICODE"),
        (b"\x80\x04" + frame(5) + b"cos\nsystem\n.", "offset 11", "GLOBAL"),
        (b"\x80\x04" + frame(12) + b"N0" + frame(3) + b"K\x01.", "offset 13", "FRAME"),
        (b"\x80\x04" + frame(2) + frame(1) + b"N.", "offset 11", "FRAME"),
    ]

    def test_dump_and_dis_refuse_what_pythons_readers_read_apart(self):
        for data, offset, opcode in self.CASES:
            with self.subTest(data=data):
                pickle.loads(data)  # the C reader reads straight through
                with self.assertRaises(pickle.UnpicklingError):
                    pickle._loads(data)  # Python's framed reader stops
                for verb in ("dump", "dis", "scan"):
                    self.assertOneLineError(run([verb], data), offset, opcode, "frame")

    def test_frames_used_up_exactly_are_fine(self):
        data = pickle.dumps(["x" * 100] * 3, 4)
        self.assertEqual(run(["dump"], data).stdout.decode(), repr(pickle.loads(data)) + "\n")
        data = b"\x80\x04" + frame(1) + b"\x8c\x02hi."  # the argument is read unframed
        self.assertEqual(pickle._loads(data), "hi")
        self.assertEqual(run(["dump"], data).stdout, b"'hi'\n")


class EmptyNamesTest(CliTest):
    def test_empty_global_and_inst_names_are_refused(self):
        # From og-rek's fuzz corpus (dumped as <global .> before) and variants.
        for data in (b"coo\n\n.", b"c\nlog\n.", b"c\n\nJ\xde22\x872\x87.", b"N(i\nC\n."):
            with self.subTest(data=data):
                offset = "offset 0" if data[0] == ord("c") else "offset 2"
                with self.assertRaises(Exception):
                    pickle.loads(data)
                with self.assertRaises(Exception):
                    pickle._loads(data)
                for verb in ("dump", "dis"):
                    self.assertOneLineError(run([verb], data), offset, "name is empty")


class HiddenActionsTest(CliTest):
    def test_discarded_call_is_a_warning(self):
        result = run(["dump"], DISCARDED_CALL)
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, b"None\n")
        err = result.stderr.decode()
        self.assertIn(f"warning: REDUCE calls os.system (offset {REDUCE_AT})", err)
        self.assertIn("makes the call", err)

    def test_build_gadget_is_refused_and_one_build_is_shown(self):
        self.assertOneLineError(run(["dump"], OD_GADGET), f"offset {len(OD_GADGET) - 2}",
                                "BUILD", "__setstate__")
        one = OD_GADGET[:OD_GADGET.index(b"\x8c\x14")] + b"."
        result = run(["dump"], one)
        self.assertEqual(result.stdout,
                         b"<OrderedDict() state={'__setstate__': <global os.system>}>\n")


class ScanTest(CliTest):
    def test_lists_every_global_and_call_with_offsets(self):
        path = self.write("evil.pkl", DISCARDED_CALL)
        result = run(["scan", path])
        self.assertEqual(result.returncode, 4, result)
        self.assertEqual(result.stdout.decode().splitlines(), [
            f"{path}:0: GLOBAL os.system  [not allowed]",
            f"{path}:{REDUCE_AT}: REDUCE calls os.system  [result discarded]",
            f"{path}: 1 pickle, 1 global, 1 call; 1 not allowed",
        ])
        allowed = run(["scan", path, "--allow", "os.system"])
        self.assertEqual(allowed.returncode, 0, allowed)
        self.assertIn(b"every global allowed", allowed.stdout)

    def test_offsets_are_pickletools_offsets(self):
        import datetime
        import collections
        value = [datetime.date(2024, 1, 2), collections.OrderedDict(a=1), {1, 2}, b"x"]
        for protocol in range(6):
            with self.subTest(protocol=protocol):
                data = pickle.dumps(value, protocol)
                expected = [pos for op, arg, pos in pickletools_genops(data)
                            if op.name in ("GLOBAL", "STACK_GLOBAL", "INST", "REDUCE", "NEWOBJ",
                                           "NEWOBJ_EX", "OBJ", "BUILD")]
                result = run(["scan", "--allow", "datetime.date"], data)
                self.assertEqual(result.returncode, 0, result)
                lines = result.stdout.decode().splitlines()
                got = [int(line.split(":")[1]) for line in lines[:-1]]
                self.assertEqual(got, expected)

    def test_default_allowlist_is_the_decoders(self):
        data = pickle.dumps([{1, 2}, bytearray(b"x")], 2)  # builtins.set, bytearray, _codecs
        self.assertEqual(run(["scan"], data).returncode, 0)
        import datetime
        data = pickle.dumps(datetime.date(2024, 1, 2), 4)
        result = run(["scan"], data)
        self.assertEqual(result.returncode, 4)
        self.assertIn(b"STACK_GLOBAL datetime.date  [not allowed]", result.stdout)

    def test_several_pickles_and_files(self):
        two = pickle.dumps(1, 4) + DISCARDED_CALL
        first = len(pickle.dumps(1, 4))
        result = run(["scan"], two)
        self.assertEqual(result.returncode, 4)
        self.assertIn(f"<stdin>:{first + REDUCE_AT}: REDUCE".encode(), result.stdout)
        self.assertIn(b"2 pickles", result.stdout)
        good = self.write("good.pkl", pickle.dumps({"a": [1]}))
        bad = self.write("bad.pkl", b"\x80\x04\x8c\x05hel")
        result = run(["scan", good, bad])
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"{good}: 1 pickle, 0 globals, 0 calls; every global allowed".encode(),
                      result.stdout)
        self.assertIn(f"picklejar scan: {bad}: pickle decode error".encode(), result.stderr)

    def test_gadget_is_refused(self):
        self.assertOneLineError(run(["scan"], OD_GADGET), f"offset {len(OD_GADGET) - 2}", "BUILD")


def pickletools_genops(data):
    import pickletools
    return pickletools.genops(data)


class ConvertSubclassTest(CliTest):
    def test_dict_and_list_subclasses_below_protocol_2_load_in_python(self):
        r = pjsub.Registry(a=1, b=[2])
        r.note = "attr"
        for value in (r, pjsub.Tags([1, "two"]), [pjsub.Tags([3])] * 2):
            for source in (2, 4, 5):
                for target in (0, 1):
                    with self.subTest(value=repr(value), source=source, target=target):
                        result = run(["convert", "-p", str(target)], pickle.dumps(value, source))
                        self.assertEqual(result.returncode, 0, result)
                        self.assertEqual(result.stdout, pickle.dumps(value, target))
                        back = pickle.loads(result.stdout)
                        self.assertEqual(type(back), type(value))
                        self.assertEqual(back, value)
                        self.assertEqual(vars(back) if hasattr(back, "__dict__") else None,
                                         vars(value) if hasattr(value, "__dict__") else None)

    def test_an_int_made_by_newobj_is_refused(self):
        data = b"\x80\x02cbuiltins\nint\n)\x81."  # pickletester's bad_newobj
        self.assertEqual(pickle.loads(data), 0)
        for target in (0, 1):
            self.assertOneLineError(run(["convert", "-p", str(target)], data),
                                    "builtins.int made by NEWOBJ", "protocol 2")
        self.assertEqual(pickle.loads(run(["convert", "-p", "2"], data).stdout), 0)


class DeepJsonTest(CliTest):
    def test_from_json_refuses_what_the_decoder_would_refuse(self):
        deep = "[" * 20000 + "]" * 20000
        self.assertOneLineError(run(["from-json"], deep.encode()), "max_depth (10000)")
        ok = "[" * 9000 + "]" * 9000
        result = run(["from-json"], ok.encode())
        self.assertEqual(result.returncode, 0, result)
        value, depth = pickle.loads(result.stdout), 1
        while value:
            value, depth = value[0], depth + 1
        self.assertEqual(depth, 9000)

    def test_a_very_deep_document_gives_a_short_error_line(self):
        deep = "[" * 2000000 + "]" * 2000000
        err = self.assertOneLineError(run(["from-json"], deep.encode()), "levels")
        self.assertLess(len(err), 400)


if __name__ == "__main__":
    if not BIN:
        sys.exit("PICKLEJAR_BIN is not set")
    unittest.main()
