#include "integrity.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <fmt/format.h>

#include <picklejar/error.hpp>

namespace picklejar::store {
namespace {

[[noreturn]] void crypto_failed(std::string_view what) {
  throw Error(fmt::format("OpenSSL failed: {}", what));
}

struct MacDeleter {
  void operator()(EVP_MAC* mac) const noexcept { EVP_MAC_free(mac); }
  void operator()(EVP_MAC_CTX* ctx) const noexcept { EVP_MAC_CTX_free(ctx); }
};
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacDeleter>;

// An HMAC-SHA256 context initialised with `key`, ready for updates.
MacCtxPtr new_hmac(std::string_view key) {
  std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) crypto_failed("no HMAC");
  MacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) crypto_failed("cannot allocate an HMAC context");
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  // OpenSSL refuses a null key pointer even for an empty key.
  static const unsigned char empty = 0;
  const auto* key_bytes = key.empty() ? &empty : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_MAC_init(ctx.get(), key_bytes, key.size(), params) != 1) crypto_failed("HMAC init");
  return ctx;
}

void mac_update(EVP_MAC_CTX* ctx, std::string_view data) {
  if (EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    crypto_failed("HMAC update");
}

MacCtxPtr dup(const MacCtxPtr& ctx) {
  MacCtxPtr copy(EVP_MAC_CTX_dup(ctx.get()));
  if (!copy) crypto_failed("cannot copy an HMAC context");
  return copy;
}

Digest mac_final(EVP_MAC_CTX* ctx) {
  Digest out{};
  std::size_t size = 0;
  if (EVP_MAC_final(ctx, out.data(), &size, out.size()) != 1 || size != out.size())
    crypto_failed("HMAC final");
  return out;
}

}  // namespace

std::string_view scheme_name(IntegrityScheme scheme) noexcept {
  return scheme == IntegrityScheme::sha256 ? "sha256" : "hmac-sha256";
}

std::optional<IntegrityScheme> parse_scheme(std::string_view name) noexcept {
  if (name == "sha256") return IntegrityScheme::sha256;
  if (name == "hmac-sha256") return IntegrityScheme::hmac_sha256;
  return std::nullopt;
}

Digest sha256(std::string_view data) {
  // Fetched once: with the legacy EVP_sha256() handle, OpenSSL 3 looks the implementation up
  // again in every EVP_Digest() (a locked query of its providers), a third of the cost of
  // digesting a small pickle. Kept for the life of the process.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) crypto_failed("no SHA-256");
  Digest out{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &size, md, nullptr) != 1 ||
      size != out.size())
    crypto_failed("SHA-256");
  return out;
}

std::string key_id(std::string_view key) {
  const MacCtxPtr ctx = new_hmac(key);
  mac_update(ctx.get(), "picklejar key id");
  const Digest mac = mac_final(ctx.get());
  std::string hex;
  for (std::size_t i = 0; i < 8; ++i) hex += fmt::format("{:02x}", mac[i]);
  return hex;
}

StoreFileId new_file_id() {
  StoreFileId id{};
  if (RAND_bytes(id.data(), static_cast<int>(id.size())) != 1)
    crypto_failed("no random bytes for a file id");
  return id;
}

std::string file_id_hex(const StoreFileId& id) {
  std::string hex;
  for (const unsigned char byte : id) hex += fmt::format("{:02x}", byte);
  return hex;
}

std::optional<StoreFileId> parse_file_id(std::string_view hex) noexcept {
  if (hex.size() != 2 * kFileIdSize) return std::nullopt;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  StoreFileId id{};
  for (std::size_t i = 0; i < id.size(); ++i) {
    const int high = nibble(hex[2 * i]);
    const int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    id[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return id;
}

struct Signer::MacContext {
  MacCtxPtr root;   // keyed with K: derives file keys
  MacCtxPtr entry;  // keyed with what signs entries (K_file, or K for format 1); duplicated
                    // for every digest
};

Signer::Signer(std::optional<std::string_view> key) {
  if (!key) return;
  MacCtxPtr root = new_hmac(*key);
  MacCtxPtr entry = dup(root);
  mac_ = std::make_unique<MacContext>(MacContext{std::move(root), std::move(entry)});
  key_id_ = store::key_id(*key);
}

Signer::Signer(Signer&&) noexcept = default;
Signer& Signer::operator=(Signer&&) noexcept = default;
Signer::~Signer() = default;

Signer Signer::for_file(const std::optional<StoreFileId>& id) const {
  Signer bound;
  bound.key_id_ = key_id_;
  bound.file_id_ = id;
  if (!mac_) return bound;
  MacCtxPtr root = dup(mac_->root);
  MacCtxPtr entry;
  if (id) {
    // K_file = HMAC-SHA256(K, "picklejar file key" || file_id): one derivation per file.
    const MacCtxPtr derive = dup(mac_->root);
    mac_update(derive.get(), "picklejar file key");
    mac_update(derive.get(),
               std::string_view(reinterpret_cast<const char*>(id->data()), id->size()));
    Digest file_key = mac_final(derive.get());
    entry =
        new_hmac(std::string_view(reinterpret_cast<const char*>(file_key.data()), file_key.size()));
    OPENSSL_cleanse(file_key.data(), file_key.size());
  } else {
    entry = dup(mac_->root);
  }
  bound.mac_ = std::make_unique<MacContext>(MacContext{std::move(root), std::move(entry)});
  return bound;
}

IntegrityScheme Signer::scheme() const noexcept {
  return mac_ ? IntegrityScheme::hmac_sha256 : IntegrityScheme::sha256;
}

Digest Signer::digest(std::string_view name, std::string_view pickle) const {
  if (!mac_) return sha256(pickle);
  const MacCtxPtr ctx = dup(mac_->entry);
  const auto n = static_cast<std::uint32_t>(name.size());
  const char length[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                          static_cast<char>(n >> 8), static_cast<char>(n)};
  mac_update(ctx.get(), std::string_view(length, 4));
  mac_update(ctx.get(), name);
  mac_update(ctx.get(), pickle);
  return mac_final(ctx.get());
}

bool Signer::verify(std::string_view name, std::string_view pickle, std::string_view stored) const {
  if (stored.size() != kDigestSize) return false;
  const Digest expected = digest(name, pickle);
  return CRYPTO_memcmp(expected.data(), stored.data(), kDigestSize) == 0;
}

}  // namespace picklejar::store
