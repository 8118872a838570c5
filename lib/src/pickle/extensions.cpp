#include <picklejar/error.hpp>
#include <picklejar/extensions.hpp>

#include <fmt/format.h>

namespace picklejar {
namespace {
std::string name_key(std::string_view module, std::string_view qualname) {
  std::string key(module);
  key.push_back('\n');
  key.append(qualname);
  return key;
}
}  // namespace

void ExtensionRegistry::add(std::int32_t code, std::string module, std::string qualname) {
  if (code < 1) throw ValueError(fmt::format("extension code {} out of range (1..0x7fffffff)", code));
  const std::string key = name_key(module, qualname);
  const auto by_code = by_code_.find(code);
  const auto by_name = by_name_.find(key);
  if (by_code != by_code_.end() && by_name != by_name_.end() && by_name->second == code) return;
  if (by_code != by_code_.end()) {
    throw ValueError(fmt::format("extension code {} is already registered for {}.{}", code,
                                 by_code->second.module, by_code->second.qualname));
  }
  if (by_name != by_name_.end()) {
    throw ValueError(fmt::format("{}.{} is already registered with code {}", module, qualname,
                                 by_name->second));
  }
  by_name_.emplace(key, code);
  by_code_.emplace(code, GlobalName{std::move(module), std::move(qualname)});
}

const GlobalName* ExtensionRegistry::find(std::int32_t code) const noexcept {
  const auto it = by_code_.find(code);
  return it == by_code_.end() ? nullptr : &it->second;
}

std::optional<std::int32_t> ExtensionRegistry::code_of(std::string_view module,
                                                       std::string_view qualname) const noexcept {
  const auto it = by_name_.find(name_key(module, qualname));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

}  // namespace picklejar
