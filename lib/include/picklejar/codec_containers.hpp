#pragma once
// Mappings for std containers, pairs, tuples, optional and variant. Elements map through
// picklejar::to_value/from_value, so any mapped type nests.
//
//   C++                                        Python   back from Python
//   std::vector, std::deque, std::list         list     list or tuple (or a 1-D numpy array
//                                                       of T's dtype: ndarray_element.hpp)
//   std::array<T, N>                           list     list or tuple of exactly N items
//   std::map, std::unordered_map               dict     dict (or OrderedDict)
//   std::set, std::unordered_set               set      set or frozenset
//   std::pair, std::tuple                      tuple    tuple or list of exactly that arity
//   std::optional<T>                           None or T
//   std::variant<Ts...>                        the active alternative; back: the FIRST
//                                              alternative, in declaration order, whose
//                                              from_value accepts the value (so put int
//                                              before double, and std::monostate for None)
// (Byte vectors and arrays are bytes: see codec_strings.hpp.)
//
// Dict keys and set members must be hashable in Python, so a key that maps to a list, set or
// bytearray becomes a tuple, frozenset or bytes (recursively), as Python code would write it;
// reading back accepts those. Two C++ keys that are one Python key (1 and 1.0 in a
// std::map<std::variant<int, double>, ...>) raise CodecError rather than losing an item, and
// so do two Python keys that map to one C++ key.
// Paths in errors: `[i]` for items (C++ containers counted in iteration order), `[key]` for
// dict values, `[key]: key: ...` for a dict key that does not map, `{member}` for set members.

#include <picklejar/config.hpp>

#include <array>
#include <cstddef>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <ranges>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include <picklejar/codec_core.hpp>
#include <picklejar/codec_strings.hpp>
#include <picklejar/ndarray_element.hpp>
#include <picklejar/value.hpp>

namespace picklejar {

namespace detail {
PICKLEJAR_EXPORT void expect_sequence(const Value& v);  // list or tuple
PICKLEJAR_EXPORT void expect_dict(const Value& v);
PICKLEJAR_EXPORT void expect_set(const Value& v);  // set or frozenset
// key itself if hashable, else its hashable form (list -> tuple, set -> frozenset,
// bytearray -> bytes); CodecError for what has none (a dict).
PICKLEJAR_EXPORT Value hashable(Value key);
// Whether picklejar's own mapping of T is always hashable (a number or a str), so that a key
// of it needs no hashable() pass. (Not enums: a codec<> of the user's may map one otherwise.)
template <class T>
inline constexpr bool maps_to_hashable =
    std::is_arithmetic_v<T> || std::is_same_v<T, std::string> ||
    std::is_same_v<T, std::string_view>;
// CodecError if the set already holds an equal member.
PICKLEJAR_EXPORT void add_new_member(Value& set, const Value& member);
[[noreturn]] PICKLEJAR_EXPORT void throw_duplicate_key();
// Inside a catch block: the text of a mapping failure (CodecError, TypeError, ValueError,
// LookupError); any other exception is rethrown.
PICKLEJAR_EXPORT std::string failure_text();
[[noreturn]] PICKLEJAR_EXPORT void throw_no_alternative(const Value& v,
                                                        const std::string& failures);

template <class Range>
Value list_value(const Range& range) {
  using Element = typename Range::value_type;
  std::vector<Value> items;
  if constexpr (std::ranges::sized_range<const Range>) items.reserve(std::ranges::size(range));
  std::size_t i = 0;
  for (const auto& e : range) {
    items.push_back(at_index(i, [&] { return detail::part_value<Element>(e); }));
    ++i;
  }
  return Value::list(std::move(items));
}

template <class Container>
struct SequenceCodec {
  static Value to_value(const Container& c) { return list_value(c); }
  static Container from_value(const Value& v) {
    if constexpr (NdElement<typename Container::value_type>) {
      if (v.is_object()) return numpy_sequence<Container>(v);  // a 1-D numpy array of T
    }
    expect_sequence(v);
    Container out;
    const std::size_t n = v.size();
    if constexpr (requires { out.reserve(n); }) out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back(at_index(
          i, [&] { return picklejar::from_value<typename Container::value_type>(v.at(i)); }));
    }
    return out;
  }
};

template <class Map>
struct MapCodec {
  static Value to_value(const Map& map) {
    Value dict = dict_with_room(map.size());
    for (const auto& entry : map) {
      const Value key = in_key([&] {
        if constexpr (maps_to_hashable<std::remove_cvref_t<decltype(entry.first)>>) {
          return detail::part_value(entry.first);
        } else {
          return hashable(detail::part_value(entry.first));
        }
      });
      Value item = at_key(key, [&] { return detail::part_value(entry.second); });
      at_key(key, [&] { insert_new_key(dict, key, std::move(item)); });
    }
    return dict;
  }
  static Map from_value(const Value& v) {
    expect_dict(v);
    Map out;
    for (const auto& entry : v.items()) {
      const Value& key = entry.first;
      const Value& item = entry.second;
      auto k =
          at_key_itself(key, [&] { return picklejar::from_value<typename Map::key_type>(key); });
      auto mapped =
          at_key(key, [&] { return picklejar::from_value<typename Map::mapped_type>(item); });
      if (!out.emplace(std::move(k), std::move(mapped)).second) {
        at_key(key, [] { throw_duplicate_key(); });
      }
    }
    return out;
  }
};

template <class Set>
struct SetCodec {
  static Value to_value(const Set& set) {
    Value out = Value::set();
    std::size_t i = 0;
    for (const auto& member : set) {
      at_index(i++, [&] { add_new_member(out, hashable(detail::part_value(member))); });
    }
    return out;
  }
  static Set from_value(const Value& v) {
    expect_set(v);
    Set out;
    for (const Value member : v) {
      auto m =
          at_member(member, [&] { return picklejar::from_value<typename Set::key_type>(member); });
      if (!out.insert(std::move(m)).second) at_member(member, [] { throw_duplicate_key(); });
    }
    return out;
  }
};

// std::pair, std::tuple and std::array: a fixed number of items.
template <class Fixed>
struct FixedCodec {
  static constexpr std::size_t size = std::tuple_size_v<Fixed>;

