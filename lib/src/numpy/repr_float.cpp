// Floats as numpy 1.24 prints them (repr_float.hpp), after numpy/core/arrayprint.py
// (FloatingFormat) and scalartypes.c.src (the scalar reprs). numpy's Dragon4 prints the
// shortest digits that identify a value in its own type, or, where a number of digits is
// asked for, the exact binary value correctly rounded to it: std::to_chars gives both.

#include "repr_float.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

#include <picklejar/ndarray_element.hpp>

namespace picklejar::numpy {
namespace {

// |value| in scientific notation: one digit, a fraction, a decimal exponent.
struct Scientific {
  std::string first;
  std::string fraction;
  int exponent = 0;
};

// |value| in positional notation.
struct Positional {
  std::string integer;
  std::string fraction;
};

Scientific parse_scientific(std::string_view text) {  // "1.2345e-05", "1e+20"
  Scientific s;
  const auto e = text.find('e');
  const std::string_view mantissa = text.substr(0, e);
  s.first = std::string(mantissa.substr(0, 1));
  if (mantissa.size() > 2) s.fraction = std::string(mantissa.substr(2));
  std::from_chars(text.data() + e + (text[e + 1] == '+' ? 2 : 1), text.data() + text.size(),
                  s.exponent);
  return s;
}

template <class T, class... Format>
std::string chars(T value, Format... format) {
  char buffer[400];  // %.Nf of a double near its maximum has 309 integer digits
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, format...);
  return std::string(buffer, result.ptr);
}

// The shortest scientific digits that read back as the same value of `type`.
Scientific shortest(double magnitude, FloatType type) {
  switch (type) {
    case FloatType::full:
      return parse_scientific(chars(magnitude, std::chars_format::scientific));
    case FloatType::single:
      return parse_scientific(chars(static_cast<float>(magnitude), std::chars_format::scientific));
    case FloatType::half:
      break;
  }
  const auto bits = Float16::from_float(static_cast<float>(magnitude)).bits;
  for (int digits = 0; digits < 8; ++digits) {
    const std::string text =
        chars(static_cast<float>(magnitude), std::chars_format::scientific, digits);
    float back = 0;
    std::from_chars(text.data(), text.data() + text.size(), back);
    if (Float16::from_float(back).bits == bits) return parse_scientific(text);
  }
  return parse_scientific(chars(static_cast<float>(magnitude), std::chars_format::scientific));
}

Positional positional_of(const Scientific& s) {
  const std::string digits = s.first + s.fraction;
  Positional p;
  if (s.exponent >= 0) {
    const auto split = static_cast<std::size_t>(s.exponent) + 1;
    p.integer = digits.substr(0, std::min(split, digits.size()));
    if (digits.size() < split) p.integer.append(split - digits.size(), '0');
    if (digits.size() > split) p.fraction = digits.substr(split);
  } else {
    p.integer = "0";
    p.fraction = std::string(static_cast<std::size_t>(-s.exponent - 1), '0') + digits;
  }
  if (p.integer == "0" && p.fraction.find_first_not_of('0') == std::string::npos)
    p.fraction.clear();  // zero
  return p;
}

void trim_zeros(std::string& fraction) {
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
}

// Dragon4 positional, unique, at most `cap` fractional digits, trailing zeros trimmed.
Positional positional(double magnitude, FloatType type, int cap) {
  Positional p = positional_of(shortest(magnitude, type));
  if (static_cast<int>(p.fraction.size()) > cap) {
    const std::string text = chars(magnitude, std::chars_format::fixed, cap);
    const auto dot = text.find('.');
    p.integer = text.substr(0, dot);
    p.fraction = dot == std::string::npos ? std::string() : text.substr(dot + 1);
    trim_zeros(p.fraction);
  }
  return p;
}

// Dragon4 scientific, unique, at most `cap` fractional digits, trailing zeros trimmed.
Scientific scientific(double magnitude, FloatType type, int cap) {
  Scientific s = shortest(magnitude, type);
  if (static_cast<int>(s.fraction.size()) > cap) {
    s = parse_scientific(chars(magnitude, std::chars_format::scientific, cap));
  }
  trim_zeros(s.fraction);
  return s;
}

std::string sign_of(double value, bool plus) {
  if (std::signbit(value)) return "-";
  return plus ? "+" : "";
}

std::string exponent_text(int exponent, std::size_t digits) {
  std::string text = std::to_string(std::abs(exponent));
  if (text.size() < digits) text.insert(0, digits - text.size(), '0');
  return (exponent < 0 ? "-" : "+") + text;
}

std::string pad_left(std::string text, std::size_t width) {
  if (text.size() < width) text.insert(0, width - text.size(), ' ');
  return text;
}

// A threshold as numpy 1.24 compares it with an array's values: in their type.
double in_type(double value, FloatType type) {
  switch (type) {
    case FloatType::full:
      return value;
    case FloatType::single:
      return static_cast<float>(value);
    case FloatType::half:
      return Float16::from_float(static_cast<float>(value)).to_float();
  }
  return value;
}

double ratio_in_type(double a, double b, FloatType type) {
  if (type == FloatType::full) return a / b;
  return in_type(static_cast<float>(a) / static_cast<float>(b), type);
}

}  // namespace

