// Depth: the encoder recurses for the first levels of containers and hands deeper ones (and
// object recipes) to its task stack. Values that cross that boundary, in every container
// kind and through object recipes, must still come out as CPython's bytes, and a value far
// deeper than any C stack must be written at all.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <picklejar/pickle.hpp>

#include "encoder_support.hpp"

using picklejar::Value;
namespace test = picklejar::test;

TEST_CASE("encoder depth: values nested past the recursion budget write CPython's bytes") {
  // CPython's pickler recurses on the C stack, as deep as its recursion limit lets it; with
  // the limit raised it writes values a few thousand containers deep, well past the depth
  // where the encoder's stack budget runs out (about a thousand levels of lists).
  const std::string deep = "import sys\nsys.setrecursionlimit(100000)\n";
  const std::vector<std::string> programs = {
      // list -> dict -> list ..., with shared strs, tuples referring back and frozensets
      deep +
          "x = []\n"
          "for i in range(1200):\n"
          "    x = [i, 'level', {'k': x, 't': (x, 'a', i), 'f': frozenset({i, 'f'})}]\n"
          "obj = x",
      // tuples of tuples (TUPLE1-3 and MARK...TUPLE), with a set at every level
      deep +
          "x = ()\n"
          "for i in range(2500):\n"
          "    x = (x, {i}) if i % 2 else (i, x, 'p', 2.5)\n"
          "obj = x",
      // OrderedDicts (object recipes, task-driven) inside lists inside OrderedDicts
      "import collections\n"
      "x = None\n"
      "for i in range(120):\n"
      "    x = collections.OrderedDict([('v', i), ('next', [x, b'b'])])\n"
      "obj = x",
      // a list holding itself at the bottom of 2500 levels
      deep +
          "top = []\n"
          "x = top\n"
          "for i in range(2500):\n"
          "    y = [i]\n"
          "    x.append(y)\n"
          "    x = y\n"
          "x.append(top)\n"
          "obj = top",
  };
  const auto cpython = test::cpython_bytes(programs);
  for (std::size_t i = 0; i < programs.size(); ++i) {
    for (int protocol = 0; protocol <= 5; ++protocol) {
      INFO("program ", i, " at protocol ", protocol, ":\n", programs[i]);
      REQUIRE(cpython[i].c[protocol].has_value());
      const std::string& theirs = *cpython[i].c[protocol];
      const std::string ours = test::dumps_at(picklejar::loads(theirs), protocol);
      CHECK_MESSAGE(ours == theirs, test::first_difference(ours, theirs));
    }
  }
}

TEST_CASE("encoder depth: a million levels are written without exhausting the stack") {
  constexpr int kDepth = 1'000'000;
  Value v = Value::list();
  for (int i = 0; i < kDepth; ++i) v = (i % 3 == 0) ? Value::tuple({v}) : Value::list({i, v});
  for (int protocol : {0, 2, 4, 5}) {
    INFO("protocol ", protocol);
    const std::string pickle = test::dumps_at(v, protocol);
    picklejar::DecodeOptions options;
    options.limits.max_depth = kDepth + 10;
    const Value back = picklejar::loads(pickle, options);
    // Walk down both: the same shape and ints at every level (counted, not asserted per
    // level, to keep a million levels quick).
    Value a = v, b = back;
    int levels = 0, mismatches = 0;
    while (a.size() > 0 && b.size() > 0) {
      if (b.kind() != a.kind() || b.size() != a.size() || (a.size() == 2 && b[0] != a[0]))
        ++mismatches;
      a = a[a.size() - 1];
      b = b[b.size() - 1];
      ++levels;
    }
    CHECK(mismatches == 0);
    CHECK(a.size() == 0);
    CHECK(b.size() == 0);
    CHECK(levels == kDepth);
  }
}
