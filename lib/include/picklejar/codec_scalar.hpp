#pragma once
// Mappings for scalars: None, bool, every integer type, floating point, enums, and Value.
//
//   C++                                   Python       back from Python
//   std::nullptr_t, std::monostate        None         None only
//   bool                                  bool         bool only (not 0/1)
//   signed/unsigned char, short, int,     int          int (not bool) within the C++ type's
//     long, long long (and the unsigned)                range, else CodecError naming it
//   float, double, long double            float        float, or an int (Python's float(x));
//                                                      float refuses a finite value too big
//   enums (scoped or not)                 int          int within the underlying type; with
//                                                      PICKLEJAR_ENUM, only the listed values
//   picklejar::Value                      itself       anything (the same node, not a copy)
// char, wchar_t and char8/16/32_t are characters, not numbers, so they have no mapping.

#include <picklejar/config.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <variant>

#include <picklejar/codec_core.hpp>
#include <picklejar/value.hpp>

namespace picklejar {

namespace detail {
PICKLEJAR_EXPORT void expect_none(const Value& v);
PICKLEJAR_EXPORT bool read_bool(const Value& v);
// An int within [min, max]; CodecError "expected int, got str" or "int 300 out of range
// [0, 255]".
PICKLEJAR_EXPORT std::int64_t read_signed(const Value& v, std::int64_t min, std::int64_t max);
PICKLEJAR_EXPORT std::uint64_t read_unsigned(const Value& v, std::uint64_t max);
// A float or an int; refuses a finite result whose magnitude exceeds max_finite.
PICKLEJAR_EXPORT double read_floating(const Value& v, double max_finite);
[[noreturn]] PICKLEJAR_EXPORT void throw_not_enumerator(std::int64_t value);
[[noreturn]] PICKLEJAR_EXPORT void throw_not_enumerator(std::uint64_t value);

// An int of T's range, read with the range check above.
template <class T>
T read_integer(const Value& v) {
  if constexpr (std::is_signed_v<T>) {
    return static_cast<T>(
        read_signed(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
  } else {
    return static_cast<T>(read_unsigned(v, std::numeric_limits<T>::max()));
  }
}

// PICKLEJAR_ENUM(E, ...) declares pickle_is_enumerator(E) next to E.
template <class E>
concept ListedEnum = requires(E e) {
  { pickle_is_enumerator(e) } -> std::same_as<bool>;
};
}  // namespace detail

template <>
struct codec<std::nullptr_t> {
  static Value to_value(std::nullptr_t) { return Value(); }
  static std::nullptr_t from_value(const Value& v) { return detail::expect_none(v), nullptr; }
};

template <>
struct codec<std::monostate> {
  static Value to_value(std::monostate) { return Value(); }
  static std::monostate from_value(const Value& v) {
    return detail::expect_none(v), std::monostate{};
  }
};

template <>
struct codec<bool> {
  static Value to_value(bool b) { return Value(b); }
  static bool from_value(const Value& v) { return detail::read_bool(v); }
};

template <PythonInteger T>
struct codec<T> {
  static Value to_value(T i) { return Value(i); }
  static T from_value(const Value& v) { return detail::read_integer<T>(v); }
};

template <std::floating_point T>
struct codec<T> {
  static Value to_value(T f) { return Value(f); }
  static T from_value(const Value& v) {
    const double max = std::numeric_limits<T>::max() < std::numeric_limits<double>::max()
                           ? static_cast<double>(std::numeric_limits<T>::max())
                           : std::numeric_limits<double>::max();
    return static_cast<T>(detail::read_floating(v, max));
  }
};

template <class E>
requires std::is_enum_v<E>
struct codec<E> {
  using Underlying = std::underlying_type_t<E>;
  // The underlying type may be a character type or bool, which Value refuses: widen it.
  using Wide = std::conditional_t<std::is_signed_v<Underlying>, std::int64_t, std::uint64_t>;

  static Value to_value(E e) { return Value(static_cast<Wide>(static_cast<Underlying>(e))); }
  static E from_value(const Value& v) {
    Wide wide;
    if constexpr (std::is_signed_v<Underlying>) {
      wide = detail::read_signed(v, std::numeric_limits<Underlying>::min(),
                                 std::numeric_limits<Underlying>::max());
    } else {
      wide = detail::read_unsigned(v, std::numeric_limits<Underlying>::max());
    }
    const E e = static_cast<E>(static_cast<Underlying>(wide));
    if constexpr (detail::ListedEnum<E>) {
      if (!pickle_is_enumerator(e)) detail::throw_not_enumerator(wide);
    }
    return e;
  }
};

template <>
struct codec<Value> {
  static Value to_value(const Value& v) { return v; }
  static Value from_value(const Value& v) { return v; }
};

}  // namespace picklejar
