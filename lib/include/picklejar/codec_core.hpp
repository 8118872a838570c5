#pragma once
// The customization point behind to_value() and from_value(): how a C++ type becomes a Value
// and comes back. codec.hpp includes this with the mappings picklejar provides; read it first.
//
// A type T is mapped by the first of these that exists (per type, not per direction):
//   1. a specialization of picklejar::codec<T>, for types you don't own:
//        template <> struct picklejar::codec<Rgb> {
//          static picklejar::Value to_value(const Rgb& c);
//          static Rgb from_value(const picklejar::Value& v);
//        };
//      A partial specialization may be constrained (template <class T> requires ... struct
//      codec<T>). picklejar's own support for std types is written this way.
//   2. free functions in T's own namespace, found by argument-dependent lookup:
//        picklejar::Value to_pickle(const Window& w);
//        void from_pickle(const picklejar::Value& v, Window& out);  // out starts as Window{}
//      PICKLEJAR_CLASS (codec_class.hpp) writes these two for a plain struct in one line.
// Either half may be missing: a type with only to_pickle can be written but not read back.
// When neither form exists, to_value/from_value stop compilation with one static_assert that
// lists these forms.
//
// Errors. Everything that goes wrong while mapping throws CodecError, a TypeError whose message
// names the place inside the value: `["window"]["size"][1]: expected int, got str`. Container
// codecs add their part of the path while the error travels out (list index `[1]`, dict key
// `["size"]` or `[3]`, attribute `.width`, set member `{"a"}`), so a codec only says what is
// wrong at its own level: throw CodecError("expected ..."), or call picklejar::from_value on
// the parts and let their errors through. TypeError, ValueError and LookupError thrown by
// Value's own accessors inside a codec become CodecErrors with the path; any other exception
// passes through untouched.
//
// Thread safety: the functions here keep no state; Value's rules apply to the values used.

#include <picklejar/config.hpp>

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <picklejar/error.hpp>
#include <picklejar/value.hpp>

namespace picklejar {

// A Value that does not have the shape a C++ type needs, or a C++ value Python cannot hold.
// what() is "<path>: <reason>", or the reason alone for the outermost value.
class PICKLEJAR_EXPORT CodecError : public TypeError {
 public:
  // A failure of the outermost value: what() is `reason`.
  explicit CodecError(std::string reason) : CodecError({}, std::move(reason)) {}
  // `path` says where in the value, e.g. "'window'.size[1]" (empty: the outermost value).
  CodecError(std::string path, std::string reason);

  // Where in the value, e.g. `["window"].size[1]`; empty for the outermost value.
  const std::string& path() const noexcept { return path_; }
  // What is wrong there, e.g. "expected int, got str".
  const std::string& reason() const noexcept { return reason_; }

 protected:
  // For errors that say more than "<path>: <reason>" (Session's EntryCodecError adds the
  // file): what() is `message`.
  CodecError(std::string path, std::string reason, const std::string& message);

