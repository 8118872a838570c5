#pragma once
// Fixed-width integers in pickle's byte orders: little-endian everywhere except BINFLOAT,
// which is big-endian.

#include <bit>
#include <cstdint>
#include <cstring>

namespace picklejar::pickle {

template <class T>
T byte_swap(T v) noexcept {
  if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(v));
  if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(v));
  if constexpr (sizeof(T) == 8) return static_cast<T>(__builtin_bswap64(v));
}

template <class T>
T load_le(const std::uint8_t* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = byte_swap(v);
  return v;
}

template <class T>
T load_be(const std::uint8_t* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) v = byte_swap(v);
  return v;
}

}  // namespace picklejar::pickle
