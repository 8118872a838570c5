// Hostile numpy recipes: bad shapes, sizes that disagree, object and structured dtypes, huge
// declared sizes, states numpy never writes. Each decodes (the decoder knows nothing of numpy)
// and is then refused by the mapping with a CodecError naming the problem, before anything
// of the declared size is allocated.

#include <doctest/doctest.h>

#include <map>
#include <string>

#include <picklejar/codec.hpp>
#include <picklejar/json.hpp>
#include <picklejar/ndarray.hpp>
#include <picklejar/pickle.hpp>

#include "numpy_support.hpp"

using picklejar::CodecError;
using picklejar::NdArray;
using picklejar::Value;
namespace test = picklejar::test;

namespace {

constexpr std::size_t kSmall = 64 << 10;  // far below any declared size in the cases

Value dtype_f8() {
  Value d = Value::object(Value::global("numpy", "dtype"),
                          Value::tuple({Value("f8"), Value(false), Value(true)}));
  d.set_object_state(Value::tuple(
      {Value(3), Value("<"), Value(), Value(), Value(), Value(-1), Value(-1), Value(0)}));
  return d;
}

Value frombuffer(Value data, Value shape, Value order = Value("C")) {
  return Value::object(Value::global("numpy.core.numeric", "_frombuffer"),
                       Value::tuple({std::move(data), dtype_f8(), std::move(shape), order}));
}

std::string refusal(const Value& v) {
  try {
    picklejar::from_value<NdArray>(v);
  } catch (const CodecError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("numpy: hostile recipes are refused with a CodecError naming the problem") {
  int seen = 0;
  for (const auto& h : test::hostile_cases()) {
    for (int protocol : {2, 5}) {
      CAPTURE(h.name);
      CAPTURE(protocol);
      const Value v = picklejar::loads(h.pickle(protocol));
      CHECK(picklejar::is_ndarray(v));
      std::string message;
      const std::size_t largest = test::largest_allocation_during([&] { message = refusal(v); });
      CAPTURE(message);
      CHECK(message.find(h.message) != std::string::npos);
      CHECK(message.starts_with("numpy") == true);
      CHECK(largest < kSmall);
      ++seen;
    }
  }
  CHECK(seen >= 50);
}

TEST_CASE("numpy: the checks come before any allocation of the declared size") {
  // 2**59 float64 items declared over an 8-byte buffer; 65 dimensions; 100,000 of them.
  const Value huge =
      frombuffer(Value::bytes(std::string(8, '\0')), Value::tuple({Value(std::int64_t{1} << 59)}));
  CHECK(refusal(huge) ==
        "numpy array: buffer size does not match array size: shape (576460752303423488,) of "
        "float64 needs 4611686018427387904 bytes, the data has 8");
  std::vector<Value> dims(65, Value(1));
  const Value deep = frombuffer(Value::bytes(std::string(8, '\0')), Value::tuple(dims));
  CHECK(refusal(deep) == "numpy array: 65 dimensions, more than the 64 numpy allows");
  std::vector<Value> many(100'000, Value(1));
  const Value wide = frombuffer(Value::bytes(std::string(8, '\0')), Value::tuple(many));
  const std::size_t largest = test::largest_allocation_during([&] { refusal(wide); });
  CHECK(largest < kSmall);  // not a shape vector of 100,000 dimensions

  const Value negative = frombuffer(Value::bytes(""), Value::tuple({Value(2), Value(-1)}));
  CHECK(refusal(negative) == "numpy array: negative dimension -1 in the shape");
  const Value big_int = frombuffer(
      Value::bytes(""), Value::tuple({Value::integer_from_decimal("100000000000000000000")}));
  CHECK(refusal(big_int) == "numpy array: dimension 100000000000000000000 is too large");
  const Value overflow = frombuffer(
      Value::bytes(""), Value::tuple({Value(std::int64_t{1} << 40), Value(std::int64_t{1} << 40)}));
  CHECK(refusal(overflow) ==
        "numpy array: shape (1099511627776, 1099511627776) of float64 items overflows");
  CHECK(refusal(frombuffer(Value::bytes(std::string(8, '\0')), Value::list({Value(1)}))) ==
        "numpy array: the shape must be a tuple, got list");
  CHECK(refusal(frombuffer(Value::list({Value(1.0)}), Value::tuple({Value(1)}))) ==
        "numpy array: the data must be bytes, got list");
  CHECK(refusal(Value::global("numpy", "ndarray")) ==
        "expected a numpy array, got global numpy.ndarray");
}

TEST_CASE("numpy: errors inside containers carry the path") {
  const Value bad = frombuffer(Value::bytes(std::string(12, '\0')), Value::tuple({Value(2)}));
  const Value state = Value::dict(
      {{Value("weights"),
        Value::list(
            {frombuffer(Value::bytes(std::string(8, '\0')), Value::tuple({Value(1)})), bad})}});
  CHECK_THROWS_WITH_AS(
      (picklejar::from_value<std::map<std::string, std::vector<NdArray>>>(state)),
      "[\"weights\"][1]: numpy array: buffer size does not match array size: shape (2,) of "
      "float64 needs 16 bytes, the data has 12",
      CodecError);
}

TEST_CASE("numpy: DecodeLimits bound what reaches the mapping") {
  const auto& c = test::numpy_case("big");  // an 800,000-byte payload
  picklejar::DecodeOptions options;
  options.limits.max_allocation_bytes = 100'000;
  for (int protocol = 2; protocol <= 5; ++protocol) {
    CAPTURE(protocol);
    CHECK_THROWS_AS(picklejar::loads(c.pickle(protocol), options), picklejar::LimitError);
  }
}

TEST_CASE("numpy: mangled numpy pickles fail with picklejar errors, never worse") {
  // Every golden pickle with bytes overwritten at seeded random places: whatever decodes is
  // read as an array, printed and written as JSON; only picklejar::Error may come out.
  std::uint64_t state = 20;
  const auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::size_t>(state >> 33);
  };
  int decoded = 0, arrays = 0;
  for (const auto& c : test::numpy_cases()) {
    for (int protocol : {2, 4, 5}) {
      const std::string original = c.pickle(protocol);
      for (int round = 0; round < 12; ++round) {
        std::string p = original;
        const std::size_t flips = 1 + next() % 3;
        for (std::size_t i = 0; i < flips; ++i) p[next() % p.size()] = static_cast<char>(next());
        CAPTURE(c.name);
        Value v;
        try {
          v = picklejar::loads(p);
          ++decoded;
        } catch (const picklejar::Error&) {
          continue;
        }
        try {
          const NdArray a = picklejar::from_value<NdArray>(v);
          (void)picklejar::repr(a);
          ++arrays;
        } catch (const picklejar::Error&) {
        }
        try {
          (void)picklejar::ndarray_repr(v);
          (void)picklejar::from_json(picklejar::to_json(v));
        } catch (const picklejar::Error&) {
        }
      }
    }
  }
  CHECK(decoded > 500);
  CHECK(arrays > 100);
}
