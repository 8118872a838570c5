#pragma once
// Python's numeric hash (Objects/longobject.c, Python/pyhash.c): every number hashes to its
// value modulo the Mersenne prime 2**61 - 1, so equal ints, floats and bools hash alike.

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace picklejar::detail {

inline constexpr std::uint64_t kPythonHashBits = 61;
inline constexpr std::uint64_t kPythonHashModulus = (std::uint64_t{1} << kPythonHashBits) - 1;
inline constexpr std::int64_t kPythonHashInf = 314159;

// Applies the sign and Python's "-1 is reserved for errors" rule to |value| mod P.
inline std::size_t finish_python_hash(std::uint64_t residue, bool negative) noexcept {
  std::int64_t h = negative ? -static_cast<std::int64_t>(residue) : static_cast<std::int64_t>(residue);
  if (h == -1) h = -2;
  return static_cast<std::size_t>(h);
}

inline std::size_t python_hash_int64(std::int64_t v) noexcept {
  const std::uint64_t magnitude =
      v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  return finish_python_hash(magnitude % kPythonHashModulus, v < 0);
}

inline std::size_t python_hash_double(double v) noexcept {
  if (std::isinf(v)) return static_cast<std::size_t>(v > 0 ? kPythonHashInf : -kPythonHashInf);
  if (std::isnan(v)) return 0;  // Python hashes NaN by identity; NaN never equals anything
  int e = 0;
  double m = std::frexp(v, &e);
  bool negative = false;
  if (m < 0) negative = true, m = -m;
  std::uint64_t x = 0;
  while (m != 0.0) {  // 28 bits at a time, as CPython does
    x = ((x << 28) & kPythonHashModulus) | x >> (kPythonHashBits - 28);
    m *= 268435456.0;
    e -= 28;
    const auto y = static_cast<std::uint64_t>(m);
    m -= static_cast<double>(y);
    x += y;
    if (x >= kPythonHashModulus) x -= kPythonHashModulus;
  }
  const int bits = static_cast<int>(kPythonHashBits);
  e = e >= 0 ? e % bits : bits - 1 - ((-1 - e) % bits);
  x = ((x << e) & kPythonHashModulus) | x >> (bits - e);
  return finish_python_hash(x, negative);
}

}  // namespace picklejar::detail
