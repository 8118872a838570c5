#pragma once
// Reading an opcode's inline argument the way pickletools' ArgumentDescriptor readers do,
// and writing it the way dis() prints it (repr() of the Python value the reader returns).
// Internal.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "dis_text.hpp"
#include "opcodes.hpp"

namespace picklejar::pickle::dis {

struct Argument {
  std::string repr;      // repr(arg): "1", "True", "'abc'", "b'\\x00'", "bytearray(b'')"
  std::string memo_key;  // an int argument's value in canonical decimal ("1" for True)
  // repr(arg) itself raises (an int of more than 4300 digits): pickletools fails only when it
  // prints the line, after the offset, so the failure waits until then.
  std::optional<Failure> repr_failure;
};

// Reads the argument of `type` starting at data[pos] and advances `pos` past it; empty for
// ArgType::none. Throws Failure, with pickletools' message, when the argument is truncated or
// malformed. Declared lengths are checked against the bytes present; nothing is allocated
// from them.
std::optional<Argument> read_argument(ArgType type, std::string_view data, std::size_t& pos);

}  // namespace picklejar::pickle::dis
