// The JSON form on the CPython-made corpus (tests/gen/make_corpus.py): for every pickle p that
// CPython wrote at protocol N, from_json(to_json(loads(p))) has CPython's own description of
// the object (the same kinds, values, sharing and cycles) and dumps() of it at N gives p back
// byte for byte. Then python3 reads every JSON text we wrote, and where the value is plain
// JSON data, json.dumps() of what pickle.loads(p) gives is our text exactly.

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <picklejar/json.hpp>
#include <picklejar/pickle.hpp>

#include "corpus.hpp"
#include "python.hpp"

namespace picklejar::test {
namespace {

EncodeOptions at_protocol(int protocol) {
  EncodeOptions options;
  options.protocol = protocol;
  return options;
}

JsonOptions layout(int indent, bool ensure_ascii = false) {
  JsonOptions options;
  options.indent = indent;
  options.ensure_ascii = ensure_ascii;
  return options;
}

namespace fs = std::filesystem;

std::string label(const CorpusCase& c) { return fmt::format("{}.p{}", c.name, c.protocol); }

// A directory removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "picklejar-json-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

TEST_CASE("every corpus pickle comes back byte for byte through the JSON form") {
  REQUIRE(corpus().size() > 500);
  for (const CorpusCase& c : corpus()) {
    CAPTURE(label(c));
    const Value v = loads(c.pickle);
    const std::string json = to_json(v);
    const Value back = from_json(json);
    CHECK(describe(back) == c.description);
    CHECK(dumps(back, at_protocol(c.protocol)) == dumps(v, at_protocol(c.protocol)));
    CHECK(dumps(back, at_protocol(c.protocol)) == c.pickle);
    CHECK(to_json(back) == json);
    // The layout and escaping options change the text, not what it says.
    const Value pretty = from_json(to_json(v, layout(2, true)));
    CHECK(dumps(pretty, at_protocol(c.protocol)) == c.pickle);
  }
}

TEST_CASE("the value read back pickles like the original at every other protocol too") {
  int compared = 0;
  for (const CorpusCase& c : corpus()) {
    const Value v = loads(c.pickle);
    const Value back = from_json(to_json(v));
    for (int protocol = 0; protocol <= 5; ++protocol) {
      if (protocol == c.protocol) continue;
      CAPTURE(fmt::format("{} -> p{}", label(c), protocol));
      std::string expected;
      try {
        expected = dumps(v, at_protocol(protocol));
      } catch (const EncodeError&) {
        CHECK_THROWS_AS(dumps(back, at_protocol(protocol)), EncodeError);
        continue;
      }
      CHECK(dumps(back, at_protocol(protocol)) == expected);
      ++compared;
    }
  }
  CHECK(compared > 2000);
}

TEST_CASE("python3 reads our JSON; for plain data it is json.dumps()'s text exactly") {
  TempDir dir;
  std::string plain_list;
  int plain = 0;
  for (const CorpusCase& c : corpus()) {
    const Value v = loads(c.pickle);
    const std::string compact = to_json(v);
    write_file(dir.path() / (label(c) + ".json"), compact);
    write_file(dir.path() / (label(c) + ".indent.json"), to_json(v, layout(2, true)));
    if (compact.find("\"$") == std::string::npos) {  // no tags, no '$' keys or strs at all
      plain_list += label(c) + "\n";
      ++plain;
    }
  }
  write_file(dir.path() / "plain.txt", plain_list);
  CHECK(plain > 100);
  std::string script = R"(
import json, os, pickle, sys
corpus, ours = "@CORPUS@", "@OURS@"
def no_constants(name):
    raise ValueError("non-standard JSON constant " + name)
plain = set(open(os.path.join(ours, "plain.txt")).read().split())
checked = same = 0
for name in sorted(os.listdir(ours)):
    if not name.endswith(".json"):
        continue
    with open(os.path.join(ours, name), encoding="utf-8") as f:
        text = f.read()
    json.loads(text, parse_constant=no_constants)  # valid, strict JSON
    checked += 1
    label = name[:-len(".indent.json")] if name.endswith(".indent.json") else name[:-5]
    if label not in plain:
        continue
    with open(os.path.join(corpus, label + ".pkl"), "rb") as f:
        obj = pickle.load(f)
    if name.endswith(".indent.json"):
        expected = json.dumps(obj, indent=2)
    else:
        expected = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    if expected != text:
        print("differs:", name, repr(expected[:200]), repr(text[:200]))
        sys.exit(0)
    same += 1
print("checked", checked, "same", same)
)";
  script.replace(script.find("@CORPUS@"), 8, std::getenv("PICKLEJAR_CORPUS"));
  script.replace(script.find("@OURS@"), 6, dir.path().string());
  const std::string out = run_python(script);
  CHECK(out == fmt::format("checked {} same {}\n", 2 * corpus().size(), 2 * plain));
}

}  // namespace
}  // namespace picklejar::test
