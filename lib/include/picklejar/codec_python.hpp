#pragma once
// Small C++ value types for Python objects that have no std counterpart, and std::complex,
// each built exactly as CPython pickles the Python object.
//
//   C++                           Python                    recipe (as loads() shows it)
//   py::Decimal{"1.50"}           decimal.Decimal('1.50')   Decimal('1.50')            REDUCE
//   py::Uuid                      uuid.UUID                 UUID() + BUILD {'int': n}  NEWOBJ
//   std::complex<float/double>    complex                   complex(re, im)            REDUCE
//   py::OrderedDict<K, V>         collections.OrderedDict   a dict flavoured ordered_dict
// (Below protocol 2 CPython writes the UUID through copyreg._reconstructor; from_value accepts
// that too, and every form CPython writes at protocols 0-5 for the others.)

#include <picklejar/config.hpp>

#include <array>
#include <complex>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <picklejar/codec_containers.hpp>
#include <picklejar/codec_core.hpp>
#include <picklejar/value.hpp>

namespace picklejar {

namespace py {

// decimal.Decimal, kept as its text: exact, and free of any decimal arithmetic library.
// The text must follow Decimal's syntax ([sign] digits [. digits] [e [sign] digits], Infinity,
// Inf, NaN[digits], sNaN[digits]; letters in either case); it is written as given, and CPython
// writes str(d), so py::Decimal{"1.50"} pickles exactly as Decimal('1.50'). == compares the
// text ("1.5" != "1.50"), not the number.
struct Decimal {
  std::string text;  // as written: "1.50", "-Infinity", "NaN"
  friend bool operator==(const Decimal&, const Decimal&) = default;  // compares the text
};

// uuid.UUID: its 16 bytes in the order of uuid.UUID.bytes (big-endian).
struct PICKLEJAR_EXPORT Uuid {
  std::array<std::uint8_t, 16> bytes{};  // uuid.UUID.bytes

  // "12345678-1234-5678-1234-567812345678", as str(uuid.UUID) writes it.
  std::string str() const;
  // The str() form, hex digits in either case; nullopt for anything else.
  static std::optional<Uuid> parse(std::string_view text);
  friend bool operator==(const Uuid&, const Uuid&) = default;  // byte-wise
};

// collections.OrderedDict: items in order. Keys map as std::map keys do; keys equal in Python
// raise CodecError. Reading accepts an OrderedDict or a plain dict (both keep insertion order).
template <class K, class V>
struct OrderedDict {
  std::vector<std::pair<K, V>> items;  // in order
  // Item by item, in order.
  friend bool operator==(const OrderedDict&, const OrderedDict&) = default;
};

}  // namespace py

namespace detail {
PICKLEJAR_EXPORT Value decimal_value(std::string_view text);
PICKLEJAR_EXPORT std::string read_decimal(const Value& v);
PICKLEJAR_EXPORT Value uuid_value(const py::Uuid& uuid);
PICKLEJAR_EXPORT py::Uuid read_uuid(const Value& v);
PICKLEJAR_EXPORT Value complex_value(double real, double imag);
// (real, imag); each part checked against max_finite as for float.
PICKLEJAR_EXPORT std::pair<double, double> read_complex(const Value& v, double max_finite);
}  // namespace detail

template <>
struct codec<py::Decimal> {
  static Value to_value(const py::Decimal& d) { return detail::decimal_value(d.text); }
  static py::Decimal from_value(const Value& v) { return {detail::read_decimal(v)}; }
};

template <>
struct codec<py::Uuid> {
  static Value to_value(const py::Uuid& u) { return detail::uuid_value(u); }
  static py::Uuid from_value(const Value& v) { return detail::read_uuid(v); }
};

template <std::floating_point T>
struct codec<std::complex<T>> {
  static Value to_value(const std::complex<T>& c) {
    return detail::complex_value(static_cast<double>(c.real()), static_cast<double>(c.imag()));
  }
  static std::complex<T> from_value(const Value& v) {
    const double max = std::numeric_limits<T>::max() < std::numeric_limits<double>::max()
                           ? static_cast<double>(std::numeric_limits<T>::max())
                           : std::numeric_limits<double>::max();
    const auto [real, imag] = detail::read_complex(v, max);
    return {static_cast<T>(real), static_cast<T>(imag)};
  }
};

template <class K, class V>
struct codec<py::OrderedDict<K, V>> {
  static Value to_value(const py::OrderedDict<K, V>& d) {
    Value dict = detail::MapCodec<std::vector<std::pair<K, V>>>::to_value(d.items);
    dict.set_dict_flavor(DictFlavor::ordered_dict);
    return dict;
  }
  static py::OrderedDict<K, V> from_value(const Value& v) {
    detail::expect_dict(v);
    py::OrderedDict<K, V> out;
    out.items.reserve(v.size());
    for (const auto& entry : v.items()) {
      const Value& key = entry.first;
      auto k = detail::at_key_itself(key, [&] { return picklejar::from_value<K>(key); });
      auto item = detail::at_key(key, [&] { return picklejar::from_value<V>(entry.second); });
      out.items.emplace_back(std::move(k), std::move(item));
    }
    return out;
  }
};

}  // namespace picklejar
