// Writing NdArrays: dumps(to_value(a), p) is numpy 1.24's pickle.dumps(a, p), byte for byte, at
// protocols 2-5 for C- and Fortran-ordered arrays and for scalars, and numpy loads what
// picklejar writes (arrays it never saw included).

#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <picklejar/codec.hpp>
#include <picklejar/ndarray.hpp>
#include <picklejar/pickle.hpp>

#include "numpy_support.hpp"
#include "python.hpp"

using picklejar::DType;
using picklejar::NdArray;
using picklejar::Value;
namespace test = picklejar::test;

namespace {

std::string dumps(const Value& v, int protocol) {
  picklejar::EncodeOptions options;
  options.protocol = protocol;
  return picklejar::dumps(v, options);
}

// C-ordered items of `shape` rearranged into Fortran order.
std::string fortran_order(const std::string& c_items, const std::vector<std::size_t>& shape,
                          std::size_t item) {
  std::string out(c_items.size(), '\0');
  const std::size_t n = item == 0 ? 0 : c_items.size() / item;
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t rest = k, f = 0, f_step = 1;  // k is the C-order position
    std::vector<std::size_t> index(shape.size());
    for (std::size_t axis = shape.size(); axis-- > 0;) {
      index[axis] = rest % shape[axis];
      rest /= shape[axis];
    }
    for (std::size_t axis = 0; axis < shape.size(); ++axis) {
      f += index[axis] * f_step;
      f_step *= shape[axis];
    }
    std::memcpy(out.data() + f * item, c_items.data() + k * item, item);
  }
  return out;
}

DType dtype_of(const test::NumpyCase& c) {
  const NdArray a = picklejar::from_value<NdArray>(picklejar::loads(c.pickle(4)));
  return a.dtype();
}

// The array numpy pickled, built in C++ from its items, dtype, shape, order and flags.
NdArray built(const test::NumpyCase& c) {
  const DType dtype = dtype_of(c);
  const std::string raw = c.raw();
  const auto bytes = [](const std::string& s) { return std::as_bytes(std::span(s)); };
  if (c.scalar) return NdArray::scalar(dtype, bytes(raw));
  NdArray a =
      c.layout == "F"
          ? NdArray::from_bytes(dtype, c.shape, bytes(fortran_order(raw, c.shape, dtype.item_size)),
                                NdArray::Order::fortran)
          : NdArray::from_bytes(dtype, c.shape, bytes(raw));
  a.set_readonly(c.readonly);
  return a;
}

bool numpy_keeps_byte_order(const test::NumpyCase& c) { return c.name.starts_with("be_"); }

}  // namespace

TEST_CASE("numpy: arrays built in C++ pickle byte for byte as numpy pickles them") {
  int compared = 0;
  for (const auto& c : test::numpy_cases()) {
    // numpy writes big-endian dtypes as such (NdArray holds native order), and numpy 2's
    // names are not numpy 1.24's.
    if (numpy_keeps_byte_order(c) || c.name.starts_with("np2_")) continue;
    const NdArray a = built(c);
    const Value v = picklejar::to_value(a);
    for (int protocol = 2; protocol <= 5; ++protocol) {
      // A strided array numpy pickles from its own layout; ours is C-ordered (at 2-4 the
      // same bytes: _reconstruct writes the items in C order either way).
      if (c.layout == "other" && protocol == 5) continue;
      CAPTURE(c.name);
      CAPTURE(protocol);
      CHECK(dumps(v, protocol) == c.pickle(protocol));
      ++compared;
    }
  }
  CHECK(compared > 200);
}

TEST_CASE("numpy: what was read writes back as numpy writes what it read") {
  // numpy's pickle.dumps(pickle.loads(p), protocol) against ours of from_value<NdArray>(p):
  // the same array either way, so the same bytes. (A strided array comes back C-ordered in
  // both; a big-endian one native below protocol 5, where numpy swaps it while loading.)
  int compared = 0;
  for (const auto& c : test::numpy_cases()) {
    if (c.name.starts_with("np2_")) continue;
    for (int protocol = 2; protocol <= 5; ++protocol) {
      // At protocol 5 numpy's frombuffer keeps the big-endian dtype; NdArray is native.
      if (numpy_keeps_byte_order(c) && protocol == 5) continue;
      CAPTURE(c.name);
      CAPTURE(protocol);
      const NdArray a = picklejar::from_value<NdArray>(picklejar::loads(c.pickle(protocol)));
      CHECK(dumps(picklejar::to_value(a), protocol) == c.pickled_again(protocol));
      ++compared;
    }
  }
  CHECK(compared > 240);
  // A layout that is neither C nor Fortran (numpy >= 2.3's order 'K') is written as numpy
  // 1.24 writes it: _reconstruct with the items in C order, at every protocol.
  const NdArray k = picklejar::from_value<NdArray>(
      picklejar::loads(test::numpy_case("np2_transposed_3d").pickle(5)));
  REQUIRE_FALSE(k.c_contiguous());
  for (int protocol = 2; protocol <= 5; ++protocol) {
    CAPTURE(protocol);
    CHECK(dumps(picklejar::to_value(k), protocol) ==
          test::numpy_case("transposed_3d").pickle(protocol));
  }
}