  static Value to_value(const Fixed& x) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return Value::tuple({at_index(I, [&] { return detail::part_value(std::get<I>(x)); })...});
    }
    (std::make_index_sequence<size>());
  }
  static Fixed from_value(const Value& v) {
    expect_sequence(v);
    expect_length(v.size(), size, "items");
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return Fixed{at_index(
          I, [&] { return picklejar::from_value<std::tuple_element_t<I, Fixed>>(v.at(I)); })...};
    }
    (std::make_index_sequence<size>());
  }
};
}  // namespace detail

template <class T, class Allocator>
struct codec<std::vector<T, Allocator>> : detail::SequenceCodec<std::vector<T, Allocator>> {};
template <class T, class Allocator>
struct codec<std::deque<T, Allocator>> : detail::SequenceCodec<std::deque<T, Allocator>> {};
template <class T, class Allocator>
struct codec<std::list<T, Allocator>> : detail::SequenceCodec<std::list<T, Allocator>> {};

// A list (not a tuple): std::array is the fixed-size std::vector.
template <class T, std::size_t N>
struct codec<std::array<T, N>> {
  static Value to_value(const std::array<T, N>& a) { return detail::list_value(a); }
  static std::array<T, N> from_value(const Value& v) {
    return detail::FixedCodec<std::array<T, N>>::from_value(v);
  }
};

template <class K, class T, class Compare, class Allocator>
struct codec<std::map<K, T, Compare, Allocator>>
    : detail::MapCodec<std::map<K, T, Compare, Allocator>> {};
template <class K, class T, class Hash, class Equal, class Allocator>
struct codec<std::unordered_map<K, T, Hash, Equal, Allocator>>
    : detail::MapCodec<std::unordered_map<K, T, Hash, Equal, Allocator>> {};

template <class K, class Compare, class Allocator>
struct codec<std::set<K, Compare, Allocator>> : detail::SetCodec<std::set<K, Compare, Allocator>> {
};
template <class K, class Hash, class Equal, class Allocator>
struct codec<std::unordered_set<K, Hash, Equal, Allocator>>
    : detail::SetCodec<std::unordered_set<K, Hash, Equal, Allocator>> {};

template <class A, class B>
struct codec<std::pair<A, B>> : detail::FixedCodec<std::pair<A, B>> {};
template <class... Ts>
struct codec<std::tuple<Ts...>> : detail::FixedCodec<std::tuple<Ts...>> {};

template <class T>
struct codec<std::optional<T>> {
  static Value to_value(const std::optional<T>& o) { return o ? detail::part_value(*o) : Value(); }
  static std::optional<T> from_value(const Value& v) {
    if (v.is_none()) return std::nullopt;
    return picklejar::from_value<T>(v);
  }
};

template <class... Ts>
struct codec<std::variant<Ts...>> {
  using Variant = std::variant<Ts...>;

  static Value to_value(const Variant& x) {
    if (x.valueless_by_exception()) throw CodecError("std::variant is valueless by exception");
    return std::visit([](const auto& alternative) { return detail::part_value(alternative); }, x);
  }
  static Variant from_value(const Value& v) {
    std::string failures;
    return first_accepting<0>(v, failures);
  }

 private:
  template <std::size_t I>
  static Variant first_accepting(const Value& v, std::string& failures) {
    if constexpr (I == sizeof...(Ts)) {
      detail::throw_no_alternative(v, failures);
    } else {
      try {
        return Variant(std::in_place_index<I>,
                       picklejar::from_value<std::variant_alternative_t<I, Variant>>(v));
      } catch (...) {
        failures += (I == 0 ? "" : "; ") + std::string("#") + std::to_string(I) + ": " +
                    detail::failure_text();
      }
      return first_accepting<I + 1>(v, failures);
    }
  }
};

}  // namespace picklejar
