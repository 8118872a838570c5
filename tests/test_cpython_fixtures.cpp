// CPython's own pickle test fixtures (Lib/test/pickletester.py: DATA0-4, the Python 2 pickles
// DATA_SET/DATA_XRANGE/DATA_COOKIE/DATA_SET2/DATA_UEERR, the Python 2 exception pickles and the
// old-style instance pickles), extracted by tests/gen/make_fixtures.py, against what CPython
// loads from the same bytes.
//
// The comparison: make_fixtures.py describes pickle.loads(fixture) -- the object CPython
// builds -- by its built-in data and, for anything else, by the recipe CPython would pickle
// that *loaded* object with (class, args, state, items). We describe our decoded Value the same
// way, naming each global by what CPython resolves our decoded (module, qualname) to. So this
// fails if we read a wrong int, str or float, lose sharing, misplace a state or an item, or
// produce a global name CPython would not find (a Python 2 name left unmapped, say); it does
// not pass merely because our output agrees with itself.

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <picklejar/pickle.hpp>

#include "describe.hpp"
#include "python.hpp"

namespace picklejar::test {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  std::string name;
  std::string pickle;
  std::string loaded;  // make_fixtures.py's description of pickle.loads(pickle)
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("fixtures: cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const std::map<std::string, Fixture>& fixtures() {
  static const std::map<std::string, Fixture> all = [] {
    const char* dir = std::getenv("PICKLEJAR_FIXTURES");
    if (dir == nullptr) throw std::runtime_error("fixtures: PICKLEJAR_FIXTURES is not set");
    std::map<std::string, Fixture> out;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".pkl") continue;
      Fixture f;
      f.name = entry.path().stem().string();
      f.pickle = read_file(entry.path());
      f.loaded = read_file(fs::path(entry.path()).replace_extension(".loaded"));
      out.emplace(f.name, std::move(f));
    }
    return out;
  }();
  return all;
}

std::string hex(std::string_view text) {
  std::string out;
  for (const unsigned char c : text) out += fmt::format("{:02x}", c);
  return out;
}

std::string unhex(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Asks CPython what each (module, qualname) names, as find_class would import it, in the
// canonical "module.qualname" form make_fixtures.py writes. Names CPython cannot resolve stay
// empty (and describe_loaded() then writes "unresolved:...").
void resolve_in_cpython(GlobalNames& names) {
  std::string script = R"(import pickle, sys
import test.pickletester  # sets __main__.C, D and E, which the fixtures name
def canonical(module, name):
    try:
        __import__(module)
        obj = sys.modules[module]
        for part in name.split("."):
            obj = getattr(obj, part)
        qualname = getattr(obj, "__qualname__", None) or obj.__name__
        return "%s.%s" % (pickle.whichmodule(obj, qualname), qualname)
    except Exception:
        return ""
for line in """
)";
  for (const auto& [key, canonical] : names)
    script += hex(key.first) + " " + hex(key.second) + "\n";
  script += R"(""".split("\n"):
    if line:
        module, name = (bytes.fromhex(part).decode() for part in line.split())
        print(line, canonical(module, name).encode().hex())
)";
  std::istringstream lines(run_python(script));
  std::string module, name, canonical;
  while (lines >> module >> name >> canonical)
    names[{unhex(module), unhex(name)}] = unhex(canonical);
}

TEST_CASE("CPython fixtures: pickletester's fixtures are all there") {
  const auto& all = fixtures();
  for (const char* name :
       {"DATA0", "DATA1", "DATA2", "DATA3", "DATA4", "DATA_SET", "DATA_XRANGE", "DATA_COOKIE",
        "DATA_SET2", "DATA_UEERR", "exception_StandardError", "exception_ValueError",
        "classic_C_p0", "classic_D_p1", "classic_E_p2"}) {
    CHECK_MESSAGE(all.contains(name), name);
  }
  CHECK(all.size() >= 60);
  MESSAGE(fmt::format("{} fixtures from CPython's pickletester", all.size()));
}

TEST_CASE("CPython fixtures: we decode what CPython loads") {
  std::map<std::string, Value> values;
  GlobalNames names;
  for (const auto& [name, fixture] : fixtures()) {
    try {
      values.emplace(name, loads(fixture.pickle));
      collect_globals(values.at(name), names);
    } catch (const std::exception& e) {
      FAIL_CHECK(name, ": decode failed: ", e.what());
    }
  }
  REQUIRE(!names.empty());
  resolve_in_cpython(names);
  for (const auto& [name, value] : values) {
    const std::string ours = describe_loaded(value, names);
    const bool same = ours == fixtures().at(name).loaded;
    CHECK_MESSAGE(same, name, "\n  ours:    ", ours, "\n  CPython: ", fixtures().at(name).loaded);
  }
}

}  // namespace
}  // namespace picklejar::test
