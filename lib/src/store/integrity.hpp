#pragma once
// Entry digests (internal; docs/FORMAT.md "Integrity" is the contract). Without an integrity
// key an entry's digest is SHA-256 of its pickle: it detects corruption, not tampering. With
// a key K it is HMAC-SHA256(key, u32_be(len(name)) || name || pickle), which binds the pickle
// to its key name, so neither a changed pickle nor an entry moved to another name verifies.
// From format 2 on, the HMAC's key is derived from K and the file's id,
// HMAC-SHA256(K, "picklejar file key" || file_id), so no row of another file (or of a
// format-1 file) signed with K verifies either. Digests are compared in constant time
// (CRYPTO_memcmp).

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace picklejar::store {

inline constexpr std::size_t kDigestSize = 32;
using Digest = std::array<unsigned char, kDigestSize>;

// A store's file id (meta row file_id as 32 lowercase hex digits; a PostgreSQL store's file_id):
// 16 random bytes, part of the on-disk format.
inline constexpr std::size_t kFileIdSize = 16;
using StoreFileId = std::array<unsigned char, kFileIdSize>;
// 16 bytes from OpenSSL's RAND_bytes (Error when it has none).
StoreFileId new_file_id();
std::string file_id_hex(const StoreFileId& id);
// The id `hex` spells with exactly 32 lowercase hex digits; empty for anything else.
std::optional<StoreFileId> parse_file_id(std::string_view hex) noexcept;

// Part of the on-disk format (meta row integrity_scheme); never rename.
enum class IntegrityScheme { sha256, hmac_sha256 };
std::string_view scheme_name(IntegrityScheme scheme) noexcept;  // "sha256", "hmac-sha256"
std::optional<IntegrityScheme> parse_scheme(std::string_view name) noexcept;

Digest sha256(std::string_view data);
// The non-secret fingerprint of a key stored in the file (meta row key_id): the first 8
// bytes of HMAC-SHA256(key, "picklejar key id") as 16 lowercase hex digits.
std::string key_id(std::string_view key);

// Computes and checks entry digests for one scheme, key and file. One Signer lives in each
// session; for_file() makes the same key's signer for another file (or format).
class Signer {
 public:
  // Without a key: SHA-256. With one: HMAC-SHA256 keyed with it, as format 1 signs (no file
  // id); for_file() binds it to a file. The key is copied into OpenSSL's contexts only:
  // wipe your own copy when done.
  explicit Signer(std::optional<std::string_view> key);
  Signer(Signer&&) noexcept;
  Signer& operator=(Signer&&) noexcept;
  ~Signer();

  // The same key signing the entries of the file `id` (format 2: HMAC keyed with the key
  // derived from K and `id`), or with no id as format 1 signs (keyed with K).
  Signer for_file(const std::optional<StoreFileId>& id) const;

  IntegrityScheme scheme() const noexcept;
  // The key's key_id() (of K, never of a derived key), empty without a key.
  const std::string& key_id() const noexcept { return key_id_; }
  // The file this signer is bound to; empty for format 1's rule.
  const std::optional<StoreFileId>& file_id() const noexcept { return file_id_; }

  Digest digest(std::string_view name, std::string_view pickle) const;
  // Whether `stored` (as read from the file, any length) is the digest of this entry.
  bool verify(std::string_view name, std::string_view pickle, std::string_view stored) const;

 private:
  struct MacContext;
  Signer() = default;
  std::unique_ptr<MacContext> mac_;  // null for SHA-256
  std::string key_id_;
  std::optional<StoreFileId> file_id_;
};

}  // namespace picklejar::store
