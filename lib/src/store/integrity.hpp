#pragma once
// Entry digests (internal; docs/FORMAT.md "Integrity" is the contract). Without an integrity
// key an entry's digest is SHA-256 of its pickle: it detects corruption, not tampering. With
// a key it is HMAC-SHA256(key, u32_be(len(name)) || name || pickle), which binds the pickle
// to its key name, so neither a changed pickle nor an entry moved to another name verifies.
// Digests are compared in constant time (CRYPTO_memcmp).

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace picklejar::store {

inline constexpr std::size_t kDigestSize = 32;
using Digest = std::array<unsigned char, kDigestSize>;

// Part of the on-disk format (meta row integrity_scheme); never rename.
enum class IntegrityScheme { sha256, hmac_sha256 };
std::string_view scheme_name(IntegrityScheme scheme) noexcept;  // "sha256", "hmac-sha256"
std::optional<IntegrityScheme> parse_scheme(std::string_view name) noexcept;

Digest sha256(std::string_view data);
// The non-secret fingerprint of a key stored in the file (meta row key_id): the first 8
// bytes of HMAC-SHA256(key, "picklejar key id") as 16 lowercase hex digits.
std::string key_id(std::string_view key);

// Computes and checks entry digests for one scheme (and key). Copyable handles are not
// needed: one Signer lives in each session.
class Signer {
 public:
  // Without a key: SHA-256. With one: HMAC-SHA256 keyed with it (the key is copied into
  // OpenSSL's context only; wipe your own copy when done).
  explicit Signer(std::optional<std::string_view> key);
  Signer(Signer&&) noexcept;
  Signer& operator=(Signer&&) noexcept;
  ~Signer();

  IntegrityScheme scheme() const noexcept;
  // The key's key_id(), empty without a key.
  const std::string& key_id() const noexcept { return key_id_; }

  Digest digest(std::string_view name, std::string_view pickle) const;
  // Whether `stored` (as read from the file, any length) is the digest of this entry.
  bool verify(std::string_view name, std::string_view pickle, std::string_view stored) const;

 private:
  struct MacContext;
  std::unique_ptr<MacContext> mac_;  // null for SHA-256
  std::string key_id_;
};

}  // namespace picklejar::store
