#pragma once
// Builder: a JsonDom to a Value graph. Internal to from_json(). Files:
//   build.cpp        the work loop, plain JSON values, the pool of key/name strs, ids
//   build_tags.cpp   tagged objects ("$tuple", "$ref", "$object", ...)
//   build_numpy.cpp  numpy's compact forms ("$ndarray", "$dtype")
//   tables.cpp       filling dicts, sets and frozensets once their keys are complete
//
// Nodes are made in document order *before* their contents, and registered under their $id
// at once, so a "$ref" inside a node's own contents (a cycle) finds it. List, tuple and
// object slots are filled in place as the walk reaches them. Dict and set entries wait in
// PendingTables until every node exists: hashing a key needs the key complete, and a key may
// contain a frozenset or tuple that the walk has only begun (tables.cpp fills them in an order
// where everything a hash reads is complete first).

#include <picklejar/json.hpp>

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../value/heap.hpp"
#include "../value/node.hpp"
#include "dom.hpp"
#include "hashing.hpp"
#include "node_map.hpp"
#include "tags.hpp"

namespace picklejar::json {

using detail::Node;
using detail::Slot;

struct PendingEntry {
  Slot key;
  Slot value;             // None for set members
  std::uint32_t element;  // the JSON member, pair or item, for errors
};

struct PendingTable {
  detail::TableNode* node;
  std::size_t first = 0;  // its entries in PendingTables::entries
  std::size_t count = 0;
  std::uint32_t element;  // the JSON container, for errors
  bool filled = false;
};

struct PendingTables {
  std::deque<PendingEntry> entries;  // a deque: the walk writes into entries by address
  std::vector<PendingTable> tables;  // in document order
  NodeMap<std::size_t> index;        // node -> position in tables
};

// Inserts every pending entry into its table (Python dict semantics: an equal key keeps the
// first key object and takes the last value). Throws JsonError for an unhashable key.
void fill_tables(PendingTables& pending, const JsonDom& dom);

class Builder {
 public:
  Builder(const JsonDom& dom, const JsonReadOptions& options);
  Value run();

 private:
  // How a JSON value is read where it stands.
  enum class Role : std::uint8_t {
    value,  // anything
    name,   // a global's module or qualname: a plain string is the pooled str
    args,   // an object's args: a plain array is a tuple
  };
  // What the slot must hold, checked when it is stored.
  enum class Expect : std::uint8_t { any, str, tuple, dict_or_none };
  struct Task {
    std::uint32_t element;
    Role role;
    Expect expect;
    Slot* dest;
  };

  void push(std::uint32_t element, Slot* dest, Role role = Role::value,
            Expect expect = Expect::any) {
    tasks_.push_back(Task{element, role, expect, dest});
  }
  void step(const Task& t);
  void store(const Task& t, const Slot& s);
  [[noreturn]] void fail(std::uint32_t element, const std::string& why) const;

  // ---- build.cpp -------------------------------------------------------------------------
  Slot new_str(std::string_view text);
  Slot pooled_str(std::string_view text);
  Slot big_integer(std::uint32_t element, std::string_view text);
  Slot array(std::uint32_t element, Role role);
  Slot plain_dict(std::uint32_t element);
  // Fills a sequence node's items from the JSON array's elements.
  void sequence_items(detail::SequenceNode* node, std::uint32_t array);
  // Queues a table's entries: members of a JSON object, [key, value] pairs, or set members.
  void object_entries(detail::TableNode* node, std::uint32_t object);
  void pair_entries(detail::TableNode* node, std::uint32_t array);
  void member_entries(detail::TableNode* node, std::uint32_t array);
  std::size_t pending_table(detail::TableNode* node, std::uint32_t element);  // its position
  // Reorders the tasks pushed since `base` so that they run in document order.
  void in_document_order(std::size_t base);
  void define_id(std::uint32_t id_element, const Slot& s);

  // ---- build_tags.cpp --------------------------------------------------------------------
  Slot tagged(std::uint32_t element);
  Slot tagged_scalar(TagName tag, std::uint32_t payload);
  Slot tagged_container(TagName tag, std::uint32_t payload, std::uint32_t state);
  Slot global(std::uint32_t payload);
  Slot object(std::uint32_t payload);
  // ---- build_numpy.cpp -------------------------------------------------------------------
  Slot ndarray(std::uint32_t payload);
  Slot dtype(std::uint32_t payload);
  // A global whose names are the pooled strs (as a plain "$global" gets them).
  Slot pooled_global(std::string_view module, std::string_view name);
  // The members of a JSON object by name, each at most once and among `names`.
  std::vector<std::uint32_t> fields(std::uint32_t object, std::span<const std::string_view> names,
                                    std::string_view what);
  std::string_view string_of(std::uint32_t element, std::string_view what) const;

  // ---- readable_build.cpp ----------------------------------------------------------------
  // {"$datetime": "..."} and the other text forms, as the recipes CPython pickles.
  Slot readable_text(TagName tag, std::uint32_t payload);
  // {"$class": "module.Name", attribute: value, ...} (`element`: the whole object).
  Slot instance(std::uint32_t element, std::uint32_t payload);
  Slot make_global(std::string_view module, std::string_view name);
  Slot make_reduce(Slot callable, std::initializer_list<Slot> args);
  void require(std::uint32_t element, JsonDom::Type type, std::string_view what) const;

  const JsonDom& dom_;
  const JsonReadOptions& options_;
  detail::HeapGuard heap_;
  std::vector<Task> tasks_;
  PendingTables pending_;
  std::unordered_map<std::int64_t, Slot, IdHash> ids_;
  std::unordered_map<std::string, Node*, TextHash, std::equal_to<>> pool_;
  std::vector<detail::GlobalNode*> globals_;  // classified once their names are in
};

}  // namespace picklejar::json
