// Reading numpy's pickles into NdArray: every dtype, shape, layout, byte order and protocol
// numpy writes (tests/gen/make_numpy.py) gives numpy's own dtype, shape and items; memory is
// shared with the decoded pickle when it can be, and copied when not.

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <picklejar/buffer.hpp>
#include <picklejar/codec.hpp>
#include <picklejar/ndarray.hpp>
#include <picklejar/pickle.hpp>

#include "numpy_support.hpp"

using picklejar::Buffer;
using picklejar::DecodeOptions;
using picklejar::NdArray;
using picklejar::Value;
namespace test = picklejar::test;

namespace {

std::size_t alignment(const picklejar::DType& d) {
  switch (d.kind) {
    case picklejar::DTypeKind::bytes:
      return 1;
    case picklejar::DTypeKind::unicode:
      return 4;
    case picklejar::DTypeKind::complex:
      return d.item_size / 2;
    default:
      return d.item_size;
  }
}

void check_matches(const NdArray& a, const test::NumpyCase& c) {
  CHECK(a.dtype().str() == c.dtype);
  CHECK(std::vector<std::size_t>(a.shape().begin(), a.shape().end()) == c.shape);
  CHECK(a.is_scalar() == c.scalar);
  CHECK(test::c_ordered(a) == c.raw());
  CHECK(a.nbytes() == c.raw().size());
  CHECK(reinterpret_cast<std::uintptr_t>(a.bytes().data()) % alignment(a.dtype()) == 0);
}

bool points_into(std::span<const std::byte> part, const std::string& whole) {
  const auto* begin = reinterpret_cast<const std::byte*>(whole.data());
  return part.data() >= begin && part.data() + part.size() <= begin + whole.size();
}

// A shared, read-only Buffer holding `bytes` so that byte `offset` of it lands at an address
// that is `misalign` past a multiple of 64.
struct PlacedBuffer {
  std::shared_ptr<std::string> storage;
  Buffer buffer;
  PlacedBuffer(const std::string& bytes, std::size_t offset, std::size_t misalign)
      : storage(std::make_shared<std::string>(bytes.size() + 128, '\0')),
        buffer(make(bytes, offset, misalign)) {}

 private:
  Buffer make(const std::string& bytes, std::size_t offset, std::size_t misalign) {
    const auto base = reinterpret_cast<std::uintptr_t>(storage->data());
    const std::size_t start = (64 - (base + offset) % 64 + misalign) % 64;
    std::memcpy(storage->data() + start, bytes.data(), bytes.size());
    const auto* first = reinterpret_cast<const std::byte*>(storage->data() + start);
    return Buffer(std::shared_ptr<const void>(storage, first), {first, bytes.size()});
  }
};

}  // namespace

TEST_CASE("numpy: every array and scalar reads as numpy holds it, at protocols 2-5") {
  for (const auto& c : test::numpy_cases()) {
    for (int protocol = 2; protocol <= 5; ++protocol) {
      CAPTURE(c.name);
      CAPTURE(protocol);
      const NdArray a = picklejar::from_value<NdArray>(picklejar::loads(c.pickle(protocol)));
      check_matches(a, c);
      const bool frombuffer = protocol == 5 && !c.scalar && c.layout != "other" &&
                              c.dtype.find_first_of("Mm") == std::string::npos;
      // numpy's flag: np.frombuffer of bytes is read-only, everything else writable.
      CHECK(a.readonly() == (frombuffer && c.readonly));
      if (c.layout == "F") CHECK(a.f_contiguous());
      if (c.layout == "C") CHECK(a.c_contiguous());
    }
  }
}

TEST_CASE("numpy: arrays from out-of-band buffers share them") {
  int seen = 0;
  for (const auto& c : test::numpy_cases()) {
    if (c.buffer_readonly.empty()) continue;
    CAPTURE(c.name);
    auto payloads = std::make_shared<std::vector<std::string>>(c.oob_buffers());
    std::vector<Buffer> buffers;
    for (std::size_t i = 0; i < payloads->size(); ++i) {
      std::string& p = (*payloads)[i];
      if (c.buffer_readonly[i]) {
        buffers.emplace_back(std::shared_ptr<const void>(payloads, p.data()),
                             std::as_bytes(std::span(p.data(), p.size())));
      } else {
        buffers.emplace_back(std::shared_ptr<void>(payloads, p.data()),
                             std::as_writable_bytes(std::span(p.data(), p.size())));
      }
    }
    DecodeOptions options;
    options.buffers = buffers;
    const NdArray a = picklejar::from_value<NdArray>(picklejar::loads(c.oob_pickle(), options));
    check_matches(a, c);
    CHECK(a.readonly() == c.buffer_readonly[0]);
    const bool swapped =
        c.name.starts_with("be_") && a.dtype().item_size > 1 && a.dtype().str()[1] != 'S';
    CHECK(a.shares_memory() == !swapped);
    if (a.shares_memory()) CHECK(points_into(a.bytes(), (*payloads)[0]));
    ++seen;
  }
  CHECK(seen > 30);
}

