// Keiser and Lemire's lookup algorithm ("Validating UTF-8 In Less Than One Instruction Per
// Byte", 2021; simdjson/simdutf "lookup4"): three 16-entry table lookups classify each pair
// of adjacent bytes by the first byte's high and low nibble and the second byte's high
// nibble; a bit set in all three names an error. Continuations two and three bytes after a
// lead are checked by comparing the bytes 2 and 3 back against E0 and F0. The surrogate
// class (ED A0..BF) is left out: surrogatepass allows it.

#include "utf8_simd.hpp"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace picklejar::detail {

#if defined(__x86_64__)
namespace {

// Error classes of a byte pair (first, second).
constexpr std::uint8_t kTooShort = 1 << 0;      // lead not followed by a continuation
constexpr std::uint8_t kTooLong = 1 << 1;       // ASCII followed by a continuation
constexpr std::uint8_t kOverlong3 = 1 << 2;     // E0 80..9F
constexpr std::uint8_t kTooLarge = 1 << 3;      // F4 90..BF, F5..FF
constexpr std::uint8_t kOverlong2 = 1 << 5;     // C0, C1
constexpr std::uint8_t kTooLarge1000 = 1 << 6;  // F5..FF 80..8F
constexpr std::uint8_t kOverlong4 = 1 << 6;     // F0 80..8F
constexpr std::uint8_t kTwoConts = 1 << 7;      // continuation after continuation
constexpr std::uint8_t kCarry = kTooShort | kTooLong | kTwoConts;

#define PICKLEJAR_TABLE(...) _mm_setr_epi8(__VA_ARGS__)
constexpr char c(std::uint8_t v) { return static_cast<char>(v); }

[[gnu::target("ssse3")]] inline __m128i high_nibbles(__m128i v) {
  return _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0F));
}

struct Validator {
  __m128i prev = _mm_setzero_si128();
  __m128i error = _mm_setzero_si128();
  __m128i prev_incomplete = _mm_setzero_si128();

  [[gnu::target("ssse3")]] void block(__m128i in) {
    if (_mm_movemask_epi8(in) == 0) {  // ASCII: only a sequence cut short before it is wrong
      error = _mm_or_si128(error, prev_incomplete);
      prev = in;
      return;
    }
    const __m128i byte_1_high_table = PICKLEJAR_TABLE(
        c(kTooLong), c(kTooLong), c(kTooLong), c(kTooLong), c(kTooLong), c(kTooLong), c(kTooLong),
        c(kTooLong), c(kTwoConts), c(kTwoConts), c(kTwoConts), c(kTwoConts),
        c(kTooShort | kOverlong2), c(kTooShort), c(kTooShort | kOverlong3),
        c(kTooShort | kTooLarge | kTooLarge1000 | kOverlong4));
    const __m128i byte_1_low_table = PICKLEJAR_TABLE(
        c(kCarry | kOverlong3 | kOverlong2 | kOverlong4), c(kCarry | kOverlong2), c(kCarry),
        c(kCarry), c(kCarry | kTooLarge), c(kCarry | kTooLarge | kTooLarge1000),
        c(kCarry | kTooLarge | kTooLarge1000), c(kCarry | kTooLarge | kTooLarge1000),
        c(kCarry | kTooLarge | kTooLarge1000), c(kCarry | kTooLarge | kTooLarge1000),
        c(kCarry | kTooLarge | kTooLarge1000), c(kCarry | kTooLarge | kTooLarge1000),
        c(kCarry | kTooLarge | kTooLarge1000), c(kCarry | kTooLarge | kTooLarge1000),
        c(kCarry | kTooLarge | kTooLarge1000), c(kCarry | kTooLarge | kTooLarge1000));
    const __m128i byte_2_high_table = PICKLEJAR_TABLE(
        c(kTooShort), c(kTooShort), c(kTooShort), c(kTooShort), c(kTooShort), c(kTooShort),
        c(kTooShort), c(kTooShort),
        c(kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge1000 | kOverlong4),
        c(kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge),
        c(kTooLong | kOverlong2 | kTwoConts | kTooLarge),
        c(kTooLong | kOverlong2 | kTwoConts | kTooLarge), c(kTooShort), c(kTooShort), c(kTooShort),
        c(kTooShort));
    const __m128i prev1 = _mm_alignr_epi8(in, prev, 15);
    const __m128i special = _mm_and_si128(
        _mm_and_si128(
            _mm_shuffle_epi8(byte_1_high_table, high_nibbles(prev1)),
            _mm_shuffle_epi8(byte_1_low_table, _mm_and_si128(prev1, _mm_set1_epi8(0x0F)))),
        _mm_shuffle_epi8(byte_2_high_table, high_nibbles(in)));
    // A continuation following a continuation is right exactly where a lead 2 or 3 bytes back
    // asks for it (E0 and up, F0 and up).
    const __m128i third =
        _mm_subs_epu8(_mm_alignr_epi8(in, prev, 14), _mm_set1_epi8(c(0xE0 - 0x80)));
    const __m128i fourth =
        _mm_subs_epu8(_mm_alignr_epi8(in, prev, 13), _mm_set1_epi8(c(0xF0 - 0x80)));
    const __m128i must_continue =
        _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8(c(0x80)));
    error = _mm_or_si128(error, _mm_xor_si128(must_continue, special));
    // A lead in the last three bytes whose sequence goes on past the block.
    const __m128i max_complete =
        PICKLEJAR_TABLE(c(0xFF), c(0xFF), c(0xFF), c(0xFF), c(0xFF), c(0xFF), c(0xFF), c(0xFF),
                        c(0xFF), c(0xFF), c(0xFF), c(0xFF), c(0xFF), c(0xEF), c(0xDF), c(0xBF));
    prev_incomplete = _mm_subs_epu8(in, max_complete);
    prev = in;
  }
};

#undef PICKLEJAR_TABLE

}  // namespace

bool utf8_simd_available() noexcept {
  static const bool available = __builtin_cpu_supports("ssse3");
  return available;
}

[[gnu::target("ssse3")]] bool valid_utf8_simd(const char* text, std::size_t size) noexcept {
  Validator v;
  std::size_t i = 0;
  for (; i + 16 <= size; i += 16)
    v.block(_mm_loadu_si128(reinterpret_cast<const __m128i*>(text + i)));
  if (i < size) {  // the tail, padded with ASCII zeros (which also cut short a sequence)
    alignas(16) char tail[16] = {};
    std::memcpy(tail, text + i, size - i);
    v.block(_mm_load_si128(reinterpret_cast<const __m128i*>(tail)));
  }
  const __m128i error = _mm_or_si128(v.error, v.prev_incomplete);
  return _mm_movemask_epi8(_mm_cmpeq_epi8(error, _mm_setzero_si128())) == 0xFFFF;
}

#else

bool utf8_simd_available() noexcept { return false; }
bool valid_utf8_simd(const char*, std::size_t) noexcept { return false; }

#endif

}  // namespace picklejar::detail
