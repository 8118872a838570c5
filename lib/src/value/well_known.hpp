#pragma once
// Globals the decoder understands without running anything (see WellKnown in node.hpp).

#include <string_view>

#include "heap.hpp"
#include "node.hpp"

namespace picklejar::detail {

WellKnown classify_global(std::string_view module, std::string_view name) noexcept;

// A global node in `heap` whose module and name are the given str nodes.
GlobalNode* make_global_node(Heap& heap, const Slot& module, const Slot& name);

}  // namespace picklejar::detail
