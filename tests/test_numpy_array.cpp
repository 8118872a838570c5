// NdArray's own API: building arrays from C++ data, typed access and its checks, DType's
// names against numpy's, and Float16 against numpy's conversions.

#include <doctest/doctest.h>

#include <array>
#include <complex>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include <picklejar/buffer.hpp>
#include <picklejar/error.hpp>
#include <picklejar/ndarray.hpp>

#include "numpy_support.hpp"
#include "python.hpp"

using picklejar::Buffer;
using picklejar::ByteOrder;
using picklejar::DType;
using picklejar::DTypeKind;
using picklejar::Float16;
using picklejar::NdArray;
using picklejar::TimeUnit;

TEST_CASE("NdArray: built from C++ data in C or Fortran order") {
  const std::vector<double> items{0, 1, 2, 3, 4, 5};
  const NdArray c = NdArray::from(items, {2, 3});
  CHECK(c.dtype() == DType::of<double>());
  CHECK(c.ndim() == 2);
  CHECK(c.size() == 6);
  CHECK(c.nbytes() == 48);
  CHECK(std::vector<std::size_t>(c.strides().begin(), c.strides().end()) ==
        std::vector<std::size_t>{24, 8});
  CHECK(c.c_contiguous());
  CHECK_FALSE(c.f_contiguous());
  CHECK(c.at<double>(1, 0) == 3);
  CHECK_FALSE(c.shares_memory());  // from() copies
  CHECK(c.as<double>().data() != items.data());

  const NdArray f = NdArray::from(items, {2, 3}, NdArray::Order::fortran);
  CHECK(f.f_contiguous());
  CHECK_FALSE(f.c_contiguous());
  CHECK(std::vector<std::size_t>(f.strides().begin(), f.strides().end()) ==
        std::vector<std::size_t>{8, 16});
  CHECK(f.at<double>(1, 0) == 1);
  CHECK(f.to_vector<double>() == std::vector<double>{0, 2, 4, 1, 3, 5});
  CHECK(f != c);
  CHECK(f == NdArray::from(std::vector<double>{0, 2, 4, 1, 3, 5}, {2, 3}));

  // A std::span<const T> (the "array from a span plus shape"), whole or a part.
  const std::span<const double> view(items);
  CHECK(NdArray::from(view, {3, 2}) == NdArray::from(items, {3, 2}));
  const NdArray tail = NdArray::from(view.subspan(2), {2, 2}, NdArray::Order::fortran);
  CHECK(tail.f_contiguous());
  CHECK(tail.at<double>(0, 1) == 4);
  CHECK(tail.as<double>().data() != items.data() + 2);  // copied, as from() always does

  const NdArray one = NdArray::from(items);
  CHECK(one.ndim() == 1);
  CHECK(one.c_contiguous());
  CHECK(one.f_contiguous());  // as numpy: one dimension is both

  const NdArray s = NdArray::scalar(std::int16_t{-7});
  CHECK(s.is_scalar());
  CHECK(s.ndim() == 0);
  CHECK(s.size() == 1);
  CHECK(s.at<std::int16_t>() == -7);
  CHECK(s != NdArray::from(std::vector<std::int16_t>{-7}, {}));  // 0-d, not scalar

  const NdArray empty;
  CHECK(empty.dtype().name() == "float64");
  CHECK(empty.size() == 0);
  CHECK(empty.as<double>().empty());
}

TEST_CASE("NdArray: checked access names what was expected") {
  const std::vector<std::int32_t> items{1, 2, 3, 4, 5, 6};
  const NdArray a = NdArray::from(items, {2, 3});
  CHECK_THROWS_WITH_AS(a.as<double>(), "expected a float64 array, got int32",
                       picklejar::CodecError);
  CHECK_THROWS_WITH_AS(a.as<std::uint32_t>(), "expected a uint32 array, got int32",
                       picklejar::CodecError);
  CHECK_THROWS_WITH_AS(a.at<std::int64_t>(0, 0), "expected a int64 array, got int32",
                       picklejar::CodecError);
  CHECK_THROWS_WITH_AS(a.at<std::int32_t>(2, 0), "index 2 is out of bounds for axis 0 with size 2",
                       picklejar::LookupError);
  CHECK_THROWS_WITH_AS(a.at<std::int32_t>(1, 3), "index 3 is out of bounds for axis 1 with size 3",
                       picklejar::LookupError);
  CHECK_THROWS_WITH_AS(a.at<std::int32_t>(1), "1 indices for an array of 2 dimensions",
                       picklejar::LookupError);
  CHECK_THROWS_WITH_AS(a.ticks(), "expected a datetime64 or timedelta64 array, got int32",
                       picklejar::CodecError);
  CHECK_THROWS_WITH_AS(a.bytes_at(0, 0), "expected a bytes array, got int32",
                       picklejar::CodecError);
  CHECK_THROWS_WITH_AS(a.str_at(0, 0), "expected a str array, got int32", picklejar::CodecError);
  CHECK(a.position(1, 2) == 5);
  // long and long long are both int64 here: either reads an int64 array.
  const std::vector<long> longs{1, 2};
  CHECK(NdArray::from(longs).as<long long>()[1] == 2);
}

