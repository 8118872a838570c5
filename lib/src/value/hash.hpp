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
std::optional<std::size_t> compute_slot_hash(const Slot& s);
inline std::optional<std::size_t> try_slot_hash(const Slot& s) {
  // Dict keys are mostly memoized strs seen before: their hash is cached on the node.
  if (s.tag == Tag::node && (s.as.node->flags & hash_cached)) return s.as.node->hash;
  return compute_slot_hash(s);
}

// Whether a hashable key is or holds an object recipe. Dict and set builders ask, since
// CPython compares instances by identity: two distinct instance keys with equal recipes stay
// two keys. Hashable compounds (tuple, frozenset) form a DAG, walked once per node.
bool key_involves_object(const Slot& key);

}  // namespace picklejar::detail
