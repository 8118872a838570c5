#pragma once
// The disassembler's model of the unpickler stack: pickletools' StackObject kinds. Only the
// kind of each slot is tracked, which is all dis() needs to pair MARKs and to name what is
// left behind at STOP. Internal.

#include <cstdint>
#include <span>
#include <string_view>

namespace picklejar::pickle::dis {

enum class StackKind : std::uint8_t {
  int_,
  int_or_bool,
  bool_,
  float_,
  bytes_or_str,
  bytes,
  bytearray,
  str,
  none,
  tuple,
  list,
  dict,
  set,
  frozenset,
  buffer,
  any,
  mark,
};

// pickletools' StackObject name: "int", "bytes_or_str", "mark", ...
std::string_view stack_kind_name(StackKind kind) noexcept;

// What an opcode leaves on the stack: pickletools' stack_after (GET's entry is replaced by
// the memo's kind at run time). Empty for opcodes that push nothing and for unknown bytes.
std::span<const StackKind> stack_after(std::uint8_t code) noexcept;

}  // namespace picklejar::pickle::dis
