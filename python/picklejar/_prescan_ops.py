"""The pre-scan's entry point, its opcode table, and the memo, stack and control opcodes.
Numbers and strings are in ``_prescan_scalars``, containers in ``_prescan_containers``,
globals in ``_prescan_globals``, calls and BUILD in ``_prescan_calls`` (with the forms of the
allowlisted callables in ``_prescan_forms``)."""

from __future__ import annotations

import pickle
import re
from typing import Any, Callable, List, Optional

from . import _prescan_calls as calls
from . import _prescan_containers as containers
from . import _prescan_globals as globals_
from . import _prescan_scalars as scalars
from ._limits import DecodeLimits
from ._prescan import MEMO_BYTES, SCALAR_BYTES, SLOT_BYTES, VALUE_BYTES, Scanner
from ._prescan_values import DICT, LIST, Node

_DEFAULT_LIMITS = DecodeLimits()
_INDEX = re.compile(rb"[0-9]{1,19}\Z")


def prescan(data: bytes, allowlist: Any, limits: Optional[DecodeLimits] = None) -> None:
    """Reads ``data``'s opcodes as the unpickler would; raises DecodeError, LimitError or
    ForbiddenGlobal (naming the byte offset and opcode) for what must not be loaded."""
    _scan(Scanner(data, allowlist, limits or _DEFAULT_LIMITS))


_MARK, _STOP, _MEMOIZE, _BINGET = pickle.MARK[0], pickle.STOP[0], pickle.MEMOIZE[0], \
    pickle.BINGET[0]
_SHORT_BINUNICODE, _BININT1, _BININT2, _BININT, _BINFLOAT = pickle.SHORT_BINUNICODE[0], \
    pickle.BININT1[0], pickle.BININT2[0], pickle.BININT[0], pickle.BINFLOAT[0]
_EMPTY_LIST, _EMPTY_DICT = pickle.EMPTY_LIST[0], pickle.EMPTY_DICT[0]
_CONSTANTS = {pickle.NONE[0]: None, pickle.NEWTRUE[0]: True, pickle.NEWFALSE[0]: False}


