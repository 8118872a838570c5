"""DecodeLimits: how much one pickle may make the reading process do, named and defaulted as
the C++ ``picklejar::DecodeLimits`` (lib/include/picklejar/pickle.hpp; docs/DECODING.md).

The C++ decoder enforces them while it decodes; the Python package enforces them in the
pre-scan (``_prescan``) that reads every entry's opcodes before ``pickle.Unpickler.load()``
runs, so a pickle over a limit is refused before CPython allocates or computes anything.
"""

from __future__ import annotations

import dataclasses

GiB = 1 << 30


@dataclasses.dataclass(frozen=True)
class DecodeLimits:
    """Caps on what one pickle may make a reader build; exceeding one raises LimitError
    naming it (with the byte offset and opcode where it happened)."""

    # Total size of the pickle.
    max_input_bytes: int = GiB
    # How deeply values nest (a list in a list in a list is 3 deep), and how many MARKs are
    # open at once. A flat tuple of many items is not deep.
    max_depth: int = 10_000
    # Distinct memo entries (PUT/BINPUT/LONG_BINPUT/MEMOIZE).
    max_memo_entries: int = 10_000_000
    # Items in one list, tuple, dict, set, frozenset or object.
    max_container_items: int = 100_000_000
    # Bytes of one str, bytes, bytearray or int payload.
    max_allocation_bytes: int = GiB
    # Values created while decoding (str, bytes, containers, big ints, globals, objects),
    # including ones the pickle discards.
    max_objects: int = 50_000_000
    # Decimal digits in a protocol-0 INT/LONG text (CPython 3.11's int max str digits).
    max_int_digits: int = 4300
    # Bytes a decode may allocate in all (objects, payloads, container storage, the stack and
    # the memo, including what the pickle discards), so a small input never allocates
    # gigabytes. Python counts an estimate of CPython's sizes (at least what it allocates).
    max_total_bytes: int = GiB
    # Python only: hashing work for dict keys and set members, in units of about one tuple
    # item hashed or one colliding probe. CPython does not cache tuple hashes, so a key made
    # of a chain of shared tuples costs 2**depth; keys whose hashes collide cost a compare
    # against each earlier one. The C++ decoder caches hashes and needs no such budget.
    max_hash_work: int = 50_000_000

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"DecodeLimits.{field.name} must be an int, not {value!r}")
            if value < 0:
                raise ValueError(f"DecodeLimits.{field.name} must not be negative")
