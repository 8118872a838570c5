// None, bool, int, float, str, bytes and bytearray, as Modules/_pickle.c writes them
// (save_bool, save_long, save_float, save_unicode, save_bytes, save_bytearray).

#include <fmt/format.h>

#include <bit>
#include <cstring>

#include <picklejar/buffer.hpp>
#include <picklejar/repr.hpp>

#include "../value/utf8.hpp"
#include "../value/value_access.hpp"
#include "encoder.hpp"
#include "opcodes.hpp"

namespace picklejar::pickle {
namespace {

constexpr std::size_t kMaxIntDigits = 4300;  // CPython 3.11's int <-> str limit

std::string_view text_of(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Protocol 0's UNICODE argument: raw-unicode-escape with \, NUL, \n, \r and \x1a escaped too
// (_pickle.c raw_unicode_escape()), lowercase hex.
std::string raw_unicode_escape(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t pos = 0; pos < utf8.size();) {
    const char32_t c = detail::next_code_point(utf8, pos);
    if (c >= 0x10000) {
      out += fmt::format("\\U{:08x}", static_cast<std::uint32_t>(c));
    } else if (c >= 256 || c == '\\' || c == 0 || c == '\n' || c == '\r' || c == 0x1a) {
      out += fmt::format("\\u{:04x}", static_cast<std::uint32_t>(c));
    } else {
      out.push_back(static_cast<char>(c));  // Latin-1, as is
    }
  }
  return out;
}

}  // namespace

void Encoder::save_bool(bool b) {
  if (proto_ >= 2) return out_.write(static_cast<char>(b ? Op::newtrue : Op::newfalse));
  out_.write(b ? "I01\n" : "I00\n");
}

void Encoder::save_int(std::int64_t i) {
  if (i >= INT32_MIN && i <= INT32_MAX) {
    if (proto_ == 0) return out_.write(fmt::format("I{}\n", i));
    const auto u = static_cast<std::uint32_t>(i);
    if (u <= 0xff) return out_.write_op(static_cast<char>(Op::binint1), u, 1);
    if (u <= 0xffff) return out_.write_op(static_cast<char>(Op::binint2), u, 2);
    return out_.write_op(static_cast<char>(Op::binint), u, 4);
  }
  if (proto_ < 2) return out_.write(fmt::format("L{}L\n", i));
  // LONG1 with the fewest two's-complement bytes that hold i (5 to 8 here).
  int n = 8;
  while (n > 1) {
    const auto top = static_cast<std::int8_t>(static_cast<std::uint64_t>(i) >> (8 * (n - 1)));
    const auto next = static_cast<std::int8_t>(static_cast<std::uint64_t>(i) >> (8 * (n - 2)));
    if (!((top == 0 && next >= 0) || (top == -1 && next < 0))) break;
    --n;
  }
  out_.write_op(static_cast<char>(Op::long1), static_cast<std::uint64_t>(n), 1);
  char* to = out_.write_in_place(static_cast<std::size_t>(n));
  for (int b = 0; b < n; ++b) {
    to[b] = static_cast<char>((static_cast<std::uint64_t>(i) >> (8 * b)) & 0xff);
  }
}

void Encoder::save_bigint(Node* n) {
  const auto& big = detail::as_bigint(n).value;
  if (proto_ < 2) {
    const std::string text = big.to_decimal();
    if (text.size() - (big.sign() < 0) > kMaxIntDigits) {
      fail(fmt::format("an int of {} digits exceeds CPython's {}-digit limit for protocol 0-1's "
                       "decimal form (use protocol 2+)",
                       text.size() - (big.sign() < 0), kMaxIntDigits),
           n);
    }
    return out_.write("L" + text + "L\n");
  }
  const std::size_t size = big.le_twos_complement_size();
  if (size < 256) {
    out_.write_op(static_cast<char>(Op::long1), size, 1);
  } else {
    out_.write_op(static_cast<char>(Op::long4), size, 4);
  }
  big.write_le_twos_complement(reinterpret_cast<std::byte*>(out_.write_in_place(size)));
}

void Encoder::save_float_text(double d) { out_.write("F" + float_repr(d) + "\n"); }

void Encoder::save_str(Node* n) {
  const std::string_view text = detail::as_str(n).text();
  if (proto_ == 0) {
    out_.write(static_cast<char>(Op::unicode));
    out_.write(raw_unicode_escape(text));
    out_.write('\n');
  } else if (text.size() <= 0xff && proto_ >= 4) {
    out_.write_payload(static_cast<char>(Op::short_binunicode), 1, text);
  } else if (text.size() <= 0xffffffffu) {
    out_.write_payload(static_cast<char>(Op::binunicode), 4, text);
  } else if (proto_ >= 4) {
    out_.write_payload(static_cast<char>(Op::binunicode8), 8, text);
  } else {
    fail("a str larger than 4 GiB needs protocol 4 or higher", n);
  }
  memo_put(n);
}

// Protocol 3+ (earlier protocols are rewritten to a _codecs.encode recipe).
void Encoder::save_bytes(Node* n) {
  if (out_of_band(n)) return;
  const std::string_view data = text_of(detail::as_bytes(n).view());
  if (data.size() <= 0xff) {
    out_.write_payload(static_cast<char>(Op::short_binbytes), 1, data);
  } else if (data.size() <= 0xffffffffu) {
    out_.write_payload(static_cast<char>(Op::binbytes), 4, data);
  } else if (proto_ >= 4) {
    out_.write_payload(static_cast<char>(Op::binbytes8), 8, data);
  } else {
    fail("a bytes object larger than 4 GiB needs protocol 4 or higher", n);
  }
  memo_put(n);
}

// Protocol 5 (earlier protocols are rewritten to a bytearray(...) recipe).
void Encoder::save_bytearray(Node* n) {
  if (out_of_band(n)) return;
  const std::string_view data = text_of(detail::as_bytes(n).view());
  out_.write_payload(static_cast<char>(Op::bytearray8), 8, data);
  memo_put(n);
}

// Protocol 5's out-of-band buffers (CPython's save_picklebuffer): the caller takes the bytes
// and the pickle says NEXT_BUFFER (READONLY_BUFFER for bytes). Not memoized, as in CPython.
bool Encoder::out_of_band(Node* n) {
  if (proto_ < 5 || !options_.buffer_callback) return false;
  auto& node = detail::as_bytes(n);
  const auto view = node.view();
  if (view.size() < options_.out_of_band_min_bytes) return false;
  // The buffer keeps the value's heap alive through a handle.
  auto holder = std::make_shared<Value>(detail::ValueAccess::handle(detail::node_slot(n)));
  const bool readonly = n->kind == Kind::bytes;
  const Buffer buffer =
      readonly ? Buffer(std::shared_ptr<const void>(holder, view.data()), view)
               : Buffer(std::shared_ptr<void>(holder, const_cast<std::byte*>(view.data())),
                        std::span(const_cast<std::byte*>(view.data()), view.size()));
  if (options_.buffer_callback(buffer)) return false;  // the caller wants it in band
  out_.write(static_cast<char>(Op::next_buffer));
  if (readonly) out_.write(static_cast<char>(Op::readonly_buffer));
  return true;
}

}  // namespace picklejar::pickle
