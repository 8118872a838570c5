#pragma once
// Helpers for the numpy tests (tests/test_numpy_*.cpp): the golden data numpy wrote
// (tests/gen/make_numpy.py, in $PICKLEJAR_NUMPY), and a count of the largest allocation made
// while a piece of code runs.

#include <doctest/doctest.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <picklejar/ndarray.hpp>
#include <picklejar/repr.hpp>
#include <picklejar/value.hpp>

namespace doctest {
template <>
struct StringMaker<picklejar::Value> {
  static String convert(const picklejar::Value& v) { return picklejar::repr(v).c_str(); }
};
}  // namespace doctest

namespace picklejar::test {

// One array or scalar as numpy pickled it (a line of manifest.txt).
struct NumpyCase {
  std::string name;
  std::string dtype;  // numpy's dtype.str in native byte order
  std::vector<std::size_t> shape;
  std::string layout;  // "C", "F" or "other"
  bool readonly = false;
  bool scalar = false;
  std::vector<bool> buffer_readonly;  // out-of-band buffers (none: no .oob pickle)

  std::string pickle(int protocol) const;  // pickle.dumps(a, protocol)
  // pickle.dumps(pickle.loads(pickle(protocol)), protocol); not for the np2_ cases.
  std::string pickled_again(int protocol) const;
  std::string raw() const;         // the items, C order, native byte order
  std::string numpy_repr() const;  // numpy's repr() of it (native byte order); not for np2_
  std::string oob_pickle() const;
  std::vector<std::string> oob_buffers() const;
};

// Every case, in the generator's order. Throws when the golden data is missing.
const std::vector<NumpyCase>& numpy_cases();
const NumpyCase& numpy_case(const std::string& name);

// A recipe numpy never writes and the text the CodecError must contain (hostile.txt).
struct HostileCase {
  std::string name;
  std::string message;
  std::string pickle(int protocol) const;  // protocols 2 and 5
};
const std::vector<HostileCase>& hostile_cases();

std::string read_numpy_file(const std::string& name);

// An array's items in C order, as numpy's tobytes() gives them.
std::string c_ordered(const NdArray& a);

// The largest single operator new request made while `f` runs (this thread or any other).
std::size_t largest_allocation_during(const std::function<void()>& f);

}  // namespace picklejar::test
