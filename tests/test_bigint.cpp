// Arbitrary-precision ints: decimal text and pickle's two's-complement bytes, against CPython.

#include <doctest/doctest.h>

#include <picklejar/pickle.hpp>
#include <picklejar/value.hpp>

#include <sstream>

#include "python.hpp"

using picklejar::Value;

namespace {
std::string hex(const std::vector<std::byte>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::byte b : bytes) {
    out.push_back(digits[std::to_integer<int>(b) >> 4]);
    out.push_back(digits[std::to_integer<int>(b) & 15]);
  }
  return out;
}
}  // namespace

TEST_CASE("big ints match CPython's decimal text and encode_long bytes") {
  // Each line: decimal, pickle.encode_long(x).hex() (or "-" when empty), float(x) == x.
  const std::string lines = picklejar::test::run_python(R"(
import pickle, random
random.seed(7)
values = [0, 1, -1, 127, 128, 255, 256, -128, -129, -256, -257, 2**63 - 1, -2**63, 2**63, -2**63 - 1,
          2**64, -2**64, 2**64 - 1, 10**30, -10**30, 2**1000, -2**1000 + 1, 2**2048 - 1]
# around the one value needing no sign byte of its own: -2**(8k-1) (whole bytes, whole limbs)
for k in range(1, 40):
    values += [-2**(8 * k - 1), -2**(8 * k - 1) - 1, -2**(8 * k)]
values += [random.getrandbits(random.randint(1, 3000)) * random.choice((1, -1)) for _ in range(300)]
for v in values:
    print(v, pickle.encode_long(v).hex() or '-', int(float(v) == v) if abs(v) < 2**1000 else 0)
)");
  std::istringstream in(lines);
  std::string decimal, bytes_hex;
  int exact_float = 0;
  int checked = 0;
  while (in >> decimal >> bytes_hex >> exact_float) {
    CAPTURE(decimal);
    const Value v = Value::integer_from_decimal(decimal);
    CHECK(v.int_to_decimal() == decimal);
    if (bytes_hex == "-") bytes_hex.clear();
    CHECK(hex(v.int_to_bytes()) == bytes_hex);
    if (exact_float) {  // an int a double holds exactly is the same key as that double
      CHECK(v == Value(v.as_float()));
      CHECK(v.hash() == Value(v.as_float()).hash());
    }
    std::vector<std::byte> raw;
    for (std::size_t i = 0; i < bytes_hex.size(); i += 2) {
      raw.push_back(static_cast<std::byte>(std::stoi(bytes_hex.substr(i, 2), nullptr, 16)));
    }
    CHECK(Value::integer_from_bytes(raw).int_to_decimal() == decimal);
    ++checked;
  }
  CHECK(checked == 323 + 3 * 39);
}

TEST_CASE("int to float conversion rounds like CPython") {
  const std::string lines = picklejar::test::run_python(R"(
import random
random.seed(3)
for _ in range(200):
    v = random.getrandbits(random.randint(54, 1000)) | 1
    print(v, float(v).hex())
)");
  std::istringstream in(lines);
  std::string decimal, float_hex;
  int checked = 0;
  while (in >> decimal >> float_hex) {
    CAPTURE(decimal);
    const double expected = std::strtod(float_hex.c_str(), nullptr);
    CHECK(Value::integer_from_decimal(decimal).as_float() == expected);
    ++checked;
  }
  CHECK(checked == 200);
}
