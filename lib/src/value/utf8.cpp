#include "utf8.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "utf8_simd.hpp"

namespace picklejar::detail {
namespace {

bool is_continuation(unsigned char c) noexcept { return (c & 0xC0) == 0x80; }

// Length of the sequence starting at text[pos], or 0 if it is invalid.
std::size_t sequence_length(std::string_view text, std::size_t pos) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  const std::size_t left = text.size() - pos;
  const unsigned char lead = byte(0);
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  std::size_t length = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;  // no overlong forms; 0xED stays open for surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (left < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!is_continuation(byte(i))) return 0;
  }
  return length;
}

}  // namespace

namespace {

// A shift-based DFA (one table load and one shift per byte, with no branch in the loop) that
// accepts UTF-8 plus encoded surrogates. Each state is a multiple of 6; kTransitions[byte]
// holds, at bit offset `state`, the state reached from `state` on that byte.
enum State : std::uint64_t {
  kAccept = 0,
  kError = 6,
  kTail1 = 12,    // one continuation byte (80..BF) to go
  kTail2 = 18,    // two
  kTail3 = 24,    // three
  kAfterE0 = 30,  // A0..BF, then one more (no overlong 3-byte forms)
  kAfterF0 = 36,  // 90..BF, then two more (no overlong 4-byte forms)
  kAfterF4 = 42,  // 80..8F, then two more (nothing above U+10FFFF)
};

constexpr std::uint64_t transition(std::uint64_t state, unsigned byte) {
  const bool cont = byte >= 0x80 && byte <= 0xBF;
  switch (state) {
    case kAccept:
      if (byte < 0x80) return kAccept;
      if (byte >= 0xC2 && byte <= 0xDF) return kTail1;
      if (byte == 0xE0) return kAfterE0;
      if (byte >= 0xE1 && byte <= 0xEF) return kTail2;  // 0xED too: surrogates are allowed
      if (byte == 0xF0) return kAfterF0;
      if (byte >= 0xF1 && byte <= 0xF3) return kTail3;
      if (byte == 0xF4) return kAfterF4;
      return kError;
    case kTail1:
      return cont ? kAccept : kError;
    case kTail2:
      return cont ? kTail1 : kError;
    case kTail3:
      return cont ? kTail2 : kError;
    case kAfterE0:
      return byte >= 0xA0 && byte <= 0xBF ? kTail1 : kError;
    case kAfterF0:
      return byte >= 0x90 && byte <= 0xBF ? kTail2 : kError;
    case kAfterF4:
      return byte >= 0x80 && byte <= 0x8F ? kTail2 : kError;
    default:
      return kError;
  }
}

constexpr auto kTransitions = [] {
  std::array<std::uint64_t, 256> table{};
  for (unsigned byte = 0; byte < 256; ++byte) {
    for (std::uint64_t state = 0; state <= kAfterF4; state += 6) {
      table[byte] |= transition(state, byte) << state;
    }
  }
  return table;
}();

// The state keeps garbage above its low 6 bits; masking inside the shift costs nothing (x86
// shifts mask their count anyway), leaving one shift per byte on the critical path.
std::uint64_t step(std::uint64_t state, char c) noexcept {
  return kTransitions[static_cast<unsigned char>(c)] >> (state & 63);
}

bool valid_by_dfa(std::string_view text) noexcept {
  // Two halves, split at a character boundary, run as two independent chains.
  std::size_t mid = text.size() / 2;
  if (text.size() >= 32) {
    for (int k = 0; k < 3 && is_continuation(static_cast<unsigned char>(text[mid])); ++k) ++mid;
  } else {
    mid = 0;
  }
  const std::string_view first = text.substr(0, mid), second = text.substr(mid);
  std::uint64_t a = kAccept, b = kAccept;
  const std::size_t common = std::min(first.size(), second.size());
  for (std::size_t i = 0; i < common; ++i) {
    a = step(a, first[i]);
    b = step(b, second[i]);
  }
  for (std::size_t i = common; i < first.size(); ++i) a = step(a, first[i]);
  for (std::size_t i = common; i < second.size(); ++i) b = step(b, second[i]);
  return (a & 63) == kAccept && (b & 63) == kAccept;
}

}  // namespace

std::optional<std::size_t> find_invalid_utf8_slow(std::string_view text) noexcept {
  // The usual answer, fast; else find where.
  if (utf8_simd_available() ? valid_utf8_simd(text.data(), text.size()) : valid_by_dfa(text))
    return std::nullopt;
  std::size_t pos = 0;
  while (pos < text.size()) {
    // ASCII runs are the common case: check eight bytes at a time.
    while (pos + 8 <= text.size()) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + pos, 8);
      if (word & 0x8080808080808080ull) break;
      pos += 8;
    }
    if (pos >= text.size()) break;
    const std::size_t length = sequence_length(text, pos);
    if (length == 0) return pos;
    pos += length;
  }
  return std::nullopt;
}

std::optional<std::size_t> find_surrogate(std::string_view text) noexcept {
  if (is_ascii(text)) return std::nullopt;
  // In valid UTF-8, 0xED followed by 0xA0-0xBF is exactly an encoded U+D800..U+DFFF.
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) == 0xED &&
        static_cast<unsigned char>(text[i + 1]) >= 0xA0) {
      return i;
    }
  }
  return std::nullopt;
}

std::size_t count_code_points(std::string_view text) noexcept {
  std::size_t count = 0;
  for (char c : text) count += !is_continuation(static_cast<unsigned char>(c));
  return count;
}

char32_t next_code_point(std::string_view text, std::size_t& pos) noexcept {
  const auto lead = static_cast<unsigned char>(text[pos]);
  std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  char32_t cp = length == 1 ? lead : lead & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) {
    cp = (cp << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
  }
  pos += length;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace picklejar::detail