TEST_CASE("NdArray: from_bytes and from_buffer take any dtype, in its byte order") {
  const std::array<unsigned char, 4> big{0x00, 0x01, 0xFF, 0xFE};  // >i2: 1, -2
  DType be = DType::of<std::int16_t>();
  be.byte_order = ByteOrder::big;
  const NdArray a = NdArray::from_bytes(be, {2}, std::as_bytes(std::span(big)));
  CHECK(a.dtype().byte_order == picklejar::native_byte_order);
  CHECK(a.to_vector<std::int16_t>() == std::vector<std::int16_t>{1, -2});

  const std::string text("h\0\0\0i\0\0\0!\0\0\0\0\0\0\0", 16);  // 'U2': "hi", "!"
  const NdArray u = NdArray::from_bytes(DType::unicode(2), {2}, std::as_bytes(std::span(text)));
  CHECK(u.str_at(0) == "hi");
  CHECK(u.str_at(1) == "!");
  CHECK(u.dtype().str() == "<U2");

  auto storage = std::make_shared<std::vector<double>>(std::vector<double>{1.5, 2.5, 3.5});
  const Buffer shared(std::shared_ptr<const void>(storage, storage->data()),
                      std::as_bytes(std::span(*storage)));
  const NdArray view = NdArray::from_buffer(DType::of<double>(), {3}, shared);
  CHECK(view.shares_memory());
  CHECK(view.as<double>().data() == storage->data());
  const std::weak_ptr<std::vector<double>> watch = storage;
  storage.reset();
  CHECK_FALSE(watch.expired());  // the array keeps the buffer's owner

  // Misaligned memory is copied: as<T>() must be a valid span.
  auto bytes = std::make_shared<std::vector<std::byte>>(25);
  const Buffer odd(std::shared_ptr<const void>(bytes, bytes->data()),
                   std::span<const std::byte>(bytes->data() + 1, 24));
  const NdArray copied = NdArray::from_buffer(DType::of<double>(), {3}, odd);
  CHECK_FALSE(copied.shares_memory());
  CHECK(reinterpret_cast<std::uintptr_t>(copied.as<double>().data()) % 8 == 0);

  const std::array<std::byte, 8> eight{};
  CHECK_THROWS_WITH_AS(NdArray::from_bytes(DType::of<double>(), {2}, eight),
                       "shape (2,) of <f8 needs 16 bytes, the data has 8", picklejar::ValueError);
  CHECK_THROWS_WITH_AS(NdArray::from_bytes(DType::numeric('f', 3), {1}, eight),
                       "not a numpy dtype NdArray holds: <f3 (2, 4 or 8 bytes)",
                       picklejar::ValueError);
  CHECK_THROWS_AS(NdArray::from_bytes(DType::of<double>(), std::vector<std::size_t>(65, 1), eight),
                  picklejar::ValueError);
  CHECK_THROWS_WITH_AS(NdArray::from_bytes(DType::of<double>(), {std::size_t{1} << 62, 4}, eight),
                       "shape (4611686018427387904, 4) of <f8 items overflows",
                       picklejar::ValueError);
  CHECK_THROWS_AS(NdArray::from_bytes(DType::unicode(0), {1}, {}), picklejar::ValueError);
}

