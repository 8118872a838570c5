// Protocol 5's out-of-band buffers: EncodeOptions::buffer_callback receives large bytes and
// bytearray payloads without a copy, the pickle says NEXT_BUFFER (READONLY_BUFFER for bytes)
// exactly as CPython's pickler does for pickle.PickleBuffer objects, and both our loads and
// Python's pickle.loads(data, buffers=...) read it back, ours without copying.

#include <doctest/doctest.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <picklejar/buffer.hpp>
#include <picklejar/pickle.hpp>

#include "encoder_support.hpp"

using picklejar::Buffer;
using picklejar::EncodeOptions;
using picklejar::Value;
namespace test = picklejar::test;

namespace {

constexpr std::size_t kBig = 256 * 400;  // bytes(range(256)) * 400: over the 64 KiB default

std::string pattern() {
  std::string out;
  for (std::size_t i = 0; i < kBig; ++i) out.push_back(static_cast<char>(i % 256));
  return out;
}

// Collects the buffers it is offered; keeps them in band when `in_band` is set.
struct Collector {
  std::vector<Buffer> buffers;
  bool in_band = false;
  EncodeOptions options(int protocol = 5) {
    EncodeOptions o;
    o.protocol = protocol;
    o.buffer_callback = [this](const Buffer& b) {
      buffers.push_back(b);
      return in_band;
    };
    return o;
  }
};

const char* const kPythonValue =
    "[bytes(range(256)) * 400, bytearray(bytes(range(256)) * 400), b'small']";

}  // namespace

TEST_CASE("encoder buffers: large payloads go to the callback, sharing the value's memory") {
  const Value value =
      Value::list({Value::bytes(pattern()), Value::bytearray(pattern()), Value::bytes("small")});
  Collector collector;
  const std::string pickle = picklejar::dumps(value, collector.options());

  REQUIRE(collector.buffers.size() == 2);
  CHECK(collector.buffers[0].readonly());
  CHECK(!collector.buffers[1].readonly());
  CHECK(collector.buffers[0].bytes().data() == value[0].as_bytes().data());
  CHECK(collector.buffers[1].bytes().data() == value[1].as_bytes().data());
  CHECK(collector.buffers[0].bytes().size() == kBig);
  CHECK(test::count_opcode(pickle, "NEXT_BUFFER") == 2);
  CHECK(test::count_opcode(pickle, "READONLY_BUFFER") == 1);
  CHECK(pickle.size() < 100);  // no payload in band

  SUBCASE("our loads refers to the buffers without copying") {
    picklejar::DecodeOptions options;
    options.buffers = collector.buffers;
    const Value back = picklejar::loads(pickle, options);
    CHECK(back == value);
    CHECK(back[0].is_bytes());
    CHECK(back[1].is_bytearray());
    CHECK(back[0].as_bytes().data() == collector.buffers[0].bytes().data());
    CHECK(back[1].as_bytes().data() == collector.buffers[1].bytes().data());
    // The bytearray is the original's memory: a write through one shows in the other.
    Value(back[1]).mutable_bytes()[0] = std::byte{0x7f};
    CHECK(value[1].as_bytes()[0] == std::byte{0x7f});
  }
  SUBCASE("loads without the buffers is refused") {
    CHECK_THROWS_AS(picklejar::loads(pickle), picklejar::ForbiddenError);
  }
  SUBCASE("Python reads it with pickle.loads(data, buffers=...)") {
    const auto results = test::python_loads(
        {{pickle, kPythonValue, "type(obj[1]) is bytearray", collector.buffers}});
    CHECK(results.at(0) == "ok");
  }
}

