// pickletools' argument readers (read_uint1 ... read_long4 in Lib/pickletools.py) and the
// repr() dis() prints for each.
#include "dis_args.hpp"

#include <picklejar/repr.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <span>

#include "../value/bigint.hpp"
#include "byte_order.hpp"

namespace picklejar::pickle::dis {
namespace {

// sys.maxsize on a 64-bit CPython.
constexpr std::uint64_t kMaxSize = std::numeric_limits<std::int64_t>::max();

constexpr const char* kFrameExhausted = "pickle exhausted before end of frame";

class ArgReader {
 public:
  ArgReader(std::string_view data, std::size_t& pos, std::size_t& frame_end)
      : data_(data), pos_(pos), frame_end_(frame_end) {}

  // f.read(n): up to n bytes, fewer at the end of the input.
  std::string_view read(std::uint64_t n) {
    if (frame_end_ != kNoFrame && n != 0) {
      if (pos_ == frame_end_) {
        frame_end_ = kNoFrame;  // used up: the rest is read unframed
      } else if (n > frame_end_ - pos_) {
        throw Failure(DecodeErrc::bad_frame, kFrameExhausted);
      }
    }
    const std::size_t take =
        static_cast<std::size_t>(std::min<std::uint64_t>(n, data_.size() - pos_));
    const std::string_view bytes = data_.substr(pos_, take);
    pos_ += take;
    return bytes;
  }

  template <class T>
  T fixed(const char* name) {
    const std::string_view bytes = read(sizeof(T));
    if (bytes.size() != sizeof(T)) {
      throw Failure(DecodeErrc::truncated,
                    fmt::format("not enough data in stream to read {}", name));
    }
    return load_le<T>(reinterpret_cast<const std::uint8_t*>(bytes.data()));
  }

  // f.readline() without its newline; pickletools insists on the newline.
  std::string_view line(const char* name) {
    if (frame_end_ == pos_) frame_end_ = kNoFrame;
    const std::size_t newline =
        data_.substr(0, frame_end_ == kNoFrame ? data_.size() : frame_end_).find('\n', pos_);
    if (newline == std::string_view::npos && frame_end_ != kNoFrame) {
      throw Failure(DecodeErrc::bad_frame, kFrameExhausted);
    }
    if (newline == std::string_view::npos) {
      pos_ = data_.size();
      throw Failure(DecodeErrc::truncated,
                    fmt::format("no newline found when trying to read {}", name));
    }
    const std::string_view text = data_.substr(pos_, newline - pos_);
    pos_ = newline + 1;
    return text;
  }

  // The n bytes of a counted argument.
  std::string_view counted(std::uint64_t n, const char* name) {
    const std::string_view bytes = read(n);
    if (bytes.size() != n) {
      throw Failure(
          DecodeErrc::truncated,
          fmt::format("expected {} bytes in a {}, but only {} remain", n, name, bytes.size()));
    }
    return bytes;
  }

