#pragma once
// UTF-8 as Python's "surrogatepass" error handler writes it: standard UTF-8, except that code
// points U+D800..U+DFFF (lone surrogates) are allowed as ordinary three-byte sequences. This
// keeps every Python str representable and round-trips it byte for byte.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace picklejar::detail {

// Offset of the first byte that does not start a valid sequence, or empty when all is valid.
std::optional<std::size_t> find_invalid_utf8(std::string_view text) noexcept;

// Number of code points in valid text.
std::size_t count_code_points(std::string_view text) noexcept;

// Decodes the code point starting at `pos` in valid text and advances `pos` past it.
char32_t next_code_point(std::string_view text, std::size_t& pos) noexcept;

// Appends a code point (surrogates included) in UTF-8.
void append_utf8(std::string& out, char32_t code_point);

}  // namespace picklejar::detail