TEST_CASE("encoder buffers: the bytes are CPython's for the same PickleBuffers") {
  const Value big_bytes = Value::bytes(pattern());
  const Value value =
      Value::list({big_bytes, Value::bytearray(pattern()), Value::bytes("small"), big_bytes});
  const auto cpython = test::cpython_bytes({
      // Out of band; the shared PickleBuffer is offered twice (CPython does not memoize an
      // out-of-band buffer), as our shared bytes are.
      "data = bytes(range(256)) * 400\n"
      "pb = pickle.PickleBuffer(data)\n"
      "obj = [pb, pickle.PickleBuffer(bytearray(data)), b'small', pb]\n"
      "buffer_callback = lambda b: False\n",
      // In band when the callback says so: the bytes CPython writes for plain bytes.
      "data = bytes(range(256)) * 400\n"
      "pb = pickle.PickleBuffer(data)\n"
      "obj = [pb, pickle.PickleBuffer(bytearray(data)), b'small', pb]\n"
      "buffer_callback = lambda b: True\n",
  });
  Collector out_of_band;
  const std::string ours = picklejar::dumps(value, out_of_band.options());
  REQUIRE(cpython[0].c[5].has_value());
  CHECK_MESSAGE(ours == *cpython[0].c[5], test::first_difference(ours, *cpython[0].c[5]));
  CHECK(out_of_band.buffers.size() == 3);
  CHECK(out_of_band.buffers[0].bytes().data() == out_of_band.buffers[2].bytes().data());

  Collector in_band;
  in_band.in_band = true;
  const std::string ours_in_band = picklejar::dumps(value, in_band.options());
  REQUIRE(cpython[1].c[5].has_value());
  CHECK_MESSAGE(ours_in_band == *cpython[1].c[5],
                test::first_difference(ours_in_band, *cpython[1].c[5]));
  CHECK(in_band.buffers.size() == 2);  // the shared bytes' second time is a memo GET
  CHECK(ours_in_band == test::dumps_at(value, 5));

  // CPython refuses a buffer_callback below protocol 5; ours ignores it there.
  for (int protocol = 0; protocol < 5; ++protocol) CHECK(!cpython[0].c[protocol].has_value());
}

TEST_CASE("encoder buffers: out_of_band_min_bytes decides what is offered") {
  const Value value =
      Value::list({Value::bytes(std::string(99, 'a')), Value::bytes(std::string(100, 'b')),
                   Value::bytearray(std::string(101, 'c')), Value::bytes("")});
  Collector collector;
  EncodeOptions options = collector.options();
  options.out_of_band_min_bytes = 100;
  const std::string pickle = picklejar::dumps(value, options);
  REQUIRE(collector.buffers.size() == 2);  // 100 and 101 bytes; not 99, not 0
  CHECK(collector.buffers[0].bytes().size() == 100);
  CHECK(collector.buffers[1].bytes().size() == 101);
  picklejar::DecodeOptions decode;
  decode.buffers = collector.buffers;
  CHECK(picklejar::loads(pickle, decode) == value);
  const auto results =
      test::python_loads({{pickle, "[b'a' * 99, b'b' * 100, bytearray(b'c' * 101), b'']",
                           "type(obj[2]) is bytearray", collector.buffers}});
  CHECK(results.at(0) == "ok");
}

TEST_CASE("encoder buffers: no out-of-band buffers below protocol 5") {
  const Value value = Value::list({Value::bytes(pattern()), Value::bytearray(pattern())});
  for (int protocol = 0; protocol < 5; ++protocol) {
    INFO("protocol ", protocol);
    Collector collector;
    const std::string pickle = picklejar::dumps(value, collector.options(protocol));
    CHECK(collector.buffers.empty());
    CHECK(pickle == test::dumps_at(value, protocol));
  }
}

TEST_CASE("encoder buffers: an exception from the callback reaches the caller") {
  const Value value = Value::list({Value::bytes(pattern())});
  EncodeOptions options;
  options.protocol = 5;
  options.buffer_callback = [](const Buffer&) -> bool { throw std::runtime_error("no room"); };
  CHECK_THROWS_WITH_AS(picklejar::dumps(value, options), "no room", std::runtime_error);
}
