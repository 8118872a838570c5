#pragma once
// BigInt: the arbitrary-precision ints that do not fit in int64. The value model only needs
// exact conversions (pickle bytes, decimal text, double) and comparison, not
// arithmetic, so this stores sign and magnitude directly; decimal text goes through
// Boost.Multiprecision in bigint.cpp.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "arena.hpp"

namespace picklejar::detail {

class BigInt {
 public:
  // Zero, with limbs to come from `arena` (the global allocator when null).
  explicit BigInt(Arena* arena = nullptr) noexcept
      : magnitude_(ArenaAllocator<std::uint64_t>(arena)) {}
  // The same value with its limbs in `arena`.
  BigInt(BigInt&& other, Arena* arena)
      : negative_(other.negative_),
        magnitude_(std::move(other.magnitude_), ArenaAllocator<std::uint64_t>(arena)) {}
  static BigInt from_int64(std::int64_t v);
  static BigInt from_uint64(std::uint64_t v);
  // Little-endian two's complement, as LONG1/LONG4 carry it. Empty input is zero.
  static BigInt from_le_twos_complement(std::span<const std::byte> bytes, Arena* arena = nullptr);
  // Strict decimal text: optional '-' or '+', then digits. Empty on anything else.
  static std::optional<BigInt> from_decimal(std::string_view text);
  // The exact value of an integral, finite double; empty otherwise.
  static std::optional<BigInt> from_double(double d);

  // pickle.encode_long: minimal little-endian two's complement; zero gives no bytes.
  std::vector<std::byte> to_le_twos_complement() const;
  // The same bytes written in place (the encoder's way, without a vector per int): how many,
  // and writing them to `out`, which has room for le_twos_complement_size() bytes.
  std::size_t le_twos_complement_size() const noexcept;
  void write_le_twos_complement(std::byte* out) const noexcept;
  std::string to_decimal() const;
  std::optional<std::int64_t> to_int64() const;
  // Correctly rounded; +-inf when out of double's range.
  double to_double() const;

  int sign() const noexcept { return magnitude_.empty() ? 0 : (negative_ ? -1 : 1); }
  std::size_t bit_length() const noexcept;
  // -1, 0, 1
  int compare(const BigInt& other) const noexcept;

  friend bool operator==(const BigInt& a, const BigInt& b) noexcept { return a.compare(b) == 0; }

 private:
  void normalize() noexcept;
  bool negative_ = false;
  ArenaVector<std::uint64_t> magnitude_;  // little-endian limbs, no leading zero limb
};

}  // namespace picklejar::detail
