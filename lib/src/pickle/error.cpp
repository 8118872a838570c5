#include <picklejar/error.hpp>

#include <fmt/format.h>

#include "opcodes.hpp"

namespace picklejar {
namespace {

std::string describe(const std::optional<DecodePosition>& position, const std::string& why) {
  if (!position) return "pickle decode error: " + why;
  if (position->opcode < 0) return fmt::format("pickle decode error at offset {}: {}", position->offset, why);
  return fmt::format("pickle decode error at offset {} (opcode 0x{:02x} {}): {}", position->offset,
                     position->opcode, pickle::opcode_name(position->opcode), why);
}

}  // namespace

DecodeError::DecodeError(DecodeErrc code, std::optional<DecodePosition> position,
                         const std::string& why)
    : Error(describe(position, why)), code_(code), position_(position), reason_(why) {}

}  // namespace picklejar
