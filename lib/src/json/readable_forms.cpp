// Readable forms (readable_forms.hpp): which objects have one, and their text both ways.

#include "readable_forms.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include <picklejar/repr.hpp>

#include "../value/value_access.hpp"

namespace picklejar::json {
namespace {

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

bool is_global(const Value& v, std::string_view module, std::string_view name) {
  return v.is_global() && v.global_module() == module && v.global_name() == name;
}

bool is_reduce_of(const Value& v, std::string_view module, std::string_view name) {
  return v.is_object() && v.object_form() == ObjectForm::reduce &&
         is_global(v.object_callable(), module, name) && v.object_kwargs().is_none() &&
         v.object_state().is_none() && v.object_listitems().empty() && v.object_dictitems().empty();
}

std::string date_text(const detail::DateTimeFields& f) {
  return fmt::format("{:04}-{:02}-{:02}", f.year, f.month, f.day);
}

std::string clock_text(const detail::DateTimeFields& f) {
  std::string out = fmt::format("{:02}:{:02}:{:02}", f.hour, f.minute, f.second);
  if (f.micro != 0) out += fmt::format(".{:06}", f.micro);
  return out;
}

// "+05:30", "-00:00:01.000001" as Python's isoformat writes a UTC offset.
std::string offset_text(const std::array<std::int64_t, 3>& td) {
  std::int64_t micros = td[0] * kMicrosPerDay + td[1] * 1'000'000 + td[2];
  const char sign = micros < 0 ? '-' : '+';
  micros = std::llabs(micros);
  const std::int64_t seconds = micros / 1'000'000, us = micros % 1'000'000;
  std::string out = fmt::format("{}{:02}:{:02}", sign, seconds / 3600, seconds / 60 % 60);
  if (seconds % 60 != 0 || us != 0) out += fmt::format(":{:02}", seconds % 60);
  if (us != 0) out += fmt::format(".{:06}", us);
  return out;
}

// The zone suffix for a tzinfo argument, or nullopt when the text cannot say it exactly.
std::optional<std::string> zone_text(const Value& tz, bool allow_key) {
  if (tz.is_none()) return std::string();
  if (is_reduce_of(tz, "datetime", "timezone")) {
    const Value args = tz.object_args();
    if (args.size() != 1) return std::nullopt;  // a named timezone
    const auto td = detail::timedelta_fields(args.at(0));
    if (!td || !is_reduce_of(args.at(0), "datetime", "timedelta")) return std::nullopt;
    const std::int64_t micros = (*td)[0] * kMicrosPerDay + (*td)[1] * 1'000'000 + (*td)[2];
    if (micros == 0) return std::string("Z");
    if (std::llabs(micros) >= kMicrosPerDay) return std::nullopt;
    return offset_text(*td);
  }
  if (!allow_key || !tz.is_object() || tz.object_form() != ObjectForm::reduce) return std::nullopt;
  const Value factory = tz.object_callable(), args = tz.object_args();
  if (!is_reduce_of(factory, "builtins", "getattr")) return std::nullopt;
  const Value target = factory.object_args();
  if (target.size() != 2 || !is_global(target.at(0), "zoneinfo", "ZoneInfo") ||
      !target.at(1).is_str() || target.at(1).as_str() != "_unpickle") {
    return std::nullopt;
  }
  if (args.size() != 2 || !args.at(0).is_str() || args.at(1).is_bool() || !args.at(1).is_int() ||
      args.at(1).as_int() != 1) {
    return std::nullopt;
  }
  const std::string_view key = args.at(0).as_str();
  if (key.empty() || key.find_first_of("[]") != std::string_view::npos) return std::nullopt;
  return fmt::format("[{}]", key);
}

// The state bytes of a datetime/date/time recipe with at most `max_args` args.
std::optional<std::string> state_of(const Value& v, std::size_t size, std::size_t max_args) {
  const Value args = v.object_args();
  if (args.size() < 1 || args.size() > max_args || !args.at(0).is_bytes()) return std::nullopt;
  const std::string_view state = args.at(0).as_bytes_view();
  if (state.size() != size) return std::nullopt;
  return std::string(state);
}

std::optional<std::string> datetime_text(const Value& v, std::string_view name) {
  detail::DateTimeFields f;
  const Value args = v.object_args();
  const Value tz = args.size() == 2 ? args.at(1) : Value();
  if (name == "date") {
    const auto state = state_of(v, 4, 1);
    if (!state || !detail::unpack_date(*state, f) || f.fold) return std::nullopt;
    return date_text(f);
  }
  if (name == "time") {
    const auto state = state_of(v, 6, 2);
    if (!state || !detail::unpack_time(*state, f) || f.fold) return std::nullopt;
    const auto zone = zone_text(tz, false);
    if (!zone) return std::nullopt;
    return clock_text(f) + *zone;
  }
  const auto state = state_of(v, 10, 2);
  if (!state || !detail::unpack_date(state->substr(0, 4), f) || f.fold) return std::nullopt;
  if (!detail::unpack_time(state->substr(4), f) || f.fold) return std::nullopt;
  const auto zone = zone_text(tz, true);
  if (!zone) return std::nullopt;
  return date_text(f) + "T" + clock_text(f) + *zone;
}

// str(timedelta).
std::string timedelta_text(const std::array<std::int64_t, 3>& td) {
  std::string out;
  if (td[0] != 0) out = fmt::format("{} day{}, ", td[0], std::llabs(td[0]) == 1 ? "" : "s");
  out += fmt::format("{}:{:02}:{:02}", td[1] / 3600, td[1] / 60 % 60, td[1] % 60);
  if (td[2] != 0) out += fmt::format(".{:06}", td[2]);
  return out;
}

std::optional<std::string> uuid_text(const Value& v) {
  const Value state = v.object_state();
  if (!state.is_dict() || state.size() != 1) return std::nullopt;
  const std::optional<Value> number = state.find(Value("int"));
  if (!number || number->is_bool() || !number->is_int()) return std::nullopt;
  const std::vector<std::byte> bytes = number->int_to_bytes();
  const bool negative = !bytes.empty() && (std::to_integer<unsigned>(bytes.back()) & 0x80) != 0;
  if (negative || bytes.size() > 17 || (bytes.size() == 17 && bytes[16] != std::byte{0})) {
    return std::nullopt;
  }
  std::string text;
  for (std::size_t i = 16; i-- > 0;) {
    if (i == 11 || i == 9 || i == 7 || i == 5) text += '-';
    text += fmt::format("{:02x}", i < bytes.size() ? std::to_integer<unsigned>(bytes[i]) : 0U);
  }
  return text;
}

// A PosixPath whose args are exactly the parts pathlib gives its text.
std::optional<std::string> path_text(const Value& v) {
  const Value args = v.object_args();
  const auto text = detail::posix_path(args);
  if (!text) return std::nullopt;
  const std::vector<std::string> parts = posix_parts(*text);
  if (parts.size() != args.size()) return std::nullopt;
  for (std::size_t i = 0; i < parts.size(); ++i)
    if (args.at(i).as_str() != parts[i]) return std::nullopt;
  return text;
}

bool is_identifier(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    const bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!ok) return false;
  }
  return true;
}

