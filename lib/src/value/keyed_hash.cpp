#include "keyed_hash.hpp"

#include <cstring>
#include <random>

namespace picklejar::detail {
namespace {

__extension__ using uint128 = unsigned __int128;

std::uint64_t mum(std::uint64_t a, std::uint64_t b) noexcept {
  const uint128 product = static_cast<uint128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

struct Secret {
  std::uint64_t k[4];
};

// Drawn once, then read-only; odd multipliers keep mum() from collapsing to zero.
const Secret& secret() noexcept {
  static const Secret s = [] {
    std::random_device device;
    Secret out{};
    for (auto& word : out.k) {
      word = (static_cast<std::uint64_t>(device()) << 32) ^ device();
      word |= 1;
    }
    return out;
  }();
  return s;
}

std::uint64_t read64(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Up to 8 trailing bytes, zero-padded.
std::uint64_t read_tail(const char* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  std::memcpy(&v, p, n);
  return v;
}

}  // namespace

std::uint64_t keyed_hash_bytes(std::string_view bytes, std::uint64_t domain) noexcept {
  const Secret& s = secret();
  std::uint64_t seed = s.k[0] ^ mum(domain ^ s.k[1], bytes.size() ^ s.k[2]);
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  for (; n > 16; n -= 16, p += 16) seed = mum(read64(p) ^ s.k[1], read64(p + 8) ^ seed);
  const std::uint64_t a = n > 8 ? read64(p) : read_tail(p, n);
  const std::uint64_t b = n > 8 ? read_tail(p + 8, n - 8) : 0;
  return mum(s.k[3] ^ bytes.size(), mum(a ^ s.k[1], b ^ seed));
}

std::uint64_t keyed_hash_word(std::uint64_t word, std::uint64_t domain) noexcept {
  const Secret& s = secret();
  return mum(mum(word ^ s.k[0], domain ^ s.k[1]), s.k[2]);
}

std::uint64_t keyed_combine(std::uint64_t acc, std::uint64_t part) noexcept {
  const Secret& s = secret();
  return mum(acc ^ s.k[3], part ^ s.k[2]);
}

}  // namespace picklejar::detail
