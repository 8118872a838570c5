// Reading None, bool, ints and floats out of a Value with the checks codec_scalar.hpp promises.

#include <fmt/format.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include <picklejar/codec_scalar.hpp>
#include <picklejar/error.hpp>
#include <picklejar/repr.hpp>

namespace picklejar::detail {
namespace {

// An int in a message: its digits, unless it is too long to be worth reading.
std::string int_text(const Value& v) {
  const std::size_t bytes = v.int_to_bytes().size();
  if (bytes <= 32) return "int " + v.int_to_decimal();
  return fmt::format("an int of {} bytes", bytes);
}

template <class Bound>
[[noreturn]] void throw_out_of_range(const Value& v, Bound min, Bound max) {
  throw CodecError(fmt::format("{} out of range [{}, {}]", int_text(v), min, max));
}

}  // namespace

void expect_none(const Value& v) {
  if (!v.is_none()) throw_expected("None", v);
}

bool read_bool(const Value& v) {
  if (!v.is_bool()) throw_expected("bool", v);
  return v.as_bool();
}

std::int64_t read_signed(const Value& v, std::int64_t min, std::int64_t max) {
  if (!v.is_int()) throw_expected("int", v);
  if (v.fits_int64()) {
    const std::int64_t i = v.as_int();
    if (i >= min && i <= max) return i;
  }
  throw_out_of_range(v, min, max);
}

std::uint64_t read_unsigned(const Value& v, std::uint64_t max) {
  if (!v.is_int()) throw_expected("int", v);
  if (v.fits_int64()) {
    const std::int64_t i = v.as_int();
    if (i >= 0 && static_cast<std::uint64_t>(i) <= max) return static_cast<std::uint64_t>(i);
  } else {
    // 2**63 .. 2**64-1 take nine bytes of two's complement, the last one a zero sign byte.
    const std::vector<std::byte> bytes = v.int_to_bytes();
    if (bytes.size() == 9 && bytes[8] == std::byte{0}) {
      std::uint64_t u = 0;
      for (int i = 7; i >= 0; --i) u = (u << 8) | std::to_integer<std::uint64_t>(bytes[i]);
      if (u <= max) return u;
    }
  }
  throw_out_of_range(v, std::uint64_t{0}, max);
}

double read_floating(const Value& v, double max_finite) {
  if (!v.is_float() && !v.is_int()) throw_expected("float", v);
  double d = 0;
  try {
    d = v.as_float();
  } catch (const TypeError&) {
    throw CodecError(int_text(v) + " too large to convert to float");
  }
  if (std::isfinite(d) && std::fabs(d) > max_finite) {
    throw CodecError(fmt::format("float {} too large for a 32-bit float", float_repr(d)));
  }
  return d;
}

void throw_not_enumerator(std::int64_t value) {
  throw CodecError(fmt::format("int {} is not one of the enum's values", value));
}

void throw_not_enumerator(std::uint64_t value) {
  throw CodecError(fmt::format("int {} is not one of the enum's values", value));
}

}  // namespace picklejar::detail
