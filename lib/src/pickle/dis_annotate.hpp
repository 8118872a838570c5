#pragma once
// pickletools.dis(annotate=N): each line followed by the first line of its opcode's doc, in a
// column that starts at N and then follows the lines (internal to the disassembler).

#include <cstddef>
#include <cstdint>
#include <string>

namespace picklejar::pickle::dis {

class Annotator {
 public:
  explicit Annotator(int annotate) : annotate_(annotate > 0 ? annotate : 0), column_(annotate_) {}
  bool enabled() const noexcept { return annotate_ > 0; }
  // Appends the annotation to `line` (the text after "%5d: ", without its newline).
  void append(std::string& line, std::uint8_t code);

 private:
  std::size_t annotate_;
  std::size_t column_;
};

}  // namespace picklejar::pickle::dis
