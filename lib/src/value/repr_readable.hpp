#pragma once
// Python's own repr() for objects of well-known classes, and a readable form for plain
// instances, used by repr() in place of the generic recipe form (internal). docs/VALUE.md
// "repr" lists the classes and where the text differs from Python's.
//
// Only what the recipe fully determines is rendered: a recipe Python would reject, or one
// whose text would depend on running the class, keeps the generic <reduce ...> form.

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

// Python's text for a str-syntax decimal.Decimal ("1.5e3" -> "1.5E+3"), or nullopt when
// `text` is not one.
std::optional<std::string> decimal_str(std::string_view text);

}  // namespace picklejar::detail
