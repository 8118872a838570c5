// The text of an array's items and of scalars, as numpy 1.24 prints them (repr_items.hpp).
// Each array item format follows its class in numpy/core/arrayprint.py; the scalar texts
// follow numpy/core/src/multiarray/scalartypes.c.src.

#include "repr_items.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <complex>
#include <cstring>
#include <limits>
#include <vector>

#include <picklejar/repr.hpp>

#include "../value/utf8.hpp"
#include "repr_float.hpp"
#include "repr_time.hpp"

namespace picklejar::numpy {
namespace {

using Format = std::function<std::string(std::size_t)>;

template <class T>
T item(const NdArray& a, std::size_t position) {
  T value;
  std::memcpy(&value, a.bytes().data() + position * sizeof(T), sizeof(T));
  return value;
}

std::string pad_left(std::string text, std::size_t width) {
  const std::size_t w = text_width(text);
  if (w < width) text.insert(0, width - w, ' ');
  return text;
}

FloatType float_type(std::size_t size) {
  return size == 2 ? FloatType::half : size == 4 ? FloatType::single : FloatType::full;
}

// A float item (float16/32/64) as a double, exactly.
double float_item(const NdArray& a, std::size_t position, std::size_t offset = 0) {
  const std::size_t size =
      a.dtype().kind == DTypeKind::complex ? a.dtype().item_size / 2 : a.dtype().item_size;
  const std::byte* p = a.bytes().data() + position * a.dtype().item_size + offset * size;
  if (size == 2) {
    Float16 h;
    std::memcpy(&h.bits, p, 2);
    return h.to_float();
  }
  if (size == 4) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  double d;
  std::memcpy(&d, p, 8);
  return d;
}

// An int item as its decimal text.
std::string int_text(const NdArray& a, std::size_t position) {
  const bool is_signed = a.dtype().kind == DTypeKind::signed_int;
  switch (a.dtype().item_size) {
    case 1:
      return is_signed ? std::to_string(item<std::int8_t>(a, position))
                       : std::to_string(item<std::uint8_t>(a, position));
    case 2:
      return is_signed ? std::to_string(item<std::int16_t>(a, position))
                       : std::to_string(item<std::uint16_t>(a, position));
    case 4:
      return is_signed ? std::to_string(item<std::int32_t>(a, position))
                       : std::to_string(item<std::uint32_t>(a, position));
    default:
      return is_signed ? std::to_string(item<std::int64_t>(a, position))
                       : std::to_string(item<std::uint64_t>(a, position));
  }
}

// numpy's IntegerFormat: right-aligned to the longer of the largest and smallest item (which
// is the longest text, whatever is in between).
Format int_format(const NdArray& a, std::span<const std::size_t> positions) {
  std::size_t width = 0;
  for (const std::size_t p : positions) width = std::max(width, int_text(a, p).size());
  return [&a, width](std::size_t p) { return pad_left(int_text(a, p), width); };
}

Format bool_format(const NdArray& a) {
  const char* true_text = a.ndim() == 0 ? "True" : " True";
  return [&a, true_text](std::size_t p) {
    return std::string(item<std::uint8_t>(a, p) != 0 ? true_text : "False");
  };
}

Format float_format(const NdArray& a, std::span<const std::size_t> positions) {
  std::vector<double> values;
  for (const std::size_t p : positions) values.push_back(float_item(a, p));
  FloatFormat f(values, float_type(a.dtype().item_size), false);
  return [&a, f](std::size_t p) { return f(float_item(a, p)); };
}

// numpy's ComplexFloatingFormat: the real parts as floats, the imaginary parts as floats with
// a sign, then 'j' before the imaginary part's padding.
Format complex_format(const NdArray& a, std::span<const std::size_t> positions) {
  std::vector<double> real, imag;
  for (const std::size_t p : positions) {
    real.push_back(float_item(a, p, 0));
    imag.push_back(float_item(a, p, 1));
  }
  const FloatType type = float_type(a.dtype().item_size / 2);
  FloatFormat real_format(real, type, false), imag_format(imag, type, true);
  return [&a, real_format, imag_format](std::size_t p) {
    std::string i = imag_format(float_item(a, p, 1));
    const auto end = i.find_last_not_of(' ') + 1;
    i.insert(end, "j");
    return real_format(float_item(a, p, 0)) + i;
  };
}

std::string quoted_datetime(const NdArray& a, std::int64_t ticks) {
  const auto text = datetime_text(ticks, a.dtype().unit, a.dtype().unit_count);
  return "'" + (text ? *text : std::to_string(ticks)) + "'";
}

// numpy's _TimelikeFormat: right-aligned to the longer text of the largest and smallest
// non-NaT item, at least 5 wide ("'NaT'") when there is a NaT.
Format time_format(const NdArray& a, std::span<const std::size_t> positions) {
  const bool datetime = a.dtype().kind == DTypeKind::datetime;
  const auto text = [&a, datetime](std::int64_t t) {
    return datetime ? quoted_datetime(a, t) : std::to_string(t);
  };
  std::int64_t max = INT64_MIN, min = INT64_MAX;
  bool nat = false;
  for (const std::size_t p : positions) {
    const auto t = item<std::int64_t>(a, p);
    if (t == INT64_MIN) {
      nat = true;
    } else {
      max = std::max(max, t), min = std::min(min, t);
    }
  }
  std::size_t width = 0;
  if (max != INT64_MIN) width = std::max(text(max).size(), text(min).size());
  if (nat) width = std::max<std::size_t>(width, 5);
  return [&a, text, width](std::size_t p) {
    const auto t = item<std::int64_t>(a, p);
    return pad_left(t == INT64_MIN ? "'NaT'" : text(t), width);
  };
}

std::string string_item(const NdArray& a, std::size_t position) {
  if (a.dtype().kind == DTypeKind::bytes) {
    const std::string_view b(
        reinterpret_cast<const char*>(a.bytes().data()) + position * a.dtype().item_size,
        a.dtype().item_size);
    return bytes_repr(b.substr(0, b.find_last_not_of('\0') + 1));
  }
  std::string text;
  const std::size_t length = a.dtype().item_size / 4;
  for (std::size_t i = 0; i < length; ++i) {
    std::uint32_t c;
    std::memcpy(&c, a.bytes().data() + position * a.dtype().item_size + 4 * i, 4);
    detail::append_utf8(text, c > 0x10FFFF ? 0xFFFD : c);
  }
  while (!text.empty() && text.back() == '\0') text.pop_back();
  return str_repr(text);
}

// "numpy.datetime64('...'[,'unit'])" and "numpy.timedelta64(n[,'unit'])".
std::string unit_text(const DType& d) {
  const std::string s = d.str();  // '<M8[10s]'
  return s.substr(s.find('[') + 1, s.size() - s.find('[') - 2);
}

std::string time_scalar_text(const NdArray& a) {
  const DType& d = a.dtype();
  const auto t = item<std::int64_t>(a, 0);
  if (d.kind == DTypeKind::timedelta) {
    const std::string value = t == INT64_MIN ? "'NaT'" : std::to_string(t);
    if (d.unit == TimeUnit::generic) return "numpy.timedelta64(" + value + ")";
    return "numpy.timedelta64(" + value + ",'" + unit_text(d) + "')";
  }
  const auto text = datetime_text(t, d.unit, d.unit_count);
  const std::string iso = text ? *text : std::to_string(t);
  if ((d.unit_count == 1 && d.unit != TimeUnit::hours) || d.unit == TimeUnit::generic)
    return "numpy.datetime64('" + iso + "')";
  return "numpy.datetime64('" + iso + "','" + unit_text(d) + "')";
}

std::string complex_scalar_text(const NdArray& a) {
  const FloatType type = float_type(a.dtype().item_size / 2);
  const double real = float_item(a, 0, 0), imag = float_item(a, 0, 1);
  if (real == 0 && !std::signbit(real)) return float_scalar_text(imag, type, true, false) + "j";
  return "(" + float_scalar_text(real, type, true, false) +
         float_scalar_text(imag, type, true, true) + "j)";
}

}  // namespace

std::size_t text_width(std::string_view utf8) { return detail::count_code_points(utf8); }

std::function<std::string(std::size_t)> item_format(const NdArray& a,
                                                    std::span<const std::size_t> positions) {
  switch (a.dtype().kind) {
    case DTypeKind::boolean:
      return bool_format(a);
    case DTypeKind::signed_int:
    case DTypeKind::unsigned_int:
      return int_format(a, positions);
    case DTypeKind::floating:
      return float_format(a, positions);
    case DTypeKind::complex:
      return complex_format(a, positions);
    case DTypeKind::datetime:
    case DTypeKind::timedelta:
      return time_format(a, positions);
    case DTypeKind::bytes:
    case DTypeKind::unicode:
      break;
  }
  return [&a](std::size_t p) { return string_item(a, p); };
}

std::string scalar_text(const NdArray& a) {
  switch (a.dtype().kind) {
    case DTypeKind::boolean:
      return item<std::uint8_t>(a, 0) != 0 ? "True" : "False";
    case DTypeKind::signed_int:
    case DTypeKind::unsigned_int:
      return int_text(a, 0);
    case DTypeKind::floating:
      return float_scalar_text(float_item(a, 0), float_type(a.dtype().item_size), false, false);
    case DTypeKind::complex:
      return complex_scalar_text(a);
    case DTypeKind::datetime:
    case DTypeKind::timedelta:
      return time_scalar_text(a);
    case DTypeKind::bytes:
    case DTypeKind::unicode:
      break;
  }
  return string_item(a, 0);
}

}  // namespace picklejar::numpy