 private:
  std::string_view data_;
  std::size_t& pos_;
  std::size_t& frame_end_;
};

Argument int_argument(std::string decimal) {
  Argument arg;
  arg.repr = decimal;
  arg.memo_key = std::move(decimal);
  return arg;
}

Argument text_argument(std::string repr) {
  Argument arg;
  arg.repr = std::move(repr);
  return arg;
}

// read_stringnl(decode=True): escape_decode, then ASCII.
std::string decoded_line(std::string_view line) {
  std::string text = escape_decode(line);
  check_ascii(text);
  return text;
}

Argument quoted_string(std::string_view line) {
  std::string_view body = line;
  bool quoted = false;
  for (const char quote : {'"', '\''}) {
    if (body.empty() || body.front() != quote) continue;
    if (body.back() != quote) {
      throw Failure(DecodeErrc::bad_text,
                    fmt::format("strinq quote {} not found at both ends of {}",  // sic
                                bytes_repr(std::string_view(&quote, 1)), bytes_repr(line)));
    }
    body = body.size() < 2 ? std::string_view() : body.substr(1, body.size() - 2);  // "'" too
    quoted = true;
    break;
  }
  if (!quoted) {
    throw Failure(DecodeErrc::bad_text, "no string quotes around " + bytes_repr(line));
  }
  return text_argument(str_repr(decoded_line(body)));
}

Argument decimal_short(std::string_view line) {
  // protocol 0 writes bools as INT 00 and 01
  if (line == "00") return {"False", "0", std::nullopt};
  if (line == "01") return {"True", "1", std::nullopt};
  return int_argument(python_int(line));
}

Argument decimal_long(std::string_view line) {
  if (!line.empty() && line.back() == 'L') line.remove_suffix(1);
  return int_argument(python_int(line));
}

// decode_long(data), then repr(): CPython refuses to print ints of more than 4300 digits.
Argument long_argument(std::string_view data) {
  const auto big =
      detail::BigInt::from_le_twos_complement(std::as_bytes(std::span(data.data(), data.size())));
  Argument arg;
  constexpr std::size_t kBitsSurelyTooLong = 14'400;  // 2**14400 has 4335 digits
  if (big.bit_length() <= kBitsSurelyTooLong) {
    arg.repr = big.to_decimal();
    if (arg.repr.size() - (big.sign() < 0) <= kMaxIntDigits) return arg;
  }
  arg.repr.clear();
  arg.repr_failure.emplace(DecodeErrc::limit_exceeded,
                           fmt::format("Exceeds the limit ({} digits) for integer string "
                                       "conversion; use sys.set_int_max_str_digits() to "
                                       "increase the limit",
                                       kMaxIntDigits));
  return arg;
}

std::uint64_t checked_size(std::uint64_t n, const char* name) {
  if (n > kMaxSize) {
    throw Failure(DecodeErrc::bad_argument,
                  fmt::format("{} byte count > sys.maxsize: {}", name, n));
  }
  return n;
}

std::int32_t nonnegative(std::int32_t n, const char* name) {
  if (n < 0) throw Failure(DecodeErrc::bad_argument, fmt::format("{} byte count < 0: {}", name, n));
  return n;
}

Argument utf8_argument(std::string_view bytes) {
  check_utf8_surrogatepass(bytes);
  return text_argument(str_repr(bytes));
}

Argument text_line_argument(ArgType type, ArgReader& in) {
  switch (type) {
    case ArgType::decimalnl_short:
      return decimal_short(in.line("stringnl"));
    case ArgType::decimalnl_long:
      return decimal_long(in.line("stringnl"));
    case ArgType::floatnl:
      return text_argument(float_repr(python_float(in.line("stringnl"))));
    case ArgType::stringnl:
      return quoted_string(in.line("stringnl"));
    case ArgType::stringnl_noescape:
      return text_argument(str_repr(decoded_line(in.line("stringnl"))));
    case ArgType::stringnl_noescape_pair: {
      std::string first = decoded_line(in.line("stringnl"));
      const std::string second = decoded_line(in.line("stringnl"));
      return text_argument(str_repr(first + " " + second));
    }
    case ArgType::unicodestringnl:
      return text_argument(str_repr(raw_unicode_escape_decode(in.line("unicodestringnl"))));
    default:
      break;
  }
  return {};
}

Argument counted_argument(ArgType type, ArgReader& in) {
  switch (type) {
    case ArgType::string1:
      return text_argument(
          str_repr(latin1_to_utf8(in.counted(in.fixed<std::uint8_t>("uint1"), "string1"))));
    case ArgType::string4: {
      const auto n = nonnegative(in.fixed<std::int32_t>("int4"), "string4");
      return text_argument(
          str_repr(latin1_to_utf8(in.counted(static_cast<std::uint64_t>(n), "string4"))));
    }
    case ArgType::bytes1:
      return text_argument(bytes_repr(in.counted(in.fixed<std::uint8_t>("uint1"), "bytes1")));
    case ArgType::bytes4:
      return text_argument(bytes_repr(in.counted(in.fixed<std::uint32_t>("uint4"), "bytes4")));
    case ArgType::bytes8: {
      const auto n = checked_size(in.fixed<std::uint64_t>("uint8"), "bytes8");
      return text_argument(bytes_repr(in.counted(n, "bytes8")));
    }
    case ArgType::bytearray8: {
      const auto n = checked_size(in.fixed<std::uint64_t>("uint8"), "bytearray8");
      return text_argument("bytearray(" + bytes_repr(in.counted(n, "bytearray8")) + ")");
    }
    case ArgType::unicodestring1:
      return utf8_argument(in.counted(in.fixed<std::uint8_t>("uint1"), "unicodestring1"));
    case ArgType::unicodestring4:
      return utf8_argument(in.counted(in.fixed<std::uint32_t>("uint4"), "unicodestring4"));
    case ArgType::unicodestring8: {
      const auto n = checked_size(in.fixed<std::uint64_t>("uint8"), "unicodestring8");
      return utf8_argument(in.counted(n, "unicodestring8"));
    }
    default:
      break;
  }
  return {};
}

Argument long_bytes_argument(ArgType type, ArgReader& in) {
  const std::uint64_t n =
      type == ArgType::long1
          ? in.fixed<std::uint8_t>("uint1")
          : static_cast<std::uint64_t>(nonnegative(in.fixed<std::int32_t>("int4"), "long4"));
  const std::string_view bytes = in.read(n);
  if (bytes.size() != n) {
    throw Failure(DecodeErrc::truncated, type == ArgType::long1
                                             ? "not enough data in stream to read long1"
                                             : "not enough data in stream to read long4");
  }
  return long_argument(bytes);
}

}  // namespace

std::optional<Argument> read_argument(ArgType type, std::string_view data, std::size_t& pos,
                                      std::size_t& frame_end) {
  ArgReader in(data, pos, frame_end);
  switch (type) {
    case ArgType::none:
      return std::nullopt;
    case ArgType::uint1:
      return int_argument(std::to_string(in.fixed<std::uint8_t>("uint1")));
    case ArgType::uint2:
      return int_argument(std::to_string(in.fixed<std::uint16_t>("uint2")));
    case ArgType::int4:
      return int_argument(std::to_string(in.fixed<std::int32_t>("int4")));
    case ArgType::uint4:
      return int_argument(std::to_string(in.fixed<std::uint32_t>("uint4")));
    case ArgType::uint8:
      return int_argument(std::to_string(in.fixed<std::uint64_t>("uint8")));
    case ArgType::float8: {
      const std::string_view bytes = in.read(8);
      if (bytes.size() != 8)
        throw Failure(DecodeErrc::truncated, "not enough data in stream to read float8");
      const auto bits = load_be<std::uint64_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()));
      return text_argument(float_repr(std::bit_cast<double>(bits)));
    }
    case ArgType::long1:
    case ArgType::long4:
      return long_bytes_argument(type, in);
    case ArgType::decimalnl_short:
    case ArgType::decimalnl_long:
    case ArgType::floatnl:
    case ArgType::stringnl:
    case ArgType::stringnl_noescape:
    case ArgType::stringnl_noescape_pair:
    case ArgType::unicodestringnl:
      return text_line_argument(type, in);
    default:
      return counted_argument(type, in);
  }
}

}  // namespace picklejar::pickle::dis
