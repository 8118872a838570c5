#pragma once
// A pickle disassembler with the output of Python's pickletools.dis(): one line per opcode
// with its offset, byte, name and argument, MARK blocks indented, and the same checks (memo
// use, MARK pairing, stack depth). For looking inside a pickle without decoding it.

#include <picklejar/config.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace picklejar {

// How disassemble() lays out its listing.
struct DisassembleOptions {
  // Blanks added per open MARK, as pickletools.dis(indentlevel=...).
  int indent_level = 4;
  // As pickletools.dis(annotate=...): when above 0, each line ends with the first line of its
  // opcode's documentation, aligned from this column (python3 -m pickletools -a uses 30).
  int annotate = 0;
  // Stop with LimitError once the listing would exceed this many bytes. Each open MARK indents
  // every following line, so a hostile pickle of nested MARKs has a listing quadratic in its
  // size.
  std::size_t max_output_bytes = std::size_t{256} << 20;
};

// Appends the listing of the first pickle in `pickle` (through its STOP) to `out`, followed by
// pickletools' "highest protocol among opcodes = N" line. On a malformed pickle throws
// DecodeError after appending the lines up to and including the offending opcode, as
// pickletools prints them before raising (DecodeError::reason() is then pickletools' message;
// the position is the offending opcode's). Stops with LimitError past max_output_bytes.
PICKLEJAR_EXPORT void disassemble(std::span<const std::byte> pickle, std::string& out,
                                  const DisassembleOptions& options = {});
PICKLEJAR_EXPORT std::string disassemble(std::string_view pickle,
                                         const DisassembleOptions& options = {});

}  // namespace picklejar
