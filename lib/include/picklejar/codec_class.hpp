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
// found by argument-dependent lookup; anywhere else it stops compilation with a static_assert
// that says so). Members must be accessible from there (public), and
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

// ClassPolicy::missing: what reading does with a listed member the instance lacks.
enum class MissingAttributes : std::uint8_t {
  error,         // CodecError at `.name`; a std::optional member becomes nullopt instead
  keep_default,  // the member keeps the value T{} gave it
};

// ClassPolicy::extra: what reading does with attributes the struct does not list.
enum class ExtraAttributes : std::uint8_t {
  ignore,  // instance attributes the struct does not list are skipped
  error,   // CodecError at `.name` of the first one
};

// How PICKLEJAR_CLASS_WITH reads instances; PICKLEJAR_CLASS uses the defaults.
struct ClassPolicy {
  MissingAttributes missing = MissingAttributes::error;  // default: a missing attribute is an error
  ExtraAttributes extra = ExtraAttributes::ignore;       // default: extra attributes are skipped
};

namespace detail {
// An instance of module.qualname as Python 3 pickles it: NEWOBJ with no arguments, then BUILD
// with `attributes` (a dict), or no BUILD when it is empty.
PICKLEJAR_EXPORT Value instance_value(std::string_view module, std::string_view qualname,
                                      Value attributes);
// The instance attributes of an instance of module.qualname in any form CPython writes (see
// above); an empty dict for a None state. CodecError for anything else.
PICKLEJAR_EXPORT Value instance_attributes(const Value& v, std::string_view module,
                                           std::string_view qualname);
[[noreturn]] PICKLEJAR_EXPORT void throw_missing_attribute(std::string_view module,
                                                           std::string_view qualname,
                                                           std::string_view name);
PICKLEJAR_EXPORT void check_no_extra_attributes(const Value& attributes,
                                                std::span<const std::string_view> names,
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

// PICKLEJAR_CLASS(Type, "module", "Qualname", members...): Type as that Python class (above).
#define PICKLEJAR_CLASS(Type, module, qualname, ...)             \
  PICKLEJAR_CLASS_WITH(Type, ::picklejar::ClassPolicy{}, module, \
                       qualname __VA_OPT__(, ) __VA_ARGS__)

// PICKLEJAR_CLASS with a ClassPolicy for missing and extra attributes.
#define PICKLEJAR_CLASS_WITH(Type, policy, module, qualname, ...)                          \
  PICKLEJAR_DETAIL_FOR_EACH(PICKLEJAR_DETAIL_CHECK_MEMBER, Type, __VA_ARGS__)              \
  template <class PjType = Type>                                                           \
  inline ::std::enable_if_t<::std::is_same_v<PjType, Type>, ::picklejar::Value> to_pickle( \
      const ::std::type_identity_t<PjType>& pj_object) {                                   \
    if constexpr (PICKLEJAR_DETAIL_ALL_MEMBERS(PjType, __VA_ARGS__)) {                     \
      return ::picklejar::detail::class_to_value(                                          \
          pj_object, module, qualname PICKLEJAR_DETAIL_MEMBERS(PjType, __VA_ARGS__));      \
    } else { /* a member's static_assert above failed compilation already */               \
      return ::picklejar::Value();                                                         \
    }                                                                                      \
  }                                                                                        \
  template <class PjType = Type>                                                           \
  inline ::std::enable_if_t<::std::is_same_v<PjType, Type>> from_pickle(                   \
      const ::picklejar::Value& pj_value, ::std::type_identity_t<PjType>& pj_object) {     \
    if constexpr (PICKLEJAR_DETAIL_ALL_MEMBERS(PjType, __VA_ARGS__)) {                     \
      ::picklejar::detail::class_from_value(                                               \
          pj_value, pj_object, policy, module,                                             \
          qualname PICKLEJAR_DETAIL_MEMBERS(PjType, __VA_ARGS__));                         \
    }                                                                                      \
  }                                                                                        \
  PICKLEJAR_DETAIL_CHECK_NAMESPACE(Type)

// PICKLEJAR_ENUM(Enum, values...): reading accepts only the listed values (above).
#define PICKLEJAR_ENUM(Enum, ...)                                                                \
  constexpr bool pickle_is_enumerator(Enum pj_e) {                                               \
    return PICKLEJAR_DETAIL_FOR_EACH(PICKLEJAR_DETAIL_ENUMERATOR_TEST, Enum, __VA_ARGS__) false; \
  }                                                                                              \
  static_assert(true)

// The functions PICKLEJAR_CLASS defines are found by argument-dependent lookup, so only in
// Type's own namespace: written anywhere else, the macro says so here rather than leaving
// to_value() to report a type with no mapping.
#define PICKLEJAR_DETAIL_CHECK_NAMESPACE(Type)                          \
  static_assert(::picklejar::detail::AdlToPickle<Type>,                 \
                "PICKLEJAR_CLASS(" #Type                                \
                ", ...) must be written in the namespace that "         \
                "declares " #Type                                       \
                " (argument-dependent lookup finds its functions only " \
                "there), not in another namespace or at global scope")

// ", member("a", &Type::a), member("b", &Type::b)" for the members a, b.
#define PICKLEJAR_DETAIL_MEMBERS(Type, ...) \
  PICKLEJAR_DETAIL_FOR_EACH(PICKLEJAR_DETAIL_MEMBER, Type, __VA_ARGS__)
#define PICKLEJAR_DETAIL_MEMBER(Type, name) , ::picklejar::detail::member(#name, &Type::name)
#define PICKLEJAR_DETAIL_ENUMERATOR_TEST(Enum, name) pj_e == Enum::name ||
// Whether `&Type::name` names a member this code may access (false, not an error, when not):
// PICKLEJAR_CLASS checks each listed name with it first, and the functions it defines are
// templates whose bodies use the members only when all are there, so a misspelled one gives
// one static_assert naming it instead of pages of notes. (Their return types name Type, so
// that two classes mapped in one namespace declare two templates, not one twice.)
#define PICKLEJAR_DETAIL_HAS_MEMBER(Type, name)                                             \
  ::std::is_invocable_v<                                                                    \
      decltype([](auto* pj_p) -> decltype(&::std::remove_pointer_t<decltype(pj_p)>::name) { \
        return nullptr;                                                                     \
      }),                                                                                   \
      Type*>
#define PICKLEJAR_DETAIL_CHECK_MEMBER(Type, name)          \
  static_assert(PICKLEJAR_DETAIL_HAS_MEMBER(Type, name),   \
                "PICKLEJAR_CLASS(" #Type ", ...): '" #name \
                "' is not a public data member of " #Type);
#define PICKLEJAR_DETAIL_ALL_MEMBERS(Type, ...) \
  (PICKLEJAR_DETAIL_FOR_EACH(PICKLEJAR_DETAIL_MEMBER_OK, Type, __VA_ARGS__) true)
#define PICKLEJAR_DETAIL_MEMBER_OK(Type, name) PICKLEJAR_DETAIL_HAS_MEMBER(Type, name)&&

// macro(fixed, x) for each x, up to 128 of them. Fixed arity (one macro per count, chosen by
// counting the arguments), not a recursive rescan: a compile error inside an expansion then
// carries a backtrace of a few "in expansion of macro" notes, not hundreds.
#define PICKLEJAR_DETAIL_FOR_EACH(macro, fixed, ...) \
  __VA_OPT__(PICKLEJAR_DETAIL_FE_PICK(__VA_ARGS__)(macro, fixed, __VA_ARGS__))
#define PICKLEJAR_DETAIL_FE_PICK(...) \
  PICKLEJAR_DETAIL_FE_CAT(PICKLEJAR_DETAIL_FE_, PICKLEJAR_DETAIL_FE_COUNT(__VA_ARGS__))
#define PICKLEJAR_DETAIL_FE_CAT(a, b) PICKLEJAR_DETAIL_FE_CAT2(a, b)
#define PICKLEJAR_DETAIL_FE_CAT2(a, b) a##b
#define PICKLEJAR_DETAIL_FE_COUNT(...)                                                             \
  PICKLEJAR_DETAIL_FE_NTH(                                                                         \
      __VA_ARGS__, 128, 127, 126, 125, 124, 123, 122, 121, 120, 119, 118, 117, 116, 115, 114, 113, \
      112, 111, 110, 109, 108, 107, 106, 105, 104, 103, 102, 101, 100, 99, 98, 97, 96, 95, 94, 93, \
      92, 91, 90, 89, 88, 87, 86, 85, 84, 83, 82, 81, 80, 79, 78, 77, 76, 75, 74, 73, 72, 71, 70,  \
      69, 68, 67, 66, 65, 64, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47,  \
      46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24,  \
      23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define PICKLEJAR_DETAIL_FE_NTH(                                                                   \
    _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20,     \
    _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, _33, _34, _35, _36, _37, _38, _39, \
    _40, _41, _42, _43, _44, _45, _46, _47, _48, _49, _50, _51, _52, _53, _54, _55, _56, _57, _58, \
    _59, _60, _61, _62, _63, _64, _65, _66, _67, _68, _69, _70, _71, _72, _73, _74, _75, _76, _77, \
    _78, _79, _80, _81, _82, _83, _84, _85, _86, _87, _88, _89, _90, _91, _92, _93, _94, _95, _96, \
    _97, _98, _99, _100, _101, _102, _103, _104, _105, _106, _107, _108, _109, _110, _111, _112,   \
    _113, _114, _115, _116, _117, _118, _119, _120, _121, _122, _123, _124, _125, _126, _127,      \
    _128, n, ...)                                                                                  \
  n
#define PICKLEJAR_DETAIL_FE_1(m, f, x) m(f, x)
#define PICKLEJAR_DETAIL_FE_2(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_1(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_3(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_2(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_4(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_3(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_5(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_4(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_6(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_5(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_7(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_6(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_8(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_7(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_9(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_8(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_10(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_9(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_11(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_10(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_12(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_11(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_13(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_12(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_14(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_13(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_15(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_14(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_16(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_15(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_17(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_16(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_18(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_17(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_19(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_18(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_20(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_19(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_21(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_20(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_22(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_21(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_23(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_22(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_24(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_23(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_25(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_24(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_26(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_25(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_27(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_26(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_28(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_27(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_29(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_28(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_30(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_29(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_31(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_30(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_32(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_31(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_33(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_32(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_34(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_33(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_35(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_34(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_36(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_35(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_37(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_36(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_38(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_37(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_39(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_38(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_40(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_39(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_41(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_40(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_42(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_41(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_43(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_42(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_44(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_43(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_45(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_44(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_46(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_45(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_47(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_46(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_48(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_47(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_49(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_48(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_50(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_49(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_51(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_50(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_52(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_51(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_53(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_52(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_54(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_53(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_55(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_54(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_56(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_55(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_57(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_56(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_58(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_57(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_59(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_58(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_60(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_59(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_61(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_60(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_62(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_61(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_63(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_62(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_64(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_63(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_65(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_64(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_66(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_65(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_67(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_66(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_68(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_67(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_69(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_68(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_70(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_69(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_71(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_70(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_72(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_71(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_73(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_72(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_74(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_73(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_75(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_74(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_76(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_75(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_77(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_76(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_78(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_77(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_79(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_78(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_80(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_79(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_81(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_80(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_82(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_81(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_83(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_82(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_84(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_83(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_85(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_84(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_86(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_85(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_87(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_86(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_88(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_87(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_89(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_88(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_90(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_89(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_91(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_90(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_92(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_91(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_93(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_92(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_94(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_93(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_95(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_94(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_96(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_95(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_97(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_96(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_98(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_97(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_99(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_98(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_100(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_99(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_101(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_100(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_102(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_101(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_103(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_102(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_104(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_103(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_105(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_104(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_106(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_105(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_107(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_106(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_108(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_107(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_109(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_108(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_110(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_109(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_111(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_110(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_112(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_111(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_113(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_112(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_114(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_113(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_115(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_114(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_116(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_115(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_117(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_116(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_118(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_117(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_119(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_118(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_120(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_119(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_121(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_120(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_122(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_121(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_123(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_122(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_124(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_123(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_125(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_124(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_126(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_125(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_127(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_126(m, f, __VA_ARGS__)
#define PICKLEJAR_DETAIL_FE_128(m, f, x, ...) m(f, x) PICKLEJAR_DETAIL_FE_127(m, f, __VA_ARGS__)
