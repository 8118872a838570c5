#pragma once
// UTF-8 validation 16 bytes at a time (SSSE3), for the decoder's non-ASCII strings: the
// byte-at-a-time DFA in utf8.cpp took half the time of decoding non-ASCII text.

#include <cstddef>

namespace picklejar::detail {

// Whether this CPU runs valid_utf8_simd() (checked once).
bool utf8_simd_available() noexcept;

// Whether `text` is UTF-8 as the surrogatepass handler writes it (lone surrogates allowed):
// exactly what find_invalid_utf8_slow() accepts. Only when utf8_simd_available().
bool valid_utf8_simd(const char* text, std::size_t size) noexcept;

}  // namespace picklejar::detail
