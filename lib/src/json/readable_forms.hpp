#pragma once
// The readable forms of common objects (docs/JSON.md "Readable forms"): what
// to_json(v, {.readable = true}) writes for datetime, date, time, timedelta, Decimal, UUID,
// pathlib.PosixPath and plain instances, and the text those tags hold, both ways. Internal to
// emit.cpp and readable_build.cpp.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "../value/node.hpp"
#include "../value/repr_readable.hpp"
#include "graph.hpp"
#include "tags.hpp"

namespace picklejar::json {

// {"$datetime": "2026-12-07T08:42:33Z"} and the like.
struct ReadableText {
  TagName tag;
  std::string text;
};
// {"$class": "deskapp.state.RecentFile", "path": ...}: `state` (a dict, or None) is written
// as the members after the tag.
struct ReadableInstance {
  std::string class_name;
  detail::Slot state;
};
using ReadableForm = std::variant<std::monostate, ReadableText, ReadableInstance>;

// The readable form of an object node, or monostate when it has none (then the $object form
// is written). Only recipes that reading the form rebuilds exactly get one.
ReadableForm readable_form(detail::Node* object, GraphInfo& graph);

// A time zone as the text can say it.
struct Zone {
  enum class Kind : std::uint8_t { naive, utc, offset, key } kind = Kind::naive;
  std::array<std::int64_t, 3> offset{};  // timedelta fields, for `offset`
  std::string key;                       // zoneinfo.ZoneInfo's key, for `key`
};
struct ParsedTime {
  detail::DateTimeFields fields;
  Zone zone;
};

// "YYYY-MM-DD", "HH:MM:SS[.ffffff][zone]" and the two joined by 'T'; zone is "Z",
// "+HH:MM[:SS[.ffffff]]" or (datetime only) "[Area/City]". nullopt for anything else.
std::optional<ParsedTime> parse_date(std::string_view text);
std::optional<ParsedTime> parse_time(std::string_view text);
std::optional<ParsedTime> parse_datetime(std::string_view text);
// str(timedelta): "[-]D day[s], H:MM:SS[.ffffff]"; nullopt for anything else.
std::optional<std::array<std::int64_t, 3>> parse_timedelta(std::string_view text);
// The parts pathlib keeps for a POSIX path text ("/a//b/." -> "/", "a", "b").
std::vector<std::string> posix_parts(std::string_view text);
// "module.qualname" or "module:qualname" -> (module, qualname).
std::optional<std::pair<std::string, std::string>> split_class_name(std::string_view text);

}  // namespace picklejar::json
