// CPython's own bad-input cases, from Lib/test/pickletester.py's AbstractUnpickleTests
// (test_bad_stack, test_bad_mark, test_truncated_data, test_badly_quoted_string,
// test_badly_escaped_string, test_negative_put, test_maxint64), extracted at build time by
// tests/gen/make_badinput.py into $PICKLEJAR_BADINPUT. Every one must fail with a
// DecodeError -- never crash, never succeed where CPython fails -- and the valid pickles
// next to them must load as CPython loads them.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <picklejar/pickle.hpp>
#include <picklejar/repr.hpp>

#include "decoder_support.hpp"

using picklejar::DecodeErrc;
namespace fs = std::filesystem;
namespace test = picklejar::test;

namespace {

struct Case {
  std::string family;  // the pickletester.py method, e.g. "test_bad_stack"
  std::string name;    // the file name, for messages
  std::string pickle;
  std::string expected;  // CPython's exception class (bad) or repr (good)
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path badinput_dir() {
  const char* dir = std::getenv("PICKLEJAR_BADINPUT");
  if (dir == nullptr) throw std::runtime_error("PICKLEJAR_BADINPUT is not set");
  return dir;
}

// The cases of one kind ("bad" or "good"); `expected_suffix` is ".err" or ".repr".
std::vector<Case> load_cases(const std::string& kind, const std::string& expected_suffix) {
  std::vector<Case> cases;
  for (const auto& entry : fs::directory_iterator(badinput_dir() / kind)) {
    if (entry.path().extension() != ".pkl") continue;
    const std::string stem = entry.path().stem().string();  // <family>.<NNN>
    Case c;
    c.family = stem.substr(0, stem.rfind('.'));
    c.name = entry.path().filename().string();
    c.pickle = read_file(entry.path());
    c.expected = read_file(entry.path().parent_path() / (stem + expected_suffix));
    cases.push_back(std::move(c));
  }
  std::sort(cases.begin(), cases.end(),
            [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

// "bad test_bad_stack 44" lines from counts.txt, as a map from "bad test_bad_stack" to 44.
std::map<std::string, std::size_t> counts() {
  std::map<std::string, std::size_t> out;
  std::istringstream lines(read_file(badinput_dir() / "counts.txt"));
  for (std::string kind, family; lines >> kind >> family;) lines >> out[kind + " " + family];
  return out;
}

std::size_t count_family(const std::vector<Case>& cases, const std::string& family) {
  return static_cast<std::size_t>(
      std::count_if(cases.begin(), cases.end(), [&](const Case& c) { return c.family == family; }));
}

}  // namespace

TEST_CASE("cpython bad input: every family was extracted in full") {
  const auto bad = load_cases("bad", ".err");
  const auto good = load_cases("good", ".repr");
  const auto expected = counts();
  // The sizes pickletester.py 3.11 has; a different CPython may have more, never fewer.
  CHECK(count_family(bad, "test_bad_stack") >= 44);
  CHECK(count_family(bad, "test_bad_mark") >= 30);
  CHECK(count_family(bad, "test_truncated_data") >= 87);
  CHECK(count_family(bad, "test_badly_quoted_string") >= 13);
  CHECK(count_family(bad, "test_negative_put") == 1);
  CHECK(count_family(bad, "test_maxint64") == 1);
  CHECK(count_family(bad, "test_badly_escaped_string") == 1);
  CHECK(count_family(bad, "test_truncated_data_prefixes") > 0);
  CHECK(count_family(good, "test_correctly_quoted_string") >= 4);
  for (const auto& [key, n] : expected) {
    INFO(key);
    const std::string family = key.substr(key.find(' ') + 1);
    CHECK(count_family(key.starts_with("bad") ? bad : good, family) == n);
  }
}

TEST_CASE("cpython bad input: every case fails with a DecodeError") {
  for (const auto& c : load_cases("bad", ".err")) {
    INFO(c.name << " " << test::hex(c.pickle) << ", CPython raises " << c.expected);
    std::optional<DecodeErrc> code;
    try {
      picklejar::loads(c.pickle);
    } catch (const picklejar::DecodeError& e) {
      code = e.code();
      INFO("picklejar: " << e.what());
      REQUIRE(e.position().has_value());
      CHECK(e.position()->offset <= c.pickle.size());
      // Stack and MARK problems are found at the opcode, not by running off the end (none
      // of these inputs has a STOP after the bad opcode).
      if (c.family == "test_bad_stack" || c.family == "test_bad_mark") {
        CHECK(code != DecodeErrc::truncated);
      }
      if (c.family.starts_with("test_truncated_data")) CHECK(code == DecodeErrc::truncated);
    }
    CHECK(code.has_value());
  }
}

TEST_CASE("cpython bad input: the valid neighbours load as in CPython") {
  for (const auto& c : load_cases("good", ".repr")) {
    INFO(c.name << " " << test::hex(c.pickle));
    CHECK(picklejar::loads(c.pickle).repr() == c.expected);
  }
}
