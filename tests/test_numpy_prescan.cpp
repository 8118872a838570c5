// The C++ reader and the Python package's pre-scan hold numpy's recipes to the same rules:
// every mutant (a good recipe with one argument or state item replaced, removed or added;
// tests/gen/make_numpy.py) is accepted by both or refused by both, and what both accept
// numpy loads as the array NdArray reads. Every pickle numpy wrote passes the pre-scan, and
// every hostile case is refused by it, with the byte offset.

#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include <picklejar/codec.hpp>
#include <picklejar/ndarray.hpp>
#include <picklejar/pickle.hpp>

#include "numpy_support.hpp"
#include "python.hpp"

using picklejar::NdArray;
namespace test = picklejar::test;

namespace {

// What the pre-scan says of each pickle, and for the mutants it passes, what numpy loads:
// "ok <dtype.str> <shape> <items in C order, hex>" or "refused"; one "kind;name;p;verdict"
// line each.
constexpr const char* kVerdicts = R"(
import os
import numpy as np
from picklejar._prescan_ops import prescan
from picklejar._safe_pickle import Allowlist, safe_loads
from picklejar.errors import DecodeError, ForbiddenGlobal

d = os.environ["PICKLEJAR_NUMPY"]
allow = Allowlist(())

def verdict(data, load):
    try:
        prescan(data, allow)
    except (DecodeError, ForbiddenGlobal) as e:
        return "refused" if " at offset " in str(e) else "unlocated: " + str(e)
    if not load:
        return "ok"
    try:
        a = np.asarray(safe_loads(data, allow))
    except Exception as e:
        return f"numpy refused: {type(e).__name__}: {e}"
    dt = a.dtype.newbyteorder("=") if a.dtype.byteorder in "<>" else a.dtype
    items = np.ascontiguousarray(a.astype(dt)).tobytes().hex()
    return f"ok {dt.str} {','.join(map(str, a.shape))} {items}"

for line in open(d + "/mutants.txt"):
    name, p2, p5 = line.rstrip("\n").split(";")
    for p, h in ((2, p2), (5, p5)):  # numpy 1.24's _frombuffer takes no axis_order
        print("mutant", name, p, verdict(bytes.fromhex(h), not name.startswith("frombuffer_k")),
              sep=";")
for line in open(d + "/manifest.txt"):
    name = line.split(";")[0]
    for p in (2, 3, 4, 5):
        print("golden", name, p, verdict(open(f"{d}/{name}.p{p}.pkl", "rb").read(), False),
              sep=";")
for line in open(d + "/hostile.txt"):
    name = line.split(";")[0]
    for p in (2, 5):
        data = open(f"{d}/hostile_{name}.p{p}.pkl", "rb").read()
        print("hostile", name, p, verdict(data, False), sep=";")
)";

using Verdicts = std::map<std::string, std::string>;  // "kind;name;p" -> verdict

const Verdicts& python_verdicts() {
  static const Verdicts verdicts = [] {
    Verdicts out;
    std::istringstream in(test::run_python(kVerdicts));
    for (std::string line; std::getline(in, line);) {
      std::size_t at = 0;
      for (int i = 0; i < 3; ++i) at = line.find(';', at) + 1;
      out[line.substr(0, at - 1)] = line.substr(at);
    }
    return out;
  }();
  return verdicts;
}

std::string hex(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

std::string from_hex(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  return out;
}

// The C++ reader's verdict, in the script's words.
std::string cpp_verdict(const std::string& pickle) {
  NdArray a;
  try {
    a = picklejar::from_value<NdArray>(picklejar::loads(pickle));
  } catch (const picklejar::Error&) {
    return "refused";
  }
  std::vector<std::string> dims;
  for (const std::size_t n : a.shape()) dims.push_back(std::to_string(n));
  return fmt::format("ok {} {} {}", a.dtype().str(), fmt::join(dims, ","), hex(test::c_ordered(a)));
}

}  // namespace

TEST_CASE("numpy: the pre-scan and NdArray accept exactly the same mutated recipes") {
  const Verdicts& python = python_verdicts();
  std::istringstream in(test::read_numpy_file("mutants.txt"));
  int accepted = 0, refused = 0;
  for (std::string line; std::getline(in, line);) {
    const std::size_t a = line.find(';'), b = line.find(';', a + 1);
    const std::string name = line.substr(0, a);
    for (const int protocol : {2, 5}) {
      const std::string hex_pickle =
          protocol == 2 ? line.substr(a + 1, b - a - 1) : line.substr(b + 1);
      const std::string key = fmt::format("mutant;{};{}", name, protocol);
      CAPTURE(key);
      REQUIRE(python.count(key) == 1);
      const std::string cpp = cpp_verdict(from_hex(hex_pickle));
      const std::string& py = python.at(key);
      if (name.starts_with("frombuffer_k")) {  // loaded by numpy >= 2.3 only: the verdicts
        CHECK(cpp.substr(0, 2) == py.substr(0, 2));
      } else {
        CHECK(cpp == py);
      }
      ++(cpp == "refused" ? refused : accepted);
    }
  }
  CHECK(accepted >= 100);
  CHECK(refused >= 5000);
}

TEST_CASE("numpy: the pre-scan passes every pickle numpy wrote and refuses every hostile one") {
  const Verdicts& python = python_verdicts();
  for (const auto& c : test::numpy_cases()) {
    for (int protocol = 2; protocol <= 5; ++protocol) {
      CAPTURE(c.name);
      CAPTURE(protocol);
      CHECK(python.at(fmt::format("golden;{};{}", c.name, protocol)) == "ok");
    }
  }
  for (const auto& h : test::hostile_cases()) {
    for (const int protocol : {2, 5}) {
      CAPTURE(h.name);
      CHECK(python.at(fmt::format("hostile;{};{}", h.name, protocol)) == "refused");
    }
  }
}
