// Protocol-0 text forms. The grammar is strict: exactly what CPython's pickler writes (and
// Python 2's did), not everything Python's int()/float() would accept. Divergences from
// CPython's lenient C loader (octal "010", "+1" read as True, underscores, hex) are refused
// as DecodeErrc::bad_text.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "../value/bigint.hpp"
#include "../value/utf8.hpp"
#include "decoder.hpp"

namespace picklejar::pickle {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// [+-]?digits, no leading zero unless every digit is zero (Python's int(text, 0) rule).
bool valid_decimal(std::string_view text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  if (!all_digits(text)) return false;
  return text[0] != '0' || text.find_first_not_of('0') == std::string_view::npos;
}

std::string clip(std::string_view s) {
  return s.size() <= 40 ? std::string(s) : std::string(s.substr(0, 37)) + "...";
}

// The decimal order of magnitude of a finite float text ("1.5e3" -> 3, "0.02" -> -2) that
// has a non-zero digit. Exponents are clamped, which keeps the sign right.
long long decimal_order(std::string_view number) {
  if (number[0] == '-' || number[0] == '+') number.remove_prefix(1);
  const std::size_t e = number.find_first_of("eE");
  long long exponent = 0;
  if (e != std::string_view::npos) {
    std::string_view digits = number.substr(e + 1);
    const bool negative = !digits.empty() && digits[0] == '-';
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
    for (char c : digits) exponent = std::min(exponent * 10 + (c - '0'), 1'000'000'000LL);
    if (negative) exponent = -exponent;
  }
  const std::string_view mantissa = number.substr(0, e);
  const std::size_t point = std::min(mantissa.find('.'), mantissa.size());
  const std::size_t first = mantissa.find_first_not_of("0.");
  const auto digits_before = static_cast<long long>(point);
  const auto position = static_cast<long long>(first);
  return exponent +
         (position < digits_before ? digits_before - position - 1 : digits_before - position);
}

int hex_digit(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void Decoder::push_decimal(std::string_view text, const char* what) {
  if (!valid_decimal(text))
    fail(DecodeErrc::bad_text, fmt::format("invalid {} literal '{}'", what, clip(text)));
  const std::size_t digits = text.size() - (text[0] == '-' || text[0] == '+');
  if (digits > options_.limits.max_int_digits) {
    fail_limit(fmt::format("{} text of {} digits exceeds max_int_digits ({})", what, digits,
                           options_.limits.max_int_digits));
  }
  auto big = detail::BigInt::from_decimal(text);
  if (auto small = big->to_int64()) return push(detail::int_slot(*small));
  push(detail::node_slot(make<detail::BigIntNode>(std::move(*big))));
}

void Decoder::op_int_text() {
  const std::string_view line = read_line("INT argument");
  if (line == "00") return push(detail::bool_slot(false));  // how protocol 0 writes False
  if (line == "01") return push(detail::bool_slot(true));
  push_decimal(line, "INT");
}

void Decoder::op_long_text() {
  std::string_view line = read_line("LONG argument");
  if (!line.empty() && line.back() == 'L') line.remove_suffix(1);  // Python 2 wrote 123L
  push_decimal(line, "LONG");
}

void Decoder::op_float_text() {
  std::string_view line = read_line("FLOAT argument");
  std::string_view number = line;
  if (number.size() > 1 && number[0] == '+' && number[1] != '-') number.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value,
                                         std::chars_format::general);
  if (number.empty() || end != number.data() + number.size() ||
      number.find('(') != std::string_view::npos) {
    fail(DecodeErrc::bad_text, "invalid FLOAT literal '" + clip(line) + "'");
  }
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves `value` untouched: tell overflow (an error, as CPython's OverflowError)
    // from underflow (a zero of the text's sign, as in Python).
    if (decimal_order(number) >= 0) {
      fail(DecodeErrc::bad_text, "FLOAT literal out of range '" + clip(line) + "'");
    }
    value = number[0] == '-' ? -0.0 : 0.0;
  }
  push(detail::float_slot(value));
}

// STRING: a Python 2 str written as repr() writes it: quoted, with backslash escapes
// (codecs.escape_decode rules).
void Decoder::op_string_text() {
  const std::string_view line = read_line("STRING argument");
  if (line.size() < 2 || line.front() != line.back() ||
      (line.front() != '\'' && line.front() != '"')) {
    fail(DecodeErrc::bad_text, "the STRING opcode argument must be quoted");
  }
  const std::string_view body = line.substr(1, line.size() - 2);
  std::string raw;
  raw.reserve(body.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c != '\\') {
      raw.push_back(c);
      continue;
    }
    if (++i == body.size()) fail(DecodeErrc::bad_text, "Trailing \\ in STRING argument");
    const char e = body[i];
    switch (e) {
      case '\n':
        break;
      case '\\':
        raw.push_back('\\');
        break;
      case '\'':
        raw.push_back('\'');
        break;
      case '"':
        raw.push_back('"');
        break;
      case 'b':
        raw.push_back('\b');
        break;
      case 'f':
        raw.push_back('\f');
        break;
      case 't':
        raw.push_back('\t');
        break;
      case 'n':
        raw.push_back('\n');
        break;
      case 'r':
        raw.push_back('\r');
        break;
      case 'v':
        raw.push_back('\v');
        break;
      case 'a':
        raw.push_back('\a');
        break;
      case 'x': {
        const int hi =
            i + 1 < body.size() ? hex_digit(static_cast<unsigned char>(body[i + 1])) : -1;
        const int lo =
            i + 2 < body.size() ? hex_digit(static_cast<unsigned char>(body[i + 2])) : -1;
        if (hi < 0 || lo < 0)
          fail(DecodeErrc::bad_text,
               fmt::format("invalid \\x escape at position {} of STRING argument", i - 1));
        raw.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int value = e - '0';
          for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7';
               ++k) {
            value = value * 8 + (body[++i] - '0');
          }
          raw.push_back(static_cast<char>(value & 0xFF));
        } else {
          raw.push_back('\\');  // unknown escapes stay as written
          raw.push_back(e);
        }
    }
  }
  push_py2_string(raw);
}

