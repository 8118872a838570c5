#!/usr/bin/env python3
"""Writes hostile seed inputs for fuzz/decode_fuzzer.cpp, one file per shape.

    python3 fuzz/make_seeds.py OUTDIR

The shapes are the denial-of-service and type-confusion families of
../shared/notes/pickle-format.md section 3.3 (length prefixes, sparse memo, expansion,
exponential hashing, deep nesting, long digit strings, many objects, container opcodes aimed
at the wrong type), plus the opcodes only a hostile or unusual pickle uses (EXT, persistent
ids, out-of-band buffers, INST/OBJ/NEWOBJ_EX, surrogates) and recursive values as CPython
writes them. The differential corpus (tests/gen/make_corpus.py) covers ordinary values.
"""
import collections
import os
import pickle
import struct
import sys


def u32(n):
    return struct.pack("<I", n)


def u64(n):
    return struct.pack("<Q", n)


def laughs(levels):
    """A DAG of 2**levels tuple leaves in a few bytes per level: each level pairs the previous
    one with itself through the memo."""
    out = b"\x80\x04K\x01\x94"
    for i in range(levels):
        out += b"h" + bytes([i]) + b"h" + bytes([i]) + b"\x86\x94"
    return out


def recursive_values():
    lst = []
    lst.append(lst)
    dct = {}
    dct["self"] = dct
    inner = []
    tup = (inner,)
    inner.append(tup)
    shared = [1, 2]
    return {"list": lst, "dict": dct, "tuple": tup, "shared": [shared, shared, (shared,)]}


