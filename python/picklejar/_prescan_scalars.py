"""The pre-scan's handlers for numbers, strings and bytes. (The scan loop in
``_prescan_ops`` handles the common case of the most frequent ones itself.)"""

from __future__ import annotations

import codecs
import re
import struct
from typing import Callable

from ._prescan import SCALAR_BYTES, Scanner
from ._prescan_values import BIGINT, BYTEARRAY, BYTES, SHORT_INT, SHORT_VALUE, STR, LongText, Node

_DECIMAL = re.compile(rb"-?(0|[1-9][0-9]*)\Z")  # what repr(int) writes
BINFLOAT = struct.Struct(">d")


# ---- numbers -----------------------------------------------------------------------------------

def push_int(s: Scanner, value: int, payload: int = 0) -> None:
    if not -5 <= value <= 256:  # CPython's cached small ints cost nothing
        if payload > 8:
            s.count_value(payload)
        else:
            s.spend(SCALAR_BYTES)
    s.push(value)


def binint1(s: Scanner) -> None:
    s.push(s.data[s.take(1, "BININT1's argument")])


def binint2(s: Scanner) -> None:
    p = s.take(2, "BININT2's argument")
    push_int(s, s.data[p] | s.data[p + 1] << 8)


def binint(s: Scanner) -> None:
    p = s.take(4, "BININT's argument")
    push_int(s, int.from_bytes(s.data[p:p + 4], "little", signed=True))


def _long_payload(s: Scanner, n: int) -> None:
    p = s.payload(n, "a LONG payload")
    if n <= SHORT_INT:
        push_int(s, int.from_bytes(s.data[p:p + n], "little", signed=True), n)
    else:  # not made: hashing it is the only thing that could need its value
        s.count_value(n)
        s.push(Node(BIGINT, 0, 1 + (n >> 4)))


def long1(s: Scanner) -> None:
    _long_payload(s, s.data[s.take(1, "LONG1's length")])


def long4(s: Scanner) -> None:
    p = s.take(4, "LONG4's length")
    n = int.from_bytes(s.data[p:p + 4], "little", signed=True)
    if n < 0:
        s.fail(f"LONG pickle has negative byte count ({n})")
    _long_payload(s, n)


def _decimal_text(s: Scanner, text: bytes, what: str) -> int:
    if not _DECIMAL.match(text) and text != b"-0":
        s.fail(f"{what} argument is not a decimal integer as pickle writes it: {text[:40]!r}")
    digits = len(text) - text.startswith(b"-")
    if digits > s.limits.max_int_digits:
        s.fail_limit("max_int_digits", f"{what} text of {digits} digits exceeds max_int_digits "
                     f"({s.limits.max_int_digits})")
    try:
        return int(text)
    except ValueError as e:  # CPython's own int max str digits
        s.fail(f"{what} argument: {e}")


def int_text(s: Scanner) -> None:
    text = s.line("INT's argument")
    if text in (b"00", b"01"):
        s.push(text == b"01")
    else:
        value = _decimal_text(s, text, "INT")
        push_int(s, value, (value.bit_length() + 7) >> 3)


def long_text(s: Scanner) -> None:
    text = s.line("LONG's argument")
    value = _decimal_text(s, text[:-1] if text.endswith(b"L") else text, "LONG")
    push_int(s, value, (value.bit_length() + 7) >> 3)


def binfloat(s: Scanner) -> None:
    p = s.take(8, "BINFLOAT's argument")
    s.spend(SCALAR_BYTES)
    s.push(BINFLOAT.unpack_from(s.data, p)[0])


def float_text(s: Scanner) -> None:
    text = s.line("FLOAT's argument")
    try:
        value = float(text)
    except ValueError:
        s.fail(f"could not convert FLOAT's argument to float: {text[:40]!r}")
    s.spend(SCALAR_BYTES)
    s.push(value)


# ---- strings -----------------------------------------------------------------------------------

