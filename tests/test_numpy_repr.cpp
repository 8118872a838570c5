// repr(const NdArray&) against numpy 1.24's own repr() of the same array: every golden case
// (tests/gen/make_numpy.py), including the ones made for printing (float notations and
// widths, complex, wrapping at 75 characters, summaries past 1000 items, 3-D and 4-D layout,
// strings, datetimes of every unit, scalars).

#include <doctest/doctest.h>

#include <string>

#include <picklejar/codec.hpp>
#include <picklejar/ndarray.hpp>
#include <picklejar/pickle.hpp>

#include "numpy_support.hpp"

using picklejar::NdArray;
namespace test = picklejar::test;

TEST_CASE("numpy: repr() is numpy's repr, for every golden array and scalar") {
  int compared = 0;
  for (const auto& c : test::numpy_cases()) {
    if (c.name.starts_with("np2_")) continue;
    CAPTURE(c.name);
    const NdArray a = picklejar::from_value<NdArray>(picklejar::loads(c.pickle(4)));
    CHECK(picklejar::repr(a) == c.numpy_repr());
    ++compared;
  }
  CHECK(compared > 120);
}

TEST_CASE("numpy: repr() summarizes big arrays without visiting every item") {
  std::vector<std::int32_t> items(50'000'000 / 4 * 4);
  for (std::size_t i = 0; i < items.size(); ++i) items[i] = static_cast<std::int32_t>(i);
  const NdArray a = NdArray::from(items, {items.size() / 4, 4});
  CHECK(picklejar::repr(a) ==
        "array([[       0,        1,        2,        3],\n"
        "       [       4,        5,        6,        7],\n"
        "       [       8,        9,       10,       11],\n"
        "       ...,\n"
        "       [49999988, 49999989, 49999990, 49999991],\n"
        "       [49999992, 49999993, 49999994, 49999995],\n"
        "       [49999996, 49999997, 49999998, 49999999]], dtype=int32)");
}

TEST_CASE("numpy: ndarray_repr() of a Value: numpy's repr for arrays, nothing for the rest") {
  const auto& c = test::numpy_case("two_d_c");
  CHECK(picklejar::ndarray_repr(picklejar::loads(c.pickle(5))) == c.numpy_repr());
  CHECK(picklejar::ndarray_repr(picklejar::loads(test::numpy_case("s_f8").pickle(2))) == "1.5");
  CHECK_FALSE(picklejar::ndarray_repr(picklejar::Value::list({1, 2})));
  for (const auto& h : test::hostile_cases()) {  // recognised, but not arrays numpy could load
    CAPTURE(h.name);
    CHECK_FALSE(picklejar::ndarray_repr(picklejar::loads(h.pickle(5))));
  }
}