TEST_CASE("DType: str() and name() are numpy's") {
  const std::vector<std::pair<DType, std::string>> dtypes{
      {DType::of<bool>(), "?"},
      {DType::of<std::int8_t>(), "i1"},
      {DType::of<std::int16_t>(), "i2"},
      {DType::of<std::int32_t>(), "i4"},
      {DType::of<std::int64_t>(), "i8"},
      {DType::of<std::uint8_t>(), "u1"},
      {DType::of<std::uint16_t>(), "u2"},
      {DType::of<std::uint32_t>(), "u4"},
      {DType::of<std::uint64_t>(), "u8"},
      {DType::of<Float16>(), "f2"},
      {DType::of<float>(), "f4"},
      {DType::of<double>(), "f8"},
      {DType::of<std::complex<float>>(), "c8"},
      {DType::of<std::complex<double>>(), "c16"},
      {DType::fixed_bytes(5), "S5"},
      {DType::unicode(3), "U3"},
      {DType::datetime(TimeUnit::nanoseconds), "M8[ns]"},
      {DType::datetime(TimeUnit::generic), "M8"},
      {DType::datetime(TimeUnit::weeks, 2), "M8[2W]"},
      {DType::timedelta(TimeUnit::seconds, 10), "m8[10s]"},
      {DType::timedelta(TimeUnit::attoseconds), "m8[as]"},
      {DType::timedelta(TimeUnit::years), "m8[Y]"},
  };
  std::string script = "import numpy as np\nfor t in [";
  for (const auto& [dtype, numpy_spelling] : dtypes) script += "'" + numpy_spelling + "',";
  script += "]:\n    d = np.dtype(t)\n    print(d.str, d.name)\n";
  std::istringstream numpy(picklejar::test::run_python(script));
  for (const auto& [dtype, numpy_spelling] : dtypes) {
    std::string str, name;
    numpy >> str >> name;
    CAPTURE(numpy_spelling);
    CHECK(dtype.str() == str);
    CHECK(dtype.name() == name);
  }
}

TEST_CASE("Float16: conversions agree with numpy's for every half and many floats") {
  // Every half's float value, and numpy's rounding of a spread of floats (as bits).
  const std::string out = picklejar::test::run_python(
      "import numpy as np, sys\n"
      "halves = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)\n"
      "sys.stdout.buffer.write(halves.astype(np.float32).view(np.uint32).tobytes())\n"
      "rng = np.random.default_rng(20)\n"
      "bits = rng.integers(0, 2**32, 200000, dtype=np.uint64).astype(np.uint32)\n"
      "edges = np.array([0x33000000, 0x33000001, 0x387fc000, 0x38800000, 0x477fe000,\n"
      "                  0x477fefff, 0x477ff000, 0x7f800001, 0xff800000, 0x3f800fff,\n"
      "                  0x3f801000, 0x3f803000], dtype=np.uint32)\n"
      "floats = np.concatenate([bits, edges]).view(np.float32)\n"
      "sys.stdout.buffer.write(floats.view(np.uint32).tobytes())\n"
      "with np.errstate(all='ignore'):\n"
      "    sys.stdout.buffer.write(floats.astype(np.float16).view(np.uint16).tobytes())\n");
  REQUIRE(out.size() == 65536 * 4 + 200012 * 6);
  const auto u32 = [&](std::size_t at) {
    std::uint32_t v;
    std::memcpy(&v, out.data() + at, 4);
    return v;
  };
  int bad = 0;
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const float f = Float16{static_cast<std::uint16_t>(h)}.to_float();
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    if (bits != u32(h * 4) && ++bad < 5) FAIL_CHECK("half " << h);
  }
  const std::size_t floats_at = 65536 * 4, halves_at = floats_at + 200012 * 4;
  for (std::size_t i = 0; i < 200012; ++i) {
    const std::uint32_t bits = u32(floats_at + 4 * i);
    float f;
    std::memcpy(&f, &bits, 4);
    std::uint16_t numpy_half;
    std::memcpy(&numpy_half, out.data() + halves_at + 2 * i, 2);
    const std::uint16_t ours = Float16::from_float(f).bits;
    const bool both_nan = (ours & 0x7C00) == 0x7C00 && (ours & 0x3FF) != 0 &&
                          (numpy_half & 0x7C00) == 0x7C00 && (numpy_half & 0x3FF) != 0;
    if (ours != numpy_half && !both_nan && ++bad < 10) {
      FAIL_CHECK("float bits " << bits << ": ours " << ours << ", numpy " << numpy_half);
    }
  }
  CHECK(bad == 0);
}
