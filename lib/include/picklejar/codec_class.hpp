#pragma once
// One-line mappings: a plain C++ struct as an instance of a Python class, and the list of an
// enum's values.
//
//   namespace app {
//   struct Window { int width = 800; int height = 600; std::string title; };
//   PICKLEJAR_CLASS(Window, "app.state", "Window", width, height, title);
//   }
//
// maps app::Window to instances of the Python class app.state.Window, with one instance
// attribute per listed member, named as the member (listing one twice is a CodecError at
// `.name` when writing). to_value builds what Python 3 pickles for an instance of a plain
// class at protocol 2+: NEWOBJ of the class with no arguments, then BUILD with the attribute
// dict (no BUILD when no members are listed, as Python writes nothing for an empty __dict__).
// A Python program that has the class loads it natively.
//
// from_value accepts what CPython writes for such an instance at every protocol: NEWOBJ
// (2+), copyreg._reconstructor (0-1), INST/OBJ (Python 2), a nested class (qualname
// "Outer.Inner") named through getattr, and a state that is None (empty __dict__) or a
// (dict, slots) pair. An instance of another class, or one built with constructor arguments,
// is refused. Attribute policy (ClassPolicy):
//   - extra attributes (in the instance, not listed): ignored by default, so a newer Python
//     class can add attributes; ExtraAttributes::error refuses them;
//   - missing attributes (listed, not in the instance): CodecError at `.name` by default,
//     except that a std::optional member becomes nullopt; MissingAttributes::keep_default
//     leaves every missing member as T{} made it (its default member initializer).
//   PICKLEJAR_CLASS_WITH(Window, (picklejar::ClassPolicy{.extra =
//   picklejar::ExtraAttributes::error}),
//                        "app.state", "Window", width, height, title);
//
// Put the macro in the struct's own namespace (it defines to_pickle and from_pickle there,
// found by argument-dependent lookup). Members must be accessible from there (public), and
// the struct default-constructible. End the line with a semicolon.
//
//   enum class Color { red, green, blue };
//   PICKLEJAR_ENUM(Color, red, green, blue);
//
// makes from_value<Color> accept only those values (without it, any int that fits the
// underlying type). Put it in the enum's namespace, too.

#include <picklejar/config.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include <picklejar/codec_core.hpp>
#include <picklejar/value.hpp>

namespace picklejar {

enum class MissingAttributes : std::uint8_t {
  error,         // CodecError at `.name`; a std::optional member becomes nullopt instead
  keep_default,  // the member keeps the value T{} gave it
};

enum class ExtraAttributes : std::uint8_t {
  ignore,  // instance attributes the struct does not list are skipped
  error,   // CodecError at `.name` of the first one
};

struct ClassPolicy {
  MissingAttributes missing = MissingAttributes::error;
  ExtraAttributes extra = ExtraAttributes::ignore;
};

namespace detail {
// An instance of module.qualname as Python 3 pickles it: NEWOBJ with no arguments, then BUILD
// with `attributes` (a dict), or no BUILD when it is empty.
Value instance_value(std::string_view module, std::string_view qualname, Value attributes);
// The instance attributes of an instance of module.qualname in any form CPython writes (see
// above); an empty dict for a None state. CodecError for anything else.
Value instance_attributes(const Value& v, std::string_view module, std::string_view qualname);
[[noreturn]] void throw_missing_attribute(std::string_view module, std::string_view qualname,
                                          std::string_view name);
void check_no_extra_attributes(const Value& attributes, std::span<const std::string_view> names,
                               std::string_view module, std::string_view qualname);

template <class T, class M>
struct Member {
  std::string_view name;
  M T::*pointer;
};
template <class T, class M>
constexpr Member<T, M> member(std::string_view name, M T::*pointer) {
  return {name, pointer};
}

template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;

template <class T, class... M>
Value class_to_value(const T& object, std::string_view module, std::string_view qualname,
                     const Member<T, M>&... members) {
  Value attributes = dict_with_room(sizeof...(M));
  (at_attribute(members.name,
                [&] {
                  insert_new_key(attributes, Value(members.name),
                                 detail::part_value(object.*(members.pointer)));
                }),
   ...);
  return instance_value(module, qualname, std::move(attributes));
}

template <class T, class M>
void read_member(const Value& attributes, T& object, const ClassPolicy& policy,
                 std::string_view module, std::string_view qualname, const Member<T, M>& m) {
  if (const std::optional<Value> found = attributes.find(Value(m.name))) {
    object.*(m.pointer) = at_attribute(m.name, [&] { return picklejar::from_value<M>(*found); });
  } else if (policy.missing == MissingAttributes::keep_default) {
    // left as T{} made it
  } else if constexpr (is_optional<M>) {
    object.*(m.pointer) = std::nullopt;
  } else {
    throw_missing_attribute(module, qualname, m.name);
  }
}

template <class T, class... M>
void class_from_value(const Value& v, T& object, const ClassPolicy& policy, std::string_view module,
                      std::string_view qualname, const Member<T, M>&... members) {
  const Value attributes = instance_attributes(v, module, qualname);
  if (policy.extra == ExtraAttributes::error) {
    const std::array<std::string_view, sizeof...(M)> names{members.name...};
    check_no_extra_attributes(attributes, names, module, qualname);
  }
  (read_member(attributes, object, policy, module, qualname, members), ...);
}
}  // namespace detail

}  // namespace picklejar

