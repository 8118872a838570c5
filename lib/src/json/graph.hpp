#pragma once
// What to_json() must know about a value graph before writing it: how often each node is
// referenced (a node met twice gets an "$id" on its first appearance and a "$ref" later), and
// which str nodes are *pooled*: written by their text as dict keys and global names, where
// the reader makes all such occurrences of one text one node (docs/JSON.md, "Sharing").

#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "../value/node.hpp"
#include "hashing.hpp"
#include "node_map.hpp"

namespace picklejar::json {

struct NodeInfo {
  std::uint32_t refs = 0;   // slots (and the root) referring to the node
  std::uint32_t id = 0;     // its "$id", given when first written, if refs > 1
  bool plain_text = false;  // a str without lone surrogates
  bool pooled = false;      // a str written by its text in key and name positions
};

class GraphInfo {
 public:
  // Walks everything reachable from `root` once (no recursion).
  explicit GraphInfo(const detail::Slot& root);

  // Every reachable node has an entry; the reference stays valid (nothing is added later).
  NodeInfo& at(const detail::Node* node) { return *nodes_.find(node); }
  // Whether every key of a dict is a pooled str, so that it can be a JSON object.
  bool plain_keys(const detail::Node* table);

 private:
  void offer_to_pool(const detail::Slot& str);

  NodeMap<NodeInfo> nodes_;
  std::unordered_map<std::string_view, const detail::Node*, TextHash> pool_;  // text -> node
};

}  // namespace picklejar::json