TEST_CASE("numpy: an in-band payload is shared when aligned, copied when not") {
  const auto& c = test::numpy_case("big");  // 100,000 float64 items
  for (int protocol : {4, 5}) {
    CAPTURE(protocol);
    const std::string pickle = c.pickle(protocol);
    const std::size_t offset = pickle.find(c.raw().substr(0, 64));  // where numpy put it
    REQUIRE(offset % 8 != 0);  // numpy's layout: not aligned for float64 from an aligned start
    CHECK(offset == (protocol == 5 ? 58 : 148));  // as docs/MAPPING.md and ndarray.hpp say
    SUBCASE("aligned: no copy, and the array keeps the pickle alive") {
      PlacedBuffer placed(pickle, offset, 0);
      std::weak_ptr<std::string> watch = placed.storage;
      NdArray a = picklejar::from_value<NdArray>(picklejar::loads(placed.buffer));
      CHECK(a.shares_memory());
      CHECK(a.bytes().data() == placed.buffer.bytes().data() + offset);
      check_matches(a, c);
      placed.storage.reset();
      placed.buffer = Buffer(std::shared_ptr<const void>(), std::span<const std::byte>());
      CHECK_FALSE(watch.expired());
      a = NdArray();
      CHECK(watch.expired());
    }
    SUBCASE("misaligned: one aligned copy") {
      PlacedBuffer placed(pickle, offset, 4);
      const NdArray a = picklejar::from_value<NdArray>(picklejar::loads(placed.buffer));
      CHECK_FALSE(a.shares_memory());
      CHECK_FALSE(points_into(a.bytes(), *placed.storage));
      check_matches(a, c);
    }
    SUBCASE("decoded from a plain string: the decoded bytes are shared") {
      Value v = picklejar::loads(pickle);
      NdArray a = picklejar::from_value<NdArray>(v);
      CHECK(a.shares_memory());
      const Value data = protocol == 4 ? v.object_state()[4] : v.object_args()[0];
      CHECK(a.bytes().data() == data.as_bytes().data());
      v = Value();  // the array keeps the decoded value alive
      check_matches(a, c);
    }
  }
}

TEST_CASE("numpy: big-endian arrays are byte-swapped into a native copy") {
  for (const char* name : {"be_i4", "be_f8", "be_f2", "be_c16", "be_U2", "be_M8", "be_2d_f"}) {
    for (int protocol : {2, 5}) {
      CAPTURE(name);
      CAPTURE(protocol);
      const auto& c = test::numpy_case(name);
      const NdArray a = picklejar::from_value<NdArray>(picklejar::loads(c.pickle(protocol)));
      CHECK(a.dtype().byte_order == picklejar::native_byte_order);
      CHECK_FALSE(a.shares_memory());
      check_matches(a, c);
    }
  }
}

TEST_CASE("numpy: numpy 2's numpy._core names and order 'K' read alike") {
  for (const char* name : {"f8", "two_d_f", "transposed_3d", "strided", "s_f8", "M8ns", "zero_d"}) {
    const auto& plain = test::numpy_case(name);
    const auto& numpy2 = test::numpy_case(std::string("np2_") + name);
    for (int protocol = 2; protocol <= 5; ++protocol) {
      CAPTURE(name);
      CAPTURE(protocol);
      const NdArray a = picklejar::from_value<NdArray>(picklejar::loads(numpy2.pickle(protocol)));
      check_matches(a, numpy2);
      CHECK(a == picklejar::from_value<NdArray>(picklejar::loads(plain.pickle(protocol))));
    }
  }
  // Order 'K': the buffer in C order of the transposed shape, the array its transpose.
  const NdArray k = picklejar::from_value<NdArray>(
      picklejar::loads(test::numpy_case("np2_transposed_3d").pickle(5)));
  CHECK_FALSE(k.c_contiguous());
  CHECK_FALSE(k.f_contiguous());
  CHECK(k.shares_memory());
  CHECK(k.at<double>(2, 1, 3) == 1 * 12 + 2 * 4 + 3);  // arange(24).reshape(2, 3, 4)[1][2][3]
}

