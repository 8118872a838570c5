#pragma once
// One entry of a store as a session holds it (internal): its pickle exactly as stored, its
// digest, and the value once verified and decoded.

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <picklejar/value.hpp>

#include "integrity.hpp"

namespace picklejar::store {

// An entry's digest as stored, kept inline (no allocation per entry). A stored digest of
// another length than 32 bytes cannot verify; only that it was malformed is kept.
class StoredDigest {
 public:
  StoredDigest() = default;
  explicit StoredDigest(std::string_view stored) { assign(stored); }
  void assign(std::string_view stored) noexcept {
    well_formed_ = stored.size() == bytes_.size();
    if (well_formed_) std::memcpy(bytes_.data(), stored.data(), bytes_.size());
  }
  // The 32 bytes, or an empty view when the stored digest was malformed.
  std::string_view view() const noexcept {
    return well_formed_ ? std::string_view(bytes_.data(), bytes_.size()) : std::string_view();
  }

 private:
  std::array<char, kDigestSize> bytes_{};
  bool well_formed_ = false;
};

struct Entry {
  std::string pickle;
  StoredDigest digest;
  int protocol = 4;
  std::int64_t revision = 0;  // 0 while unsaved
  std::int64_t modified_us = 0;
  // The decoded value, set once the digest verified and the pickle decoded.
  mutable std::optional<Value> value;
};
using EntryPtr = std::shared_ptr<Entry>;

template <class V>
using KeyMap = std::map<std::string, V, std::less<>>;

}  // namespace picklejar::store
