#pragma once
// Text forms of the scalars JSON cannot hold as they are: base64 for bytes, decimal or hex
// text for big ints, names for non-finite floats, chunks for strs with lone surrogates.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "../value/bigint.hpp"

namespace picklejar::json {

// RFC 4648 base64 with padding.
std::string base64_encode(std::span<const std::byte> data);
// Empty on anything but canonical-length base64 of the standard alphabet with correct padding.
std::optional<std::string> base64_decode(std::string_view text);

// Ints with at most this many bits are written in decimal (at most 4275 digits, within
// CPython's default int max str digits, 4300); larger ones in hex, which converts in linear
// time.
inline constexpr std::size_t kMaxDecimalBits = 14'200;
// "123..." or "-0x1f...".
std::string bigint_text(const detail::BigInt& value);
// Parses what bigint_text writes (and '+', and decimal text of any size up to
// `max_decimal_digits`, 0 for no limit). The error says what is wrong.
struct BigIntParse {
  std::optional<detail::BigInt> value;
  std::string error;
};
BigIntParse parse_bigint(std::string_view text, std::size_t max_decimal_digits);

// "$float" text for a NaN or infinity: "nan" and "-nan" for the quiet NaN Python makes
// (0x7ff8000000000000 and its negation), "inf", "-inf", else the bits as "0x" + 16 hex digits.
std::string special_float_text(double value);
std::optional<double> parse_special_float(std::string_view text);

// Whether UTF-8 (surrogatepass) text holds a lone surrogate, which JSON text cannot carry.
bool has_surrogates(std::string_view text) noexcept;
// The text split into runs of ordinary text and single surrogates (their code points).
using StrChunk = std::variant<std::string_view, char32_t>;
std::vector<StrChunk> surrogate_chunks(std::string_view text);

}  // namespace picklejar::json
