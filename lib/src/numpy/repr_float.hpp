#pragma once
// Floats as numpy prints them (internal): numpy's Dragon4 notations (positional and
// scientific, shortest digits that identify the value in its own type, capped or padded to a
// number of digits) and numpy 1.24's FloatingFormat, which picks one notation and width for
// all the floats of an array.

#include <string>
#include <vector>

namespace picklejar::numpy {

// The float type whose shortest digits identify a value: float16, float32 or float64.
enum class FloatType { half, single, full };

// numpy's FloatingFormat (default options): built from the values that will be printed,
// then formats each of them to the common width. `plus` makes positive values print '+'
// (the imaginary parts of complex numbers).
class FloatFormat {
 public:
  FloatFormat(const std::vector<double>& values, FloatType type, bool plus);
  std::string operator()(double value) const;

 private:
  FloatType type_;
  bool plus_;
  bool scientific_ = false;
  int precision_ = 8;  // fractional digits: a cap when positional, exact when scientific
  std::size_t pad_left_ = 0;
  std::size_t pad_right_ = 0;
  std::size_t exp_digits_ = 0;
};

// A numpy float scalar's repr (np.float32(1.0) -> '1.0', 1e-05, 1e+16, nan); with
// `complex_part`, as a part of a complex scalar ('1', not '1.0'), `plus` forcing a sign.
std::string float_scalar_text(double value, FloatType type, bool complex_part, bool plus);

}  // namespace picklejar::numpy
