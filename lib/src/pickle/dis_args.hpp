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

// No FRAME is open (see read_argument's frame_end).
inline constexpr std::size_t kNoFrame = static_cast<std::size_t>(-1);

// Reads the argument of `type` starting at data[pos] and advances `pos` past it; empty for
// ArgType::none. Throws Failure, with pickletools' message, when the argument is truncated or
// malformed. Declared lengths are checked against the bytes present; nothing is allocated
// from them. `frame_end` is where the open FRAME ends (kNoFrame outside one): each read stays
// inside it, or starts at its end and then reads unframed (frame_end becomes kNoFrame), as
// Python's framed reader does; a read crossing it is Failure(bad_frame).
std::optional<Argument> read_argument(ArgType type, std::string_view data, std::size_t& pos,
                                      std::size_t& frame_end);

}  // namespace picklejar::pickle::dis
