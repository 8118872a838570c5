#pragma once
// The printer behind repr(). Internal. Files:
//   repr.cpp          the work loop, shared-object handling, built-in containers, the API
//   repr_objects.cpp  globals, object recipes and OrderedDict state (where renderings of
//                     particular classes belong)
//   repr_shared.cpp   which objects appear more than once (for labelled printing)
//   repr_scalars.cpp  float, str and bytes text
//
// Nothing recurses: print() pushes small tasks on a work list, in reverse order.

#include <picklejar/repr.hpp>

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "node.hpp"

namespace picklejar::detail {

// Node flag bits a repr() sets (repr_seen, repr_shared), remembered so that they are all
// cleared when it ends, however it ends: 8 bytes per node printed, not a hash set's 50.
class ReprMarks {
 public:
  ReprMarks() = default;
  ReprMarks(const ReprMarks&) = delete;
  ReprMarks& operator=(const ReprMarks&) = delete;
  ~ReprMarks() {
    for (Node* n : marked_) n->flags &= static_cast<std::uint8_t>(~(repr_seen | repr_shared));
  }
  static bool has(const Node* n, NodeFlag bit) noexcept { return (n->flags & bit) != 0; }
  void set(Node* n, NodeFlag bit) {
    if (!(n->flags & (repr_seen | repr_shared))) marked_.push_back(n);
    n->flags |= bit;
  }

 private:
  std::vector<Node*> marked_;
};

// One node stands for every global of the same module and name: Python has one object per
// module.qualname, and the encoder writes equal globals once (then memo GETs), so repr()
// prints a value alike whether it holds one such node or several (as decoded from separate
// GLOBAL opcodes): the same repeats, the same labels.
class SameGlobals {
 public:
  Node* canonical(Node* global);  // the first global of this name seen, else `global`

 private:
  std::unordered_map<std::string, Node*> first_;
};

// Marks repr_shared the nodes that appear more than once in what repr() prints of `root`
// (and so get labels): every such container or object, and such leaves (str, bytes, int,
// global) whose text is long enough to matter. Globals count by name (SameGlobals).
void mark_shared_nodes(const Slot& root, ReprMarks& marks, SameGlobals& globals);

// Calls fn(const Slot&) for each value print() prints inside `n`, in any order.
template <class Fn>
void for_each_printed_child(Node* n, Fn&& fn) {
  if (n->kind == Kind::object) {
    const auto& o = as_object(n);
    fn(o.callable);
    if (o.form == ObjectForm::reduce) {
      for (const Slot& a : as_sequence(o.args.as.node).items) fn(a);
    } else {
      fn(o.args);
    }
    fn(o.kwargs);
    fn(o.state);
    for (const Slot& s : o.listitems) fn(s);
    for (const auto& [k, v] : o.dictitems) fn(k), fn(v);
    return;
  }
  if (n->kind == Kind::global) return;  // printed as its name
  for_each_child(n, [&](Slot& child) { fn(child); });
}

class Printer {
 public:
  enum class Mode { python, labelled };
  // Python mode under SharedRepr::automatic: repeats passed max_repeated_bytes.
  struct TooRepetitive {};

  Printer(std::string& out, const ReprOptions& options, Mode mode, const Slot& root);
  void run(const Slot& root);

 private:
  struct Task {
    enum class Type { text, value, callable_name, leave, end_repeat } type;
    const char* text = nullptr;
    Slot slot{};
  };
  static Task text(const char* t) { return {Task::Type::text, t, {}}; }
  static Task value(const Slot& s) { return {Task::Type::value, nullptr, s}; }

  void emit(std::string_view s);
  void print(const Slot& s);
  // Labels and repeats: false when `n` was printed as a reference ("#1#") instead.
  bool begin_node(Node* n);
  void print_leaf(Node* n);
  void sequence(std::span<const Slot> items, const char* open, const char* close, bool tuple_comma);
  void dict(Node* n);
  void ordered_dict(const std::vector<const OrderedTable::Entry*>& live);
  void set(const TableNode& node);
  static const char* recursion_marker(Node* n);
  static std::vector<const OrderedTable::Entry*> live_entries(const OrderedTable& t);

  // repr_objects.cpp
  // Python's repr for well-known classes, <module.Class a=1> for plain instances
  // (repr_readable.hpp); false leaves the generic recipe form.
  bool readable(const Slot& s);
  static std::string global_name(Node* n);
  void print_callable_name(const Slot& callable);
  void object(const ObjectNode& o);
  // <OrderedDict(...) state=...>: the brackets and the state around the dict's own text.
  void with_dict_state(const TableNode& node);

  std::string& out_;
  const std::size_t start_;  // out_'s size when printing began
  const ReprOptions& options_;
  const Mode mode_;
  std::vector<Task> tasks_;
  std::unordered_set<Node*> active_;  // containers being printed: a cycle prints "[...]"
  ReprMarks marks_;
  SameGlobals globals_;
  // Python mode, SharedRepr::automatic: what was printed (repr_seen), and the bytes printed
  // again.
  bool count_repeats_ = false;
  bool in_repeat_ = false;
  std::size_t repeat_start_ = 0;
  std::size_t repeated_ = 0;
  // Labelled mode: the shared nodes are marked repr_shared.
  std::unordered_map<Node*, std::size_t> labels_;
  std::deque<std::string> texts_;  // the text tasks of readable renderings point here
};

}  // namespace picklejar::detail
