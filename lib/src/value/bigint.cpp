#include "bigint.hpp"

#include <boost/multiprecision/cpp_int.hpp>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>

namespace picklejar::detail {
namespace {

using boost::multiprecision::cpp_int;

cpp_int to_cpp_int(bool negative, std::span<const std::uint64_t> magnitude) {
  cpp_int v;
  if (!magnitude.empty()) {
    boost::multiprecision::import_bits(v, magnitude.begin(), magnitude.end(), 64, false);
  }
  return negative ? cpp_int(-v) : v;
}

}  // namespace

void BigInt::normalize() noexcept {
  while (!magnitude_.empty() && magnitude_.back() == 0) magnitude_.pop_back();
  if (magnitude_.empty()) negative_ = false;
}

BigInt BigInt::from_uint64(std::uint64_t v) {
  BigInt b;
  if (v != 0) b.magnitude_.push_back(v);
  return b;
}

BigInt BigInt::from_int64(std::int64_t v) {
  // Negating through unsigned arithmetic keeps INT64_MIN well-defined.
  std::uint64_t mag = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  BigInt b = from_uint64(mag);
  b.negative_ = v < 0;
  return b;
}

BigInt BigInt::from_le_twos_complement(std::span<const std::byte> bytes, Arena* arena) {
  BigInt b(arena);
  if (bytes.empty()) return b;
  const auto byte = [&](std::size_t i) { return std::to_integer<std::uint64_t>(bytes[i]); };
  b.negative_ = (byte(bytes.size() - 1) & 0x80) != 0;
  // Whole 64-bit limbs, the top one sign-extended: the same value in 64k-bit two's
  // complement. (Limb by limb, not byte by byte: LONG1/LONG4 payloads can be megabytes.)
  const std::size_t full = bytes.size() / 8, tail = bytes.size() % 8;
  b.magnitude_.resize(full + (tail != 0));
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(b.magnitude_.data(), bytes.data(), 8 * full);
  } else {
    for (std::size_t k = 0; k < full; ++k) {
      std::uint64_t limb = 0;
      for (std::size_t j = 0; j < 8; ++j) limb |= byte(8 * k + j) << (8 * j);
      b.magnitude_[k] = limb;
    }
  }
  if (tail != 0) {
    std::uint64_t limb = b.negative_ ? ~std::uint64_t{0} << (8 * tail) : 0;
    for (std::size_t j = 0; j < tail; ++j) limb |= byte(8 * full + j) << (8 * j);
    b.magnitude_[full] = limb;
  }
  if (b.negative_) {
    // |value| = 2**(64k) - limbs: invert and add one.
    std::uint64_t carry = 1;
    for (auto& limb : b.magnitude_) {
      limb = ~limb + carry;
      carry = carry != 0 && limb == 0;
    }
  }
  b.normalize();
  return b;
}

std::optional<BigInt> BigInt::from_decimal(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  cpp_int v(std::string(text).c_str());
  BigInt b;
  boost::multiprecision::export_bits(v, std::back_inserter(b.magnitude_), 64, false);
  b.negative_ = negative;
  b.normalize();
  return b;
}

std::optional<BigInt> BigInt::from_double(double d) {
  if (!std::isfinite(d) || std::trunc(d) != d) return std::nullopt;
  int exponent = 0;
  double mantissa = std::frexp(std::fabs(d), &exponent);  // d = mantissa * 2**exponent
  if (exponent <= 63) return from_int64(static_cast<std::int64_t>(d));
  // 53 significant bits, shifted left by exponent - 53.
  auto bits = static_cast<std::uint64_t>(std::ldexp(mantissa, 53));
  int shift = exponent - 53;
  BigInt b;
  b.magnitude_.assign(static_cast<std::size_t>(shift / 64) + 2, 0);
  const int word = shift / 64, offset = shift % 64;
  b.magnitude_[word] = bits << offset;
  if (offset != 0) b.magnitude_[word + 1] = bits >> (64 - offset);
  b.negative_ = d < 0;
  b.normalize();
  return b;
}

