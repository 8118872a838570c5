#pragma once
// Hashing of values, consistent with slot_equal: equal values hash alike (1, 1.0 and True
// included). Hashes of immutable nodes are cached on the node.

#include <cstddef>
#include <optional>

#include "node.hpp"

namespace picklejar::detail {

// Throws TypeError ("unhashable type: 'list'") when the value cannot be hashed.
std::size_t slot_hash(const Slot& s);
// Empty when unhashable.
std::optional<std::size_t> try_slot_hash(const Slot& s);

}  // namespace picklejar::detail
