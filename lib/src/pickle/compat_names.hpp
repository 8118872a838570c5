#pragma once
// Python 2 <-> Python 3 names for globals (CPython's _compat_pickle), applied by the decoder
// to protocol 0-2 pickles as pickle.loads(fix_imports=True) does, and by the encoder the
// other way when writing protocol 0-2.

#include <optional>
#include <string_view>
#include <utility>

namespace picklejar::pickle {

struct NameMapping {
  std::string_view module, name, to_module, to_name;
};
struct ModuleMapping {
  std::string_view module, to_module;
};

using GlobalRef = std::pair<std::string_view, std::string_view>;

// Python 2 name -> Python 3 name (NAME_MAPPING first, then IMPORT_MAPPING for the module);
// empty when nothing applies.
std::optional<GlobalRef> py2_to_py3(std::string_view module, std::string_view name) noexcept;
// Python 3 name -> Python 2 name (REVERSE_NAME_MAPPING, then REVERSE_IMPORT_MAPPING).
std::optional<GlobalRef> py3_to_py2(std::string_view module, std::string_view name) noexcept;

}  // namespace picklejar::pickle
