// Python's repr() of the datetime module's objects and of zoneinfo.ZoneInfo, from the recipes
// CPython pickles them as: datetime(state10[, tzinfo]), date(state4), time(state6[, tzinfo]),
// timedelta(days, seconds, microseconds), timezone(offset[, name]) and
// getattr(ZoneInfo, '_unpickle')(key, from_cache).

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <string>

#include "repr_readable.hpp"

namespace picklejar::detail {
namespace {

bool is_global(const Value& v, std::string_view module, std::string_view name) {
  return v.is_global() && v.global_module() == module && v.global_name() == name;
}

int byte_at(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// ", S, us" as Python drops trailing zero fields.
std::string seconds_text(const DateTimeFields& f) {
  if (f.micro != 0) return fmt::format(", {}, {}", f.second, f.micro);
  if (f.second != 0) return fmt::format(", {}", f.second);
  return {};
}

// (state[, tzinfo]) with state a bytes of `size`; nullopt otherwise.
std::optional<std::string> state_bytes(const Value& args, std::size_t size) {
  if (!args.is_tuple() || args.size() < 1 || args.size() > 2) return std::nullopt;
  const Value state = args.at(0);
  if (!state.is_bytes() || state.as_bytes_view().size() != size) return std::nullopt;
  return std::string(state.as_bytes_view());
}

void add_tzinfo(ReprParts& parts, const Value& args) {
  if (args.size() < 2 || args.at(1).is_none()) return;
  parts.push_back({", tzinfo=", std::nullopt});
  parts.push_back({"", args.at(1)});
}

std::optional<ReprParts> datetime_repr(const Value& args) {
  const auto state = state_bytes(args, 10);
  DateTimeFields f;
  if (!state || !unpack_date(state->substr(0, 4), f)) return std::nullopt;
  const bool fold = f.fold;
  if (!unpack_time(state->substr(4), f) || f.fold) return std::nullopt;
  ReprParts parts{{fmt::format("datetime.datetime({}, {}, {}, {}, {}{}{}", f.year, f.month, f.day,
                               f.hour, f.minute, seconds_text(f), fold ? ", fold=1" : ""),
                   std::nullopt}};
  add_tzinfo(parts, args);  // datetime puts fold first, time puts tzinfo first
  parts.push_back({")", std::nullopt});
  return parts;
}

std::optional<ReprParts> date_repr(const Value& args) {
  DateTimeFields f;
  if (!args.is_tuple() || args.size() != 1) return std::nullopt;
  const auto state = state_bytes(args, 4);
  if (!state || !unpack_date(*state, f) || f.fold) return std::nullopt;
  return ReprParts{{fmt::format("datetime.date({}, {}, {})", f.year, f.month, f.day), {}}};
}

std::optional<ReprParts> time_repr(const Value& args) {
  DateTimeFields f;
  const auto state = state_bytes(args, 6);
  if (!state || !unpack_time(*state, f)) return std::nullopt;
  ReprParts parts{
      {fmt::format("datetime.time({}, {}{}", f.hour, f.minute, seconds_text(f)), std::nullopt}};
  add_tzinfo(parts, args);
  parts.push_back({f.fold ? ", fold=1)" : ")", std::nullopt});
  return parts;
}

}  // namespace

// timedelta's three normalized fields, as its __reduce__ gives them.
std::optional<std::array<std::int64_t, 3>> timedelta_fields(const Value& v) {
  if (!v.is_object() || v.object_form() != ObjectForm::reduce ||
      !is_global(v.object_callable(), "datetime", "timedelta")) {
    return std::nullopt;
  }
  const Value args = v.object_args();
  if (args.size() != 3) return std::nullopt;
  std::array<std::int64_t, 3> out{};
  for (std::size_t i = 0; i < 3; ++i) {
    const Value field = args.at(i);
    if (!field.is_int() || field.is_bool() || !field.fits_int64()) return std::nullopt;
    out[i] = field.as_int();
  }
  const bool normalized = out[0] >= -999999999 && out[0] <= 999999999 && out[1] >= 0 &&
                          out[1] < 86400 && out[2] >= 0 && out[2] < 1000000;
  if (!normalized) return std::nullopt;
  return out;
}

namespace {

std::optional<ReprParts> timedelta_repr(const Value& v) {
  const auto f = timedelta_fields(v);
  if (!f) return std::nullopt;
  std::string text;
  static constexpr std::array<const char*, 3> kNames{"days", "seconds", "microseconds"};
  for (std::size_t i = 0; i < 3; ++i) {
    if ((*f)[i] != 0) text += fmt::format("{}{}={}", text.empty() ? "" : ", ", kNames[i], (*f)[i]);
  }
  return ReprParts{{"datetime.timedelta(" + (text.empty() ? "0" : text) + ")", std::nullopt}};
}

// timezone(offset) with a zero offset and no name unpickles as the timezone.utc singleton.
std::optional<ReprParts> timezone_repr(const Value& args) {
  if (args.size() < 1 || args.size() > 2) return std::nullopt;
  const auto offset = timedelta_fields(args.at(0));
  if (!offset) return std::nullopt;
  if (args.size() == 1 && *offset == std::array<std::int64_t, 3>{0, 0, 0}) {
    return ReprParts{{"datetime.timezone.utc", std::nullopt}};
  }
  ReprParts parts{{"datetime.timezone(", std::nullopt}, {"", args.at(0)}};
  if (args.size() == 2) {
    if (!args.at(1).is_str()) return std::nullopt;
    parts.push_back({", ", std::nullopt});
    parts.push_back({"", args.at(1)});
  }
  parts.push_back({")", std::nullopt});
  return parts;
}

// ZoneInfo.__reduce__ is (ZoneInfo._unpickle, (key, from_cache)); the classmethod pickles as
// getattr(ZoneInfo, '_unpickle').
std::optional<ReprParts> zoneinfo_repr(const Value& callable, const Value& args) {
  if (!callable.is_object() || callable.object_form() != ObjectForm::reduce ||
      !is_global(callable.object_callable(), "builtins", "getattr")) {
    return std::nullopt;
  }
  const Value getattr_args = callable.object_args();
  if (getattr_args.size() != 2 || !is_global(getattr_args.at(0), "zoneinfo", "ZoneInfo") ||
      !getattr_args.at(1).is_str() || getattr_args.at(1).as_str() != "_unpickle") {
    return std::nullopt;
  }
  if (args.size() != 2 || !args.at(0).is_str()) return std::nullopt;
  return ReprParts{{"zoneinfo.ZoneInfo(key=", std::nullopt}, {"", args.at(0)}, {")", {}}};
}

}  // namespace

bool unpack_time(std::string_view s, DateTimeFields& f) {  // hour, minute, second, micro (3 bytes)
  f.fold = byte_at(s, 0) & 0x80;
  f.hour = byte_at(s, 0) & 0x7F;
  f.minute = byte_at(s, 1);
  f.second = byte_at(s, 2);
  f.micro = (byte_at(s, 3) << 16) | (byte_at(s, 4) << 8) | byte_at(s, 5);
  return f.hour < 24 && f.minute < 60 && f.second < 60 && f.micro < 1000000;
}

bool unpack_date(std::string_view s, DateTimeFields& f) {  // year (2 bytes), month (fold bit), day
  f.year = (byte_at(s, 0) << 8) | byte_at(s, 1);
  f.fold = byte_at(s, 2) & 0x80;
  f.month = byte_at(s, 2) & 0x7F;
  f.day = byte_at(s, 3);
  return f.year >= 1 && f.year <= 9999 && f.month >= 1 && f.month <= 12 && f.day >= 1 &&
         f.day <= days_in_month(f.year, f.month);
}

std::optional<ReprParts> readable_datetime(const Value& object, const Value& callable) {
  if (object.object_form() != ObjectForm::reduce) return std::nullopt;
  const Value args = object.object_args();
  if (callable.is_object()) return zoneinfo_repr(callable, args);
  if (!callable.is_global() || callable.global_module() != "datetime") return std::nullopt;
  const std::string_view name = callable.global_name();
  if (name == "datetime") return datetime_repr(args);
  if (name == "date") return date_repr(args);
  if (name == "time") return time_repr(args);
  if (name == "timedelta") return timedelta_repr(object);
  if (name == "timezone") return timezone_repr(args);
  return std::nullopt;
}

}  // namespace picklejar::detail