FloatFormat::FloatFormat(const std::vector<double>& values, FloatType type, bool plus)
    : type_(type), plus_(plus) {
  std::vector<double> finite;
  bool negative_inf = false;
  for (double v : values) {
    if (std::isfinite(v)) finite.push_back(v);
    if (std::isinf(v) && v < 0) negative_inf = true;
  }
  double max = 0, min = 0;
  bool any_nonzero = false;
  for (double v : finite) {
    if (v == 0) continue;
    const double a = std::fabs(v);
    max = any_nonzero ? std::max(max, a) : a;
    min = any_nonzero ? std::min(min, a) : a;
    any_nonzero = true;
  }
  // 1e8 is compared in float32 (numpy 1.24's value-based casting), exact for every type.
  scientific_ = any_nonzero && (max >= 1e8 || min < in_type(0.0001, type) ||
                                ratio_in_type(max, min, type) > 1000.);
  if (scientific_) {
    std::size_t max_fraction = 0;
    for (double v : finite) {
      const Scientific s = scientific(std::fabs(v), type, 8);
      pad_left_ = std::max(pad_left_, sign_of(v, plus).size() + s.first.size());
      max_fraction = std::max(max_fraction, s.fraction.size());
      exp_digits_ = std::max(exp_digits_, exponent_text(s.exponent, 2).size() - 1);
    }
    precision_ = static_cast<int>(max_fraction);
    pad_right_ = exp_digits_ + 2 + max_fraction;
  } else {
    for (double v : finite) {
      const Positional p = positional(std::fabs(v), type, 8);
      pad_left_ = std::max(pad_left_, sign_of(v, plus).size() + p.integer.size());
      pad_right_ = std::max(pad_right_, p.fraction.size());
    }
  }
  if (finite.size() != values.size()) {  // room for nan and inf
    const std::size_t offset = pad_right_ + 1;
    const std::size_t inf = 3 + ((plus || negative_inf) ? 1 : 0);
    if (3 > offset) pad_left_ = std::max(pad_left_, 3 - offset);
    if (inf > offset) pad_left_ = std::max(pad_left_, inf - offset);
  }
}

std::string FloatFormat::operator()(double value) const {
  if (!std::isfinite(value)) {
    std::string text = std::isnan(value) ? "nan" : "inf";
    if (std::isinf(value) && value < 0)
      text = "-" + text;
    else if (plus_)
      text = "+" + text;
    return pad_left(text, pad_left_ + pad_right_ + 1);
  }
  const double magnitude = std::fabs(value);
  const std::string sign = sign_of(value, plus_);
  if (scientific_) {
    const Scientific s = parse_scientific(
        chars(magnitude, std::chars_format::scientific, precision_));  // min_digits: exact
    return pad_left(sign + s.first, pad_left_) + "." + s.fraction + "e" +
           exponent_text(s.exponent, exp_digits_);
  }
  const Positional p = positional(magnitude, type_, precision_);
  std::string fraction = p.fraction;
  fraction.append(pad_right_ - std::min(pad_right_, fraction.size()), ' ');
  return pad_left(sign + p.integer, pad_left_) + "." + fraction;
}

std::string float_scalar_text(double value, FloatType type, bool complex_part, bool plus) {
  if (std::isnan(value)) return plus ? "+nan" : "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : plus ? "+inf" : "inf";
  const double magnitude = std::fabs(value);
  const std::string sign = sign_of(value, plus);
  if (magnitude == 0 || (magnitude < 1e16 && magnitude >= 1e-4)) {
    const Positional p = positional_of(shortest(magnitude, type));
    if (p.fraction.empty()) return sign + p.integer + (complex_part ? "" : ".0");
    return sign + p.integer + "." + p.fraction;
  }
  const Scientific s = shortest(magnitude, type);
  return sign + s.first + (s.fraction.empty() ? "" : "." + s.fraction) + "e" +
         exponent_text(s.exponent, 2);
}

}  // namespace picklejar::numpy
