// int(bytes) and float(bytes) as CPython 3.11 evaluates them (Objects/longobject.c
// PyLong_FromString and _PyLong_FromBytes; Objects/floatobject.c PyFloat_FromString and
// Python/pystrtod.c), for the INT, LONG, GET, PUT and FLOAT text arguments.
#include <picklejar/repr.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>

#include "dis_text.hpp"

namespace picklejar::pickle::dis {
namespace {

// Py_ISSPACE: the six ASCII whitespace bytes, nothing else.
bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

[[noreturn]] void invalid_int(std::string_view text) {
  // "%.200R" of at most 200 bytes: the repr is cut to 200 characters.
  const std::string shown = bytes_repr(text.substr(0, 200)).substr(0, 200);
  throw Failure(DecodeErrc::bad_text, "invalid literal for int() with base 10: " + shown);
}

[[noreturn]] void invalid_float(std::string_view text) {
  throw Failure(DecodeErrc::bad_text, "could not convert string to float: " + bytes_repr(text));
}

bool equals_ignoring_case(std::string_view text, std::string_view lower) noexcept {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] + 32) : text[i];
    if (c != lower[i]) return false;
  }
  return true;
}

// float() with underscores removed (only between digits, as PEP 515 allows), or empty when
// they are misplaced. C-string semantics: the scan stops at a NUL, which then fails.
std::optional<std::string> remove_underscores(std::string_view text) {
  std::string out;
  char prev = '\0';
  std::size_t i = 0;
  for (; i < text.size() && text[i] != '\0'; ++i) {
    const char c = text[i];
    if (c == '_') {
      if (!is_digit(prev)) return std::nullopt;
    } else {
      if (prev == '_' && !is_digit(c)) return std::nullopt;
      out.push_back(c);
    }
    prev = c;
  }
  if (prev == '_' || i != text.size()) return std::nullopt;
  return out;
}

// Whether a finite literal that from_chars found out of range is huge (Python gives inf) or
// tiny (Python gives a signed zero): the sign of its decimal order of magnitude.
bool overflows(std::string_view number) {
  std::size_t i = number[0] == '-' ? 1 : 0;
  long long order = 0;  // the value lies in [10**(order-1), 10**order) before the exponent
  bool after_point = false, significant = false;
  for (; i < number.size() && number[i] != 'e' && number[i] != 'E'; ++i) {
    const char c = number[i];
    if (c == '.') {
      after_point = true;
    } else if (!significant && c == '0') {
      if (after_point) --order;
    } else if (!significant) {
      significant = true;
      if (!after_point) order = 1;
    } else if (!after_point) {
      ++order;
    }
  }
  long long exponent = 0;
  if (i < number.size()) {
    std::size_t k = i + 1;
    const bool negative = number[k] == '-';
    if (number[k] == '-' || number[k] == '+') ++k;
    for (; k < number.size(); ++k) {
      exponent = std::min<long long>(exponent * 10 + (number[k] - '0'), 1'000'000'000);
    }
    if (negative) exponent = -exponent;
  }
  return order + exponent > 0;
}

// [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?  -- _Py_dg_strtod's grammar,
// required to cover the whole text.
bool is_decimal_float(std::string_view s) noexcept {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t mantissa_digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++mantissa_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start) return false;
  }
  return i == s.size();
}

}  // namespace

std::string python_int(std::string_view text) {
  // Past the end reads as NUL, like the C string CPython scans; an embedded NUL stops the
  // scan early and the literal is invalid because it did not use every byte.
  const auto at = [&](std::size_t k) { return k < text.size() ? text[k] : '\0'; };
  std::size_t i = 0;
  while (is_space(at(i))) ++i;
  bool negative = false;
  if (at(i) == '+' || at(i) == '-') negative = at(i++) == '-';
  if (at(i) == '_') invalid_int(text);
  std::string digits;
  char prev = '\0';
  for (; is_digit(at(i)) || at(i) == '_'; ++i) {
    if (at(i) == '_' && prev == '_') invalid_int(text);
    if (at(i) != '_') digits.push_back(at(i));
    prev = at(i);
  }
  if (prev == '_') invalid_int(text);
  if (digits.size() > kMaxIntDigits) {
    throw Failure(DecodeErrc::limit_exceeded,
                  fmt::format("Exceeds the limit ({} digits) for integer string conversion: "
                              "value has {} digits; use sys.set_int_max_str_digits() to "
                              "increase the limit",
                              kMaxIntDigits, digits.size()));
  }
  if (digits.empty()) invalid_int(text);
  while (is_space(at(i))) ++i;
  if (i != text.size()) invalid_int(text);
  const std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return "0";
  return (negative ? "-" : "") + digits.substr(first);
}

double python_float(std::string_view text) {
  std::string cleaned(text);
  if (text.substr(0, text.find('\0')).find('_') != std::string_view::npos) {
    auto without = remove_underscores(text);
    if (!without) invalid_float(text);
    cleaned = std::move(*without);
  }
  std::string_view s = cleaned;
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (s.size() > 1 && is_space(s.back())) s.remove_suffix(1);
  const bool negative = !s.empty() && s[0] == '-';
  std::string_view body = !s.empty() && (s[0] == '-' || s[0] == '+') ? s.substr(1) : s;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (equals_ignoring_case(body, "inf") || equals_ignoring_case(body, "infinity")) {
    return negative ? -kInf : kInf;
  }
  if (equals_ignoring_case(body, "nan")) return std::numeric_limits<double>::quiet_NaN();
  if (!is_decimal_float(s)) invalid_float(text);
  if (s[0] == '+') s.remove_prefix(1);  // from_chars takes '-' only
  double value = 0;
  const auto result = std::from_chars(s.data(), s.data() + s.size(), value);
  if (result.ec == std::errc::result_out_of_range) {
    // Python gives inf on overflow and a signed zero on underflow.
    value = overflows(s) ? kInf : 0.0;
    if (negative) value = -value;
  }
  return value;
}

}  // namespace picklejar::pickle::dis
