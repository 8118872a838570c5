"""The pre-scan's fast path: small pickles of plain data checked with two regular
expressions (C speed) instead of the opcode-by-opcode scan (``_prescan_ops``, Python speed,
about ten times the cost of unpickling).

:func:`plain_pickle` is True only for a pickle that

- is protocol 4 or 5, in one FRAME that ends exactly where the pickle does (or unframed);
- is one value of this grammar, followed by STOP (nothing after it)::

    value     = scalar | container
    scalar    = SHORT_BINUNICODE | SHORT_BINBYTES | LONG1 (a 1-byte length and that many
                bytes; then an optional MEMOIZE) | BININT1 | BININT2 | BININT | BINFLOAT |
                NONE | NEWTRUE | NEWFALSE | EMPTY_TUPLE | BINGET | LONG_BINGET
    container = EMPTY_DICT MEMOIZE ( (MARK value+ SETITEMS)+ | value value SETITEM )?
              | EMPTY_LIST MEMOIZE ( (MARK value+ APPENDS)+  | value APPEND )?

- is short enough that no DecodeLimits limit can be reached (:func:`_max_sizes`).

That is what CPython's pickler writes for dicts and lists (up to 1000 items) of str, bytes,
int, float, bool, None and (), with shared strings (BINGET), up to a few kilobytes: the
common session entry. For such a pickle the scan would accept it, or CPython's unpickler
raises; so the caller may unpickle it with ``pickle.loads`` at once, and must run the full
scan (for its error) when that raises. Why:

1. Nothing runs and nothing is allocated out of proportion: no opcode in the grammar names a
   global, calls, builds, or looks up a method; declared lengths are at most 255 and their
   bytes are there; the memo grows by MEMOIZE only (no PUT to a far index).
2. Every derivation of the grammar is what the unpickler does: each production pushes
   exactly one value and, whatever surrounds it, CPython runs its SETITEM(S) on the dict its
   EMPTY_DICT made and its APPEND(S) on the list its EMPTY_LIST made, with at least one item
   after each MARK. (Quietly, CPython would also run SETITEMS on a non-empty list with int
   keys, replacing items, and APPENDS/SETITEMS with an empty slice on anything: the scan
   refuses those, and the grammar has none.)
3. What the scan could still refuse in such a pickle, CPython refuses too: invalid UTF-8
   (both decode with surrogatepass), a BINGET of a memo index not stored, an unhashable
   dict key (a BINGET of a list or dict), an odd SETITEMS slice. Every limit is out of reach
   by the size bound, hashing included: no tuple holds anything, so a key costs at most 16
   units (a LONG1 int) plus one compare of that per earlier key.

The check: ``_MULTI_BYTE`` replaces each multi-byte opcode with its argument (and a MEMOIZE
after it) by ``V``; searched from a token boundary, a match ends at the next one and a
failed attempt at a 1-byte opcode moves to the next, so what remains is the opcodes in order
(an unknown opcode stays, and so does a multi-byte one cut short: both are refused below).
A ``V`` byte of the pickle's own left there would pass for a token, but it is UNICODE, whose
argument runs to the next newline: the bytes after it would be read as tokens while CPython
reads them as its line, and opcodes hidden in a counted argument (a GLOBAL, a REDUCE) would
run. So the skeleton must hold exactly one ``V`` per token replaced. The 1-byte scalars
become ``V`` too. Then ``_CONTAINER_SOURCE`` replaces containers whose items are all ``V``
by ``V`` until nothing changes: the pickle is plain iff ``V.`` remains. (A container is not
reduced while it could still be the start of a longer one: a reduction is a grammar
production, so a pickle that reduces to ``V.`` has a derivation, whatever order the
reductions took.)

No tuples, sets or globals, no protocols 0-3, no strings of 256 bytes or more: the full scan
reads those.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Tuple

from ._limits import DecodeLimits

# A 1-byte length and that many bytes: the length is spelled out, 256 ways.
_COUNTED = b"|".join(re.escape(bytes([n])) + b".{%d}" % n for n in range(256))
_MULTI_BYTE = (rb"[\x8cC\x8a](?:" + _COUNTED + rb")\x94?"  # SHORT_BINUNICODE/BINBYTES, LONG1
               rb"|K.|M..|J.{4}|G.{8}"  # BININT1, BININT2, BININT, BINFLOAT
               rb"|h.|j.{4}")  # BINGET, LONG_BINGET
_ONE_BYTE_SCALARS = bytes.maketrans(b"N\x88\x89)", b"VVVV")  # NONE, NEWTRUE, NEWFALSE, ()
# A container whose items are reduced. One that is empty so far is reduced only when what
# follows cannot be its own items: its closer's position holds something else.
_CONTAINER_SOURCE = (
    rb"\}\x94(?:(?:\(V+u)+(?!\()|VVs|(?=[ueas.]|V(?:[^V}\]]|V[^s])))"
    rb"|\]\x94(?:(?:\(V+e)+(?!\()|Va|(?=[ueas.]|V[^a]))")

_FRAMED = 11  # PROTO 4, FRAME and its 8-byte length


def plain_pickle(data: bytes, limits: DecodeLimits) -> bool:
    """Whether ``data`` is a plain pickle as the module docstring defines it, so that
    ``pickle.loads(data)`` either returns what the scan and SafeUnpickler would, or raises
    (then the full scan must report)."""
    known = _known.get(id(limits))
    if known is None or known[0] is not limits:
        known = _remember(limits)
    size = len(data)
    if size > known[1] and (size > known[2] or b"\x8a" in data):
        return False  # long enough to reach a limit
    if size < 4 or data[0] != 0x80 or data[1] not in (4, 5):
        return False
    if data[2] != 0x95:
        body = data[2:]
    elif int.from_bytes(data[3:_FRAMED], "little") == size - _FRAMED:
        body = data[_FRAMED:]
    else:
        return False  # a frame that ends early or late: the full scan checks framing
    skeleton, tokens = _tokens.subn(b"V", body)
    if skeleton.count(b"V") != tokens:
        return False  # a V the pickle holds (UNICODE, whose line hides opcodes), not a token
    skeleton = skeleton.translate(_ONE_BYTE_SCALARS)
    if skeleton in _plain_skeletons:
        return True
    reduced, rest = 1, skeleton
    while rest != b"V.":
        if not reduced:
            return False
        rest, reduced = _container.subn(b"V", rest)
    if len(skeleton) <= _REMEMBERED_SKELETON:
        if len(_plain_skeletons) >= 256:
            _plain_skeletons.clear()
        _plain_skeletons[skeleton] = None
    return True


# Skeletons found to reduce to V. (a session's entries mostly share a few shapes): whether
# one does depends on nothing else, so each is reduced once. At most 256 of at most 1 KiB.
_REMEMBERED_SKELETON = 1024
_plain_skeletons: Dict[bytes, None] = {}


# The cost of a pickle of n bytes in the pre-scan's accounting, at most (n bytes hold at most
# n opcodes, so at most n values, memo entries, items, MARKs, and a depth of n):
# - total bytes: a 1-byte opcode pushes at most 104 (EMPTY_DICT/LIST/TUPLE: an object and a
#   stack slot) and the item it becomes costs at most 20 more (half a 40-byte dict entry);
#   counted payloads cost 104 + their length for length + 2 bytes. So at most 128 n;
# - hashing: at most n/2 keys, each costing at most 16 units (a LONG1 int of 255 bytes; 1
#   without LONG1) plus one compare of that cost per earlier key of the same hash.
_TOTAL_PER_BYTE = 128
_PAYLOAD = 255  # the longest counted payload


# Per DecodeLimits object seen (by identity): (limits, longest pickle with LONG1 opcodes,
# longest without). The patterns are compiled with the first (a few milliseconds).
_known: Dict[int, Tuple[DecodeLimits, int, int]] = {}
_tokens: Any = None
_container: Any = None


def _remember(limits: DecodeLimits) -> Tuple[DecodeLimits, int, int]:
    global _tokens, _container
    if _tokens is None:
        _tokens = re.compile(_MULTI_BYTE, re.DOTALL)
        _container = re.compile(_CONTAINER_SOURCE)
    if len(_known) >= 64:
        _known.clear()
    with_long, without_long = _max_sizes(limits)
    known = _known[id(limits)] = (limits, with_long, without_long)
    return known


def _max_sizes(limits: DecodeLimits) -> Tuple[int, int]:
    """The longest pickle whose every cost stays within ``limits``: with LONG1 opcodes (a
    key may cost 16 units), and without."""
    if limits.max_allocation_bytes < _PAYLOAD:
        return 0, 0
    size = min(limits.max_input_bytes, limits.max_objects, limits.max_memo_entries,
               limits.max_container_items, limits.max_depth,
               limits.max_total_bytes // _TOTAL_PER_BYTE)
    return (min(size, _hash_size(limits.max_hash_work, 16)),
            min(size, _hash_size(limits.max_hash_work, 1)))


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
