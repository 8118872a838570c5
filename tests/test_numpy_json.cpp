// numpy's recipes in the tagged JSON form ($ndarray, $dtype: docs/JSON.md, "numpy arrays"):
// lossless for every pickle numpy writes (the same bytes back at every protocol, sharing
// between arrays included), compact where the recipe is numpy's own, $object otherwise, and
// the documented examples true against Debian's numpy.

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <picklejar/codec.hpp>
#include <picklejar/json.hpp>
#include <picklejar/ndarray.hpp>
#include <picklejar/pickle.hpp>

#include "numpy_support.hpp"
#include "python.hpp"

using picklejar::JsonError;
using picklejar::NdArray;
using picklejar::Value;
namespace test = picklejar::test;

namespace {

std::string dumps(const Value& v, int protocol) {
  picklejar::EncodeOptions options;
  options.protocol = protocol;
  return picklejar::dumps(v, options);
}

std::string compact(const Value& v) {
  picklejar::JsonOptions options;
  options.indent = -1;
  return picklejar::to_json(v, options);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string hex(std::string_view text) {
  std::string out;
  for (const unsigned char c : text) out += fmt::format("{:02x}", c);
  return out;
}

// pickle.dumps(eval(expr), protocol) by numpy, for each (expr, protocol).
std::vector<std::string> numpy_pickles(const std::vector<std::pair<std::string, int>>& exprs) {
  std::string script = "import numpy as np, pickle\n";
  for (const auto& [expr, protocol] : exprs) {
    script += fmt::format("print(pickle.dumps(eval(bytes.fromhex('{}').decode()), {}).hex())\n",
                          hex(expr), protocol);
  }
  std::vector<std::string> out;
  for (const auto& line : lines_of(test::run_python(script))) out.push_back(from_hex(line));
  REQUIRE(out.size() == exprs.size());
  return out;
}

void check_round_trip(const std::string& pickle, int protocol) {
  const Value v = picklejar::loads(pickle);
  const std::string json = picklejar::to_json(v);
  const Value back = picklejar::from_json(json);
  CHECK(back == v);
  CHECK(dumps(back, protocol) == pickle);
  CHECK(picklejar::to_json(back) == json);
}

}  // namespace

TEST_CASE("numpy: every golden pickle goes through JSON and back to the same bytes") {
  int tagged = 0;
  for (const auto& c : test::numpy_cases()) {
    for (int protocol = 2; protocol <= 5; ++protocol) {
      CAPTURE(c.name);
      CAPTURE(protocol);
      const std::string pickle = c.pickle(protocol);
      check_round_trip(pickle, protocol);
      const std::string json = compact(picklejar::loads(pickle));
      const bool k_order = c.name == "np2_transposed_3d" && protocol == 5;
      CHECK(json.starts_with("{\"$ndarray\":") == !k_order);
      if (protocol >= 4 && !k_order) CHECK(json.find("\"$object\"") == std::string::npos);
      tagged += json.starts_with("{\"$ndarray\":") ? 1 : 0;
    }
  }
  CHECK(tagged > 500);
}

TEST_CASE("numpy: the sharing between the arrays of one pickle survives JSON") {
  const std::vector<std::string> values{
      "{'a': np.arange(3.0), 'b': np.arange(4.0), 'n': np.arange(2), 'd': np.array(['2020-01-01'],"
      " 'M8[s]'), 'e': np.array([5], 'm8[s]'), 'dt': np.dtype('f8'), 's': np.float64(2)}",
      "[np.zeros(2), np.ones((2, 2), order='F'), np.float32(1), np.zeros(3, '>i2')]",
      "[np.arange(6)[::2], np.arange(4)[::2], np.array([b'x', b'yz']), np.array(['h\\u00e9'])]",
      "(np.zeros(2), np.frombuffer(b'abcd', 'u1'), {'<': 1, 'C': 2})",  // '<' and 'C' as keys too
  };
  std::vector<std::pair<std::string, int>> exprs;
  for (const auto& v : values) {
    for (int protocol = 2; protocol <= 5; ++protocol) exprs.emplace_back(v, protocol);
  }
  const auto pickles = numpy_pickles(exprs);
  for (std::size_t i = 0; i < exprs.size(); ++i) {
    CAPTURE(exprs[i].first);
    CAPTURE(exprs[i].second);
    check_round_trip(pickles[i], exprs[i].second);
    CHECK(compact(picklejar::loads(pickles[i])).find("$ndarray") != std::string::npos);
  }
}

TEST_CASE("numpy: docs/JSON.md's numpy examples are what numpy's pickles give") {
  const char* path = std::getenv("PICKLEJAR_JSON_DOC");
  REQUIRE(path != nullptr);
  std::ifstream in(path, std::ios::binary);
  const std::string doc{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // The three-column rows "| `numpy expr` | protocol | `json` |".
  std::vector<std::pair<std::string, int>> exprs;
  std::vector<std::string> expected;
  for (const std::string& line : lines_of(doc)) {
    if (!line.starts_with("| `np.") && !line.starts_with("| `[np.")) continue;
    const auto a = line.find('`') + 1, b = line.find('`', a);
    const auto bar = line.find(" | ", b) + 3, bar2 = line.find(" | ", bar);
    const auto j = line.find('`', bar2) + 1;
    exprs.emplace_back(line.substr(a, b - a), std::stoi(line.substr(bar, bar2 - bar)));
    expected.push_back(line.substr(j, line.rfind('`') - j));
  }
  REQUIRE(exprs.size() >= 6);
  const auto pickles = numpy_pickles(exprs);
  for (std::size_t i = 0; i < exprs.size(); ++i) {
    CAPTURE(exprs[i].first);
    CHECK(compact(picklejar::loads(pickles[i])) == expected[i]);
    CHECK(dumps(picklejar::from_json(expected[i]), exprs[i].second) == pickles[i]);
  }
}

TEST_CASE("numpy: hand-written $ndarray JSON reads as the array it describes") {
  const Value v = picklejar::from_json(
      R"({"$ndarray": {"recipe": "frombuffer", "dtype": {"$dtype": "<f4"}, "shape": [2, 2],)"
      R"( "order": "F", "data": {"$bytearray": "AACAPwAAAEAAAEBAAACAQA=="}}})");
  const NdArray a = picklejar::from_value<NdArray>(v);
  CHECK(picklejar::repr(a) == "array([[1., 3.],\n       [2., 4.]], dtype=float32)");
  CHECK(dumps(v, 5) == dumps(picklejar::to_value(a), 5));
  const NdArray s = picklejar::from_value<NdArray>(picklejar::from_json(
      R"({"$ndarray": {"recipe": "scalar", "numpy": "numpy._core", "dtype": {"$dtype":)"
      R"( "<m8[10s]"}, "data": {"$bytes": "BQAAAAAAAAA="}}})"));
  CHECK(picklejar::repr(s) == "numpy.timedelta64(5,'10s')");
  // A dtype's text must be one numpy writes; fields must fit the recipe.
  const auto refused = [](const std::string& json) {
    try {
      picklejar::from_json(json);
    } catch (const JsonError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  CHECK(refused(R"({"$dtype": "<f3"})").find("is not a dtype numpy writes") != std::string::npos);
  CHECK(refused(R"({"$dtype": "<O8"})").find("is not a dtype numpy writes") != std::string::npos);
  CHECK(refused(R"({"$dtype": {"str": "<f8", "unit": {"$bytes": "cw=="}}})")
            .find("'metadata' and 'unit' go with datetime64") != std::string::npos);
  CHECK(refused(R"({"$ndarray": {"recipe": "scalar", "dtype": 1, "data": 2, "order": "C"}})")
            .find("'order' does not go with recipe 'scalar'") != std::string::npos);
  CHECK(refused(R"({"$ndarray": {"recipe": "frombuffer", "dtype": 1, "data": 2, "shape": []}})")
            .find("$ndarray needs a 'order'") != std::string::npos);
  CHECK(refused(R"({"$ndarray": {"recipe": "sideways", "dtype": 1, "data": 2}})")
            .find("unknown recipe 'sideways'") != std::string::npos);
  CHECK(refused(R"({"$ndarray": {"recipe": "scalar", "dtype": 1, "data": 2, "extra": 3}})")
            .find("unknown $ndarray field 'extra'") != std::string::npos);
  CHECK(refused(R"({"$ndarray": {"recipe": "reconstruct", "dtype": 1, "data": 2, "shape": 3,)"
                R"( "fortran": false}})")
            .find("expected a tuple") != std::string::npos);
}
