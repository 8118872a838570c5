#pragma once
// UTF-8 as Python's "surrogatepass" error handler writes it: standard UTF-8, except that code
// points U+D800..U+DFFF (lone surrogates) are allowed as ordinary three-byte sequences. This
// keeps every Python str representable and round-trips it byte for byte.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace picklejar::detail {

// Whether all bytes are ASCII (the common case for keys and names: checked a word at a time).
inline bool is_ascii(std::string_view text) noexcept {
  const char* p = text.data();
  const std::size_t n = text.size();
  std::uint64_t bits = 0;
  if (n >= 8) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t word;
      std::memcpy(&word, p + i, 8);
      bits |= word;
    }
    std::uint64_t last;  // the final 8 bytes, overlapping what was read
    std::memcpy(&last, p + n - 8, 8);
    bits |= last;
  } else {
    for (std::size_t i = 0; i < n; ++i) bits |= static_cast<unsigned char>(p[i]);
  }
  return (bits & 0x8080808080808080ull) == 0;
}

// Offset of the first byte that does not start a valid sequence, or empty when all is valid.
std::optional<std::size_t> find_invalid_utf8_slow(std::string_view text) noexcept;
inline std::optional<std::size_t> find_invalid_utf8(std::string_view text) noexcept {
  if (is_ascii(text)) return std::nullopt;
  return find_invalid_utf8_slow(text);
}

// Offset of the first lone surrogate (U+D800..U+DFFF) in valid text, or empty: what strict
// UTF-8 (as opposed to surrogatepass) refuses.
std::optional<std::size_t> find_surrogate(std::string_view text) noexcept;

// Number of code points in valid text.
std::size_t count_code_points(std::string_view text) noexcept;

// Decodes the code point starting at `pos` in valid text and advances `pos` past it.
char32_t next_code_point(std::string_view text, std::size_t& pos) noexcept;

// Appends a code point (surrogates included) in UTF-8.
void append_utf8(std::string& out, char32_t code_point);

}  // namespace picklejar::detail
