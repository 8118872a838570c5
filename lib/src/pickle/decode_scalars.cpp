// Numbers, strings and bytes in their binary (protocol 1+) forms.

#include <fmt/format.h>

#include <bit>
#include <cstring>

#include "../value/utf8.hpp"
#include "byte_order.hpp"
#include "decoder.hpp"

namespace picklejar::pickle {
namespace {
std::string_view chars(const std::uint8_t* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}
}  // namespace

// The small-int opcodes that follow one just read (a list of ints is mostly these), in one
// loop without the dispatch. It stops at any other opcode and at one whose argument does not
// lie wholly before read_end_, which the main loop then reads (leaving a frame, or failing).
void Decoder::push_int_run() {
  const std::uint8_t* p = pos_;
  for (;;) {
    const auto left = static_cast<std::size_t>(read_end_ - p);
    if (left == 0) break;
    std::int64_t value;
    std::size_t size;
    switch (static_cast<Op>(*p)) {
      case Op::binint1:
        if (left < 2) goto done;
        value = p[1], size = 2;
        break;
      case Op::binint2:
        if (left < 3) goto done;
        value = load_le<std::uint16_t>(p + 1), size = 3;
        break;
      case Op::binint:
        if (left < 5) goto done;
        value = static_cast<std::int32_t>(load_le<std::uint32_t>(p + 1)), size = 5;
        break;
      default:
        goto done;
    }
    op_offset_ = static_cast<std::size_t>(p - begin_);  // for an allocation failure's error
    op_ = *p;
    Slot& top = stack_.emplace_back();  // depth 0
    top.tag = detail::Tag::small_int;
    top.as.small_int = value;
    p += size;
  }
done:
  pos_ = p;
}

void Decoder::op_long1() {
  const std::size_t n = read_u8();
  const std::uint8_t* p = take(n, "LONG1 payload");
  push(make_int(std::as_bytes(std::span(p, n))));
}

void Decoder::op_long4() {
  const std::int32_t declared = read_i32();
  if (declared < 0)
    fail(DecodeErrc::bad_argument, fmt::format("LONG pickle has negative byte count {}", declared));
  const std::size_t n = checked_length(static_cast<std::uint64_t>(declared), "LONG4 payload");
  const std::uint8_t* p = take(n, "LONG4 payload");
  push(make_int(std::as_bytes(std::span(p, n))));
}

void Decoder::op_binfloat() {
  // Big-endian on the wire; the bit pattern (NaN payloads, -0.0) is kept exactly.
  const auto bits = load_be<std::uint64_t>(take(8, "BINFLOAT argument"));
  push(detail::float_slot(std::bit_cast<double>(bits)));
}

void Decoder::op_binunicode(std::uint64_t length) {
  const std::size_t n = checked_length(length, "str payload");
  push(make_str(chars(take(n, "str payload"), n)));
}

void Decoder::op_binbytes(Kind kind, std::uint64_t length) {
  const std::size_t n =
      checked_length(length, kind == Kind::bytes ? "bytes payload" : "bytearray payload");
  const std::uint8_t* payload = take(n, "bytes payload");
  if (input_owner_ && n >= kZeroCopyBytes) {
    // Refer into the caller's read-only input rather than copy a big payload; a bytearray
    // copies it at its first write.
    auto* data = const_cast<std::byte*>(reinterpret_cast<const std::byte*>(payload));
    auto* node = make<detail::BytesNode>(kind, input_owner_, data, n);
    node->copy_on_write = kind == Kind::bytearray;
    push(detail::node_slot(node));
    return;
  }
  push(make_bytes(kind, chars(payload, n)));
}

void Decoder::op_binstring(std::size_t length) {
  const std::size_t n = checked_length(length, "Python 2 str payload");
  push_py2_string(chars(take(n, "Python 2 str payload"), n));
}

// A Python 2 str: bytes whose meaning the caller chooses (DecodeOptions::py2_strings).
void Decoder::push_py2_string(std::string_view raw) {
  check_allocation(raw.size(), "Python 2 str payload");  // STRING's text has no declared length
  switch (options_.py2_strings) {
    case Py2Strings::bytes:
      push(make_bytes(Kind::bytes, raw));
      return;
    case Py2Strings::utf8:
      require_strict_utf8(raw, "a Python 2 str");
      push(make_str(raw));
      return;
    case Py2Strings::ascii:
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (static_cast<unsigned char>(raw[i]) >= 0x80) {
          fail(DecodeErrc::bad_utf8,
               fmt::format("'ascii' codec can't decode byte 0x{:02x} in position {} of a Python 2 "
                           "str (choose Py2Strings::latin1, utf8 or bytes)",
                           static_cast<unsigned char>(raw[i]), i));
        }
      }
      push(make_str(raw));
      return;
    case Py2Strings::latin1: {
      std::string utf8;
      utf8.reserve(raw.size());
      for (char c : raw) detail::append_utf8(utf8, static_cast<unsigned char>(c));
      check_allocation(utf8.size(), "str");  // bytes 0x80-0xff take two
      push(make_str(utf8));
      return;
    }
  }
}

}  // namespace picklejar::pickle
