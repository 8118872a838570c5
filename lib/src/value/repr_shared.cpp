// Which objects a labelled repr() labels: those it would print more than once.

#include <unordered_map>

#include "repr_printer.hpp"

namespace picklejar::detail {
namespace {

// Leaves shorter than this print in full at every appearance: a label would not be shorter.
constexpr std::size_t kShortLeaf = 32;

bool worth_a_label(Node* n) {
  switch (n->kind) {
    case Kind::str:
      return as_str(n).size > kShortLeaf;
    case Kind::bytes:
    case Kind::bytearray:
      return as_bytes(n).view().size() > kShortLeaf;
    case Kind::integer:
      return as_bigint(n).value.bit_length() > 4 * kShortLeaf;
    case Kind::global: {
      const auto& g = as_global(n);
      return as_str(g.module.as.node).size + as_str(g.name.as.node).size > kShortLeaf;
    }
    default:
      return true;
  }
}

}  // namespace

std::unordered_set<Node*> shared_nodes(const Slot& root) {
  std::unordered_map<Node*, std::uint32_t> references;
  std::vector<Node*> work;
  const auto reach = [&](const Slot& s) {
    if (s.tag != Tag::node) return;
    if (references[s.as.node]++ == 0) work.push_back(s.as.node);
  };
  reach(root);
  while (!work.empty()) {
    Node* n = work.back();
    work.pop_back();
    for_each_printed_child(n, reach);
  }
  std::unordered_set<Node*> shared;
  for (const auto& [n, count] : references) {
    if (count > 1 && worth_a_label(n)) shared.insert(n);
  }
  return shared;
}

}  // namespace picklejar::detail