 private:
  std::string path_;
  std::string reason_;
};

namespace detail {
// Stops ordinary lookup of to_pickle/from_pickle at this namespace, so only the functions
// argument-dependent lookup finds in T's namespace are candidates.
void to_pickle() = delete;
void from_pickle() = delete;

template <class T>
concept AdlToPickle = requires(const T& x) {
  { to_pickle(x) } -> std::same_as<Value>;
};
template <class T>
concept AdlFromPickle = std::default_initializable<T> && requires(const Value& v, T& out) {
  from_pickle(v, out);
};
template <class T>
Value adl_to_pickle(const T& x) {
  return to_pickle(x);
}
template <class T>
void adl_from_pickle(const Value& v, T& out) {
  from_pickle(v, out);
}
}  // namespace detail

// The mapping for T. This primary template forwards to the ADL functions (form 2 above);
// specialize it to map a type without touching its namespace (form 1).
template <class T>
struct codec {
  // T's to_pickle(x), found by argument-dependent lookup.
  static Value to_value(const T& x) requires detail::AdlToPickle<T> {
    return detail::adl_to_pickle(x);
  }
  // T's from_pickle(v, out) into a value-initialized T.
  static T from_value(const Value& v) requires detail::AdlFromPickle<T> {
    T out{};
    detail::adl_from_pickle(v, out);
    return out;
  }
};

// True when codec<T> can write / read T.
template <class T>
concept Encodable = requires(const T& x) {
  { codec<T>::to_value(x) } -> std::convertible_to<Value>;
};
template <class T>
concept Decodable = requires(const Value& v) {
  { codec<T>::from_value(v) } -> std::convertible_to<T>;
};

#define PICKLEJAR_DETAIL_NO_CODEC_FORMS                                                        \
  "\n  1. a specialization, for a type you don't own:\n"                                       \
  "       template <> struct picklejar::codec<T> {\n"                                          \
  "         static picklejar::Value to_value(const T&);\n"                                     \
  "         static T from_value(const picklejar::Value&);\n"                                   \
  "       };\n"                                                                                \
  "  2. free functions in T's own namespace (found by argument-dependent lookup):\n"           \
  "       picklejar::Value to_pickle(const T&);\n"                                             \
  "       void from_pickle(const picklejar::Value&, T&);\n"                                    \
  "  3. for a plain struct, one line in T's namespace (picklejar/codec_class.hpp):\n"          \
  "       PICKLEJAR_CLASS(T, \"module\", \"ClassName\", member1, member2, ...)\n"              \
  "  (std types, std::chrono and the picklejar::py helpers come with <picklejar/codec.hpp>;\n" \
  "  char, wchar_t and char8/16/32_t are characters, not Python ints: use std::string)"

namespace detail {
// Between these (nested pairs count once), every value built on this thread starts in one
// heap with an arena instead of a heap of its own merged into its container a moment later:
// a struct's fields are allocated together. Defined in lib/src/value/heap.cpp.
PICKLEJAR_EXPORT void begin_shared_build() noexcept;
PICKLEJAR_EXPORT void end_shared_build() noexcept;
struct SharedBuildScope {
  SharedBuildScope() noexcept { begin_shared_build(); }
  ~SharedBuildScope() { end_shared_build(); }
  SharedBuildScope(const SharedBuildScope&) = delete;
  SharedBuildScope& operator=(const SharedBuildScope&) = delete;
};
}  // namespace detail

// The Value Python would hold for x. Throws CodecError when x has no Python counterpart
// (text that is not UTF-8, a time outside datetime's range, ...). Every value built while it
// runs, the result and whatever a codec builds on the side, shares one heap (see MAPPING.md).
template <class T>
Value to_value(const T& x) {
  if constexpr (Encodable<T>) {
    const detail::SharedBuildScope scope;
    return codec<T>::to_value(x);
  } else {
    static_assert(Encodable<T>,
                  "picklejar::to_value: no mapping from this C++ type to a Python value. "
                  "Map it with one of:" PICKLEJAR_DETAIL_NO_CODEC_FORMS);
    return Value();
  }
}

namespace detail {
// to_value() of a part of a value being mapped (an item, a key, a member): the same, minus
// the shared-build scope, which the outermost to_value() already holds. (Reached through a
// direct codec<T>::to_value() call instead, the parts start in heaps of their own, as any
// Value built through the API does: the same values, built a little slower.)
template <class T>
Value part_value(const T& x) {
  if constexpr (Encodable<T>) {
    return codec<T>::to_value(x);
  } else {
    return picklejar::to_value(x);  // its static_assert names the missing mapping
  }
}
}  // namespace detail

// The T that v describes. Throws CodecError naming the path when v has the wrong shape.
template <class T>
std::remove_cvref_t<T> from_value(const Value& v) {
  using U = std::remove_cvref_t<T>;
  if constexpr (Decodable<U>) {
    return codec<U>::from_value(v);
  } else {
    static_assert(Decodable<U>,
                  "picklejar::from_value: no mapping from a Python value to this C++ type. "
                  "Map it with one of:" PICKLEJAR_DETAIL_NO_CODEC_FORMS);
    return U();
  }
}

// from_value into an existing object (nlohmann's get_to): out is assigned only on success.
template <class T>
void from_value(const Value& v, T& out) {
  out = from_value<T>(v);
}

// Path bookkeeping for codecs of containers: run `f` and, if it throws, rethrow as a
// CodecError with this level's part of the path in front. Defined in lib/src/codec.
namespace detail {
[[noreturn]] PICKLEJAR_EXPORT void rethrow_at_index(std::size_t index);
[[noreturn]] PICKLEJAR_EXPORT void rethrow_at_key(const Value& key);  // a dict item's value
[[noreturn]] PICKLEJAR_EXPORT void rethrow_at_key_itself(
    const Value& key);                                // a dict key that does not map
[[noreturn]] PICKLEJAR_EXPORT void rethrow_in_key();  // a C++ key that does not map
[[noreturn]] PICKLEJAR_EXPORT void rethrow_at_member(const Value& member);  // a set member
[[noreturn]] PICKLEJAR_EXPORT void rethrow_at_attribute(std::string_view name);

template <class F>
decltype(auto) at_index(std::size_t index, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (...) {
    rethrow_at_index(index);
  }
}
template <class F>
decltype(auto) at_key(const Value& key, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (...) {
    rethrow_at_key(key);
  }
}
template <class F>
decltype(auto) at_key_itself(const Value& key, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (...) {
    rethrow_at_key_itself(key);
  }
}
template <class F>
decltype(auto) in_key(F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (...) {
    rethrow_in_key();
  }
}
template <class F>
decltype(auto) at_member(const Value& member, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (...) {
    rethrow_at_member(member);
  }
}
template <class F>
decltype(auto) at_attribute(std::string_view name, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (...) {
    rethrow_at_attribute(name);
  }
}

// Building dicts (maps, a struct's attributes): an empty dict with room for n items, and an
// insert that raises CodecError if the dict already holds an equal key.
PICKLEJAR_EXPORT Value dict_with_room(std::size_t n);
PICKLEJAR_EXPORT void insert_new_key(Value& dict, const Value& key, Value item);

// "expected <what>, got <Python type of v>".
[[noreturn]] PICKLEJAR_EXPORT void throw_expected(std::string_view what, const Value& v);
// Python's name for v's type in messages: "int", "str", "datetime.datetime" for an instance.
PICKLEJAR_EXPORT std::string type_name(const Value& v);
}  // namespace detail

}  // namespace picklejar
