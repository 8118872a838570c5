// IEEE 754 binary16 <-> binary32 (Float16 in ndarray_element.hpp), as numpy converts.

#include <bit>
#include <cstdint>

#include <picklejar/ndarray_element.hpp>

namespace picklejar {

float Float16::to_float() const noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1Fu;
  std::uint32_t mantissa = bits & 0x3FFu;
  if (exponent == 0x1F) {  // inf, nan (payload kept)
    return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  }
  if (exponent != 0) {
    return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }
  if (mantissa == 0) return std::bit_cast<float>(sign);  // +-0
  // Subnormal: normalise it, float has the range.
  std::uint32_t e = 113;
  while ((mantissa & 0x400u) == 0) {
    mantissa <<= 1;
    --e;
  }
  return std::bit_cast<float>(sign | (e << 23) | ((mantissa & 0x3FFu) << 13));
}

Float16 Float16::from_float(float value) noexcept {
  const std::uint32_t f = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint16_t>((f >> 16) & 0x8000u);
  const std::uint32_t exponent = (f >> 23) & 0xFFu;
  const std::uint32_t mantissa = f & 0x7FFFFFu;
  if (exponent == 0xFF) {  // inf, nan (a nan keeps a nonzero payload)
    const auto payload = static_cast<std::uint16_t>(mantissa >> 13);
    return {static_cast<std::uint16_t>(sign | 0x7C00u |
                                       (mantissa != 0 && payload == 0 ? 0x200u : payload))};
  }
  const int e = static_cast<int>(exponent) - 127 + 15;
  if (e >= 0x1F) return {static_cast<std::uint16_t>(sign | 0x7C00u)};  // overflow: inf
  // Round to nearest, ties to even, on the 24-bit significand shifted into place.
  std::uint32_t significand = mantissa | (exponent != 0 ? 0x800000u : 0);
  int shift = 13;
  if (e <= 0) {
    shift = 14 - e;  // subnormal (or zero) half
    if (shift > 24) return {sign};
  }
  std::uint32_t half = significand >> shift;
  const std::uint32_t rest = significand & ((1u << shift) - 1);
  const std::uint32_t halfway = 1u << (shift - 1);
  if (rest > halfway || (rest == halfway && (half & 1u) != 0)) ++half;
  if (e > 0) {
    // Normal: the implicit bit carries into the exponent field, so a rounding carry past the
    // mantissa bumps the exponent (to inf at the top), which is what IEEE rounding does.
    return {
        static_cast<std::uint16_t>(sign + (static_cast<std::uint32_t>(e) << 10) + (half - 0x400u))};
  }
  return {static_cast<std::uint16_t>(sign | half)};  // a carry makes the smallest normal
}

}  // namespace picklejar