// UNICODE: raw-unicode-escape text. Bytes are Latin-1 characters except \uXXXX and
// \UXXXXXXXX escapes (Objects/unicodeobject.c, _PyUnicode_DecodeRawUnicodeEscapeStateful).
void Decoder::op_unicode_text() {
  const std::string_view line = read_line("UNICODE argument");
  std::string utf8;
  utf8.reserve(line.size());
  for (std::size_t i = 0; i < line.size();) {
    const auto c = static_cast<unsigned char>(line[i++]);
    if (c != '\\' || i == line.size()) {
      detail::append_utf8(utf8, c);
      continue;
    }
    if (line[i] != 'u' && line[i] != 'U') {
      // A backslash escapes nothing else, but it takes the next character with it (as
      // CPython's decoder does): the text \\u0041 is two backslashes then "u0041", not one
      // backslash then "A".
      detail::append_utf8(utf8, c);
      detail::append_utf8(utf8, static_cast<unsigned char>(line[i++]));
      continue;
    }
    const int count = line[i++] == 'u' ? 4 : 8;
    char32_t cp = 0;
    for (int k = 0; k < count; ++k, ++i) {
      const int d = i < line.size() ? hex_digit(static_cast<unsigned char>(line[i])) : -1;
      if (d < 0) {
        fail(DecodeErrc::bad_text, count == 4 ? "truncated \\uXXXX escape in UNICODE argument"
                                              : "truncated \\UXXXXXXXX escape in UNICODE argument");
      }
      cp = (cp << 4) | static_cast<char32_t>(d);
    }
    if (cp > 0x10FFFF) fail(DecodeErrc::bad_text, "\\Uxxxxxxxx out of range in UNICODE argument");
    detail::append_utf8(utf8, cp);
  }
  check_allocation(utf8.size(), "str");
  push(detail::node_slot(make_str_node(utf8)));
}

std::uint64_t Decoder::read_memo_index_text() {
  const std::string_view line = read_line("memo index");
  if (!line.empty() && line[0] == '-')
    fail(DecodeErrc::bad_argument, "negative memo index " + clip(line));
  std::uint64_t index = 0;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), index);
  if (line.empty() || ec != std::errc{} || end != line.data() + line.size()) {
    fail(DecodeErrc::bad_text, "invalid memo index '" + clip(line) + "'");
  }
  return index;
}

}  // namespace picklejar::pickle
