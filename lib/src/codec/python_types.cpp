// decimal.Decimal, uuid.UUID and complex recipes for codec_python.hpp.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <picklejar/codec_class.hpp>
#include <picklejar/codec_python.hpp>
#include <picklejar/codec_scalar.hpp>

#include "recipes.hpp"

namespace picklejar {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::size_t skip_digits(std::string_view s, std::size_t i) {
  while (i < s.size() && is_digit(s[i])) ++i;
  return i;
}

bool equals_lower(std::string_view s, std::string_view lower) {
  return s.size() == lower.size() &&
         std::equal(s.begin(), s.end(), lower.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// Decimal's string syntax (the decimal module's documentation), without the underscores,
// surrounding whitespace and non-ASCII digits Decimal() also tolerates but str() never writes.
bool valid_decimal(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (equals_lower(s, "inf") || equals_lower(s, "infinity")) return true;
  for (const std::string_view nan : {std::string_view("nan"), std::string_view("snan")}) {
    if (s.size() >= nan.size() && equals_lower(s.substr(0, nan.size()), nan)) {
      return skip_digits(s, nan.size()) == s.size();
    }
  }
  std::size_t i = skip_digits(s, 0);
  std::size_t digits = i;
  if (i < s.size() && s[i] == '.') {
    const std::size_t end = skip_digits(s, i + 1);
    digits += end - (i + 1);
    i = end;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t end = skip_digits(s, i);
    if (end == i) return false;
    i = end;
  }
  return i == s.size();
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

namespace py {

std::string Uuid::str() const {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", bytes[i]);
  }
  return out;
}

std::optional<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  Uuid out;
  std::size_t byte = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    const int high = hex_value(text[i]), low = hex_value(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.bytes[byte++] = static_cast<std::uint8_t>(high * 16 + low);
    i += 2;
  }
  return out;
}

}  // namespace py

namespace detail {

Value decimal_value(std::string_view text) {
  if (!valid_decimal(text)) {
    throw CodecError(fmt::format("'{}' is not a decimal.Decimal string", text));
  }
  return make_reduce("decimal", "Decimal", {Value(text)});
}

std::string read_decimal(const Value& v) {
  const Value args = reduce_args(v, "decimal", "Decimal");
  if (args.size() != 1 || !args.at(0).is_str() || !valid_decimal(args.at(0).as_str())) {
    throw_malformed("decimal", "Decimal", "expected one argument, the number's str()");
  }
  return std::string(args.at(0).as_str());
}

Value uuid_value(const py::Uuid& uuid) {
  // uuid.UUID.__getstate__ gives {'int': self.int} (and 'is_safe' only when it is known).
  std::vector<std::byte> little_endian(17, std::byte{0});  // a zero sign byte: non-negative
  for (std::size_t i = 0; i < 16; ++i) little_endian[i] = std::byte{uuid.bytes[15 - i]};
  return instance_value("uuid", "UUID",
                        Value::dict({{Value("int"), Value::integer_from_bytes(little_endian)}}));
}

py::Uuid read_uuid(const Value& v) {
  const Value attributes = instance_attributes(v, "uuid", "UUID");
  const std::optional<Value> number = attributes.find(Value("int"));
  if (!number) throw_malformed("uuid", "UUID", "no 'int' attribute");
  if (!number->is_int()) throw_malformed("uuid", "UUID", "its 'int' is a " + type_name(*number));
  const std::vector<std::byte> bytes = number->int_to_bytes();
  const bool negative = !bytes.empty() && (std::to_integer<unsigned>(bytes.back()) & 0x80) != 0;
  if (negative || bytes.size() > 17 || (bytes.size() == 17 && bytes[16] != std::byte{0})) {
    throw_malformed("uuid", "UUID", "its 'int' is not in [0, 2**128)");
  }
  py::Uuid out;
  for (std::size_t i = 0; i < std::min<std::size_t>(bytes.size(), 16); ++i) {
    out.bytes[15 - i] = std::to_integer<std::uint8_t>(bytes[i]);
  }
  return out;
}

Value complex_value(double real, double imag) {
  return make_reduce("builtins", "complex", {Value(real), Value(imag)});
}

std::pair<double, double> read_complex(const Value& v, double max_finite) {
  const Value args = reduce_args(v, "builtins", "complex");
  if (args.size() != 2) throw_malformed("builtins", "complex", "expected (real, imag)");
  for (std::size_t i = 0; i < 2; ++i) {
    if (!args.at(i).is_float() && !args.at(i).is_int()) {
      throw_malformed("builtins", "complex", "a part is a " + type_name(args.at(i)));
    }
  }
  return {read_floating(args.at(0), max_finite), read_floating(args.at(1), max_finite)};
}

}  // namespace detail
}  // namespace picklejar
