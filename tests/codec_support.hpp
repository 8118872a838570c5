#pragma once
// Helpers for the typed-mapping tests (tests/test_codec_*.cpp): what CPython pickles for a
// Python expression at protocols 0-5, decoded with picklejar::loads, and readable doctest
// output for Values.

#include <doctest/doctest.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include <picklejar/codec.hpp>
#include <picklejar/repr.hpp>
#include <picklejar/value.hpp>

namespace doctest {
template <>
struct StringMaker<picklejar::Value> {
  static String convert(const picklejar::Value& v) { return picklejar::repr(v).c_str(); }
};
}  // namespace doctest

namespace picklejar::test {

// One Python expression as CPython pickles it.
struct CPython {
  std::string expression;
  std::string repr;  // repr() of the object
  std::string str;   // str() of the object
  // loads(pickle.dumps(obj, protocol)) for protocols 0-5; empty where CPython cannot pickle
  // the object at that protocol.
  std::array<std::optional<Value>, 6> loaded;
};

// Evaluates each expression in one python3 process, after `setup` (Python statements; the
// modules pickle, datetime, decimal, uuid, collections, os, pathlib, zoneinfo and
// pjcodec.state are already imported) and pickles the result at every protocol.
std::vector<CPython> cpython(const std::vector<std::string>& expressions,
                             const std::string& setup = "");
CPython cpython_one(const std::string& expression, const std::string& setup = "");

// Lowercase hex of the bytes of `text`, for passing bytes to Python as bytes.fromhex(...).
std::string hex(const std::string& text);

// The CodecError message from_value<T>(v) throws, or "" when it succeeds.
template <class T>
std::string from_value_error(const Value& v) {
  try {
    (void)picklejar::from_value<T>(v);
  } catch (const CodecError& e) {
    return e.what();
  }
  return "";
}

// The CodecError message to_value(x) throws, or "" when it succeeds.
template <class T>
std::string to_value_error(const T& x) {
  try {
    (void)picklejar::to_value(x);
  } catch (const CodecError& e) {
    return e.what();
  }
  return "";
}

// Checks the typed mapping of `x` against CPython's pickles of the equal Python object:
// to_value(x) equals the recipe CPython writes at protocols `first_equal`-5, and from_value
// gives back x at every protocol CPython can write.
template <class T>
void check_like_cpython(const T& x, const CPython& py, int first_equal = 2) {
  INFO("Python: ", py.expression, " = ", py.repr);
  const Value mine = picklejar::to_value(x);
  for (int protocol = 0; protocol < 6; ++protocol) {
    INFO("protocol ", protocol);
    const std::optional<Value>& theirs = py.loaded[protocol];
    if (!theirs) continue;
    if (protocol >= first_equal) CHECK(mine == *theirs);
    CHECK(picklejar::from_value<T>(*theirs) == x);
  }
  CHECK(picklejar::from_value<T>(mine) == x);
}

}  // namespace picklejar::test
