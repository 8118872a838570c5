// The string codecs pickletools' readers call, with CPython 3.11's error messages
// (Objects/bytesobject.c _PyBytes_DecodeEscape, Objects/unicodeobject.c for
// raw-unicode-escape and ascii, Objects/stringlib/codecs.h for utf-8, Python/codecs.c for
// surrogatepass).
#include <fmt/format.h>

#include "../value/utf8.hpp"
#include "dis_text.hpp"

namespace picklejar::pickle::dis {
namespace {

unsigned char byte_at(std::string_view s, std::size_t i) noexcept {
  return static_cast<unsigned char>(s[i]);
}

int hex_digit(unsigned char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_continuation(unsigned char c) noexcept { return (c & 0xC0) == 0x80; }

// str() of a UnicodeDecodeError over bytes [start, end).
[[noreturn]] void decode_error(DecodeErrc code, std::string_view codec, std::string_view bytes,
                               std::size_t start, std::size_t end, std::string_view reason) {
  if (end == start + 1) {
    throw Failure(code, fmt::format("'{}' codec can't decode byte 0x{:02x} in position {}: {}",
                                    codec, byte_at(bytes, start), start, reason));
  }
  throw Failure(code, fmt::format("'{}' codec can't decode bytes in position {}-{}: {}", codec,
                                  start, end - 1, reason));
}

// The escape after a backslash in escape_decode(); `i` indexes the byte after the backslash
// and is left past the escape.
void decode_one_escape(std::string_view text, std::size_t& i, std::string& out) {
  const char c = text[i++];
  switch (c) {
    case '\n':
      return;  // a line continuation
    case '\\':
    case '\'':
    case '"':
      out.push_back(c);
      return;
    case 'b':
      out.push_back('\b');
      return;
    case 'f':
      out.push_back('\f');
      return;
    case 't':
      out.push_back('\t');
      return;
    case 'n':
      out.push_back('\n');
      return;
    case 'r':
      out.push_back('\r');
      return;
    case 'v':
      out.push_back('\v');
      return;
    case 'a':
      out.push_back('\a');
      return;
    case 'x': {
      const int hi = i + 1 < text.size() ? hex_digit(byte_at(text, i)) : -1;
      const int lo = i + 1 < text.size() ? hex_digit(byte_at(text, i + 1)) : -1;
      if (hi < 0 || lo < 0) {
        throw Failure(DecodeErrc::bad_text,
                      fmt::format("invalid \\x escape at position {}", i - 2));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
      return;
    }
    default:
      break;
  }
  if (c >= '0' && c <= '7') {
    // Up to three octal digits; CPython keeps the low eight bits of \400..\777 (with a warning).
    int value = c - '0';
    for (int k = 0; k < 2 && i < text.size() && text[i] >= '0' && text[i] <= '7'; ++k) {
      value = value * 8 + (text[i++] - '0');
    }
    out.push_back(static_cast<char>(value & 0xFF));
    return;
  }
  out.push_back('\\');  // an unknown escape stays as written
  --i;
}

// The UTF-8 sequence at `i` under CPython's strict decoder plus surrogatepass; returns its
// length or throws the UnicodeDecodeError CPython raises there.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  constexpr auto kCodec = "utf-8";
  const unsigned char lead = byte_at(s, i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;  // surrogates: refused here, admitted by surrogatepass below
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    decode_error(DecodeErrc::bad_utf8, kCodec, s, i, i + 1, "invalid start byte");
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (i + k == s.size())
      decode_error(DecodeErrc::bad_utf8, kCodec, s, i, s.size(), "unexpected end of data");
    const unsigned char c = byte_at(s, i + k);
    if (!is_continuation(c) || (k == 1 && (c < low || c > high))) {
      // surrogatepass accepts ED A0..BF 80..BF, a lone surrogate, when all three bytes are there.
      if (lead == 0xED && k == 1 && is_continuation(c) && i + 2 < s.size() &&
          is_continuation(byte_at(s, i + 2))) {
        return 3;
      }
      decode_error(DecodeErrc::bad_utf8, kCodec, s, i, i + k, "invalid continuation byte");
    }
  }
  return length;
}

}  // namespace

std::string escape_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i++];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (i == text.size()) throw Failure(DecodeErrc::bad_text, "Trailing \\ in string");
    decode_one_escape(text, i, out);
  }
  return out;
}

void check_ascii(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (byte_at(bytes, i) >= 0x80) {
      throw Failure(DecodeErrc::bad_text,
                    fmt::format("'ascii' codec can't decode byte 0x{:02x} in position {}: "
                                "ordinal not in range(128)",
                                byte_at(bytes, i), i));
    }
  }
}

std::string raw_unicode_escape_decode(std::string_view text) {
  constexpr auto kCodec = "rawunicodeescape";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    const unsigned char c = byte_at(text, i++);
    // Only \u and \U escape; any other byte, a backslash included, is a Latin-1 character.
    if (c != '\\' || i == text.size() || (text[i] != 'u' && text[i] != 'U')) {
      detail::append_utf8(out, c);
      if (c == '\\' && i < text.size()) detail::append_utf8(out, byte_at(text, i++));
      continue;
    }
    const bool wide = text[i++] == 'U';
    char32_t code_point = 0;
    for (int k = 0; k < (wide ? 8 : 4); ++k, ++i) {
      const int digit = i < text.size() ? hex_digit(byte_at(text, i)) : -1;
      if (digit < 0) {
        decode_error(DecodeErrc::bad_text, kCodec, text, start, i,
                     wide ? "truncated \\UXXXXXXXX escape" : "truncated \\uXXXX escape");
      }
      code_point = (code_point << 4) | static_cast<char32_t>(digit);
    }
    if (code_point > 0x10FFFF)
      decode_error(DecodeErrc::bad_text, kCodec, text, start, i, "\\Uxxxxxxxx out of range");
    detail::append_utf8(out, code_point);
  }
  return out;
}

void check_utf8_surrogatepass(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) i += utf8_sequence(bytes, i);
}

std::string latin1_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) detail::append_utf8(out, byte_at(bytes, i));
  return out;
}

}  // namespace picklejar::pickle::dis