TEST_CASE("numpy: typed access to what was read") {
  const auto read = [](const char* name, int protocol = 5) {
    return picklejar::from_value<NdArray>(
        picklejar::loads(test::numpy_case(name).pickle(protocol)));
  };
  const NdArray f = read("two_d_f");  // [[0, 1, 2], [3, 4, 5]] in Fortran order
  CHECK(f.as<std::int32_t>().size() == 6);
  CHECK(f.as<std::int32_t>()[1] == 3);  // memory order
  CHECK(f.at<std::int32_t>(0, 1) == 1);
  CHECK(f.at<std::int32_t>(1, 0) == 3);
  CHECK(f.to_vector<std::int32_t>() == std::vector<std::int32_t>{0, 1, 2, 3, 4, 5});
  CHECK(read("S5").bytes_at(2) == "hello");
  CHECK(read("S5").bytes_at(1).empty());
  CHECK(read("S5").bytes_at(3) == std::string_view("a\0b", 3));
  CHECK(read("U3").str_at(2) == "h\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(read("u_f").str_at(1, 0) == "def");
  CHECK(read("M8ns").ticks()[1] == INT64_MIN);  // NaT
  CHECK(read("M8ns").dtype().unit == picklejar::TimeUnit::nanoseconds);
  CHECK(read("m8_10s").dtype().unit_count == 10);
  CHECK(read("m8_10s").ticks()[0] == 5);
  CHECK(read("s_f8").at<double>() == 1.5);
  CHECK(read("s_c8").at<std::complex<float>>() == std::complex<float>(1, -2));
  CHECK(read("s_u8").at<std::uint64_t>() == UINT64_MAX);
  CHECK(read("s_f2").at<picklejar::Float16>().to_float() == -1.5f);
  CHECK(read("bool").at<bool>(1) == false);
  CHECK(read("zero_d").at<double>() == 3.25);
  CHECK_FALSE(read("zero_d").is_scalar());
  CHECK(read("empty_2d").size() == 0);
  CHECK(read("empty_2d").as<float>().empty());
}

TEST_CASE("numpy: from_value<std::vector<T>> reads a 1-D array of T's dtype") {
  const auto value = [](const char* name, int protocol) {
    return picklejar::loads(test::numpy_case(name).pickle(protocol));
  };
  for (int protocol = 2; protocol <= 5; ++protocol) {
    CAPTURE(protocol);
    CHECK(picklejar::from_value<std::vector<std::int64_t>>(value("one_d", protocol)) ==
          std::vector<std::int64_t>{0, 1, 2, 3, 4});
    CHECK(picklejar::from_value<std::vector<long long>>(value("one_d", protocol)).size() == 5);
    CHECK(picklejar::from_value<std::vector<bool>>(value("bool", protocol)) ==
          std::vector<bool>{true, false, true});
    CHECK(picklejar::from_value<std::deque<std::int8_t>>(value("i1", protocol)).front() == -128);
    CHECK(picklejar::from_value<std::vector<double>>(value("big", protocol)).at(99'999) ==
          49'999.5);
    CHECK(picklejar::from_value<std::vector<std::complex<double>>>(value("be_c16", protocol)) ==
          std::vector<std::complex<double>>{{1, 2}, {3, -4}});
  }
  CHECK_THROWS_WITH_AS(picklejar::from_value<std::vector<double>>(value("one_d", 5)),
                       "expected a 1-D float64 array, got int64 of shape (5,)",
                       picklejar::CodecError);
  CHECK_THROWS_WITH_AS(picklejar::from_value<std::vector<double>>(value("two_d_c", 5)),
                       "expected a 1-D float64 array, got float64 of shape (2, 3)",
                       picklejar::CodecError);
  CHECK_THROWS_WITH_AS(picklejar::from_value<std::vector<double>>(value("s_f8", 5)),
                       "expected a 1-D float64 array, got a numpy scalar of shape ()",
                       picklejar::CodecError);
  // A vector inside a map gets the path; other objects keep the list codec's message.
  const Value dict = Value::dict({{Value("xs"), value("one_d", 4)}});
  CHECK_THROWS_WITH_AS((picklejar::from_value<std::map<std::string, std::vector<float>>>(dict)),
                       "[\"xs\"]: expected a 1-D float32 array, got int64 of shape (5,)",
                       picklejar::CodecError);
  CHECK_THROWS_WITH_AS(picklejar::from_value<std::vector<double>>(
                           Value::object(Value::global("app", "Thing"), Value::tuple())),
                       "expected list or tuple, got app.Thing", picklejar::CodecError);
}
