#pragma once
// The 68 opcodes of pickle protocols 0-5, as CPython's Lib/pickletools.py describes them.
// Byte values are part of the pickle format: never renumber.

#include <cstdint>
#include <string_view>

namespace picklejar::pickle {

enum class Op : std::uint8_t {
  mark = '(',
  stop = '.',
  pop = '0',
  pop_mark = '1',
  dup = '2',
  floatnl = 'F',
  int_ = 'I',
  binint = 'J',
  binint1 = 'K',
  long_ = 'L',
  binint2 = 'M',
  none = 'N',
  persid = 'P',
  binpersid = 'Q',
  reduce = 'R',
  string = 'S',
  binstring = 'T',
  short_binstring = 'U',
  unicode = 'V',
  binunicode = 'X',
  append = 'a',
  build = 'b',
  global = 'c',
  dict = 'd',
  empty_dict = '}',
  appends = 'e',
  get = 'g',
  binget = 'h',
  inst = 'i',
  long_binget = 'j',
  list = 'l',
  empty_list = ']',
  obj = 'o',
  put = 'p',
  binput = 'q',
  long_binput = 'r',
  setitem = 's',
  tuple = 't',
  empty_tuple = ')',
  setitems = 'u',
  binfloat = 'G',
  binbytes = 'B',
  short_binbytes = 'C',
  proto = 0x80,
  newobj = 0x81,
  ext1 = 0x82,
  ext2 = 0x83,
  ext4 = 0x84,
  tuple1 = 0x85,
  tuple2 = 0x86,
  tuple3 = 0x87,
  newtrue = 0x88,
  newfalse = 0x89,
  long1 = 0x8a,
  long4 = 0x8b,
  short_binunicode = 0x8c,
  binunicode8 = 0x8d,
  binbytes8 = 0x8e,
  empty_set = 0x8f,
  additems = 0x90,
  frozenset = 0x91,
  newobj_ex = 0x92,
  stack_global = 0x93,
  memoize = 0x94,
  frame = 0x95,
  bytearray8 = 0x96,
  next_buffer = 0x97,
  readonly_buffer = 0x98,
};

// How an opcode's inline argument is encoded (pickletools' ArgumentDescriptor names).
enum class ArgType : std::uint8_t {
  none,
  uint1,
  uint2,
  int4,
  uint4,
  uint8,
  decimalnl_short,         // INT, GET, PUT: decimal text line
  decimalnl_long,          // LONG: decimal text line with optional trailing L
  floatnl,                 // FLOAT: repr text line
  stringnl,                // STRING: quoted, escaped text line
  stringnl_noescape,       // PERSID: raw text line
  stringnl_noescape_pair,  // GLOBAL, INST: two raw text lines
  unicodestringnl,         // UNICODE: raw-unicode-escape line
  string1,                 // SHORT_BINSTRING
  string4,                 // BINSTRING (signed length)
  bytes1,
  bytes4,
  bytes8,
  unicodestring1,
  unicodestring4,
  unicodestring8,
  bytearray8,
  float8,  // BINFLOAT: big-endian IEEE-754
  long1,
  long4,
};

struct OpcodeInfo {
  std::uint8_t code;
  std::string_view name;  // pickletools' name, e.g. "SHORT_BINUNICODE"
  std::uint8_t protocol;  // the protocol that introduced it
  ArgType arg;
  std::uint8_t pops;       // items taken from the stack, not counting a MARK slice
  std::int8_t mark_index;  // position of the MARK in pickletools' stack_before, -1 if none
  std::uint8_t pushes;     // items put on the stack
};

// nullptr for a byte that is not an opcode.
const OpcodeInfo* opcode_info(std::uint8_t code) noexcept;

// "SHORT_BINUNICODE", or "<unknown>" for a byte that is not an opcode.
std::string_view opcode_name(int code) noexcept;

}  // namespace picklejar::pickle
