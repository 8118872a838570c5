// List, tuple, dict, set and frozenset opcodes. Every opcode that adds to an existing value
// checks the target's kind first: SETITEM on a list is an error, never a reinterpretation.

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "../value/hash.hpp"
#include "decoder.hpp"

namespace picklejar::pickle {
namespace {
std::string_view kind_of(const Slot& s) { return kind_name(detail::slot_kind(s)); }

}  // namespace

void Decoder::insert_key(detail::TableNode& table, const Slot& key, const Slot& value) {
  std::optional<std::size_t> hash;
  try {
    hash = detail::try_slot_hash(key);
    if (!hash) {
      fail(DecodeErrc::unhashable,
           fmt::format("unhashable type: '{}' used as a {} {}", kind_of(key), kind_name(table.kind),
                       table.kind == Kind::dict ? "key" : "member"));
    }
    auto [entry, inserted] = table.table.insert(key, *hash);
    // An equal key keeps the first key object and takes the last value, as in Python. But an
    // object recipe equals another with the same recipe, while CPython compares instances by
    // identity unless their class says otherwise: a CPython dict never holds two keys it
    // thought equal, so a different node here was a different key there. Keep both.
    if (!inserted && entry->key.tag == detail::Tag::node && key.tag == detail::Tag::node &&
        entry->key.as.node != key.as.node &&
        (detail::key_involves_object(key) || detail::key_involves_object(entry->key))) {
      entry = table.table.append_distinct(key, *hash);
    }
    entry->value = value;
  } catch (const LimitError& e) {
    if (e.position()) throw;
    fail_limit(e.reason());
  }
}

void Decoder::append_items(Slot& target, const Slot* first, std::size_t count) {
  const Kind kind = detail::slot_kind(target);
  if (kind == Kind::list) {
    auto& items = detail::as_sequence(target.as.node).items;
    check_items(items.size() + count);
    detail::append_slots(items, first, count);
  } else if (kind == Kind::object) {
    // Picklers append before BUILD. After it, Python looks append/extend up on the instance
    // first, where the state may have put any callable.
    if (detail::as_object(target.as.node).state.tag != detail::Tag::none) {
      fail(DecodeErrc::hidden_call,
           "items appended to an object after its BUILD: Python would call the append or "
           "extend its state may have set");
    }
    auto& items = detail::as_object(target.as.node).listitems;
    check_items(items.size() + count);
    items.insert(items.end(), first, first + count);
  } else {
    fail(DecodeErrc::wrong_type,
         fmt::format("cannot append to a value of type '{}'", kind_of(target)));
  }
}

void Decoder::set_items(Slot& target, const Slot* first, std::size_t count) {
  const Kind kind = detail::slot_kind(target);
  if (kind == Kind::dict) {
    auto& node = detail::as_table(target.as.node);
    check_items(node.table.size() + count / 2);
    node.table.reserve(node.table.size() + count / 2);  // one growth per SETITEMS batch
    for (std::size_t i = 0; i < count; i += 2) insert_key(node, first[i], first[i + 1]);
  } else if (kind == Kind::object) {
    auto& items = detail::as_object(target.as.node).dictitems;
    check_items(items.size() + count / 2);
    for (std::size_t i = 0; i < count; i += 2) items.emplace_back(first[i], first[i + 1]);
  } else {
    fail(DecodeErrc::wrong_type,
         fmt::format("cannot set items on a value of type '{}'", kind_of(target)));
  }
}

void Decoder::op_append() {
  Depth depth;
  const Slot item = pop(depth);
  append_items(top(), &item, 1);
  deepen(stack_.size() - 1, depth + 1);
}

void Decoder::op_appends() {
  const std::size_t base = pop_mark();
  if (base <= fence() || base > stack_.size()) underflow();
  append_items(stack_[base - 1], stack_.data() + base, stack_.size() - base);
  deepen(base - 1, slice_depth(base));
  truncate(base);
}

void Decoder::op_list() {
  const std::size_t base = pop_mark();
  check_items(stack_.size() - base);
  auto* node = make<detail::SequenceNode>(Kind::list);
  detail::append_slots(node->items, stack_.data() + base, stack_.size() - base);
  const Depth depth = slice_depth(base);
  truncate(base);
  push(detail::node_slot(node), depth);
}

void Decoder::op_tuple() {
  const std::size_t base = pop_mark();
  const Slot tuple = make_tuple(stack_.data() + base, stack_.size() - base);
  const Depth depth = slice_depth(base);
  truncate(base);
  push(tuple, depth);
}

void Decoder::op_tuple_n(std::size_t n) {
  if (stack_.size() < fence() + n) underflow();
  const std::size_t base = stack_.size() - n;
  const Slot tuple = make_tuple(stack_.data() + base, n);
  const Depth depth = slice_depth(base);
  truncate(base);
  push(tuple, depth);
}

void Decoder::op_dict() {
  const std::size_t base = pop_mark();
  const std::size_t count = stack_.size() - base;
  if (count % 2 != 0) fail(DecodeErrc::odd_items, "odd number of items for DICT");
  check_items(count / 2);
  auto* node = make<detail::TableNode>(Kind::dict);
  node->table.reserve(count / 2);
  for (std::size_t i = base; i < stack_.size(); i += 2) insert_key(*node, stack_[i], stack_[i + 1]);
  const Depth depth = slice_depth(base);
  truncate(base);
  push(detail::node_slot(node), depth);
}

void Decoder::op_setitem() {
  Depth value_depth, key_depth;
  const Slot value = pop(value_depth);
  const Slot key = pop(key_depth);
  const Slot pair[] = {key, value};
  set_items(top(), pair, 2);
  deepen(stack_.size() - 1, std::max(key_depth, value_depth) + 1);
}

void Decoder::op_setitems() {
  const std::size_t base = pop_mark();
  if (base <= fence() || base > stack_.size()) underflow();
  const std::size_t count = stack_.size() - base;
  if (count % 2 != 0) fail(DecodeErrc::odd_items, "odd number of items for SETITEMS");
  set_items(stack_[base - 1], stack_.data() + base, count);
  deepen(base - 1, slice_depth(base));
  truncate(base);
}

void Decoder::op_additems() {
  const std::size_t base = pop_mark();
  if (base <= fence() || base > stack_.size()) underflow();
  Slot& target = stack_[base - 1];
  if (detail::slot_kind(target) != Kind::set) {
    fail(DecodeErrc::wrong_type,
         fmt::format("cannot add items to a value of type '{}'", kind_of(target)));
  }
  auto& node = detail::as_table(target.as.node);
  check_items(node.table.size() + stack_.size() - base);
  for (std::size_t i = base; i < stack_.size(); ++i) insert_key(node, stack_[i], Slot{});
  deepen(base - 1, slice_depth(base));
  truncate(base);
}

void Decoder::op_frozenset() {
  const std::size_t base = pop_mark();
  check_items(stack_.size() - base);
  auto* node = make<detail::TableNode>(Kind::frozenset);
  for (std::size_t i = base; i < stack_.size(); ++i) insert_key(*node, stack_[i], Slot{});
  const Depth depth = slice_depth(base);
  truncate(base);
  push(detail::node_slot(node), depth);
}

}  // namespace picklejar::pickle
