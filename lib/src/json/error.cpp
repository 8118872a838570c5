#include <picklejar/json.hpp>

#include <fmt/format.h>

namespace picklejar {
namespace {

std::string tagged_message(const std::string& pointer, const std::string& reason) {
  if (pointer.empty()) return "invalid tagged JSON at the top level: " + reason;
  return fmt::format("invalid tagged JSON at {}: {}", pointer, reason);
}

}  // namespace

JsonError::JsonError(std::string pointer, const std::string& reason)
    : Error(tagged_message(pointer, reason)), pointer_(std::move(pointer)), reason_(reason) {}

JsonError::JsonError(JsonPosition position, const std::string& reason)
    : Error(fmt::format("invalid JSON at line {}, column {} (byte {}): {}", position.line,
                        position.column, position.offset, reason)),
      position_(position),
      reason_(reason) {}

}  // namespace picklejar
