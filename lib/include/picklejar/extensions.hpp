#pragma once
// ExtensionRegistry: the table behind pickle's EXT1/EXT2/EXT4 opcodes (Python's
// copyreg.add_extension). A pickle may refer to a global by a small integer code instead of
// its name; the decoder resolves codes only through a registry the caller fills in. The
// default is none, so EXT opcodes are refused unless the caller opted in.

#include <picklejar/config.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace picklejar {

// A global's name as Python's copyreg extension registry keeps it.
struct GlobalName {
  std::string module;    // "collections"
  std::string qualname;  // "OrderedDict"; dotted for nested classes
  friend bool operator==(const GlobalName&, const GlobalName&) = default;  // both parts equal
};

// Extension codes and the globals they stand for (see the top of this file).
class PICKLEJAR_EXPORT ExtensionRegistry {
 public:
  // Registers `code` for module.qualname. Codes run from 1 to 0x7fffffff, as in copyreg.
  // Registering the same pair again is a no-op; a code or name already bound to something
  // else throws ValueError.
  void add(std::int32_t code, std::string module, std::string qualname);

  // The global registered under `code`; nullptr when there is none.
  const GlobalName* find(std::int32_t code) const noexcept;
  // The code registered for module.qualname; nullopt when there is none.
  std::optional<std::int32_t> code_of(std::string_view module,
                                      std::string_view qualname) const noexcept;
  bool empty() const noexcept { return by_code_.empty(); }  // nothing registered

 private:
  std::unordered_map<std::int32_t, GlobalName> by_code_;
  std::unordered_map<std::string, std::int32_t> by_name_;  // "module\nqualname"
};

}  // namespace picklejar
