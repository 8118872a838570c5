#pragma once
// The C++ element types of numpy arrays (picklejar/ndarray.hpp), on their own so that the
// std container mappings can read a 1-D numpy array into a std::vector<T> without pulling in
// NdArray.
//
//   C++                                         numpy dtype
//   bool                                        bool
//   std::int8_t ... std::int64_t (any signed    int8 ... int64 (by size)
//     integer type but the character types)
//   std::uint8_t ... std::uint64_t              uint8 ... uint64
//   picklejar::Float16                          float16 (the IEEE half's bits)
//   float, double                               float32, float64
//   std::complex<float>, std::complex<double>   complex64, complex128

#include <picklejar/config.hpp>

#include <complex>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include <picklejar/value.hpp>

namespace picklejar {

// numpy's float16: IEEE 754 binary16, kept as its bits (C++20 has no half type).
struct PICKLEJAR_EXPORT Float16 {
  std::uint16_t bits = 0;  // the binary16 bit pattern

  // Exact: every half is a float.
  float to_float() const noexcept;
  // Rounded to nearest, ties to even, as numpy's float32 -> float16 cast (overflow gives inf).
  static Float16 from_float(float value) noexcept;
  // The same bits (so a NaN equals itself, and 0 does not equal -0).
  friend bool operator==(const Float16&, const Float16&) = default;
};

template <class T>
concept NdElement =
    std::same_as<T, bool> ||(PythonInteger<T> && sizeof(T) <= 8) || std::same_as<T, float> ||
    std::same_as<T, double> || std::same_as<T, std::complex<float>> ||
    std::same_as<T, std::complex<double>> || std::same_as<T, Float16>;

namespace detail {

// numpy's kind letter and item size of T ('f', 8 for double).
struct ElementCode {
  char kind;
  std::size_t size;
};
template <NdElement T>
constexpr ElementCode element_code() noexcept {
  if constexpr (std::same_as<T, bool>)
    return {'b', 1};
  else if constexpr (std::same_as<T, Float16>)
    return {'f', 2};
  else if constexpr (std::floating_point<T>)
    return {'f', sizeof(T)};
  else if constexpr (std::integral<T>)
    return {std::is_signed_v<T> ? 'i' : 'u', sizeof(T)};
  else
    return {'c', sizeof(T)};  // std::complex
}

// The items of a 1-D numpy array recipe whose dtype is `code` (CodecError otherwise), in
// native byte order; `keep` holds the memory they are in. Defined in lib/src/numpy.
struct NumpyItems {
  std::shared_ptr<const void> keep;
  const std::byte* data = nullptr;
  std::size_t count = 0;
};
PICKLEJAR_EXPORT NumpyItems numpy_1d_items(const Value& v, ElementCode code);

// std::vector<T> (or deque, list) of a 1-D numpy array of T's dtype.
template <class Container>
Container numpy_sequence(const Value& v) {
  using T = typename Container::value_type;
  const NumpyItems items = numpy_1d_items(v, element_code<T>());
  Container out;
  if constexpr (std::same_as<Container, std::vector<T>> && !std::same_as<T, bool>) {
    out.resize(items.count);
    if (items.count != 0) std::memcpy(out.data(), items.data, items.count * sizeof(T));
    return out;
  }
  for (std::size_t i = 0; i < items.count; ++i) {
    T item;
    if constexpr (std::same_as<T, bool>) {
      item = std::to_integer<unsigned char>(items.data[i]) != 0;
    } else {
      std::memcpy(static_cast<void*>(&item), items.data + i * sizeof(T), sizeof(T));
    }
    out.push_back(item);
  }
  return out;
}

}  // namespace detail
}  // namespace picklejar
