#pragma once
// Python's own repr() for objects of well-known classes, and a readable form for plain
// instances, used by repr() in place of the generic recipe form (internal). docs/VALUE.md
// "repr" lists the classes and where the text differs from Python's.
//
// Only what the recipe fully determines is rendered: a recipe Python would reject, or one
// whose text would depend on running the class, keeps the generic <reduce ...> form.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <picklejar/value.hpp>

namespace picklejar::detail {

// One piece of a rendering: literal text, then (when `value` is set) a value that repr()
// prints itself, so nested values keep every repr() rule (limits, cycles, shared labels).
struct ReprPart {
  std::string text;
  std::optional<Value> value;
};
using ReprParts = std::vector<ReprPart>;

// The rendering of `object` (an object Value), or nullopt for the generic form.
std::optional<ReprParts> readable_object(const Value& object);

// repr_datetime.cpp: datetime.datetime/date/time/timedelta/timezone and
// zoneinfo.ZoneInfo, called with the recipe's callable.
std::optional<ReprParts> readable_datetime(const Value& object, const Value& callable);

// The fields of datetime's packed state bytes (datetime: date's 4 then time's 6), unpacked;
// false when a field is out of range. `fold` is the bit on the month or hour byte.
struct DateTimeFields {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, micro = 0;
  bool fold = false;
};
bool unpack_date(std::string_view four_bytes, DateTimeFields& f);
bool unpack_time(std::string_view six_bytes, DateTimeFields& f);
// (days, seconds, microseconds) of a datetime.timedelta recipe, normalized as Python keeps
// them; nullopt for anything else.
std::optional<std::array<std::int64_t, 3>> timedelta_fields(const Value& v);

// The text pathlib gives a POSIX path made of these args (nullopt: not all strs).
std::optional<std::string> posix_path(const Value& args);

// Python's text for a str-syntax decimal.Decimal ("1.5e3" -> "1.5E+3"), or nullopt when
// `text` is not one.
std::optional<std::string> decimal_str(std::string_view text);

}  // namespace picklejar::detail
