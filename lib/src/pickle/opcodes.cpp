// The opcode table, generated once from CPython 3.11.7 pickletools.opcodes and checked by
// tests/test_opcodes.cpp against the python3 on the machine.
#include "opcodes.hpp"

#include <array>

namespace picklejar::pickle {
namespace {

constexpr OpcodeInfo kOpcodes[] = {
    {0x28, "MARK", 0, ArgType::none, 0, -1, 1},
    {0x29, "EMPTY_TUPLE", 1, ArgType::none, 0, -1, 1},
    {0x2e, "STOP", 0, ArgType::none, 1, -1, 0},
    {0x30, "POP", 0, ArgType::none, 1, -1, 0},
    {0x31, "POP_MARK", 1, ArgType::none, 0, 0, 0},
    {0x32, "DUP", 0, ArgType::none, 1, -1, 2},
    {0x42, "BINBYTES", 3, ArgType::bytes4, 0, -1, 1},
    {0x43, "SHORT_BINBYTES", 3, ArgType::bytes1, 0, -1, 1},
    {0x46, "FLOAT", 0, ArgType::floatnl, 0, -1, 1},
    {0x47, "BINFLOAT", 1, ArgType::float8, 0, -1, 1},
    {0x49, "INT", 0, ArgType::decimalnl_short, 0, -1, 1},
    {0x4a, "BININT", 1, ArgType::int4, 0, -1, 1},
    {0x4b, "BININT1", 1, ArgType::uint1, 0, -1, 1},
    {0x4c, "LONG", 0, ArgType::decimalnl_long, 0, -1, 1},
    {0x4d, "BININT2", 1, ArgType::uint2, 0, -1, 1},
    {0x4e, "NONE", 0, ArgType::none, 0, -1, 1},
    {0x50, "PERSID", 0, ArgType::stringnl_noescape, 0, -1, 1},
    {0x51, "BINPERSID", 1, ArgType::none, 1, -1, 1},
    {0x52, "REDUCE", 0, ArgType::none, 2, -1, 1},
    {0x53, "STRING", 0, ArgType::stringnl, 0, -1, 1},
    {0x54, "BINSTRING", 1, ArgType::string4, 0, -1, 1},
    {0x55, "SHORT_BINSTRING", 1, ArgType::string1, 0, -1, 1},
    {0x56, "UNICODE", 0, ArgType::unicodestringnl, 0, -1, 1},
    {0x58, "BINUNICODE", 1, ArgType::unicodestring4, 0, -1, 1},
    {0x5d, "EMPTY_LIST", 1, ArgType::none, 0, -1, 1},
    {0x61, "APPEND", 0, ArgType::none, 2, -1, 1},
    {0x62, "BUILD", 0, ArgType::none, 2, -1, 1},
    {0x63, "GLOBAL", 0, ArgType::stringnl_noescape_pair, 0, -1, 1},
    {0x64, "DICT", 0, ArgType::none, 0, 0, 1},
    {0x65, "APPENDS", 1, ArgType::none, 1, 1, 1},
    {0x67, "GET", 0, ArgType::decimalnl_short, 0, -1, 1},
    {0x68, "BINGET", 1, ArgType::uint1, 0, -1, 1},
    {0x69, "INST", 0, ArgType::stringnl_noescape_pair, 0, 0, 1},
    {0x6a, "LONG_BINGET", 1, ArgType::uint4, 0, -1, 1},
    {0x6c, "LIST", 0, ArgType::none, 0, 0, 1},
    {0x6f, "OBJ", 1, ArgType::none, 0, 0, 1},
    {0x70, "PUT", 0, ArgType::decimalnl_short, 0, -1, 0},
    {0x71, "BINPUT", 1, ArgType::uint1, 0, -1, 0},
    {0x72, "LONG_BINPUT", 1, ArgType::uint4, 0, -1, 0},
    {0x73, "SETITEM", 0, ArgType::none, 3, -1, 1},
    {0x74, "TUPLE", 0, ArgType::none, 0, 0, 1},
    {0x75, "SETITEMS", 1, ArgType::none, 1, 1, 1},
    {0x7d, "EMPTY_DICT", 1, ArgType::none, 0, -1, 1},
    {0x80, "PROTO", 2, ArgType::uint1, 0, -1, 0},
    {0x81, "NEWOBJ", 2, ArgType::none, 2, -1, 1},
    {0x82, "EXT1", 2, ArgType::uint1, 0, -1, 1},
    {0x83, "EXT2", 2, ArgType::uint2, 0, -1, 1},
    {0x84, "EXT4", 2, ArgType::int4, 0, -1, 1},
    {0x85, "TUPLE1", 2, ArgType::none, 1, -1, 1},
    {0x86, "TUPLE2", 2, ArgType::none, 2, -1, 1},
    {0x87, "TUPLE3", 2, ArgType::none, 3, -1, 1},
    {0x88, "NEWTRUE", 2, ArgType::none, 0, -1, 1},
    {0x89, "NEWFALSE", 2, ArgType::none, 0, -1, 1},
    {0x8a, "LONG1", 2, ArgType::long1, 0, -1, 1},
    {0x8b, "LONG4", 2, ArgType::long4, 0, -1, 1},
    {0x8c, "SHORT_BINUNICODE", 4, ArgType::unicodestring1, 0, -1, 1},
    {0x8d, "BINUNICODE8", 4, ArgType::unicodestring8, 0, -1, 1},
    {0x8e, "BINBYTES8", 4, ArgType::bytes8, 0, -1, 1},
    {0x8f, "EMPTY_SET", 4, ArgType::none, 0, -1, 1},
    {0x90, "ADDITEMS", 4, ArgType::none, 1, 1, 1},
    {0x91, "FROZENSET", 4, ArgType::none, 0, 0, 1},
    {0x92, "NEWOBJ_EX", 4, ArgType::none, 3, -1, 1},
    {0x93, "STACK_GLOBAL", 4, ArgType::none, 2, -1, 1},
    {0x94, "MEMOIZE", 4, ArgType::none, 1, -1, 1},
    {0x95, "FRAME", 4, ArgType::uint8, 0, -1, 0},
    {0x96, "BYTEARRAY8", 5, ArgType::bytearray8, 0, -1, 1},
    {0x97, "NEXT_BUFFER", 5, ArgType::none, 0, -1, 1},
    {0x98, "READONLY_BUFFER", 5, ArgType::none, 1, -1, 1},
};

constexpr std::array<const OpcodeInfo*, 256> build_index() {
  std::array<const OpcodeInfo*, 256> index{};
  for (const OpcodeInfo& info : kOpcodes) index[info.code] = &info;
  return index;
}
constexpr auto kIndex = build_index();

}  // namespace

const OpcodeInfo* opcode_info(std::uint8_t code) noexcept { return kIndex[code]; }

std::string_view opcode_name(int code) noexcept {
  if (code < 0 || code > 255 || kIndex[code] == nullptr) return "<unknown>";
  return kIndex[code]->name;
}

}  // namespace picklejar::pickle
