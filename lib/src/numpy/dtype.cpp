// numpy dtypes (dtype.hpp): the pickle recipe numpy writes for a dtype is
//   numpy.dtype('<kind><size>', False, True) + BUILD (3, endian, subarray, names, fields,
//   elsize, alignment, flags)
// with version 4 and a ninth item (metadata, (unit, count, 1, 1)) for datetime64/timedelta64
// (numpy/_core/src/multiarray/descriptor.c, arraydescr_reduce). elsize and alignment are -1
// except for the flexible 'S' and 'U'; 'U' sizes count characters in the type string and
// bytes in elsize.

#include "dtype.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <string_view>
#include <utility>

#include <picklejar/codec_core.hpp>

#include "recipes.hpp"

namespace picklejar {
namespace {

constexpr std::array<std::pair<TimeUnit, std::string_view>, 14> kUnits{{
    {TimeUnit::generic, "generic"},
    {TimeUnit::years, "Y"},
    {TimeUnit::months, "M"},
    {TimeUnit::weeks, "W"},
    {TimeUnit::days, "D"},
    {TimeUnit::hours, "h"},
    {TimeUnit::minutes, "m"},
    {TimeUnit::seconds, "s"},
    {TimeUnit::milliseconds, "ms"},
    {TimeUnit::microseconds, "us"},
    {TimeUnit::nanoseconds, "ns"},
    {TimeUnit::picoseconds, "ps"},
    {TimeUnit::femtoseconds, "fs"},
    {TimeUnit::attoseconds, "as"},
}};

std::string_view unit_text(TimeUnit unit) {
  for (const auto& [u, text] : kUnits) {
    if (u == unit) return text;
  }
  return "?";
}

char kind_letter(DTypeKind kind) {
  switch (kind) {
    case DTypeKind::boolean:
      return 'b';
    case DTypeKind::signed_int:
      return 'i';
    case DTypeKind::unsigned_int:
      return 'u';
    case DTypeKind::floating:
      return 'f';
    case DTypeKind::complex:
      return 'c';
    case DTypeKind::bytes:
      return 'S';
    case DTypeKind::unicode:
      return 'U';
    case DTypeKind::datetime:
      return 'M';
    case DTypeKind::timedelta:
      return 'm';
  }
  return '?';
}

bool is_time(DTypeKind kind) { return kind == DTypeKind::datetime || kind == DTypeKind::timedelta; }

// '[ns]', '[10s]', or nothing for a generic unit.
std::string unit_suffix(const DType& d) {
  if (!is_time(d.kind) || d.unit == TimeUnit::generic) return {};
  if (d.unit_count == 1) return fmt::format("[{}]", unit_text(d.unit));
  return fmt::format("[{}{}]", d.unit_count, unit_text(d.unit));
}

// The number in numpy's type string: characters for 'U', bytes otherwise.
std::size_t type_string_size(const DType& d) {
  return d.kind == DTypeKind::unicode ? d.item_size / 4 : d.item_size;
}

}  // namespace

// ---- DType ------------------------------------------------------------------------------------

DType DType::numeric(char kind, std::size_t size) noexcept {
  DType d;
  d.item_size = size;
  d.byte_order = size == 1 ? ByteOrder::not_applicable : native_byte_order;
  switch (kind) {
    case 'b':
      d.kind = DTypeKind::boolean;
      break;
    case 'i':
      d.kind = DTypeKind::signed_int;
      break;
    case 'u':
      d.kind = DTypeKind::unsigned_int;
      break;
    case 'c':
      d.kind = DTypeKind::complex;
      break;
    default:
      d.kind = DTypeKind::floating;
      break;
  }
  return d;
}

DType DType::fixed_bytes(std::size_t width) {
  return DType{DTypeKind::bytes, width, ByteOrder::not_applicable};
}

DType DType::unicode(std::size_t characters) {
  return DType{DTypeKind::unicode, characters * 4, native_byte_order};
}

DType DType::datetime(TimeUnit unit, std::int64_t count) {
  return DType{DTypeKind::datetime, 8, native_byte_order, unit, count};
}

DType DType::timedelta(TimeUnit unit, std::int64_t count) {
  return DType{DTypeKind::timedelta, 8, native_byte_order, unit, count};
}

std::string DType::str() const {
  const char order = byte_order == ByteOrder::little ? '<'
                     : byte_order == ByteOrder::big  ? '>'
                                                     : '|';
  return fmt::format("{}{}{}{}", order, kind_letter(kind), type_string_size(*this),
                     unit_suffix(*this));
}

std::string DType::name() const {
  switch (kind) {
    case DTypeKind::boolean:
      return "bool";
    case DTypeKind::signed_int:
      return fmt::format("int{}", item_size * 8);
    case DTypeKind::unsigned_int:
      return fmt::format("uint{}", item_size * 8);
    case DTypeKind::floating:
      return fmt::format("float{}", item_size * 8);
    case DTypeKind::complex:
      return fmt::format("complex{}", item_size * 8);
    case DTypeKind::bytes:
      return item_size == 0 ? "bytes" : fmt::format("bytes{}", item_size * 8);
    case DTypeKind::unicode:
      return item_size == 0 ? "str" : fmt::format("str{}", item_size * 8);
    case DTypeKind::datetime:
      return "datetime64" + unit_suffix(*this);
    case DTypeKind::timedelta:
      return "timedelta64" + unit_suffix(*this);
  }
  return "?";
}

namespace numpy {
namespace {

[[noreturn]] void fail(std::string why) { throw CodecError(std::move(why)); }

bool is_int(const Value& v) { return v.is_int() && v.fits_int64(); }

// 'f8' -> ('f', 8); "" when the text is not a letter and decimal digits.
std::pair<char, std::size_t> split_type_string(std::string_view text) {
  std::size_t size = 0;
  if (text.size() < 2 || text.size() > 12) return {'\0', 0};
  const auto [end, error] = std::from_chars(text.data() + 1, text.data() + text.size(), size);
  if (error != std::errc() || end != text.data() + text.size()) return {'\0', 0};
  return {text[0], size};
}

// The DType of a type string, before the state says more; CodecError for what NdArray does
// not hold, saying what it is.
DType dtype_of_type_string(std::string_view text) {
  const auto [kind, size] = split_type_string(text);
  const auto unsupported = [&](std::string_view what) {
    fail(fmt::format("numpy dtype '{}' ({}) is not supported", text, what));
  };
  switch (kind) {
    case 'b':
      if (size == 1) return DType::of<bool>();
      break;
    case 'i':
    case 'u':
      if (size == 1 || size == 2 || size == 4 || size == 8) return DType::numeric(kind, size);
      break;
    case 'f':
      if (size == 2 || size == 4 || size == 8) return DType::numeric(kind, size);
      if (size == 16) unsupported("float128, a long double");
      if (size == 12) unsupported("float96, a long double");
      break;
    case 'c':
      if (size == 8 || size == 16) return DType::numeric(kind, size);
      if (size == 32 || size == 24) unsupported("a long double complex");
      break;
    case 'S':
      return DType::fixed_bytes(size);
    case 'U':
      if (size <= SIZE_MAX / 4) return DType::unicode(size);
      break;
    case 'M':
    case 'm':
      if (size == 8)
        return kind == 'M' ? DType::datetime(TimeUnit::generic)
                           : DType::timedelta(TimeUnit::generic);
      break;
    case 'O':
      fail(
          fmt::format("numpy object arrays (dtype '{}') are not supported: their items are "
                      "Python objects",
                      text));
    case 'V':
      unsupported("void: raw bytes of no known type");
    default:
      break;
  }
  fail(fmt::format("numpy dtype '{}' is not a type numpy writes", text));
}

// numpy writes '|' for items of single bytes (bool, int8, uint8, 'S') and '<' or '>' for the
// rest, never '=' (arraydescr_reduce); another order would be a dtype numpy keeps as given.
ByteOrder byte_order_of(const Value& endian, const DType& d) {
  const std::string_view e = endian.is_str() ? endian.as_str() : std::string_view();
  const bool swappable = swap_unit(d) > 1;
  if (swappable ? e != "<" && e != ">" : e != "|") {
    fail(fmt::format("numpy dtype '{}' state: byte order {} (numpy writes {})", d.str(),
                     endian.repr(), swappable ? "'<' or '>'" : "'|'"));
  }
  if (!swappable) return ByteOrder::not_applicable;
  return e == "<" ? ByteOrder::little : ByteOrder::big;
}

// The ninth state item of a datetime64/timedelta64: (metadata dict, (unit, count, 1, 1)).
void read_time_unit(const Value& metadata, DType& d, std::string_view type_string) {
  const auto bad = [&] {
    fail(
        fmt::format("numpy dtype '{}' state: the time unit must be (metadata dict, (unit, "
                    "count, 1, 1)) with one of numpy's units",
                    type_string));
  };
  if (!metadata.is_tuple() || metadata.size() != 2) bad();
  const Value info = metadata.at(1);
  if (!info.is_tuple() || info.size() != 4) bad();
  const Value unit = info.at(0);
  const std::string_view text = unit.is_bytes() ? unit.as_bytes_view()
                                : unit.is_str() ? unit.as_str()
                                                : std::string_view();
  const auto it = std::find_if(kUnits.begin(), kUnits.end(),
                               [&](const auto& entry) { return entry.second == text; });
  const auto is_one = [](const Value& n) { return is_int(n) && n.as_int() == 1; };
  if (!metadata.at(0).is_dict() || it == kUnits.end() || !is_int(info.at(1)) ||
      info.at(1).as_int() < 1 || info.at(1).as_int() > INT32_MAX || !is_one(info.at(2)) ||
      !is_one(info.at(3)))
    bad();
  d.unit = it->first;
  d.unit_count = info.at(1).as_int();
}

void check_flexible_sizes(const DType& d, const Value& elsize, const Value& alignment,
                          std::string_view type_string) {
  const bool flexible = d.kind == DTypeKind::bytes || d.kind == DTypeKind::unicode;
  const std::int64_t want_size = flexible ? static_cast<std::int64_t>(d.item_size) : -1;
  const std::int64_t want_alignment = flexible ? static_cast<std::int64_t>(alignment_of(d)) : -1;
  if (!is_int(elsize) || elsize.as_int() != want_size || !is_int(alignment) ||
      alignment.as_int() != want_alignment) {
    fail(
        fmt::format("numpy dtype '{}' state: item size {} and alignment {} do not match the "
                    "type (numpy writes {} and {})",
                    type_string, elsize.repr(), alignment.repr(), want_size, want_alignment));
  }
}

}  // namespace

DType read_dtype(const Value& v) {
  if (!v.is_object() || v.object_form() != ObjectForm::reduce ||
      !is_dtype_class(v.object_callable())) {
    fail(fmt::format("numpy dtype expected, got {}", detail::type_name(v)));
  }
  const Value args = v.object_args();
  if (args.size() != 3 || !args.at(0).is_str() || !args.at(1).is_bool() || !args.at(2).is_bool())
    fail("malformed numpy dtype: expected numpy.dtype(type string, align, copy)");
  const std::string_view type_string = args.at(0).as_str();
  if (!v.object_listitems().empty() || !v.object_dictitems().empty())
    fail(fmt::format("numpy dtype '{}': the recipe has list or dict items", type_string));
  const Value state = v.object_state();
  const std::size_t n = state.is_tuple() ? state.size() : 0;
  const Value version = n > 0 ? state.at(0) : Value();
  // numpy writes version 3 with 8 items, or 4 with a ninth: the metadata (arraydescr_reduce).
  if ((n != 8 && n != 9) || !is_int(version) || version.as_int() != static_cast<int>(n) - 5) {
    fail(fmt::format(
        "numpy dtype '{}': unsupported state (numpy >= 1.7 writes (3, ...) of 8 "
        "items or (4, ...) of 9), got {}",
        type_string, state.is_tuple() ? fmt::format("{} items", n) : detail::type_name(state)));
  }
  if (!state.at(2).is_none()) {
    fail(fmt::format("numpy subarray dtypes (dtype '{}' of a shape) are not supported",
                     type_string));
  }
  if (!state.at(3).is_none() || !state.at(4).is_none()) {
    fail(fmt::format("numpy structured dtypes (dtype '{}' with fields {}) are not supported",
                     type_string, state.at(3).repr()));
  }
  DType d = dtype_of_type_string(type_string);
  check_flexible_sizes(d, state.at(5), state.at(6), type_string);
  if (!is_int(state.at(7)) || state.at(7).as_int() < 0 || state.at(7).as_int() > INT32_MAX)
    fail(fmt::format("numpy dtype '{}' state: flags {}", type_string, state.at(7).repr()));
  if ((state.at(7).as_int() & 1) != 0) {  // NPY_ITEM_REFCOUNT: the items hold objects
    fail(fmt::format("numpy dtype '{}' holds Python objects: not supported", type_string));
  }
  // Any flag but NPY_NEEDS_INIT (8, which 'U' has) changes how numpy pickles the items.
  if ((state.at(7).as_int() & ~std::int64_t{8}) != 0)
    fail(fmt::format("numpy dtype '{}' state: flags {} (numpy writes 0 or 8)", type_string,
                     state.at(7).as_int()));
  d.byte_order = byte_order_of(state.at(1), d);
  if (is_time(d.kind)) {
    if (n != 9) fail(fmt::format("numpy dtype '{}' state: no time unit", type_string));
    read_time_unit(state.at(8), d, type_string);
  }
  // Any other dtype's ninth item is its metadata dict, which numpy keeps and NdArray drops.
  if (!is_time(d.kind) && n == 9 && !state.at(8).is_dict()) {
    fail(fmt::format("numpy dtype '{}' state: the metadata must be a dict, got {}", type_string,
                     detail::type_name(state.at(8))));
  }
  return d;
}

Value dtype_value(const DType& dtype) {
  const DType d = in_native_order(dtype);
  const bool flexible = d.kind == DTypeKind::bytes || d.kind == DTypeKind::unicode;
  const std::int64_t size = flexible ? static_cast<std::int64_t>(d.item_size) : -1;
  const std::int64_t alignment = flexible ? static_cast<std::int64_t>(alignment_of(d)) : -1;
  const std::string endian = d.byte_order == ByteOrder::little ? "<"
                             : d.byte_order == ByteOrder::big  ? ">"
                                                               : "|";
  const int flags = d.kind == DTypeKind::unicode ? 8 : 0;  // numpy's NPY_NEEDS_INIT for 'U'
  Value recipe = Value::object(
      Value::global("numpy", "dtype"),
      Value::tuple({Value(fmt::format("{}{}", kind_letter(d.kind), type_string_size(d))),
                    Value(false), Value(true)}));
  if (is_time(d.kind)) {
    const Value info =
        Value::tuple({Value::bytes(unit_text(d.unit)), Value(d.unit_count), Value(1), Value(1)});
    recipe.set_object_state(
        Value::tuple({Value(4), Value(endian), Value(), Value(), Value(), Value(size),
                      Value(alignment), Value(flags), Value::tuple({Value::dict(), info})}));
  } else {
    recipe.set_object_state(Value::tuple({Value(3), Value(endian), Value(), Value(), Value(),
                                          Value(size), Value(alignment), Value(flags)}));
  }
  return recipe;
}

void check_dtype(const DType& d) {
  const auto bad = [&](std::string_view why) {
    throw ValueError(fmt::format("not a numpy dtype NdArray holds: {} ({})", d.str(), why));
  };
  switch (d.kind) {
    case DTypeKind::boolean:
      if (d.item_size != 1) bad("bool is 1 byte");
      break;
    case DTypeKind::signed_int:
    case DTypeKind::unsigned_int:
      if (d.item_size != 1 && d.item_size != 2 && d.item_size != 4 && d.item_size != 8)
        bad("1, 2, 4 or 8 bytes");
      break;
    case DTypeKind::floating:
      if (d.item_size != 2 && d.item_size != 4 && d.item_size != 8) bad("2, 4 or 8 bytes");
      break;
    case DTypeKind::complex:
      if (d.item_size != 8 && d.item_size != 16) bad("8 or 16 bytes");
      break;
    case DTypeKind::bytes:
      if (d.item_size == 0) bad("items of no bytes");
      break;
    case DTypeKind::unicode:
      if (d.item_size == 0) bad("items of no bytes");
      if (d.item_size % 4 != 0) bad("4 bytes per character");
      break;
    case DTypeKind::datetime:
    case DTypeKind::timedelta:
      if (d.item_size != 8) bad("8 bytes");
      if (d.unit_count < 1 || d.unit_count > INT32_MAX) bad("unit count from 1 to 2**31-1");
      if (static_cast<std::size_t>(d.unit) >= kUnits.size()) bad("unknown unit");
      break;
    default:
      bad("unknown kind");
  }
}

std::size_t alignment_of(const DType& d) noexcept {
  switch (d.kind) {
    case DTypeKind::bytes:
      return 1;
    case DTypeKind::unicode:
      return 4;
    case DTypeKind::complex:
      return d.item_size / 2;
    default:
      return d.item_size == 0 ? 1 : d.item_size;
  }
}

std::size_t swap_unit(const DType& d) noexcept {
  switch (d.kind) {
    case DTypeKind::boolean:
    case DTypeKind::bytes:
      return 1;
    case DTypeKind::unicode:
      return 4;
    case DTypeKind::complex:
      return d.item_size / 2;
    default:
      return d.item_size;
  }
}

DType in_native_order(DType d) noexcept {
  d.byte_order = swap_unit(d) <= 1 ? ByteOrder::not_applicable : native_byte_order;
  return d;
}

}  // namespace numpy
}  // namespace picklejar
