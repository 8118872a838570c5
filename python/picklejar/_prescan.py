"""The pre-scan: one iterative pass over a pickle's opcodes before ``pickle.Unpickler.load()``
sees it, refusing what would make CPython crash, hang, allocate without bound, or read the
bytes differently than another reader would.

CPython's unpickler has no limits: a 9-byte LONG_BINPUT makes it size its memo to the index,
a 1 MB dict key nested a million tuples deep overflows the C stack when hashed, a 100-byte
key made of shared tuples takes 2**48 steps to hash, and the allowlisted callables run with
whatever arguments a pickle gives them. The pre-scan follows the unpickler's stack machine
(stack, MARKs, memo) on a model of the values (``_prescan_values``) and enforces
:class:`~picklejar.DecodeLimits` as the C++ decoder does, plus:

- framing is strict, as pickle.py's reader is: a read never crosses the end of a FRAME, and
  a FRAME starts only once the previous one is used up. Otherwise ``pickle.loads(bytes)``
  and ``pickle.load(file)`` (which the package uses) could read different opcodes;
- GLOBAL and INST names are non-empty lines;
- the memo is dense: a PUT stores the next index or overwrites one, a GET reads one stored;
- the allowlisted callables are called only in the forms CPython's pickler writes
  (``_prescan_calls``), each object gets at most one BUILD, and no items after it.

The model keeps immutable scalars as themselves and everything else as small records, so a
scan costs about what one pure-Python pass over the opcodes costs. Errors are DecodeError,
LimitError or ForbiddenGlobal naming the byte offset and opcode.
"""

from __future__ import annotations

import os
import pickle
import sys
from typing import Any, Callable, List, NoReturn, Optional

from ._limits import DecodeLimits
from ._prescan_values import CAP, KeyTable, Node, key_cost, key_hash, kind_name
from .errors import DecodeError, ForbiddenGlobal, LimitError

# Opcode byte -> name, from pickle's own constants (MARK = b'(' ...).
OPCODE_NAMES = {
    value[0]: name
    for name, value in vars(pickle).items()
    if name.isupper() and isinstance(value, bytes) and len(value) == 1
}

# str (and bytes) hashes are keyed by a random per-process seed unless PYTHONHASHSEED fixes it.
STR_HASHES_SECRET = bool(sys.flags.hash_randomization) and \
    os.environ.get("PYTHONHASHSEED", "random") == "random"

# Estimates of what CPython allocates, for max_total_bytes (64-bit builds).
VALUE_BYTES = 96  # one object (header, GC links, fields), or the scan's record of it
SLOT_BYTES = 8  # one reference: a stack slot, a list or tuple item
ENTRY_BYTES = 40  # one dict or set entry (entry, index, spare room)
SCALAR_BYTES = 32  # one int, float or complex object
MEMO_BYTES = 16  # one memo slot (CPython doubles its memo array as it grows)


def shown(text: str, limit: int = 200) -> str:
    """``text`` for an error message: control characters escaped, at most ``limit`` shown."""
    cut = text[:limit]
    if not cut.isprintable():
        cut = "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)
    return cut if len(text) <= limit else f"{cut}... ({len(text)} characters)"


