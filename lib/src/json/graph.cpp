#include "graph.hpp"

#include <algorithm>
#include <vector>

#include "scalars.hpp"

namespace picklejar::json {
namespace {

using detail::Node;
using detail::Slot;
using detail::Tag;

bool is_str(const Slot& s) { return s.tag == Tag::node && s.as.node->kind == Kind::str; }
std::string_view text_of(const Slot& s) { return detail::as_str(s.as.node).text(); }

// Whether every key of the table is a str that JSON text can hold.
bool str_keys(Node* table) {
  for (const auto& e : detail::as_table(table).table.entries()) {
    if (e.key.tag == Tag::erased) continue;
    if (!is_str(e.key) || has_surrogates(text_of(e.key))) return false;
  }
  return true;
}

}  // namespace

GraphInfo::GraphInfo(const Slot& root) {
  // Depth-first, children in order, each node expanded where it is first met: the order in
  // which to_json() writes the nodes out, so that the pooled str of a text is the first one
  // written. Every edge passes through the stack once, which counts the references.
  std::vector<Node*> work;
  if (root.tag == Tag::node) work.push_back(root.as.node);
  while (!work.empty()) {
    Node* n = work.back();
    work.pop_back();
    if (nodes_[n].refs++ > 0) continue;
    if (n->kind == Kind::str) {
      nodes_[n].plain_text = !has_surrogates(detail::as_str(n).text());
    } else if (n->kind == Kind::dict && str_keys(n)) {
      for (const auto& e : detail::as_table(n).table.entries()) {
        if (e.key.tag != Tag::erased) offer_to_pool(e.key);
      }
    } else if (n->kind == Kind::global) {
      offer_to_pool(detail::as_global(n).module);
      offer_to_pool(detail::as_global(n).name);
    }
    const std::size_t first_child = work.size();
    detail::for_each_child(n, [&](const Slot& child) {
      if (child.tag == Tag::node) work.push_back(child.as.node);
    });
    std::reverse(work.begin() + static_cast<std::ptrdiff_t>(first_child), work.end());
  }
}

// The first str offered for a text is the one written by that text; others with the same
// text are written as ordinary (tagged where needed) strs.
void GraphInfo::offer_to_pool(const Slot& str) {
  if (!is_str(str) || has_surrogates(text_of(str))) return;
  const auto it = pool_.try_emplace(text_of(str), str.as.node).first;
  if (it->second == str.as.node) nodes_[str.as.node].pooled = true;
}

bool GraphInfo::plain_keys(const Node* table) {
  for (const auto& e : detail::as_table(const_cast<Node*>(table)).table.entries()) {
    if (e.key.tag == Tag::erased) continue;
    if (!is_str(e.key) || !at(e.key.as.node).pooled) return false;
  }
  return true;
}

}  // namespace picklejar::json
