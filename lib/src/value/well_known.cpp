#include "well_known.hpp"

namespace picklejar::detail {

WellKnown classify_global(std::string_view module, std::string_view name) noexcept {
  if (module == "builtins") {
    if (name == "set") return WellKnown::builtins_set;
    if (name == "frozenset") return WellKnown::builtins_frozenset;
    if (name == "bytearray") return WellKnown::builtins_bytearray;
    if (name == "bytes") return WellKnown::builtins_bytes;
    if (name == "object") return WellKnown::builtins_object;
  } else if (module == "_codecs" && name == "encode") {
    return WellKnown::codecs_encode;
  } else if (module == "copyreg" && name == "_reconstructor") {
    return WellKnown::copyreg_reconstructor;
  } else if (module == "collections" && name == "OrderedDict") {
    return WellKnown::ordered_dict;
  }
  return WellKnown::none;
}

GlobalNode* make_global_node(Heap& heap, const Slot& module, const Slot& name) {
  auto* node = heap.make<GlobalNode>();
  node->module = module;
  node->name = name;
  node->well_known = classify_global(as_str(module.as.node).text(), as_str(name.as.node).text());
  return node;
}

}  // namespace picklejar::detail
