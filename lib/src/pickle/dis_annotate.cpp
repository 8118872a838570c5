// The annotations of pickletools.dis(annotate=N) (CPython 3.11.7 Lib/pickletools.py).

#include "dis_annotate.hpp"

#include <algorithm>
#include <string_view>

namespace picklejar::pickle::dis {
namespace {

struct OpcodeDoc {
  std::uint8_t code;
  std::string_view first_line;
};
#include "opcode_docs.inc"

std::string_view doc_of(std::uint8_t code) {
  const auto* it = std::find_if(std::begin(kOpcodeDocs), std::end(kOpcodeDocs),
                                [code](const OpcodeDoc& d) { return d.code == code; });
  return it == std::end(kOpcodeDocs) ? std::string_view() : it->first_line;
}

// Python's len() of the line: code points, not UTF-8 bytes.
std::size_t length(std::string_view utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

void Annotator::append(std::string& line, std::uint8_t code) {
  std::size_t size = length(line);
  if (size < column_) line.append(column_ - size, ' '), size = column_;
  // "make a mild effort to align annotations"
  column_ = size > 50 ? annotate_ : size;
  line += ' ';
  line += doc_of(code);
}

}  // namespace picklejar::pickle::dis
