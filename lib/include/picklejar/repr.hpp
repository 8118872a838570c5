#pragma once
// Python's repr() for Values, and a fmt formatter that prints it:
//   fmt::print("{}\n", v);   // prints what print(repr(obj)) prints for built-in values
//
// Globals print as <global module.qualname>; objects as <module.Class object ...> (or
// <reduce module.func(args)> for a REDUCE recipe) with their args, state and items.
// A structure that contains itself prints "[...]", "{...}", "(...)" as Python does. A shared
// (not cyclic) structure prints in full each time it appears, as Python does, so the output
// can be exponentially larger than the value: max_bytes bounds it.

#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <string_view>

#include <picklejar/value.hpp>

namespace picklejar {

struct ReprOptions {
  // Stop with LimitError once the text would exceed this many bytes.
  std::size_t max_bytes = std::size_t{256} << 20;
  // Ints with more decimal digits raise LimitError, like CPython's default
  // sys.get_int_max_str_digits() (4300). 0 means no limit.
  std::size_t max_int_digits = 4300;
};

std::string repr(const Value& value, const ReprOptions& options = {});
// Appends to `out` instead of returning a new string.
void append_repr(std::string& out, const Value& value, const ReprOptions& options = {});

// Python's repr of a float ('1.0', '1e+16', 'nan', '-inf'), of a str and of bytes.
std::string float_repr(double value);
std::string str_repr(std::string_view utf8);
std::string bytes_repr(std::string_view bytes);

}  // namespace picklejar

template <>
struct fmt::formatter<picklejar::Value> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const picklejar::Value& value, FormatContext& ctx) const -> decltype(ctx.out()) {
    return fmt::formatter<std::string_view>::format(picklejar::repr(value), ctx);
  }
};
