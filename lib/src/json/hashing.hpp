#pragma once
// Hashers for the JSON walks' own tables, keyed like the value model's (keyed_hash.hpp): the
// texts and ids come from the document or the pickle, so whoever wrote it must not be able to
// pick thousands of them that share a bucket.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../value/keyed_hash.hpp"

namespace picklejar::json {

inline constexpr std::uint64_t kJsonHashDomain = 0x4a534f4e;  // "JSON"

struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return detail::keyed_hash_bytes(text, kJsonHashDomain);
  }
};

struct IdHash {
  std::size_t operator()(std::int64_t id) const noexcept {
    return detail::keyed_hash_word(static_cast<std::uint64_t>(id), kJsonHashDomain);
  }
};

}  // namespace picklejar::json