def _utf8(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogatepass")


def _raw_unicode_escape(raw: bytes) -> str:
    return raw.decode("raw-unicode-escape")


def _ascii(raw: bytes) -> str:
    return raw.decode("ascii")


def _py2_quoted(raw: bytes) -> str:  # STRING's text between its quotes, as CPython decodes it
    # codecs' undocumented escape_decode, as pickle's own reader uses it: it returns bytes
    # (typeshed says str).
    decoded: bytes = codecs.escape_decode(raw)[0]  # type: ignore[assignment]
    return decoded.decode("ascii")


def _push_text(s: Scanner, start: int, end: int, decode: Callable[[bytes], str]) -> None:
    n = end - start
    s.count_value(n)
    if n <= SHORT_VALUE:
        try:
            s.push(decode(s.data[start:end]))
        except (UnicodeDecodeError, ValueError) as e:
            s.fail(f"cannot decode the str: {e}")
    else:
        node = Node(STR, 0, 1, None, None, LongText(s.data, start, end, decode))
        node.n = n
        s.push(node)


def _push_payload(s: Scanner, n: int, decode: Callable[[bytes], str], what: str) -> None:
    p = s.payload(n, what)
    _push_text(s, p, p + n, decode)


def short_binunicode(s: Scanner) -> None:
    _push_payload(s, s.data[s.take(1, "a str length")], _utf8, "a str payload")


def binunicode(s: Scanner) -> None:
    p = s.take(4, "a str length")
    _push_payload(s, int.from_bytes(s.data[p:p + 4], "little"), _utf8, "a str payload")


def binunicode8(s: Scanner) -> None:
    p = s.take(8, "a str length")
    _push_payload(s, int.from_bytes(s.data[p:p + 8], "little"), _utf8, "a str payload")


def unicode_text(s: Scanner) -> None:
    start = s.pos
    text = s.line("UNICODE's argument")
    _push_text(s, start, start + len(text), _raw_unicode_escape)


def short_binstring(s: Scanner) -> None:
    _push_payload(s, s.data[s.take(1, "a str length")], _ascii, "a str payload")


def binstring(s: Scanner) -> None:
    p = s.take(4, "a str length")
    n = int.from_bytes(s.data[p:p + 4], "little", signed=True)
    if n < 0:
        s.fail(f"BINSTRING pickle has negative byte count ({n})")
    _push_payload(s, n, _ascii, "a str payload")


def string_text(s: Scanner) -> None:
    start = s.pos
    text = s.line("STRING's argument")
    if len(text) < 2 or text[0] != text[-1] or text[0] not in b"'\"":
        s.fail("the STRING opcode argument must be quoted")
    _push_text(s, start + 1, start + len(text) - 1, _py2_quoted)


# ---- bytes -------------------------------------------------------------------------------------

def _push_bytes(s: Scanner, n: int, kind: int) -> None:
    p = s.payload(n, "a bytes payload")
    s.count_value(n)
    if kind == BYTES and n <= SHORT_VALUE:
        s.push(s.data[p:p + n])
        return
    node = Node(kind, 0, 1 if kind == BYTES else None)
    node.n = n
    s.push(node)


def short_binbytes(s: Scanner) -> None:
    _push_bytes(s, s.data[s.take(1, "a bytes length")], BYTES)


def binbytes(s: Scanner) -> None:
    p = s.take(4, "a bytes length")
    _push_bytes(s, int.from_bytes(s.data[p:p + 4], "little"), BYTES)


def binbytes8(s: Scanner) -> None:
    p = s.take(8, "a bytes length")
    _push_bytes(s, int.from_bytes(s.data[p:p + 8], "little"), BYTES)


def bytearray8(s: Scanner) -> None:
    p = s.take(8, "a bytearray length")
    _push_bytes(s, int.from_bytes(s.data[p:p + 8], "little"), BYTEARRAY)
