// The type check of `picklejar set` (type_change.hpp).

#include "type_change.hpp"

#include <picklejar/error.hpp>

#include <fmt/format.h>

#include "session_common.hpp"

namespace picklejar::cli {

std::string python_type_name(const Value& value) {
  if (value.is_dict() && value.dict_flavor() == DictFlavor::ordered_dict) {
    return "collections.OrderedDict";
  }
  if (!value.is_object()) return std::string(kind_name(value.kind()));
  const Value callable = value.object_callable();
  if (!callable.is_global()) return "object";
  return fmt::format("{}.{}", callable.global_module(), callable.global_name());
}

void check_same_type(const Session& session, std::string_view key, const Value& replacement) {
  std::optional<Value> current;
  try {
    current = session.find(key);
  } catch (const IntegrityError&) {
    return;
  } catch (const DecodeError&) {
    return;
  }
  if (!current) return;
  const std::string before = python_type_name(*current), after = python_type_name(replacement);
  if (before == after) return;
  throw TypeError(fmt::format(
      "key '{}' holds a {} and the new value is a {}: an application reading it as before may "
      "fail; nothing written (--force stores it anyway)",
      one_line(key), before, after));
}

}  // namespace picklejar::cli
