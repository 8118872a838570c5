// repr() of the scalar kinds, byte-for-byte as CPython 3.11 writes them.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include <picklejar/repr.hpp>

#include "utf8.hpp"

namespace picklejar {
namespace detail {
#include "unicode_printable.inc"

bool is_printable(char32_t cp) noexcept {
  const auto* end = std::end(kPrintableRanges);
  const auto* it = std::upper_bound(std::begin(kPrintableRanges), end, cp,
                                    [](char32_t c, const auto& r) { return c < r.first; });
  if (it == std::begin(kPrintableRanges)) return false;
  --it;
  return cp >= it->first && cp < it->second;
}
}  // namespace detail

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::string& out, char prefix, std::uint32_t value, int digits) {
  out.push_back('\\');
  out.push_back(prefix);
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) out.push_back(kHex[(value >> shift) & 0xF]);
}

// Python prefers single quotes, and switches to double quotes when the text has a single
// quote and no double quote.
char pick_quote(std::string_view text) {
  const bool single = text.find('\'') != std::string_view::npos;
  const bool dbl = text.find('"') != std::string_view::npos;
  return single && !dbl ? '"' : '\'';
}

bool append_common_escape(std::string& out, char32_t c, char quote) {
  switch (c) {
    case '\t': out += "\\t"; return true;
    case '\n': out += "\\n"; return true;
    case '\r': out += "\\r"; return true;
    case '\\': out += "\\\\"; return true;
    default: break;
  }
  if (c == static_cast<char32_t>(quote)) {
    out.push_back('\\');
    out.push_back(quote);
    return true;
  }
  return false;
}

}  // namespace

std::string str_repr(std::string_view utf8) {
  const char quote = pick_quote(utf8);
  std::string out;
  out.reserve(utf8.size() + 2);
  out.push_back(quote);
  for (std::size_t pos = 0; pos < utf8.size();) {
    const std::size_t start = pos;
    const char32_t c = detail::next_code_point(utf8, pos);
    if (append_common_escape(out, c, quote)) continue;
    if (c < 0x20 || c == 0x7F) {
      append_hex(out, 'x', c, 2);
    } else if (c < 0x7F || detail::is_printable(c)) {
      out.append(utf8.substr(start, pos - start));
    } else if (c <= 0xFF) {
      append_hex(out, 'x', c, 2);
    } else if (c <= 0xFFFF) {
      append_hex(out, 'u', c, 4);
    } else {
      append_hex(out, 'U', c, 8);
    }
  }
  out.push_back(quote);
  return out;
}

std::string bytes_repr(std::string_view bytes) {
  const char quote = pick_quote(bytes);
  std::string out = "b";
  out.reserve(bytes.size() + 3);
  out.push_back(quote);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (append_common_escape(out, c, quote)) continue;
    if (c < 0x20 || c >= 0x7F) {
      append_hex(out, 'x', c, 2);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back(quote);
  return out;
}

std::string float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Shortest round-trip digits, then CPython's layout rules (Python/pystrtod.c,
  // format_float_short with mode 'r'): exponent form when decpt <= -4 or decpt > 16.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(end - buf));
  const bool negative = sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  const std::size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+'), sci.data() + sci.size(),
                  exponent);
  const int decpt = exponent + 1;
  const auto ndigits = static_cast<int>(digits.size());
  std::string out = negative ? "-" : "";
  if (decpt <= -4 || decpt > 16) {
    out += digits[0];
    if (ndigits > 1) out += "." + digits.substr(1);
    const int e = decpt - 1;
    out += e < 0 ? "e-" : "e+";
    const int magnitude = std::abs(e);
    if (magnitude < 10) out += '0';
    out += std::to_string(magnitude);
  } else if (decpt <= 0) {
    out += "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
  } else if (decpt < ndigits) {
    out += digits.substr(0, static_cast<std::size_t>(decpt)) + "." +
           digits.substr(static_cast<std::size_t>(decpt));
  } else {
    out += digits + std::string(static_cast<std::size_t>(decpt - ndigits), '0') + ".0";
  }
  return out;
}

}  // namespace picklejar
