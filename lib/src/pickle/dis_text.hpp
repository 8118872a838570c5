#pragma once
// Python's own conversions as pickletools' argument readers apply them: int(bytes),
// float(bytes), codecs.escape_decode(), and the 'raw-unicode-escape', 'utf-8'
// (surrogatepass) and 'ascii' decoders. Each gives CPython 3.11's result, or fails the way
// CPython does, with its message, so the disassembler stops where and how pickletools does.
// Internal.

#include <picklejar/error.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace picklejar::pickle::dis {

// What pickletools raised, before the disassembler adds the position: the DecodeErrc it
// stands for and Python's message (str() of the exception).
class Failure : public std::runtime_error {
 public:
  Failure(DecodeErrc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  DecodeErrc code() const noexcept { return code_; }

 private:
  DecodeErrc code_;
};

// CPython's default sys.get_int_max_str_digits().
inline constexpr std::size_t kMaxIntDigits = 4300;

// int(text) for a bytes object: the value in canonical decimal ("-12", "0"). Throws
// Failure(bad_text) on an invalid literal, Failure(limit_exceeded) past kMaxIntDigits.
std::string python_int(std::string_view text);

// float(text) for a bytes object. Throws Failure(bad_text).
double python_float(std::string_view text);

// codecs.escape_decode(text)[0]: Python 2 string-literal escapes undone. Throws
// Failure(bad_text) on a bad \x escape or a trailing backslash.
std::string escape_decode(std::string_view text);

// bytes.decode('ascii'): throws Failure(bad_text) at the first byte above 0x7f.
void check_ascii(std::string_view bytes);

// str(text, 'raw-unicode-escape'), returned as UTF-8 (lone surrogates as three bytes, the way
// Value stores them). Throws Failure(bad_text).
std::string raw_unicode_escape_decode(std::string_view text);

// str(bytes, 'utf-8', 'surrogatepass') succeeds; otherwise throws Failure(bad_utf8) with
// CPython's UnicodeDecodeError message.
void check_utf8_surrogatepass(std::string_view bytes);

// bytes.decode('latin-1'), as UTF-8.
std::string latin1_to_utf8(std::string_view bytes);

}  // namespace picklejar::pickle::dis
