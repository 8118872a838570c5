// Which objects a labelled repr() labels: those it would print more than once.

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

Node* SameGlobals::canonical(Node* global) {
  const auto& g = as_global(global);
  const std::string_view module = as_str(g.module.as.node).text();
  std::string key = std::to_string(module.size()) + ':';
  key += module;
  key += as_str(g.name.as.node).text();
  return first_.try_emplace(std::move(key), global).first->second;
}

void mark_shared_nodes(const Slot& root, ReprMarks& marks, SameGlobals& globals) {
  std::vector<Node*> work;
  const auto reach = [&](const Slot& s) {
    if (s.tag != Tag::node) return;
    Node* n = s.as.node;
    if (n->kind == Kind::global) n = globals.canonical(n);
    if (!ReprMarks::has(n, repr_seen)) {
      marks.set(n, repr_seen);
      work.push_back(n);
    } else if (!ReprMarks::has(n, repr_shared) && worth_a_label(n)) {
      marks.set(n, repr_shared);
    }
  };
  reach(root);
  while (!work.empty()) {
    Node* n = work.back();
    work.pop_back();
    for_each_printed_child(n, reach);
  }
}

}  // namespace picklejar::detail