def hostile():
    seeds = {
        # 1. declared lengths far beyond the input
        "binbytes8_huge": b"\x80\x04\x8e" + u64(1 << 40) + b"x.",
        "binunicode_huge": b"X" + u32(0xFFFFFFFF) + b"abc.",
        "binstring_negative": b"T" + u32(0xFFFFFFFF) + b"ab.",
        "long4_negative": b"\x8b" + u32(0xFFFFFFFF) + b".",
        "frame_huge": b"\x80\x04\x95" + u64(1 << 62) + b"N.",
        "bytearray8_huge": b"\x80\x05\x96" + u64(1 << 63) + b".",
        # 2. sparse memo indices
        "memo_sparse": b"]replace.",
        "memo_far": b"]r\xff\xff\xff\x7fh\x00.",
        "memo_alias": b"K\x07q\x01K\x08\x94h\x01.",
        "memo_put_mark": b"(p0\n.",
        "memo_negative_put": b"Va\np-1\n.",
        # 3 and 4. expansion, then the DAG hashed as a dict key and a set member
        "laughs_60": laughs(60) + b".",
        "laughs_dict_key": laughs(40) + b"}\x94h\x28N\x73.",
        "laughs_set_member": laughs(40) + b"\x8f(h\x28\x90.",
        "laughs_frozenset": laughs(30) + b"(h\x1e\x91.",
        # 5. nesting
        "deep_lists": b"\x80\x02" + b"]" * 3000 + b"a" * 2999 + b".",
        "deep_marks": b"(" * 5000 + b".",
        "deep_tuples": b"\x80\x02)" + b"\x85" * 2500 + b".",
        # 6. long digit strings
        "int_text_long": b"I" + b"9" * 5000 + b"\n.",
        "long_text_long": b"L" + b"1" * 4301 + b"L\n.",
        "int_text_octal": b"I010\n.",
        "float_text_huge": b"F1e500\n.",
        # 7. many small objects, built and dropped
        "many_lists": b"\x80\x04" + b"]0" * 20000 + b"N.",
        "many_memo": b"\x80\x04" + b"N\x94" * 20000 + b".",
        # 8. container opcodes aimed at the wrong type
        "setitem_on_int": b"K\x01K\x02K\x03s.",
        "setitem_on_list": b"]K\x01K\x02s.",
        "append_on_dict": b"}K\x01a.",
        "additems_on_list": b"\x80\x04](K\x01\x90.",
        "build_on_int": b"K\x01}b.",
        "build_on_global": b"cos\nsystem\n}b.",
        "dict_odd": b"(K\x01d.",
        "setitems_odd": b"}(K\x01u.",
        "unhashable_key": b"}]K\x01s.",
        "newobj_not_global": b"K\x01)\x81.",
        "newobj_ex_bad": b"\x80\x04cpkg\nC\nK\x01K\x02\x92.",
        "reduce_bad_args": b"cos\nsystem\nK\x01R.",
        # globals and objects
        "global_exec": b"cos\nsystem\n(S'echo pwned'\ntR.",
        "stack_global": b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93.",
        "inst": b"(K\x01ipkg.mod\nClass\n.",
        "obj": b"(cpkg\nC\nK\x01o.",
        "reconstructor": b"ccopy_reg\n_reconstructor\n(cpkg\nC\nc__builtin__\nobject\nNtR}b.",
        "codecs_encode": b"c_codecs\nencode\n(X\x02\x00\x00\x00\xc3\xa9X\x06\x00\x00\x00latin1tR.",
        "set_reduce_odd": b"c__builtin__\nset\n(K\x01tR.",
        "ordered_dict_items": b"\x80\x02ccollections\nOrderedDict\n)R(K\x01K\x02u.",
        "build_slotstate": b"\x80\x02cpkg\nC\n)\x81}(K\x01K\x02u}\x86b.",
        # EXT codes, persistent ids, out-of-band buffers
        "ext1": b"\x80\x02\x82\x01)R.",
        "ext2": b"\x80\x02\x83\x00\x01.",
        "ext4_max": b"\x80\x02\x84\xff\xff\xff\x7f.",
        "ext4_negative": b"\x80\x02\x84\xff\xff\xff\xff.",
        "persid": b"Pabc\n.",
        "persid_fail": b"Pfail\n.",
        "binpersid": b"\x80\x02]Q.",
        "binpersid_self": b"\x80\x02]\x94h\x00Qa.",
        "next_buffer": b"\x80\x05\x97.",
        "next_buffer_readonly": b"\x80\x05\x97\x98\x97\x98\x86.",
        "next_buffer_exhausted": b"\x80\x05\x97\x97\x97.",
        # text quirks
        "surrogate_binunicode": b"X\x03\x00\x00\x00\xed\xa0\x80.",
        "surrogate_unicode_text": b"V\\ud800\\U0001f600\n.",
        "string_badly_quoted": b"S'abc\"\n.",
        "string_escapes": b"S'\\x41\\n\\101'\n.",
        "py2_string_latin1": b"U\x02\xe9\xff.",
        # protocol and framing
        "proto_6": b"\x80\x06N.",
        "proto_twice": b"\x80\x02\x80\x04N.",
        "frame_nested": b"\x80\x04\x95\x0a" + b"\x00" * 7 + b"\x95\x01" + b"\x00" * 7 + b"N.",
        "trailing": b"N.garbage",
        "empty": b"",
        "stop_only": b".",
        "pop_mark_empty": b"1.",
    }
    return seeds


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_seeds.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    seeds = hostile()
    sys.setrecursionlimit(10_000)
    values = recursive_values()
    values["odict"] = collections.OrderedDict(a=1, b=[2.5, float("nan")])
    values["sets"] = {frozenset({1, 2}), frozenset(), (1, 1.0, True)}
    for protocol in range(6):
        seeds["recursive.p%d" % protocol] = pickle.dumps(values, protocol=protocol)
    blob = bytearray(b"out-of-band")
    seeds["oob.p5"] = pickle.dumps([pickle.PickleBuffer(blob), b"x" * 10], protocol=5,
                                   buffer_callback=lambda b: False)
    for name, data in seeds.items():
        with open(os.path.join(outdir, "hostile-%s.pkl" % name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