ReadableForm instance_form(const Value& v, const detail::ObjectNode& o, GraphInfo& graph) {
  const Value state = v.object_state(), callable = v.object_callable();
  const std::string_view module = callable.global_module(), name = callable.global_name();
  if (module.empty() || name.empty() || module.find(':') != std::string_view::npos ||
      str_repr(module).size() != module.size() + 2 || str_repr(name).size() != name.size() + 2) {
    return {};
  }
  if (!state.is_none()) {
    if (!state.is_dict() || state.dict_flavor() != DictFlavor::dict || state.size() == 0) return {};
    detail::Node* table = o.state.as.node;
    if (!graph.plain_keys(table) || graph.at(table).refs != 1) return {};
    for (const auto& [key, value] : state.items())
      if (!is_identifier(key.as_str())) return {};
  }
  const char separator = name.find('.') == std::string_view::npos ? '.' : ':';
  return ReadableInstance{fmt::format("{}{}{}", module, separator, name), o.state};
}

}  // namespace

std::vector<std::string> posix_parts(std::string_view text) {
  std::vector<std::string> parts;
  if (text.starts_with("//") && !text.starts_with("///")) {
    parts.emplace_back("//");
  } else if (text.starts_with('/')) {
    parts.emplace_back("/");
  }
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t end = text.find('/', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view part = text.substr(start, end - start);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    start = end + 1;
  }
  return parts;
}

ReadableForm readable_form(detail::Node* n, GraphInfo& graph) {
  const Value v = detail::ValueAccess::handle(detail::node_slot(n));
  const auto& o = detail::as_object(n);
  const Value callable = v.object_callable();
  if (!callable.is_global() || !o.listitems.empty() || !o.dictitems.empty() ||
      o.kwargs.tag != detail::Tag::none) {
    return {};
  }
  const std::string_view module = callable.global_module(), name = callable.global_name();
  std::optional<std::string> text;
  TagName tag = TagName::unknown;
  if (v.object_form() == ObjectForm::reduce) {
    if (o.state.tag != detail::Tag::none) return {};
    if (module == "datetime" && (name == "datetime" || name == "date" || name == "time")) {
      text = datetime_text(v, name);
      tag = name == "datetime" ? TagName::datetime : name == "date" ? TagName::date : TagName::time;
    } else if (module == "datetime" && name == "timedelta") {
      if (const auto td = detail::timedelta_fields(v)) text = timedelta_text(*td);
      tag = TagName::timedelta;
    } else if (module == "decimal" && name == "Decimal") {
      const Value args = v.object_args();
      if (args.size() == 1 && args.at(0).is_str() && detail::decimal_str(args.at(0).as_str())) {
        text = std::string(args.at(0).as_str());
      }
      tag = TagName::decimal;
    } else if (module == "pathlib" && name == "PosixPath") {
      text = path_text(v);
      tag = TagName::path;
    }
    if (!text) return {};
    return ReadableText{tag, std::move(*text)};
  }
  if (v.object_form() != ObjectForm::newobj || v.object_args().size() != 0) return {};
  if (module == "uuid" && name == "UUID") {
    if (auto uuid = uuid_text(v)) return ReadableText{TagName::uuid, std::move(*uuid)};
  }
  return instance_form(v, o, graph);
}

}  // namespace picklejar::json
