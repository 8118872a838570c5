// str, bytes and file system paths for codec_strings.hpp.

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <picklejar/codec_strings.hpp>
#include <picklejar/error.hpp>

#include "../value/utf8.hpp"

namespace picklejar::detail {
namespace {

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The length of the well-formed UTF-8 sequence at the start of `s` (Python's strict decoder:
// no overlong forms, no surrogates, nothing above U+10FFFF), or 0 if there is none.
std::size_t utf8_sequence_length(std::string_view s) {
  const auto c0 = static_cast<unsigned char>(s[0]);
  if (c0 < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range allowed for the second byte
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    length = 2;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    length = 3;
    if (c0 == 0xE0) low = 0xA0;
    if (c0 == 0xED) high = 0x9F;
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    length = 4;
    if (c0 == 0xF0) low = 0x90;
    if (c0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  const auto c1 = static_cast<unsigned char>(s[1]);
  if (c1 < low || c1 > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!continuation(static_cast<unsigned char>(s[i]))) return 0;
  }
  return length;
}

// os.fsencode(): the UTF-8 of `utf8`, with U+DC80..U+DCFF turned back into the bytes
// 0x80..0xFF they stand for. Other lone surrogates cannot be encoded, as in Python.
std::string fs_encode(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c == 0xED && i + 2 < utf8.size() && static_cast<unsigned char>(utf8[i + 1]) >= 0xA0) {
      const auto c1 = static_cast<unsigned char>(utf8[i + 1]);
      const auto c2 = static_cast<unsigned char>(utf8[i + 2]);
      const unsigned code = 0xD000u | ((c1 & 0x3Fu) << 6) | (c2 & 0x3Fu);
      if (code < 0xDC80 || code > 0xDCFF) {
        throw CodecError(fmt::format(
            "path contains the lone surrogate U+{:04X}, which os.fsencode() refuses", code));
      }
      out.push_back(static_cast<char>(code - 0xDC00));
      i += 2;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

bool is_posix_pathlib_class(const Value& callable) {
  if (!callable.is_global() || callable.global_module() != "pathlib") return false;
  const std::string_view name = callable.global_name();
  return name == "PurePosixPath" || name == "PosixPath" || name == "PurePath" || name == "Path";
}

// pathlib.PurePath pickles as cls(*parts): join them as PurePosixPath(*parts) does.
std::string join_pathlib_parts(const Value& args) {
  std::string out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string part = at_index(i, [&] {
      const Value item = args.at(i);
      if (item.is_bytes()) return std::string(item.as_bytes_view());
      if (!item.is_str()) throw_expected("str", item);
      return fs_encode(item.as_str());
    });
    if (part.starts_with('/')) {
      out = part;
    } else if (!part.empty()) {
      if (!out.empty() && !out.ends_with('/')) out += '/';
      out += part;
    }
  }
  return out;
}

}  // namespace

Value str_value(std::string_view utf8) {
  try {
    return Value(utf8);
  } catch (const ValueError& e) {
    throw CodecError(e.what());
  }
}

std::string read_str(const Value& v) {
  if (!v.is_str()) throw_expected("str", v);
  return std::string(v.as_str());
}

std::span<const std::byte> read_bytes(const Value& v) {
  if (!v.is_bytes() && !v.is_bytearray()) throw_expected("bytes or bytearray", v);
  return v.as_bytes();
}

void expect_length(std::size_t actual, std::size_t expected, std::string_view unit) {
  if (actual != expected) {
    throw CodecError(fmt::format("expected {} {}, got {}", expected, unit, actual));
  }
}

Value path_value(std::string_view native) {
  // Nearly every path is strict UTF-8 already: then it is its own text.
  if (is_ascii(native) || (!find_invalid_utf8(native) && !find_surrogate(native))) {
    return str_value(native);
  }
  std::string utf8;
  utf8.reserve(native.size());
  while (!native.empty()) {
    const std::size_t length = utf8_sequence_length(native);
    if (length == 0) {
      // U+DC00 + byte, in the UTF-8 form of a surrogate: ED B2 80 .. ED B3 BF.
      const auto byte = static_cast<unsigned char>(native[0]);
      utf8 += static_cast<char>(0xED);
      utf8 += static_cast<char>(0xB0 | (byte >> 6));
      utf8 += static_cast<char>(0x80 | (byte & 0x3F));
      native.remove_prefix(1);
    } else {
      utf8.append(native.substr(0, length));
      native.remove_prefix(length);
    }
  }
  return Value(utf8);
}

std::string read_path(const Value& v) {
  if (v.is_str()) return fs_encode(v.as_str());
  if (v.is_bytes()) return std::string(v.as_bytes_view());
  if (v.is_object() && v.object_form() == ObjectForm::reduce &&
      is_posix_pathlib_class(v.object_callable())) {
    return join_pathlib_parts(v.object_args());
  }
  throw_expected("str, bytes or pathlib.PurePosixPath", v);
}

}  // namespace picklejar::detail
