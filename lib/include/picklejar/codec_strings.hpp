#pragma once
// Mappings for text, bytes and file system paths.
//
//   C++                                      Python   back from Python
//   std::string                              str      str (UTF-8; lone surrogates as Python's
//                                                     "surrogatepass" writes them)
//   std::string_view, const char*, char[N]   str      (write only: a view cannot own the text;
//                                                     char[N] stops at the first NUL)
//   std::vector<B>, std::array<B, N> where   bytes    bytes or bytearray; std::array checks N
//     B is std::byte, unsigned char
//     (std::uint8_t) or char
//   std::filesystem::path                    str      str, bytes, or a pathlib.PurePosixPath /
//                                                     PosixPath / PurePath / Path
// Text must be UTF-8: to_value throws CodecError naming the first bad byte otherwise.
// A path's native bytes that are not UTF-8 become lone surrogates U+DC80..U+DCFF, exactly as
// Python's os.fsdecode() ("surrogateescape") makes them, and come back as the same bytes.

#include <picklejar/config.hpp>

#include <array>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <picklejar/codec_core.hpp>
#include <picklejar/value.hpp>

namespace picklejar {

namespace detail {
// A str; CodecError (not ValueError) when `utf8` is not UTF-8.
PICKLEJAR_EXPORT Value str_value(std::string_view utf8);
PICKLEJAR_EXPORT std::string read_str(const Value& v);
// The bytes of a bytes or bytearray value.
PICKLEJAR_EXPORT std::span<const std::byte> read_bytes(const Value& v);
// CodecError "expected N <unit>, got M" unless actual == expected.
PICKLEJAR_EXPORT void expect_length(std::size_t actual, std::size_t expected,
                                    std::string_view unit);
// os.fsdecode / os.fsencode with "surrogateescape", and the accepted path forms.
PICKLEJAR_EXPORT Value path_value(std::string_view native);
PICKLEJAR_EXPORT std::string read_path(const Value& v);

template <class B>
concept ByteLike =
    std::same_as<B, std::byte> || std::same_as<B, unsigned char> || std::same_as<B, char>;
}  // namespace detail

template <>
struct codec<std::string> {
  static Value to_value(const std::string& s) { return detail::str_value(s); }
  static std::string from_value(const Value& v) { return detail::read_str(v); }
};

template <>
struct codec<std::string_view> {
  static Value to_value(std::string_view s) { return detail::str_value(s); }
};

template <>
struct codec<const char*> {
  static Value to_value(const char* s) { return detail::str_value(s); }
};

// A string literal, or a fixed char buffer: the text up to the first NUL (write only).
template <std::size_t N>
struct codec<char[N]> {
  static Value to_value(const char (&s)[N]) {
    const std::string_view all(s, N);
    return detail::str_value(all.substr(0, all.find('\0')));
  }
};

template <detail::ByteLike B, class Allocator>
struct codec<std::vector<B, Allocator>> {
  static Value to_value(const std::vector<B, Allocator>& bytes) {
    return Value::bytes(std::as_bytes(std::span(bytes)));
  }
  static std::vector<B, Allocator> from_value(const Value& v) {
    const std::span<const std::byte> bytes = detail::read_bytes(v);
    const auto* first = reinterpret_cast<const B*>(bytes.data());
    return std::vector<B, Allocator>(first, first + bytes.size());
  }
};

template <detail::ByteLike B, std::size_t N>
struct codec<std::array<B, N>> {
  static Value to_value(const std::array<B, N>& bytes) {
    return Value::bytes(std::as_bytes(std::span(bytes)));
  }
  static std::array<B, N> from_value(const Value& v) {
    const std::span<const std::byte> bytes = detail::read_bytes(v);
    detail::expect_length(bytes.size(), N, "bytes");
    std::array<B, N> out{};
    for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<B>(bytes[i]);
    return out;
  }
};

template <>
struct codec<std::filesystem::path> {
  static Value to_value(const std::filesystem::path& p) {
    if constexpr (std::is_same_v<std::filesystem::path::value_type, char>) {
      return detail::path_value(p.native());
    } else {
      const std::u8string utf8 = p.u8string();
      return detail::str_value({reinterpret_cast<const char*>(utf8.data()), utf8.size()});
    }
  }
  static std::filesystem::path from_value(const Value& v) {
    return std::filesystem::path(detail::read_path(v));
  }
};

}  // namespace picklejar
