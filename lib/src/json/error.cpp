#include <picklejar/json.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace picklejar {
namespace {

// A pointer into a deeply nested document can be megabytes long (/0/0/0/... for each level):
// the message keeps its two ends, cut at '/', and says how many levels it leaves out.
std::string shown_pointer(const std::string& pointer) {
  constexpr std::size_t kHead = 64, kTail = 48;
  if (pointer.size() <= kHead + kTail + 32) return pointer;
  std::size_t head = pointer.rfind('/', kHead);
  if (head == 0 || head == std::string::npos) head = kHead;
  std::size_t tail = pointer.find('/', pointer.size() - kTail);
  if (tail == std::string::npos) tail = pointer.size() - kTail;
  const auto left_out = std::count(pointer.begin() + static_cast<std::ptrdiff_t>(head),
                                   pointer.begin() + static_cast<std::ptrdiff_t>(tail), '/');
  return fmt::format("{}/...({} levels)...{}", pointer.substr(0, head), left_out,
                     pointer.substr(tail));
}

std::string tagged_message(const std::string& pointer, const std::string& reason) {
  if (pointer.empty()) return "invalid tagged JSON at the top level: " + reason;
  return fmt::format("invalid tagged JSON at {}: {}", shown_pointer(pointer), reason);
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
