#include "scalars.hpp"

#include <bit>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "../value/utf8.hpp"

namespace picklejar::json {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kHexDigits[] = "0123456789abcdef";
constexpr std::uint64_t kQuietNan = 0x7ff8000000000000ull;
constexpr std::uint64_t kSignBit = 0x8000000000000000ull;

int base64_digit(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Two's complement negation of little-endian bytes, in place.
void negate(std::vector<std::byte>& bytes) noexcept {
  unsigned carry = 1;
  for (std::byte& b : bytes) {
    const unsigned v = (~std::to_integer<unsigned>(b) & 0xFFu) + carry;
    b = static_cast<std::byte>(v & 0xFFu);
    carry = v >> 8;
  }
}

std::string hex_text(const detail::BigInt& value) {
  std::vector<std::byte> bytes = value.to_le_twos_complement();
  const bool negative = value.sign() < 0;
  if (negative) negate(bytes);  // now the magnitude (its top byte may be 0x80 and more)
  std::string out = negative ? "-0x" : "0x";
  bool leading = true;
  for (std::size_t i = bytes.size(); i-- > 0;) {
    const unsigned b = std::to_integer<unsigned>(bytes[i]);
    for (const unsigned nibble : {b >> 4, b & 0xFu}) {
      if (leading && nibble == 0) continue;
      leading = false;
      out.push_back(kHexDigits[nibble]);
    }
  }
  if (leading) out.push_back('0');
  return out;
}

BigIntParse parse_hex(std::string_view digits, bool negative) {
  if (digits.empty()) return {std::nullopt, "no digits after 0x"};
  // Little-endian magnitude plus a zero byte, so the sign bit is clear before negation.
  std::vector<std::byte> bytes(digits.size() / 2 + 2, std::byte{0});
  for (std::size_t i = 0; i < digits.size(); ++i) {
    const int d = hex_digit(digits[digits.size() - 1 - i]);
    if (d < 0)
      return {std::nullopt, fmt::format("'{}' is not a hex digit", digits[digits.size() - 1 - i])};
    bytes[i / 2] |= static_cast<std::byte>(i % 2 ? d << 4 : d);
  }
  if (negative) negate(bytes);
  return {detail::BigInt::from_le_twos_complement(bytes), {}};
}

}  // namespace

std::string base64_encode(std::span<const std::byte> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto at = [&](std::size_t k) { return std::to_integer<std::uint32_t>(data[k]); };
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> shift) & 0x3F]);
  }
  const std::size_t rest = data.size() - i;
  if (rest > 0) {
    const std::uint32_t v = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
    out.push_back(kAlphabet[(v >> 18) & 0x3F]);
    out.push_back(kAlphabet[(v >> 12) & 0x3F]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 0x3F] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t bits = 0;
  int count = 0;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    const int d = base64_digit(text[i]);
    if (d < 0) return std::nullopt;
    bits = bits << 6 | static_cast<std::uint32_t>(d);
    if (++count == 4) {
      for (int shift : {16, 8, 0}) out.push_back(static_cast<char>((bits >> shift) & 0xFF));
      bits = 0, count = 0;
    }
  }
  if (count == 3) {  // one '=': two bytes
    out.push_back(static_cast<char>((bits >> 10) & 0xFF));
    out.push_back(static_cast<char>((bits >> 2) & 0xFF));
  } else if (count == 2) {  // "==": one byte
    out.push_back(static_cast<char>((bits >> 4) & 0xFF));
  }
  return out;
}

std::string bigint_text(const detail::BigInt& value) {
  return value.bit_length() <= kMaxDecimalBits ? value.to_decimal() : hex_text(value);
}

BigIntParse parse_bigint(std::string_view text, std::size_t max_decimal_digits) {
  std::string_view body = text;
  const bool negative = !body.empty() && body[0] == '-';
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) body.remove_prefix(1);
  if (body.starts_with("0x") || body.starts_with("0X")) return parse_hex(body.substr(2), negative);
  if (max_decimal_digits != 0 && body.size() > max_decimal_digits) {
    return {std::nullopt,
            fmt::format("{} decimal digits exceed max_int_digits ({}); write larger ints in hex",
                        body.size(), max_decimal_digits)};
  }
  auto value = detail::BigInt::from_decimal(text);
  if (!value) return {std::nullopt, "not decimal or 0x-prefixed hex int text"};
  return {std::move(value), {}};
}

std::string special_float_text(double value) {
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  const auto bits = std::bit_cast<std::uint64_t>(value);
  if (bits == kQuietNan) return "nan";
  if (bits == (kQuietNan | kSignBit)) return "-nan";
  return fmt::format("0x{:016x}", bits);
}

std::optional<double> parse_special_float(std::string_view text) {
  if (text == "inf") return HUGE_VAL;
  if (text == "-inf") return -HUGE_VAL;
  if (text == "nan") return std::bit_cast<double>(kQuietNan);
  if (text == "-nan") return std::bit_cast<double>(kQuietNan | kSignBit);
  if (text.size() != 18 || !text.starts_with("0x")) return std::nullopt;
  std::uint64_t bits = 0;
  for (const char c : text.substr(2)) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    bits = bits << 4 | static_cast<std::uint64_t>(d);
  }
  return std::bit_cast<double>(bits);
}

bool has_surrogates(std::string_view text) noexcept {
  if (detail::is_ascii(text)) return false;
  // In UTF-8, 0xED followed by 0xA0..0xBF encodes U+D800..U+DFFF (0x80..0x9F continues to
  // U+D000..U+D7FF).
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) == 0xED &&
        static_cast<unsigned char>(text[i + 1]) >= 0xA0)
      return true;
  }
  return false;
}

std::vector<StrChunk> surrogate_chunks(std::string_view text) {
  std::vector<StrChunk> chunks;
  std::size_t start = 0;
  for (std::size_t i = 0; i + 3 <= text.size();) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    const auto b1 = static_cast<unsigned char>(text[i + 1]);
    if (b0 == 0xED && b1 >= 0xA0) {
      if (i > start) chunks.emplace_back(text.substr(start, i - start));
      const auto b2 = static_cast<unsigned char>(text[i + 2]);
      chunks.emplace_back(static_cast<char32_t>(0xD000 | (b1 & 0x3F) << 6 | (b2 & 0x3F)));
      i += 3;
      start = i;
    } else {
      ++i;
    }
  }
  if (start < text.size()) chunks.emplace_back(text.substr(start));
  return chunks;
}

}  // namespace picklejar::json