std::vector<std::byte> BigInt::to_le_twos_complement() const {
  std::vector<std::byte> out(le_twos_complement_size());
  write_le_twos_complement(out.data());
  return out;
}

std::size_t BigInt::le_twos_complement_size() const noexcept {
  if (magnitude_.empty()) return 0;
  const std::size_t bits = bit_length();
  // One byte more than the magnitude's bits need, for the sign bit; a negative power of two
  // whose bits fill whole bytes (-2**(8k-1)) is the one value that does without it, as
  // encode_long's dropping of a redundant 0xff byte finds.
  std::size_t n = (bits >> 3) + 1;
  if (negative_ && bits % 8 == 0) {
    const bool power_of_two =
        (magnitude_.back() & (magnitude_.back() - 1)) == 0 &&  // one bit (not zero: top limb)
        std::all_of(magnitude_.begin(), magnitude_.end() - 1, [](auto limb) { return limb == 0; });
    if (power_of_two) --n;
  }
  return n;
}

void BigInt::write_le_twos_complement(std::byte* out) const noexcept {
  const std::size_t n = le_twos_complement_size();
  if (n == 0) return;  // zero: no bytes (and `out` may be null)
  // Locals, not members: stores through `out` (a byte pointer) may alias this object, and
  // would make the compiler reload them after every store.
  const std::uint64_t* limbs = magnitude_.data();
  const std::size_t limb_count = magnitude_.size();
  const bool negative = negative_;
  if (!negative && std::endian::native == std::endian::little) {
    // The magnitude's bytes as they are, then zeros up to the sign byte.
    const std::size_t copied = std::min(n, limb_count * 8);
    std::memcpy(out, limbs, copied);
    std::memset(out + copied, 0, n - copied);
    return;
  }
  std::uint64_t carry = 1;  // two's complement of a negative: ~magnitude + 1
  for (std::size_t limb = 0; limb * 8 < n; ++limb) {
    std::uint64_t v = limb < limb_count ? limbs[limb] : 0;
    if (negative) {
      v = ~v + carry;
      carry = carry != 0 && v == 0 ? 1 : 0;
    }
    const std::size_t count = std::min<std::size_t>(8, n - limb * 8);
    if (std::endian::native == std::endian::little && count == 8) {
      std::memcpy(out + limb * 8, &v, 8);  // a whole limb: one store
      continue;
    }
    for (std::size_t i = 0; i < count; ++i) {
      out[limb * 8 + i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
    }
  }
}

std::string BigInt::to_decimal() const { return to_cpp_int(negative_, magnitude_).str(); }

std::optional<std::int64_t> BigInt::to_int64() const {
  if (magnitude_.size() > 1) return std::nullopt;
  const std::uint64_t mag = magnitude_.empty() ? 0 : magnitude_[0];
  if (!negative_) {
    if (mag > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return {};
    return static_cast<std::int64_t>(mag);
  }
  if (mag > std::uint64_t{1} << 63) return std::nullopt;
  return static_cast<std::int64_t>(0 - mag);
}

double BigInt::to_double() const {
  // strtod rounds correctly (round-half-even), as Python's int.__float__ does.
  const std::string text = to_decimal();
  errno = 0;
  return std::strtod(text.c_str(), nullptr);
}

std::size_t BigInt::bit_length() const noexcept {
  if (magnitude_.empty()) return 0;
  return 64 * (magnitude_.size() - 1) + std::bit_width(magnitude_.back());
}

int BigInt::compare(const BigInt& other) const noexcept {
  if (negative_ != other.negative_) return negative_ ? -1 : 1;
  int magnitude_order = 0;
  if (magnitude_.size() != other.magnitude_.size()) {
    magnitude_order = magnitude_.size() < other.magnitude_.size() ? -1 : 1;
  } else {
    for (std::size_t i = magnitude_.size(); i-- > 0;) {
      if (magnitude_[i] != other.magnitude_[i]) {
        magnitude_order = magnitude_[i] < other.magnitude_[i] ? -1 : 1;
        break;
      }
    }
  }
  return negative_ ? -magnitude_order : magnitude_order;
}

}  // namespace picklejar::detail
