// from_json(): dict, set and frozenset entries go in once every key they hash is complete.
//
// A key's hash reads its tuples' items, its frozensets' members and its objects' callable and
// args (value.hpp). Tuples and objects are complete when the walk ends; frozensets are tables
// like the one being filled. So each table is filled after a depth-first walk over what its
// keys' hashes read has filled every frozenset on the way. The walk keeps its own stack and
// marks what it finished, so shared parts are walked once. A hash that reads itself (a
// frozenset inside its own member, through tuples or object args) has no value: an error.

#include <picklejar/error.hpp>

#include <fmt/format.h>

#include <unordered_map>
#include <vector>

#include "../value/hash.hpp"
#include "build.hpp"

namespace picklejar::json {
namespace {

using detail::Tag;

class TableFiller {
 public:
  TableFiller(PendingTables& pending, const JsonDom& dom) : pending_(pending), dom_(dom) {}

  void fill_all() {
    for (std::size_t t = 0; t < pending_.tables.size(); ++t) {
      if (!pending_.tables[t].filled) walk_from(pending_.tables[t].node);
    }
  }

 private:
  enum class Mark : std::uint8_t { open, done };
  struct Frame {
    Node* node;
    std::size_t next = 0;  // the next hash input to look at
  };

  const PendingTable* pending_of(const Node* n) const {
    const std::size_t* position = pending_.index.find(n);
    return position == nullptr ? nullptr : &pending_.tables[*position];
  }

  // The i-th slot that hashing `n` reads (for the table being filled: its keys), or nullptr.
  const Slot* hash_input(Node* n, std::size_t i) const {
    if (const PendingTable* t = pending_of(n)) {
      return i < t->count ? &pending_.entries[t->first + i].key : nullptr;
    }
    if (n->kind == Kind::tuple) {
      const auto& items = detail::as_sequence(n).items;
      return i < items.size() ? &items[i] : nullptr;
    }
    if (n->kind == Kind::object && i < 2) {
      return i == 0 ? &detail::as_object(n).callable : &detail::as_object(n).args;
    }
    return nullptr;
  }

  void walk_from(Node* root) {
    std::vector<Frame> stack{Frame{root}};
    marks_[root] = Mark::open;
    while (!stack.empty()) {
      Frame& top = stack.back();
      const Slot* input = hash_input(top.node, top.next++);
      if (input == nullptr) {
        Node* done = top.node;
        stack.pop_back();
        marks_[done] = Mark::done;
        if (const PendingTable* t = pending_of(done)) insert_entries(*t);
        continue;
      }
      if (input->tag != Tag::node) continue;
      Node* child = input->as.node;
      const Kind kind = child->kind;
      if (kind != Kind::tuple && kind != Kind::object && kind != Kind::frozenset) continue;
      const auto [mark, first_visit] = marks_.try_emplace(child, Mark::open);
      if (!first_visit) {
        if (*mark == Mark::open) cycle(root);
        continue;
      }
      if (const PendingTable* t = pending_of(child); t != nullptr && t->filled) {
        *mark = Mark::done;
        continue;
      }
      stack.push_back(Frame{child});
    }
  }

  // The table whose keys were being prepared names the place.
  [[noreturn]] void cycle(const Node* root) const {
    throw JsonError(dom_.pointer(pending_of(root)->element),
                    "a key whose hash depends on itself (a frozenset reached again through its "
                    "own members, tuples or object args) is unhashable");
  }

  void insert_entries(const PendingTable& t) {
    auto& table = t.node->table;
    table.reserve(t.count);
    for (std::size_t i = 0; i < t.count; ++i) {
      const PendingEntry& e = pending_.entries[t.first + i];
      try {
        const auto hash = detail::try_slot_hash(e.key);
        if (!hash) {
          throw TypeError(fmt::format("unhashable type: '{}' used as a {} {}",
                                      kind_name(detail::slot_kind(e.key)), kind_name(t.node->kind),
                                      t.node->kind == Kind::dict ? "key" : "member"));
        }
        auto [entry, inserted] = table.insert(e.key, *hash);
        if (!inserted && entry->key.tag == Tag::node && e.key.tag == Tag::node &&
            entry->key.as.node != e.key.as.node &&
            (detail::key_involves_object(e.key) || detail::key_involves_object(entry->key))) {
          entry = table.append_distinct(e.key, *hash);
        }
        entry->value = e.value;
      } catch (const Error& error) {
        throw JsonError(dom_.pointer(e.element), error.what());
      }
    }
    pending_.tables[*pending_.index.find(t.node)].filled = true;
  }

  PendingTables& pending_;
  const JsonDom& dom_;
  NodeMap<Mark> marks_;
};

}  // namespace

void fill_tables(PendingTables& pending, const JsonDom& dom) {
  TableFiller(pending, dom).fill_all();
}

}  // namespace picklejar::json
