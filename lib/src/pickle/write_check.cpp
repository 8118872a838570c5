// check_decodable(): a decode only where one is needed (see write_check.hpp).

#include "write_check.hpp"

#include <picklejar/error.hpp>

#include <fmt/format.h>

#include <algorithm>

#include "opcodes.hpp"

namespace picklejar::pickle {
namespace {

// The longest pickle that can reach none of the limits on what a decode makes. Each bound
// follows from an opcode byte doing a bounded amount of work:
// - max_container_items: each item is a value some opcode (>= 1 byte) pushed.
// - max_allocation_bytes: a payload is read from the input (a decimal text or latin-1 str
//   becomes fewer bytes, never more).
// - max_objects: an opcode makes at most a few nodes (INST: a global and an instance, from
//   at least 5 bytes); 8 per byte leaves room to spare.
// - max_total_bytes: per opcode byte at most one node with its first table or vector, and a
//   stack and memo slot (16 bytes each) in vectors that at most double: well under 1 KiB;
//   plus the decode's fixed costs (its first chunks: 1 MiB covers them many times over).
// - max_int_digits: only protocol 0-1's INT/LONG text has decimal digits, each a byte.
std::size_t without_counted_limits(const DecodeLimits& l, int protocol) {
  constexpr std::size_t kNodesPerByte = 8;
  constexpr std::size_t kBytesPerByte = 1024;
  constexpr std::size_t kFixedBytes = std::size_t{1} << 20;
  std::size_t n = std::min(
      {l.max_container_items, l.max_allocation_bytes, l.max_objects / kNodesPerByte,
       l.max_total_bytes > kFixedBytes ? (l.max_total_bytes - kFixedBytes) / kBytesPerByte : 0});
  if (protocol < 2) n = std::min(n, l.max_int_digits);
  return n;
}

// The longest pickle that can neither nest values or MARKs deeper than max_depth nor store
// more than max_memo_entries: each level and each memo entry takes an opcode byte.
std::size_t without_depth_or_memo(const DecodeLimits& l) {
  return std::min(l.max_depth, l.max_memo_entries);
}

}  // namespace

void check_decodable(std::string_view pickle, int protocol, const DecodeOptions& options) {
  const DecodeLimits& limits = options.limits;
  if (pickle.size() > limits.max_input_bytes) {
    throw LimitError(std::nullopt, fmt::format("input of {} bytes exceeds max_input_bytes ({})",
                                               pickle.size(), limits.max_input_bytes));
  }
  // Under an allowlist, a pickle that names a global may name one the reader refuses.
  const bool may_refuse_global =
      options.globals == GlobalPolicy::allowlist &&
      pickle.find(static_cast<char>(protocol >= 4 ? Op::stack_global : Op::global)) !=
          std::string_view::npos;
  const bool decode =
      may_refuse_global || pickle.size() > without_counted_limits(limits, protocol) ||
      (pickle.size() > without_depth_or_memo(limits) && !within_depth_and_memo(pickle, limits));
  if (decode) (void)loads(pickle, options);
}

}  // namespace picklejar::pickle