def _scan(s: Scanner) -> None:
    """The loop. The common case of the most frequent opcodes is handled right here, with the
    position and budgets in locals: a scan costs one Python step per opcode, and calls would
    make it several. Anything else, or anything unusual in those (a frame's end, a budget
    about to run out, bad UTF-8), goes to the opcode's handler, which starts over from the
    opcode and raises the precise error. An inline case changes nothing before it is sure."""
    s.check_input_size()
    data, stack, memo, marks = s.data, s.stack, s.memo, s.marks
    push = stack.append
    unpack_float = scalars.BINFLOAT.unpack_from
    dispatch = _DISPATCH
    max_total, max_objects, max_alloc = s.max_total, s.max_objects, s.max_alloc
    max_memo, max_depth = s.max_memo, s.max_depth
    pos, end, total, objects, fence = s.pos, s.end, s.total, s.objects, s.fence
    while True:
        if pos < end:
            op = data[pos]
            if op == _MEMOIZE:
                if len(stack) > fence and len(memo) < max_memo and \
                        total + MEMO_BYTES <= max_total:
                    memo.append(stack[-1])
                    total += MEMO_BYTES
                    pos += 1
                    continue
            elif op == _SHORT_BINUNICODE:
                if pos + 1 < end:
                    n = data[pos + 1]
                    after = pos + 2 + n
                    cost = VALUE_BYTES + SLOT_BYTES + n
                    if after <= end and n <= max_alloc and objects < max_objects and \
                            total + cost <= max_total:
                        try:
                            text = data[pos + 2:after].decode("utf-8", "surrogatepass")
                        except UnicodeDecodeError:
                            pass
                        else:
                            push(text)
                            objects += 1
                            total += cost
                            pos = after
                            continue
            elif op == _BININT1 or op == _BINGET:
                if pos + 1 < end and total + SLOT_BYTES <= max_total:
                    arg = data[pos + 1]
                    if op == _BININT1:
                        push(arg)
                    elif arg < len(memo):
                        push(memo[arg])
                    else:
                        arg = -1
                    if arg >= 0:
                        total += SLOT_BYTES
                        pos += 2
                        continue
            elif op == _MARK:
                if len(marks) < max_depth and total + SLOT_BYTES <= max_total:
                    fence = s.fence = len(stack)
                    marks.append(fence)
                    total += SLOT_BYTES
                    pos += 1
                    continue
            elif op == _BINFLOAT or op == _BININT or op == _BININT2:
                size = 9 if op == _BINFLOAT else 5 if op == _BININT else 3
                if pos + size <= end and total + SLOT_BYTES + SCALAR_BYTES <= max_total:
                    if op == _BINFLOAT:
                        push(unpack_float(data, pos + 1)[0])
                    else:
                        push(int.from_bytes(data[pos + 1:pos + size], "little", signed=True)
                             if op == _BININT else data[pos + 1] | data[pos + 2] << 8)
                    total += SLOT_BYTES + SCALAR_BYTES
                    pos += size
                    continue
            elif op in _CONSTANTS:
                if total + SLOT_BYTES <= max_total:
                    push(_CONSTANTS[op])
                    total += SLOT_BYTES
                    pos += 1
                    continue
            elif op == _EMPTY_LIST or op == _EMPTY_DICT:
                if objects < max_objects and total + VALUE_BYTES + SLOT_BYTES <= max_total \
                        and max_depth >= 1:
                    push(Node(LIST if op == _EMPTY_LIST else DICT, 1))
                    objects += 1
                    total += VALUE_BYTES + SLOT_BYTES
                    pos += 1
                    continue
            s.op_offset, s.op, s.pos = pos, op, pos + 1
        else:
            s.pos = pos
            op = data[s.next_opcode()]
            s.op = op
        if op == _STOP:
            break
        s.total, s.objects = total, objects
        dispatch[op](s)
        pos, end, total, objects, fence = s.pos, s.end, s.total, s.objects, s.fence
    s.stop()


# ---- memo --------------------------------------------------------------------------------------

def _text_index(s: Scanner, what: str) -> int:
    text = s.line(f"{what}'s argument")
    if not _INDEX.match(text):
        s.fail(f"{what} argument is not a memo index as pickle writes it: {text[:40]!r}")
    return int(text)


def _put(s: Scanner) -> None:
    s.memo_put(_text_index(s, "PUT"))


def _binput(s: Scanner) -> None:
    s.memo_put(s.data[s.take(1, "BINPUT's argument")])


def _long_binput(s: Scanner) -> None:
    p = s.take(4, "LONG_BINPUT's argument")
    s.memo_put(int.from_bytes(s.data[p:p + 4], "little"))


def _memoize(s: Scanner) -> None:
    s.memo_put(len(s.memo))


def _get(s: Scanner) -> None:
    s.memo_get(_text_index(s, "GET"))


def _binget(s: Scanner) -> None:
    s.memo_get(s.data[s.take(1, "BINGET's argument")])


def _long_binget(s: Scanner) -> None:
    p = s.take(4, "LONG_BINGET's argument")
    s.memo_get(int.from_bytes(s.data[p:p + 4], "little"))


# ---- stack and control -------------------------------------------------------------------------

def _mark(s: Scanner) -> None:
    s.push_mark()


def _pop(s: Scanner) -> None:
    if s.marks and s.marks[-1] == len(s.stack):  # POP of a MARK, as CPython allows
        s.pop_mark()
    else:
        s.pop()


def _pop_mark(s: Scanner) -> None:
    del s.stack[s.pop_mark():]


def _dup(s: Scanner) -> None:
    s.push(s.top())


def _proto(s: Scanner) -> None:
    protocol = s.data[s.take(1, "PROTO's argument")]
    if protocol > pickle.HIGHEST_PROTOCOL:
        s.fail(f"unsupported pickle protocol: {protocol}")


