#include "tags.hpp"

#include <array>
#include <utility>

namespace picklejar::json {
namespace {

constexpr std::array<std::pair<std::string_view, TagName>, 27> kTags{{
    {"$id", TagName::id},
    {"$ref", TagName::ref},
    {"$interned", TagName::interned},
    {"$str", TagName::str},
    {"$int", TagName::integer},
    {"$float", TagName::floating},
    {"$bytes", TagName::bytes},
    {"$bytearray", TagName::bytearray},
    {"$list", TagName::list},
    {"$tuple", TagName::tuple},
    {"$set", TagName::set},
    {"$frozenset", TagName::frozenset},
    {"$dict", TagName::dict},
    {"$odict", TagName::odict},
    {"$state", TagName::state},
    {"$global", TagName::global},
    {"$object", TagName::object},
    {"$datetime", TagName::datetime},
    {"$date", TagName::date},
    {"$time", TagName::time},
    {"$timedelta", TagName::timedelta},
    {"$decimal", TagName::decimal},
    {"$uuid", TagName::uuid},
    {"$path", TagName::path},
    {"$class", TagName::class_},
    {"$ndarray", TagName::ndarray},
    {"$dtype", TagName::dtype},
}};

}  // namespace

TagName tag_name(std::string_view key) noexcept {
  for (const auto& [text, tag] : kTags) {
    if (text == key) return tag;
  }
  return TagName::unknown;
}

std::string_view tag_text(TagName tag) noexcept {
  for (const auto& [text, t] : kTags) {
    if (t == tag) return text;
  }
  return "$?";
}

}  // namespace picklejar::json