class Scanner:
    """One scan of one pickle. Opcode handlers live in ``_prescan_ops``; they read through
    :meth:`take` and :meth:`line`, and use the stack helpers here."""

    def __init__(self, data: bytes, allowlist: Any, limits: DecodeLimits) -> None:
        self.data = data
        self.size = len(data)
        self.allowlist = allowlist
        self.limits = limits
        self.pos = 0
        self.end = self.size  # where the current read must stop: a frame's end, or the input's
        self.framed = False
        self.frame_start = 0
        self.stack: List[Any] = []
        self.marks: List[int] = []
        self.fence = 0  # stack position of the innermost MARK
        self.memo: List[Any] = []
        self.op_offset = 0
        self.op = 0
        self.objects = 0
        self.total = 0
        self.hash_work = 0
        self.at_stop: List[Callable[[], None]] = []  # checks that need the whole pickle
        # The limits the fast paths check, as plain attributes.
        self.max_depth = limits.max_depth
        self.max_total = limits.max_total_bytes
        self.max_objects = limits.max_objects
        self.max_items = limits.max_container_items
        self.max_alloc = limits.max_allocation_bytes
        self.max_memo = limits.max_memo_entries

    # ---- errors -------------------------------------------------------------------------------

    def where(self) -> str:
        if self.op < 0:  # no opcode there: the input ended
            return f"at offset {self.op_offset}"
        name = OPCODE_NAMES.get(self.op, "unknown")
        return f"at offset {self.op_offset} (opcode 0x{self.op:02x} {name})"

    def located(self, error: Exception) -> Exception:
        # Every error of the pre-scan says where it stopped, whatever its class.
        error.offset = self.op_offset  # type: ignore[attr-defined]
        error.opcode = self.op if self.op >= 0 else None  # type: ignore[attr-defined]
        return error

    def fail(self, why: str) -> NoReturn:
        raise self.located(DecodeError(f"pickle decode error {self.where()}: {why}"))

    def fail_limit(self, limit: str, why: str) -> NoReturn:
        raise self.located(LimitError(f"pickle decode error {self.where()}: {why}", limit))

    def forbid(self, module: str, name: str, why: Optional[str] = None) -> NoReturn:
        if why is None:  # the name as the pickle gives it: maybe huge, maybe control characters
            why = str(ForbiddenGlobal(shown(module), shown(name)))
        raise self.located(ForbiddenGlobal(module, name, f"{why}, {self.where()}"))

    # ---- input --------------------------------------------------------------------------------

    def take(self, n: int, what: str) -> int:
        """Consumes n bytes; returns where they start. Refuses a read past the input or
        across the end of a frame."""
        pos = self.pos
        if pos + n > self.end:
            pos = self._past_end(n, what)
        self.pos = pos + n
        return pos

    def _past_end(self, n: int, what: str) -> int:
        if self.framed and self.pos == self.end:  # the frame is used up: read on unframed
            self.framed = False
            self.end = self.size
            if self.pos + n <= self.end:
                return self.pos
        if self.framed:
            self.fail(f"malformed framing: {what} needs {n} bytes but the FRAME at offset "
                      f"{self.frame_start} has {self.end - self.pos} left (a read across a "
                      "frame's end is read differently by pickle.load and pickle.loads)")
        self.fail(f"pickle data was truncated: {what} needs {n} bytes, "
                  f"{self.size - self.pos} remain")

    def payload(self, n: int, what: str) -> int:
        """Consumes a payload of a declared length, checked before anything is allocated."""
        end = self.size if self.framed and self.pos == self.end else self.end
        if n > end - self.pos:
            self.take(n, what)  # raises: truncated, or across the frame's end
        if n > self.limits.max_allocation_bytes:
            self.fail_limit("max_allocation_bytes", f"{what} of {n} bytes exceeds "
                            f"max_allocation_bytes ({self.limits.max_allocation_bytes})")
        return self.take(n, what)

    def line(self, what: str) -> bytes:
        """The bytes up to the next newline (which is consumed); it must end in the frame."""
        if self.framed and self.pos == self.end:
            self.framed = False
            self.end = self.size
        nl = self.data.find(b"\n", self.pos, self.end)
        if nl < 0:
            if self.framed:
                self.fail(f"malformed framing: {what} runs past the end of the FRAME at "
                          f"offset {self.frame_start}")
            self.fail(f"pickle data was truncated: {what} has no newline")
        text = self.data[self.pos:nl]
        self.pos = nl + 1
        return text

    def open_frame(self, n: int) -> None:
        if self.framed and self.pos != self.end:
            self.fail(f"malformed framing: a FRAME begins {self.end - self.pos} bytes before the "
                      f"end of the FRAME at offset {self.frame_start}")
        if n > self.size - self.pos:
            self.fail(f"pickle data was truncated: frame of {n} bytes exceeds the "
                      f"{self.size - self.pos} bytes remaining")
        self.framed = True
        self.frame_start = self.op_offset
        self.end = self.pos + n

    # ---- stack, MARKs and memo ----------------------------------------------------------------

    def push(self, value: Any) -> None:
        self.stack.append(value)
        self.total += SLOT_BYTES
        if self.total > self.max_total:
            self.over_total()

    def pop(self) -> Any:
        if len(self.stack) <= self.fence:
            self.underflow()
        return self.stack.pop()

    def top(self) -> Any:
        if len(self.stack) <= self.fence:
            self.underflow()
        return self.stack[-1]

    def underflow(self) -> NoReturn:
        if self.marks and len(self.stack) == self.fence:
            self.fail("unpickling stack underflow (a MARK is on top of the stack)")
        self.fail("unpickling stack underflow")

    def push_mark(self) -> None:
        if len(self.marks) >= self.max_depth:
            self.fail_limit("max_depth", f"MARKs nested deeper than max_depth ({self.max_depth})")
        self.marks.append(len(self.stack))
        self.fence = len(self.stack)
        self.spend(SLOT_BYTES)

    def pop_mark(self) -> int:
        """Closes the innermost MARK; returns where its slice starts."""
        if not self.marks:
            self.fail("could not find MARK")
        base = self.marks.pop()
        self.fence = self.marks[-1] if self.marks else 0
        return base

    def slice_from(self, base: int) -> List[Any]:
        items = self.stack[base:]
        del self.stack[base:]
        return items

    def memo_put(self, index: int) -> None:
        if len(self.stack) <= self.fence:
            self.fail("cannot store a MARK in the memo" if self.marks
                      else "empty stack: nothing to store in the memo")
        memo = self.memo
        if index < len(memo):
            memo[index] = self.stack[-1]
            return
        if index > len(memo):
            self.fail(f"memo index {index} is beyond the {len(memo)} entries stored so far "
                      "(pickle stores them in order; CPython would size its memo to it)")
        if len(memo) >= self.limits.max_memo_entries:
            self.fail_limit("max_memo_entries", "memo would exceed max_memo_entries "
                            f"({self.limits.max_memo_entries})")
        memo.append(self.stack[-1])
        self.spend(MEMO_BYTES)

    def memo_get(self, index: int) -> None:
        if index >= len(self.memo):
            self.fail(f"Memo value not found at index {index}")
        self.push(self.memo[index])

    # ---- budgets ------------------------------------------------------------------------------

    def new_node(self, node: Node, count: int = 1) -> Node:
        """Counts a value created (and checks its depth); returns it."""
        self.objects += count
        if self.objects > self.limits.max_objects:
            self.fail_limit("max_objects", f"more than max_objects ({self.limits.max_objects}) "
                            "values created")
        if node.depth > self.max_depth:
            self.depth_exceeded()
        self.spend(VALUE_BYTES * count)
        return node

    def over_budget(self) -> NoReturn:
        """Raises for whichever of max_objects and max_total_bytes a fast path went over."""
        if self.objects > self.max_objects:
            self.fail_limit("max_objects", f"more than max_objects ({self.max_objects}) "
                            "values created")
        self.over_total()

    def count_value(self, payload: int) -> None:
        """Counts a value that is not a node (a str, bytes or int) and its payload bytes."""
        self.objects += 1
        if self.objects > self.limits.max_objects:
            self.fail_limit("max_objects", f"more than max_objects ({self.limits.max_objects}) "
                            "values created")
        self.spend(VALUE_BYTES + payload)

    def depth_exceeded(self) -> NoReturn:
        self.fail_limit("max_depth", f"values nested deeper than max_depth ({self.max_depth})")

    def deepen(self, node: Node, depth: int) -> None:
        if depth > node.depth:
            if depth > self.max_depth:
                self.depth_exceeded()
            node.depth = depth

    def spend(self, nbytes: int) -> None:
        self.total += nbytes
        if self.total > self.max_total:
            self.over_total()

    def over_total(self) -> NoReturn:
        self.fail_limit("max_total_bytes", "the values would take more than max_total_bytes "
                        f"({self.max_total})")

    def check_items(self, count: int) -> None:
        if count > self.limits.max_container_items:
            self.fail_limit("max_container_items", f"container of {count} items exceeds "
                            f"max_container_items ({self.limits.max_container_items})")

    def insert_keys(self, target: Node, keys: List[Any], what: str) -> None:
        """Accounts for hashing ``keys`` into the dict or set ``target``: each key's hashing
        cost, plus a compare with every earlier key of the same hash (CPython probes them
        all, so keys that collide cost quadratic time)."""
        if target.table is None:
            target.table = KeyTable()
        table = target.table.counts
        work = 0
        for key in keys:
            if type(key) is str and STR_HASHES_SECRET:
                work += 1  # nobody can make strs collide without the process's hash seed
                continue
            cost = key_cost(key)
            if cost is None:
                self.fail(f"unhashable type: '{kind_name(key)}' used as a {what}")
            work += cost
            if self.hash_work + work > self.limits.max_hash_work:
                self.charge_hash(work)  # raises, before the hash is worked out
            h = key_hash(key)
            if h is not None:
                earlier = table.get(h, 0)
                table[h] = earlier + 1
                if earlier:
                    work = min(work + cost * earlier, CAP)
        target.table.work = min(target.table.work + work, CAP)
        self.charge_hash(work)

    def charge_hash(self, work: int) -> None:
        self.hash_work += work
        if self.hash_work > self.limits.max_hash_work:
            self.fail_limit("max_hash_work", "hashing the dict keys and set members would take "
                            f"more than max_hash_work ({self.limits.max_hash_work}) steps")

    # ---- start and end -----------------------------------------------------------------------

    def check_input_size(self) -> None:
        if self.size > self.limits.max_input_bytes:
            self.op = -1
            raise self.located(LimitError(f"pickle of {self.size} bytes exceeds max_input_bytes "
                                          f"({self.limits.max_input_bytes})", "max_input_bytes"))

    def next_opcode(self) -> int:
        """Where the next opcode is, when it is not plainly in the current read window: past
        the end of a used-up frame, or past the end of the input."""
        pos = self.op_offset = self.pos
        self.op = -1
        if pos >= self.size:
            self.fail("pickle data was truncated: input ended before the STOP opcode"
                      if pos else "empty input: no pickle")
        return self.take(1, "an opcode")

    def stop(self) -> None:
        self.pop()  # the result
        if self.pos != self.size:
            self.fail(f"{self.size - self.pos} bytes after the pickle's STOP opcode")
        for check in self.at_stop:
            check()