def _frame(s: Scanner) -> None:
    p = s.take(8, "FRAME's length")
    s.open_frame(int.from_bytes(s.data[p:p + 8], "little"))


def _push_constant(value: Any) -> Callable[[Scanner], None]:
    def push_constant(s: Scanner) -> None:
        s.push(value)
    return push_constant


def _refuse(why: str) -> Callable[[Scanner], None]:
    def refuse(s: Scanner) -> None:
        s.fail(why)
    return refuse


def _invalid(s: Scanner) -> None:
    s.fail(f"invalid load key, '\\x{s.op:02x}'")


_PERSISTENT = "persistent IDs are refused (picklejar has no persistent_load)"
_EXTENSION = "extension codes are refused (they would bypass the allowlist)"
_BUFFER = "out-of-band buffers are refused (none are given)"

_HANDLERS = {
    "NONE": _push_constant(None), "NEWTRUE": _push_constant(True),
    "NEWFALSE": _push_constant(False),
    "BININT1": scalars.binint1, "BININT2": scalars.binint2, "BININT": scalars.binint,
    "LONG1": scalars.long1, "LONG4": scalars.long4, "INT": scalars.int_text,
    "LONG": scalars.long_text, "BINFLOAT": scalars.binfloat, "FLOAT": scalars.float_text,
    "SHORT_BINUNICODE": scalars.short_binunicode, "BINUNICODE": scalars.binunicode,
    "BINUNICODE8": scalars.binunicode8, "UNICODE": scalars.unicode_text,
    "SHORT_BINSTRING": scalars.short_binstring, "BINSTRING": scalars.binstring,
    "STRING": scalars.string_text, "SHORT_BINBYTES": scalars.short_binbytes,
    "BINBYTES": scalars.binbytes, "BINBYTES8": scalars.binbytes8,
    "BYTEARRAY8": scalars.bytearray8,
    "EMPTY_LIST": containers.empty_list, "EMPTY_TUPLE": containers.empty_tuple,
    "EMPTY_DICT": containers.empty_dict, "EMPTY_SET": containers.empty_set,
    "LIST": containers.list_, "TUPLE": containers.tuple_, "TUPLE1": containers.tuple_n(1),
    "TUPLE2": containers.tuple_n(2), "TUPLE3": containers.tuple_n(3), "DICT": containers.dict_,
    "FROZENSET": containers.frozenset_, "APPEND": containers.append,
    "APPENDS": containers.appends, "SETITEM": containers.setitem,
    "SETITEMS": containers.setitems, "ADDITEMS": containers.additems,
    "PUT": _put, "BINPUT": _binput, "LONG_BINPUT": _long_binput, "MEMOIZE": _memoize,
    "GET": _get, "BINGET": _binget, "LONG_BINGET": _long_binget,
    "MARK": _mark, "POP": _pop, "POP_MARK": _pop_mark, "DUP": _dup, "PROTO": _proto,
    "FRAME": _frame,
    "GLOBAL": globals_.op_global, "STACK_GLOBAL": globals_.op_stack_global,
    "INST": calls.op_inst,
    "OBJ": calls.op_obj, "REDUCE": calls.op_reduce, "NEWOBJ": calls.op_newobj,
    "NEWOBJ_EX": calls.op_newobj_ex, "BUILD": calls.op_build,
    "PERSID": _refuse(_PERSISTENT), "BINPERSID": _refuse(_PERSISTENT),
    "EXT1": _refuse(_EXTENSION), "EXT2": _refuse(_EXTENSION), "EXT4": _refuse(_EXTENSION),
    "NEXT_BUFFER": _refuse(_BUFFER), "READONLY_BUFFER": _refuse(_BUFFER),
}

_DISPATCH: List[Callable[[Scanner], None]] = [_invalid] * 256
for _name, _handler in _HANDLERS.items():
    _DISPATCH[getattr(pickle, _name)[0]] = _handler
