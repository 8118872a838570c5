#pragma once
// SHA-256 the fastest way OpenSSL 3 offers, for the benchmarks' raw contenders (which compute
// and check entry digests as FORMAT.md asks of any writer and reader): the implementation
// fetched once, one context reused.

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

namespace picklejar::bench {

class Sha256 {
 public:
  Sha256() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (md_ == nullptr || ctx_ == nullptr) throw std::runtime_error("no SHA-256 in OpenSSL");
  }
  ~Sha256() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  std::array<unsigned char, 32> operator()(std::string_view data) {
    std::array<unsigned char, 32> out{};
    unsigned int size = 0;
    if (EVP_DigestInit_ex2(ctx_, md_, nullptr) != 1 ||
        EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(ctx_, out.data(), &size) != 1)
      throw std::runtime_error("SHA-256 failed");
    return out;
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

inline Sha256& sha256() {
  static Sha256 instance;
  return instance;
}

// Throws unless `digest` is the SHA-256 of `pickle`.
inline void check_digest(std::string_view pickle, std::string_view digest, std::string_view key) {
  const auto expected = sha256()(pickle);
  if (digest.size() != expected.size() ||
      CRYPTO_memcmp(digest.data(), expected.data(), expected.size()) != 0)
    throw std::runtime_error("damaged entry " + std::string(key));
}

}  // namespace picklejar::bench
