#pragma once
// Python's repr() for Values, and a fmt formatter that prints it:
//   fmt::print("{}\n", v);   // prints what print(repr(obj)) prints for built-in values
//
// datetime/date/time/timedelta/timezone, ZoneInfo, Decimal, UUID, complex and pathlib paths
// print as Python prints them; plain instances as <module.Class a=1 b=2> (docs/VALUE.md
// "repr"). Globals print as <global module.qualname>; other objects as
// <module.Class object ...> (or <reduce module.func(args)> for a REDUCE recipe) with their
// args, state and items; an
// OrderedDict with instance attributes (BUILD state) as <OrderedDict([...]) state={...}>.
// A structure that contains itself prints "[...]", "{...}", "(...)" as Python does.
//
// Shared objects. Python prints an object in full every time it appears, so a pickle of a few
// hundred bytes (each level holding the previous one twice) prints as exabytes. By default
// (SharedRepr::automatic) repr() is Python's while repeating shared objects adds at most
// max_repeated_bytes to the text; past that, the whole value is printed *labelled*, as Lisp
// prints shared structure: an object that appears more than once is printed in full the
// first time, prefixed "#1=", and as "#1#" after that (cycles too):
//   a = [1, 2]; [a, a]        ->  [[1, 2], [1, 2]]                (small: Python's repr)
//   the 64-level tuple chain  ->  #1=(#2=(#3=(...), #3#), #2#)    (labelled)
// Either way the text is linear in the value's size. SharedRepr::expand prints Python's repr
// whatever it costs (up to max_bytes).

#include <picklejar/config.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <picklejar/value.hpp>

namespace picklejar {

// How an object that appears in more than one place is printed (see above).
enum class SharedRepr : std::uint8_t {
  automatic,  // Python's repr while repeats add at most max_repeated_bytes; else labelled
  expand,     // Python's repr, every appearance in full (bounded by max_bytes only)
  label,      // labelled: "#1=" at the first appearance, "#1#" at the others
};

// How repr() prints.
struct ReprOptions {
  SharedRepr shared = SharedRepr::automatic;  // how shared objects print
  // With SharedRepr::automatic: the bytes that printing shared objects again may add to the
  // text before the value is printed labelled instead.
  std::size_t max_repeated_bytes = std::size_t{1} << 20;
  // Stop with LimitError once the text would exceed this many bytes.
  std::size_t max_bytes = std::size_t{256} << 20;
  // Ints with more decimal digits raise LimitError, like CPython's default
  // sys.get_int_max_str_digits() (4300). 0 means no limit.
  std::size_t max_int_digits = 4300;
  // The text to print for an object in place of its recipe, or nullopt for the recipe. The
  // CLI passes ndarray_repr (ndarray.hpp), so numpy arrays print as numpy prints them.
  std::function<std::optional<std::string>(const Value&)> object_text;
};

// Python's repr() of `value` (see the top of this file).
PICKLEJAR_EXPORT std::string repr(const Value& value, const ReprOptions& options = {});
// Appends to `out` instead of returning a new string. Returns true when the text is labelled
// (SharedRepr::label, or automatic past max_repeated_bytes), false when it is Python's repr.
PICKLEJAR_EXPORT bool append_repr(std::string& out, const Value& value,
                                  const ReprOptions& options = {});

// Python's repr of a float ('1.0', '1e+16', 'nan', '-inf'), of a str and of bytes.
PICKLEJAR_EXPORT std::string float_repr(double value);
PICKLEJAR_EXPORT std::string str_repr(std::string_view utf8);     // 'a\n', with Python's quoting
PICKLEJAR_EXPORT std::string bytes_repr(std::string_view bytes);  // b'a\n'

}  // namespace picklejar

template <>
struct fmt::formatter<picklejar::Value> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const picklejar::Value& value, FormatContext& ctx) const -> decltype(ctx.out()) {
    return fmt::formatter<std::string_view>::format(picklejar::repr(value), ctx);
  }
};
