#include "compat_names.hpp"

#include <algorithm>
#include <span>

namespace picklejar::pickle {
namespace {
#include "compat_names.inc"

std::optional<GlobalRef> map_name(std::span<const NameMapping> names,
                                  std::span<const ModuleMapping> modules, std::string_view module,
                                  std::string_view name) noexcept {
  const auto key = std::pair(module, name);
  auto it = std::lower_bound(names.begin(), names.end(), key, [](const NameMapping& m, const auto& k) {
    return std::pair(m.module, m.name) < k;
  });
  if (it != names.end() && it->module == module && it->name == name) {
    return GlobalRef{it->to_module, it->to_name};
  }
  auto mod = std::lower_bound(modules.begin(), modules.end(), module,
                              [](const ModuleMapping& m, std::string_view k) { return m.module < k; });
  if (mod != modules.end() && mod->module == module) return GlobalRef{mod->to_module, name};
  return std::nullopt;
}

}  // namespace

std::optional<GlobalRef> py2_to_py3(std::string_view module, std::string_view name) noexcept {
  return map_name(kNameMapping, kImportMapping, module, name);
}

std::optional<GlobalRef> py3_to_py2(std::string_view module, std::string_view name) noexcept {
  return map_name(kReverseNameMapping, kReverseImportMapping, module, name);
}

}  // namespace picklejar::pickle
