"""The pre-scan's fast path: small pickles of plain data checked by one regular expression
(C speed) instead of the opcode-by-opcode scan (``_prescan_ops``, Python speed, about ten
times the cost of unpickling).

:func:`plain_pickle` is True only for a pickle that

- is protocol 4 or 5, in one FRAME that ends exactly where the pickle does (or unframed);
- is one value of this grammar, followed by STOP (nothing after it)::

    value     = scalar | container
    scalar    = SHORT_BINUNICODE | SHORT_BINBYTES | LONG1 (each a 1-byte length and its
                bytes, then an optional MEMOIZE) | BININT1 | BININT2 | BININT | BINFLOAT |
                NONE | NEWTRUE | NEWFALSE | EMPTY_TUPLE | BINGET | LONG_BINGET
    container = (EMPTY_DICT | EMPTY_LIST) MEMOIZE
                ( (MARK value+ SETITEMS|APPENDS)+        -- batches
                | scalar scalar SETITEM | scalar APPEND )?  -- one item, right after it
  where a dict's batches close with SETITEMS (SETITEM) and a list's with APPENDS (APPEND),
  containers nest at most ``_LEVELS`` deep, and every length is read from the pickle (the
  256 possible 1-byte lengths are spelled out);
- is short enough that no DecodeLimits limit can be reached (:func:`_max_size`).

That is what CPython's pickler writes for dicts and lists of str, bytes, int, float, bool and
None, with shared strings (BINGET), up to a few kilobytes: the common session entry. For such
a pickle the scan would accept it, or CPython's unpickler raises; so the caller may unpickle
it with ``pickle.loads`` at once, and must run the full scan (for its error) when that
raises. Why:

1. Nothing runs and nothing is allocated out of proportion: no opcode in the grammar names a
   global, calls, builds, extends or sets attributes; declared lengths are at most 255 and
   their bytes are there; the memo grows by MEMOIZE only (no PUT to a far index).
2. The grammar is a faithful parse of the unpickler's stack machine: each ``value`` pushes
   exactly one value, each batch pops exactly the items its MARK began and adds them to the
   container right below, which is the one its ``container`` began. So every SETITEM(S)
   goes to a dict made by EMPTY_DICT and every APPEND(S) to a list made by EMPTY_LIST,
   never with an empty slice and never after a MARK. (The fast path refuses what CPython
   itself would do quietly but the scan refuses: SETITEMS on a non-empty list with int keys
   replaces its items; APPENDS/SETITEMS with an empty slice do nothing to any target; a
   second batch on a container whose first batch was of the other kind. And a one-item
   form whose item is a container: holding the grammar to one nested reference per level
   keeps the expression linear in size.)
3. What the scan could still refuse in such a pickle, CPython refuses too: invalid UTF-8
   (both decode with surrogatepass), a BINGET of a memo index not stored, an unhashable dict
   key (a BINGET of a list or dict), an odd SETITEMS slice. Every limit is out of reach by
   the size bound (:func:`_max_size`), hashing included: no tuple holds anything, so a key
   costs at most 16 units (a LONG1 int) and collisions at most one compare per earlier key.

No tuples, sets or globals, no protocols 0-3, no strings of 256 bytes or more: the full scan
reads those.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Tuple

from ._limits import DecodeLimits

_LEVELS = 8  # containers nested deeper go to the full scan

# A 1-byte length and that many bytes: the length is spelled out, 256 ways.
_COUNTED = b"|".join(re.escape(bytes([n])) + b".{%d}" % n for n in range(256))
_SCALAR = (rb"(?:[\x8cC\x8a](?:" + _COUNTED + rb")\x94?"  # SHORT_BINUNICODE/BINBYTES, LONG1
           rb"|K.|M..|J.{4}|G.{8}"  # BININT1, BININT2, BININT, BINFLOAT
           rb"|[N\x88\x89)]"  # NONE, NEWTRUE, NEWFALSE, EMPTY_TUPLE
           rb"|h.|j.{4})")  # BINGET, LONG_BINGET


def _grammar(levels: int) -> bytes:
    """The pattern of a plain pickle. Each level's container captures its kind in group kN:
    MEMOIZE's byte for a dict, empty for a list; (?!kN) holds for a dict, (?=kN) for a list
    (lookarounds with a back reference, since groups keep their last value in a loop)."""
    value = _SCALAR
    for level in range(1, levels + 1):
        kind = b"k%d" % level
        dict_, list_ = b"(?!(?P=" + kind + b"))", b"(?=(?P=" + kind + b"))"
        opener = rb"[}\]](?P<" + kind + rb">\x94(?<=}\x94)|(?<=\])(?=\x94))\x94?"
        batch = rb"\((?:" + value + rb")+(?:" + dict_ + b"u|" + list_ + b"e)"
        one = (b"(?:" + dict_ + _SCALAR + b"|" + list_ + b")" + _SCALAR
               + b"(?:" + dict_ + b"s|" + list_ + b"a)")
        container = opener + rb"(?:(?:" + batch + rb")+|" + one + rb")?"
        value = rb"(?:" + _SCALAR + rb"|" + container + rb")"
    return rb"\x80[\x04\x05](?:\x95.{8})?" + value + rb"\."


_pattern: Any = None  # compiled on first use: tens of milliseconds


def _match(data: bytes) -> bool:
    global _pattern
    if _pattern is None:
        _pattern = re.compile(_grammar(_LEVELS), re.DOTALL)
    return _pattern.fullmatch(data) is not None


_FRAMED = 11  # PROTO 4, FRAME and its 8-byte length


def plain_pickle(data: bytes, limits: DecodeLimits) -> bool:
    """Whether ``data`` is a plain pickle as the module docstring defines it, so that
    ``pickle.loads(data)`` either returns what the scan and SafeUnpickler would, or raises
    (then the full scan must report)."""
    size = len(data)
    if size > _max_size(limits, b"\x8a" in data):
        return False
    if size > _FRAMED and data[2] == 0x95 and \
            int.from_bytes(data[3:_FRAMED], "little") != size - _FRAMED:
        return False  # a frame that ends early: the full scan checks framing
    return _match(data)


# The cost of a pickle of n bytes in the pre-scan's accounting, at most (n bytes hold at most
# n opcodes, so at most n values, memo entries, items, MARKs, and a depth of n):
# - total bytes: a 1-byte opcode pushes at most 104 (EMPTY_DICT/LIST/TUPLE: an object and a
#   stack slot) and the item it becomes costs at most 20 more (half a 40-byte dict entry);
#   counted payloads cost 104 + their length for length + 2 bytes. So at most 128 n;
# - hashing: at most n/2 keys, each costing at most 16 units (a LONG1 int of 255 bytes; 1
#   without LONG1) plus one compare of that cost per earlier key of the same hash.
_TOTAL_PER_BYTE = 128
_PAYLOAD = 255  # the longest counted payload


def _max_size(limits: DecodeLimits, long_ints: bool) -> int:
    """The longest pickle whose every cost stays within ``limits``."""
    known = _sizes.get(id(limits))
    if known is None or known[0] is not limits:
        known = _sizes[id(limits)] = (limits, _max_sizes(limits))
        if len(_sizes) > 64:
            _sizes.clear()
    return known[1][long_ints]


_sizes: Dict[int, Tuple[DecodeLimits, Tuple[int, int]]] = {}


def _max_sizes(limits: DecodeLimits) -> Tuple[int, int]:
    if limits.max_allocation_bytes < _PAYLOAD:
        return 0, 0
    size = min(limits.max_input_bytes, limits.max_objects, limits.max_memo_entries,
               limits.max_container_items, limits.max_depth,
               limits.max_total_bytes // _TOTAL_PER_BYTE)
    return (min(size, _hash_size(limits.max_hash_work, 1)),
            min(size, _hash_size(limits.max_hash_work, 16)))


def _hash_size(budget: int, key_cost: int) -> int:
    """The longest pickle whose keys' hashing work (n // 2 keys at most, each costing
    key_cost once plus once per earlier key of the same hash) stays within budget."""
    n, step = 0, 1 << 40
    while step:
        keys = (n + step) // 2
        if key_cost * (keys + keys * (keys - 1) // 2) <= budget:
            n += step
        step >>= 1
    return n
