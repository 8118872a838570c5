#include "codec_support.hpp"

#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>

#include <picklejar/pickle.hpp>

#include "python.hpp"

namespace picklejar::test {
namespace {

std::string unhex(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out += static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16));
  }
  return out;
}

}  // namespace

std::string hex(const std::string& text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    out += kDigits[static_cast<unsigned char>(c) >> 4];
    out += kDigits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

std::vector<CPython> cpython(const std::vector<std::string>& expressions,
                             const std::string& setup) {
  // Expressions and results travel as hex so that no quoting can go wrong.
  std::string script = R"(
import collections, datetime, decimal, os, pathlib, pickle, sys, uuid, zoneinfo
import pjcodec.state
)" + setup + R"(
def dumps(obj, protocol):
    try:
        return pickle.dumps(obj, protocol).hex()
    except Exception:
        return '-'
for line in sys.stdin.read().split():
    obj = eval(bytes.fromhex(line).decode())
    # 'x' keeps an empty str() a field of its own
    fields = ['x' + repr(obj).encode('utf-8', 'surrogatepass').hex(),
              'x' + str(obj).encode('utf-8', 'surrogatepass').hex()]
    print(' '.join(fields + [dumps(obj, p) for p in range(6)]))
)";
  // run_python() takes only a script: append the input as a here-document it reads.
  std::string input;
  for (const auto& e : expressions) input += hex(e) + "\n";
  script = "import io, sys\nsys.stdin = io.StringIO('''" + input + "''')\n" + script;
  std::istringstream lines(run_python(script));
  std::vector<CPython> out;
  for (const auto& expression : expressions) {
    CPython py;
    py.expression = expression;
    std::string repr_hex, str_hex;
    if (!(lines >> repr_hex >> str_hex)) throw std::runtime_error("cpython: short output");
    py.repr = unhex(repr_hex.substr(1));
    py.str = unhex(str_hex.substr(1));
    for (auto& loaded : py.loaded) {
      std::string pickle_hex;
      lines >> pickle_hex;
      if (pickle_hex != "-") loaded = loads(unhex(pickle_hex));
    }
    out.push_back(std::move(py));
  }
  return out;
}

CPython cpython_one(const std::string& expression, const std::string& setup) {
  return cpython(std::vector<std::string>{expression}, setup).front();
}

}  // namespace picklejar::test