// ---- the macros ------------------------------------------------------------------------------

#define PICKLEJAR_CLASS(Type, module, qualname, ...)             \
  PICKLEJAR_CLASS_WITH(Type, ::picklejar::ClassPolicy{}, module, \
                       qualname __VA_OPT__(, ) __VA_ARGS__)

#define PICKLEJAR_CLASS_WITH(Type, policy, module, qualname, ...)                                \
  inline ::picklejar::Value to_pickle(const Type& pj_object) {                                   \
    return ::picklejar::detail::class_to_value(                                                  \
        pj_object, module, qualname PICKLEJAR_DETAIL_MEMBERS(Type, __VA_ARGS__));                \
  }                                                                                              \
  inline void from_pickle(const ::picklejar::Value& pj_value, Type& pj_object) {                 \
    ::picklejar::detail::class_from_value(pj_value, pj_object, policy, module,                   \
                                          qualname PICKLEJAR_DETAIL_MEMBERS(Type, __VA_ARGS__)); \
  }                                                                                              \
  static_assert(true)

#define PICKLEJAR_ENUM(Enum, ...)                                                                \
  constexpr bool pickle_is_enumerator(Enum pj_e) {                                               \
    return PICKLEJAR_DETAIL_FOR_EACH(PICKLEJAR_DETAIL_ENUMERATOR_TEST, Enum, __VA_ARGS__) false; \
  }                                                                                              \
  static_assert(true)

// ", member("a", &Type::a), member("b", &Type::b)" for the members a, b.
#define PICKLEJAR_DETAIL_MEMBERS(Type, ...) \
  PICKLEJAR_DETAIL_FOR_EACH(PICKLEJAR_DETAIL_MEMBER, Type, __VA_ARGS__)
#define PICKLEJAR_DETAIL_MEMBER(Type, name) , ::picklejar::detail::member(#name, &Type::name)
#define PICKLEJAR_DETAIL_ENUMERATOR_TEST(Enum, name) pj_e == Enum::name ||

// macro(fixed, x) for each x, up to 256 of them (each EXPAND level rescans four times).
#define PICKLEJAR_DETAIL_FOR_EACH(macro, fixed, ...) \
  __VA_OPT__(PICKLEJAR_DETAIL_EXPAND(PICKLEJAR_DETAIL_FOR_EACH_STEP(macro, fixed, __VA_ARGS__)))
#define PICKLEJAR_DETAIL_FOR_EACH_STEP(macro, fixed, first, ...) \
  macro(fixed, first) __VA_OPT__(                                \
      PICKLEJAR_DETAIL_FOR_EACH_AGAIN PICKLEJAR_DETAIL_PARENS(macro, fixed, __VA_ARGS__))
#define PICKLEJAR_DETAIL_FOR_EACH_AGAIN() PICKLEJAR_DETAIL_FOR_EACH_STEP
#define PICKLEJAR_DETAIL_PARENS ()
#define PICKLEJAR_DETAIL_EXPAND(...) \
  PICKLEJAR_DETAIL_EXPAND3(          \
      PICKLEJAR_DETAIL_EXPAND3(PICKLEJAR_DETAIL_EXPAND3(PICKLEJAR_DETAIL_EXPAND3(__VA_ARGS__))))
#define PICKLEJAR_DETAIL_EXPAND3(...) \
  PICKLEJAR_DETAIL_EXPAND2(           \
      PICKLEJAR_DETAIL_EXPAND2(PICKLEJAR_DETAIL_EXPAND2(PICKLEJAR_DETAIL_EXPAND2(__VA_ARGS__))))
#define PICKLEJAR_DETAIL_EXPAND2(...) \
  PICKLEJAR_DETAIL_EXPAND1(           \
      PICKLEJAR_DETAIL_EXPAND1(PICKLEJAR_DETAIL_EXPAND1(PICKLEJAR_DETAIL_EXPAND1(__VA_ARGS__))))
#define PICKLEJAR_DETAIL_EXPAND1(...) \
  PICKLEJAR_DETAIL_EXPAND0(           \
      PICKLEJAR_DETAIL_EXPAND0(PICKLEJAR_DETAIL_EXPAND0(PICKLEJAR_DETAIL_EXPAND0(__VA_ARGS__))))
#define PICKLEJAR_DETAIL_EXPAND0(...) __VA_ARGS__
