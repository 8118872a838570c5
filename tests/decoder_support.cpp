#include "decoder_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

#include <picklejar/repr.hpp>

#include "python.hpp"

namespace picklejar {

namespace {
std::string_view errc_name(DecodeErrc code) {
  switch (code) {
    case DecodeErrc::truncated:
      return "truncated";
    case DecodeErrc::unknown_opcode:
      return "unknown_opcode";
    case DecodeErrc::stack_underflow:
      return "stack_underflow";
    case DecodeErrc::mark_missing:
      return "mark_missing";
    case DecodeErrc::memo_missing:
      return "memo_missing";
    case DecodeErrc::bad_utf8:
      return "bad_utf8";
    case DecodeErrc::bad_text:
      return "bad_text";
    case DecodeErrc::bad_argument:
      return "bad_argument";
    case DecodeErrc::wrong_type:
      return "wrong_type";
    case DecodeErrc::odd_items:
      return "odd_items";
    case DecodeErrc::unhashable:
      return "unhashable";
    case DecodeErrc::trailing_data:
      return "trailing_data";
    case DecodeErrc::limit_exceeded:
      return "limit_exceeded";
    case DecodeErrc::forbidden:
      return "forbidden";
    case DecodeErrc::unsupported_protocol:
      return "unsupported_protocol";
    case DecodeErrc::hook_failed:
      return "hook_failed";
    case DecodeErrc::bad_frame:
      return "bad_frame";
    case DecodeErrc::hidden_call:
      return "hidden_call";
  }
  return "<bad DecodeErrc>";
}
}  // namespace

std::ostream& operator<<(std::ostream& out, DecodeErrc code) { return out << errc_name(code); }

std::ostream& operator<<(std::ostream& out, const std::optional<DecodeErrc>& code) {
  return code ? out << *code : out << "no error";
}

}  // namespace picklejar

namespace picklejar::test {
namespace {

// Mirrors summary() below on CPython's result. Only the kinds of the top-level value matter:
// tests that compare summaries keep globals and instances at the top.
constexpr std::string_view kSummaryScript = R"(
import collections, pickle, sys, types, warnings
warnings.simplefilter('ignore')  # e.g. escape_decode's DeprecationWarning for '\q'

BUILTIN_DATA = (type(None), bool, int, float, str, bytes, bytearray, list, tuple, dict, set,
                frozenset, collections.OrderedDict)

def summary(v):
    if isinstance(v, memoryview):
        text = repr(v.tobytes())  # READONLY_BUFFER's read-only view: bytes in picklejar
        v.release()
        return text
    if type(v) in BUILTIN_DATA:
        return repr(v)
    if isinstance(v, (type, types.FunctionType, types.BuiltinFunctionType)):
        return '<global %s.%s>' % (v.__module__, v.__qualname__)
    return '<instance %s.%s>' % (type(v).__module__, type(v).__qualname__)

def load(p):
    return pickle.loads(p)
)";

constexpr std::string_view kLoadLoop = R"(
out = []
for p in PICKLES:
    try:
        out.append('ok ' + summary(load(p)))
    except Exception as e:
        out.append('err ' + type(e).__name__)
sys.stdout.buffer.write('\n'.join(out).encode('utf-8', 'surrogatepass'))
)";

}  // namespace

std::vector<PyLoad> python_loads(const std::vector<std::string>& pickles,
                                 const std::string& setup) {
  std::string script(kSummaryScript);
  script += setup;
  script += "\nPICKLES = [\n";
  for (const auto& p : pickles) script += fmt::format("    bytes.fromhex('{}'),\n", hex(p));
  script += "]\n";
  script += kLoadLoop;
  const std::string out = run_python(script);
  std::vector<PyLoad> results;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const bool ok = line.rfind("ok ", 0) == 0;
    results.push_back({ok, line.substr(ok ? 3 : 4)});
  }
  if (results.size() != pickles.size()) {
    throw std::runtime_error(
        fmt::format("python_loads: {} results for {} pickles", results.size(), pickles.size()));
  }
  return results;
}

PyLoad python_load(const std::string& pickle, const std::string& setup) {
  return python_loads({pickle}, setup).front();
}

std::vector<PyDump> python_dumps(const std::string& values_expression) {
  const std::string script = "import pickle, sys\nVALUES = " + values_expression + R"(
for v in VALUES:
    for proto in range(6):
        try:
            data = pickle.dumps(v, proto)
        except Exception:
            continue
        sys.stdout.write('%d %s %s\n' % (proto, data.hex(), repr(v)))
)";
  std::vector<PyDump> dumps;
  std::istringstream lines(run_python(script));
  for (std::string line; std::getline(lines, line);) {
    const auto first = line.find(' ');
    const auto second = line.find(' ', first + 1);
    PyDump d;
    d.protocol = std::stoi(line.substr(0, first));
    d.pickle = unhex(line.substr(first + 1, second - first - 1));
    d.repr = line.substr(second + 1);
    dumps.push_back(std::move(d));
  }
  if (dumps.empty()) throw std::runtime_error("python_dumps: no values from " + values_expression);
  return dumps;
}

void check_like_cpython(const std::vector<std::string>& pickles, const DecodeOptions& options,
                        const std::string& setup, const std::vector<std::string>& stricter,
                        DecodeErrc stricter_code) {
  const auto expected = python_loads(pickles, setup);
  for (std::size_t i = 0; i < pickles.size(); ++i) {
    const std::string& p = pickles[i];
    INFO("pickle " << hex(p) << ", CPython: " << std::string(expected[i].ok ? "" : "raises ")
                   << expected[i].text);
    std::string ours;
    std::optional<DecodeErrc> error;
    try {
      ours = summary(loads(p, options));
    } catch (const DecodeError& e) {
      ours = e.what();
      error = e.code();
    }
    INFO("picklejar: " << ours);
    if (std::find(stricter.begin(), stricter.end(), p) != stricter.end()) {
      CHECK(expected[i].ok);  // else the input needs no special case
      CHECK(error == stricter_code);
    } else if (expected[i].ok) {
      CHECK_FALSE(error.has_value());
      CHECK(ours == expected[i].text);
    } else {
      CHECK(error.has_value());
    }
  }
}

std::string summary(const Value& value) {
  if (!value.is_object()) return value.repr();
  const Value callable = value.object_callable();
  if (!callable.is_global()) return "<instance ?>";
  return fmt::format("<instance {}.{}>", callable.global_module(), callable.global_name());
}

std::optional<DecodeErrc> decode_errc(std::string_view pickle, const DecodeOptions& options) {
  if (auto e = decode_error(pickle, options)) return e->code();
  return std::nullopt;
}

std::string py_bytes(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    const char e = i + 1 < text.size() ? text[++i] : '?';
    switch (e) {
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case '\\':
      case '\'':
      case '"':
        out.push_back(e);
        break;
      case 'x':
        if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
          throw std::invalid_argument("py_bytes: bad \\x escape in " + std::string(text));
        }
        out.push_back(
            static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
        break;
      default:
        throw std::invalid_argument("py_bytes: bad escape in " + std::string(text));
    }
  }
  return out;
}

std::string hex(std::string_view bytes) {
  std::string out;
  out.reserve(2 * bytes.size());
  for (char c : bytes) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

std::string unhex(std::string_view hex_text) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex_text.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex_text.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

}  // namespace picklejar::test
