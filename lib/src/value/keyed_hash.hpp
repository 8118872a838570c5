#pragma once
// A keyed 64-bit hash for the hash tables behind dict, set and frozenset.
//
// Why keyed: a dict's keys come from the pickle, so an attacker chooses them. With a fixed
// hash function (Python's numeric hash, or an unseeded string hash) they can pick thousands of
// keys that land in one bucket and make decoding quadratic. As CPython does for str, the
// hash here mixes in a secret drawn once per process from std::random_device, so bucket
// positions cannot be predicted. The mixing is wyhash's multiply-fold (64x64 -> 128 bits).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace picklejar::detail {

// Hash of a byte string; `domain` separates kinds (str 'a' and bytes b'a' never collide on
// purpose).
std::uint64_t keyed_hash_bytes(std::string_view bytes, std::uint64_t domain) noexcept;
// Hash of one 64-bit word.
std::uint64_t keyed_hash_word(std::uint64_t word, std::uint64_t domain) noexcept;
// Combines an accumulated hash with the next part (order-dependent).
std::uint64_t keyed_combine(std::uint64_t acc, std::uint64_t part) noexcept;

}  // namespace picklejar::detail
