#pragma once
// Helpers shared by the decoder tests: asking CPython what a pickle loads to, and catching
// decode errors with their code and position.

#include <doctest/doctest.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <picklejar/error.hpp>
#include <picklejar/pickle.hpp>
#include <picklejar/value.hpp>

namespace picklejar {
// So that doctest prints a failed CHECK(e.code() == ...) readably.
std::ostream& operator<<(std::ostream& out, DecodeErrc code);
std::ostream& operator<<(std::ostream& out, const std::optional<DecodeErrc>& code);
}  // namespace picklejar

namespace picklejar::test {

// What CPython made of one pickle: ok and a summary (see summary() below), or not ok and the
// exception class name.
struct PyLoad {
  bool ok = false;
  std::string text;
};

// Loads each pickle with CPython (one python3 process for the whole batch). `setup` is Python
// code that may define load(data) to replace the default pickle.loads(data), e.g.
// "def load(p): return pickle.loads(p, encoding='latin1')".
std::vector<PyLoad> python_loads(const std::vector<std::string>& pickles,
                                 const std::string& setup = "");
// The same for one pickle.
PyLoad python_load(const std::string& pickle, const std::string& setup = "");

// What pickle.dumps writes for each value of a Python list expression, at protocols 0-5, with
// repr(value). Values a protocol cannot express are left out.
struct PyDump {
  int protocol = 0;
  std::string pickle;
  std::string repr;
};
std::vector<PyDump> python_dumps(const std::string& values_expression);

// Decodes each pickle with picklejar (`options`) and with CPython (`setup`, as for
// python_loads) and checks that they agree: the same summary() when CPython loads it, a
// DecodeError when CPython raises. `stricter` lists inputs CPython accepts that picklejar
// refuses on purpose (docs/DECODING.md); those must fail with `stricter_code`.
void check_like_cpython(const std::vector<std::string>& pickles, const DecodeOptions& options = {},
                        const std::string& setup = "",
                        const std::vector<std::string>& stricter = {},
                        DecodeErrc stricter_code = DecodeErrc::bad_text);

// A comparable text for a decoded value, the same that python_loads() computes on CPython's
// result: repr() for built-in data, "<global module.qualname>" for a global (our repr), and
// "<instance module.qualname>" for an object (the class or factory that makes it).
std::string summary(const Value& value);

// The DecodeError (or subclass E) that decoding throws; empty if decoding succeeds. Any other
// exception propagates and fails the test.
template <class E = DecodeError>
std::optional<E> decode_error(std::string_view pickle, const DecodeOptions& options = {}) {
  try {
    loads(pickle, options);
  } catch (const E& e) {
    return e;
  }
  return std::nullopt;
}

// The error code decoding fails with, or nullopt when it succeeds.
std::optional<DecodeErrc> decode_errc(std::string_view pickle, const DecodeOptions& options = {});

// The bytes a Python bytes literal with this text denotes: py_bytes(R"(K\x01\n.)") is
// b'K\x01\n.'. Tests write pickles this way because a C++ "\x01a" is one escape, not two
// characters. Escapes: \xNN (exactly two hex digits), \n, \r, \t, \\, \', \"; any other
// backslash throws std::invalid_argument.
std::string py_bytes(std::string_view text);
namespace literals {
// R"(K\x01.)"_py is py_bytes(R"(K\x01.)").
inline std::string operator""_py(const char* text, std::size_t size) {
  return py_bytes({text, size});
}
}  // namespace literals

// The bytes of a std::string as lowercase hex (for messages and for passing to Python), and
// back.
std::string hex(std::string_view bytes);
std::string unhex(std::string_view hex_text);

}  // namespace picklejar::test