TEST_CASE("numpy: the protocol-5 recipe is written below protocol 5 as numpy writes it there") {
  // picklejar convert --protocol N of numpy's protocol-5 pickle: what pickle.loads then
  // pickle.dumps(a, N) gives.
  int compared = 0;
  for (const auto& c : test::numpy_cases()) {
    if (c.scalar || c.layout == "other" || c.name.starts_with("np2_") ||
        c.dtype.find_first_of("Mm") != std::string::npos)
      continue;
    for (int protocol = 2; protocol <= 4; ++protocol) {
      CAPTURE(c.name);
      CAPTURE(protocol);
      CHECK(dumps(picklejar::loads(c.pickle(5)), protocol) == c.pickle(protocol));
      ++compared;
    }
  }
  CHECK(compared > 100);  // big-endian ones included: the dtype recipe is kept as read
  // numpy 2's names stay numpy 2's: _frombuffer of numpy._core becomes its _reconstruct.
  const std::string p4 = dumps(picklejar::loads(test::numpy_case("np2_f8").pickle(5)), 4);
  CHECK(p4 == test::numpy_case("np2_f8").pickle(4));
  // Only the exact form is rewritten: with a state, or order 'K', it stays what it was.
  Value odd = picklejar::loads(test::numpy_case("f8").pickle(5));
  odd.set_object_state(Value(1));
  CHECK(picklejar::loads(dumps(odd, 4)).object_callable() ==
        Value::global("numpy.core.numeric", "_frombuffer"));
  const Value k = picklejar::loads(test::numpy_case("np2_transposed_3d").pickle(5));
  CHECK(picklejar::loads(dumps(k, 4)) == k);
}

TEST_CASE("numpy: numpy loads what picklejar writes, equal to what was meant") {
  // Arrays numpy never saw: built in C++, every protocol, checked by numpy itself.
  std::vector<std::pair<std::string, NdArray>> arrays;
  const std::vector<double> d{1.5, -2.0, 3.25, 0.0, -0.0, 1e300};
  arrays.emplace_back("np.array([[1.5, -2.0, 3.25], [0.0, -0.0, 1e300]])",
                      NdArray::from(d, {2, 3}));
  arrays.emplace_back("np.asfortranarray(np.array([[1.5, 3.25, -0.0], [-2.0, 0.0, 1e300]]))",
                      NdArray::from(d, {2, 3}, NdArray::Order::fortran));
  const std::vector<std::uint16_t> u(24, 7);
  arrays.emplace_back("np.full((2, 3, 4), 7, dtype=np.uint16)", NdArray::from(u, {2, 3, 4}));
  arrays.emplace_back("np.float32(2.5)", NdArray::scalar(2.5f));
  arrays.emplace_back("np.array(True)", NdArray::from(std::array<bool, 1>{true}, {}));
  const std::vector<std::int64_t> ticks{0, 86400, INT64_MIN};
  arrays.emplace_back("np.array(['1970-01-01', '1970-01-02', 'NaT'], dtype='M8[s]')",
                      NdArray::from_bytes(DType::datetime(picklejar::TimeUnit::seconds), {3},
                                          std::as_bytes(std::span(ticks))));
  arrays.emplace_back("np.array([], dtype=np.complex64).reshape(0, 2)",
                      NdArray::from(std::vector<std::complex<float>>{}, {0, 2}));
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("picklejar-numpy-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string script =
      "import numpy as np, pickle\n"
      "def same(a, b):\n"
      "    assert type(a) is type(b), (type(a), type(b))\n"
      "    assert np.shape(a) == np.shape(b), (np.shape(a), np.shape(b))\n"
      "    assert np.asarray(a).dtype == np.asarray(b).dtype, (a, b)\n"
      "    assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes(), (a, b)\n"
      "    if isinstance(a, np.ndarray):\n"
      "        assert a.flags.f_contiguous == b.flags.f_contiguous\n"
      "        assert a.flags.c_contiguous == b.flags.c_contiguous\n"
      "n = 0\n";
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    for (int protocol = 2; protocol <= 5; ++protocol) {
      const auto file = dir / (std::to_string(i) + "." + std::to_string(protocol) + ".pkl");
      std::ofstream(file, std::ios::binary)
          << dumps(picklejar::to_value(arrays[i].second), protocol);
      script += "same(pickle.load(open('" + file.string() + "', 'rb')), " + arrays[i].first +
                ")\nn += 1\n";
    }
  }
  script += "print(n)\n";
  CHECK(test::run_python(script) == std::to_string(arrays.size() * 4) + "\n");
  std::filesystem::remove_all(dir);
}

TEST_CASE("numpy: to_value shares the array's memory until the pickle is written") {
  const std::vector<double> items(100'000, 0.5);
  const NdArray a = NdArray::from(items, {100'000});
  const Value v = picklejar::to_value(a);
  Value buffer = v.object_args()[0];
  CHECK(buffer.is_bytearray());
  CHECK(buffer.as_bytes().data() == a.bytes().data());  // no copy
  buffer.mutable_bytes()[0] = std::byte{1};             // a write copies first
  CHECK(buffer.as_bytes().data() != a.bytes().data());
  CHECK(a.at<double>(0) == 0.5);
  NdArray ro = a;
  ro.set_readonly(true);
  CHECK(picklejar::to_value(ro).object_args()[0].is_bytes());
}
