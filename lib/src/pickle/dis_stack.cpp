// pickletools' stack_after for each opcode (CPython 3.11.7 Lib/pickletools.py); checked
// against the python3 on the machine by tests/test_dis.cpp.
#include "dis_stack.hpp"

#include "opcodes.hpp"

namespace picklejar::pickle::dis {
namespace {

using K = StackKind;

constexpr K kInt[] = {K::int_};
constexpr K kIntOrBool[] = {K::int_or_bool};
constexpr K kBool[] = {K::bool_};
constexpr K kFloat[] = {K::float_};
constexpr K kBytesOrStr[] = {K::bytes_or_str};
constexpr K kBytes[] = {K::bytes};
constexpr K kBytearray[] = {K::bytearray};
constexpr K kStr[] = {K::str};
constexpr K kNone[] = {K::none};
constexpr K kTuple[] = {K::tuple};
constexpr K kList[] = {K::list};
constexpr K kDict[] = {K::dict};
constexpr K kSet[] = {K::set};
constexpr K kFrozenset[] = {K::frozenset};
constexpr K kBuffer[] = {K::buffer};
constexpr K kAny[] = {K::any};
constexpr K kAnyAny[] = {K::any, K::any};
constexpr K kMark[] = {K::mark};

}  // namespace

std::string_view stack_kind_name(StackKind kind) noexcept {
  switch (kind) {
    case K::int_:
      return "int";
    case K::int_or_bool:
      return "int_or_bool";
    case K::bool_:
      return "bool";
    case K::float_:
      return "float";
    case K::bytes_or_str:
      return "bytes_or_str";
    case K::bytes:
      return "bytes";
    case K::bytearray:
      return "bytearray";
    case K::str:
      return "str";
    case K::none:
      return "None";
    case K::tuple:
      return "tuple";
    case K::list:
      return "list";
    case K::dict:
      return "dict";
    case K::set:
      return "set";
    case K::frozenset:
      return "frozenset";
    case K::buffer:
      return "buffer";
    case K::any:
      return "any";
    case K::mark:
      return "mark";
  }
  return "?";
}

std::span<const StackKind> stack_after(std::uint8_t code) noexcept {
  switch (static_cast<Op>(code)) {
    case Op::int_:
      return kIntOrBool;
    case Op::binint:
    case Op::binint1:
    case Op::binint2:
    case Op::long_:
    case Op::long1:
    case Op::long4:
      return kInt;
    case Op::string:
    case Op::binstring:
    case Op::short_binstring:
      return kBytesOrStr;
    case Op::binbytes:
    case Op::short_binbytes:
    case Op::binbytes8:
      return kBytes;
    case Op::bytearray8:
      return kBytearray;
    case Op::next_buffer:
    case Op::readonly_buffer:
      return kBuffer;
    case Op::none:
      return kNone;
    case Op::newtrue:
    case Op::newfalse:
      return kBool;
    case Op::unicode:
    case Op::short_binunicode:
    case Op::binunicode:
    case Op::binunicode8:
      return kStr;
    case Op::floatnl:
    case Op::binfloat:
      return kFloat;
    case Op::empty_list:
    case Op::append:
    case Op::appends:
    case Op::list:
      return kList;
    case Op::empty_tuple:
    case Op::tuple:
    case Op::tuple1:
    case Op::tuple2:
    case Op::tuple3:
      return kTuple;
    case Op::empty_dict:
    case Op::dict:
    case Op::setitem:
    case Op::setitems:
      return kDict;
    case Op::empty_set:
    case Op::additems:
      return kSet;
    case Op::frozenset:
      return kFrozenset;
    case Op::dup:
      return kAnyAny;
    case Op::mark:
      return kMark;
    case Op::get:
    case Op::binget:
    case Op::long_binget:
    case Op::memoize:
    case Op::ext1:
    case Op::ext2:
    case Op::ext4:
    case Op::global:
    case Op::stack_global:
    case Op::reduce:
    case Op::build:
    case Op::inst:
    case Op::obj:
    case Op::newobj:
    case Op::newobj_ex:
    case Op::persid:
    case Op::binpersid:
      return kAny;
    case Op::pop:
    case Op::pop_mark:
    case Op::put:
    case Op::binput:
    case Op::long_binput:
    case Op::proto:
    case Op::stop:
    case Op::frame:
      return {};
  }
  return {};
}

}  // namespace picklejar::pickle::dis
