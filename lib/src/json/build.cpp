// from_json(): the work loop of the Builder and the plain JSON values (see build.hpp).

#include <picklejar/json.hpp>

#include <fmt/format.h>

#include <algorithm>

#include "../value/value_access.hpp"
#include "../value/well_known.hpp"
#include "build.hpp"
#include "scalars.hpp"

namespace picklejar::json {

Builder::Builder(const JsonDom& dom, const JsonReadOptions& options)
    : dom_(dom), options_(options), heap_(detail::Heap::Memory::arena) {
  heap_->pause_collection(true);  // nodes are held in plain slots until the end
}

Value Builder::run() {
  Slot root;
  push(0, &root);
  while (!tasks_.empty()) {
    const Task t = tasks_.back();
    tasks_.pop_back();
    step(t);
  }
  fill_tables(pending_, dom_);
  for (detail::GlobalNode* g : globals_) {
    g->well_known = detail::classify_global(detail::as_str(g->module.as.node).text(),
                                            detail::as_str(g->name.as.node).text());
  }
  heap_->pause_collection(false);
  return detail::ValueAccess::handle(root);
}

void Builder::step(const Task& t) {
  const JsonDom::Element& e = dom_.at(t.element);
  switch (e.type) {
    case JsonDom::Type::null:
      return store(t, Slot{});
    case JsonDom::Type::boolean:
      return store(t, detail::bool_slot(e.boolean));
    case JsonDom::Type::integer:
      return store(t, detail::int_slot(e.number.integer));
    case JsonDom::Type::big_integer:
      return store(t, big_integer(t.element, dom_.text(e)));
    case JsonDom::Type::floating:
      return store(t, detail::float_slot(e.number.floating));
    case JsonDom::Type::string: {
      const std::string_view text = dom_.text(e);
      return store(t, t.role == Role::name ? pooled_str(text) : new_str(text));
    }
    case JsonDom::Type::array:
      return store(t, array(t.element, t.role));
    case JsonDom::Type::object:
      for (auto c = dom_.first_child(t.element); c != JsonDom::kNone; c = dom_.at(c).next) {
        if (is_tag_key(dom_.key(dom_.at(c)))) return store(t, tagged(t.element));
      }
      return store(t, plain_dict(t.element));
  }
}

void Builder::store(const Task& t, const Slot& s) {
  const Kind kind = detail::slot_kind(s);
  const auto expected = [&](std::string_view what) {
    fail(t.element, fmt::format("expected {}, got {}", what, kind_name(kind)));
  };
  switch (t.expect) {
    case Expect::any:
      break;
    case Expect::str:
      if (kind != Kind::str) expected("a str");
      break;
    case Expect::tuple:
      if (kind != Kind::tuple) expected("a tuple");
      break;
    case Expect::dict_or_none:
      if (kind != Kind::dict && kind != Kind::none) expected("a dict or None");
      break;
  }
  *t.dest = s;
}

void Builder::fail(std::uint32_t element, const std::string& why) const {
  throw JsonError(dom_.pointer(element), why);
}

void Builder::in_document_order(std::size_t base) {
  // Tasks run last-in first-out; JSON elements are numbered in document order.
  std::sort(tasks_.begin() + static_cast<std::ptrdiff_t>(base), tasks_.end(),
            [](const Task& a, const Task& b) { return a.element > b.element; });
}

// ---- scalars --------------------------------------------------------------------------------

Slot Builder::new_str(std::string_view text) { return detail::node_slot(heap_->make_str(text)); }

Slot Builder::pooled_str(std::string_view text) {
  auto it = pool_.find(text);
  if (it == pool_.end()) it = pool_.emplace(std::string(text), heap_->make_str(text)).first;
  return detail::node_slot(it->second);
}

Slot Builder::big_integer(std::uint32_t element, std::string_view text) {
  BigIntParse parsed = parse_bigint(text, options_.max_int_digits);
  if (!parsed.value) fail(element, "int " + parsed.error);
  if (const auto small = parsed.value->to_int64()) return detail::int_slot(*small);
  return detail::node_slot(heap_->make<detail::BigIntNode>(std::move(*parsed.value)));
}

// ---- containers -----------------------------------------------------------------------------

Slot Builder::array(std::uint32_t element, Role role) {
  auto* node = heap_->make<detail::SequenceNode>(role == Role::args ? Kind::tuple : Kind::list);
  sequence_items(node, element);
  return detail::node_slot(node);
}

Slot Builder::plain_dict(std::uint32_t element) {
  auto* node = heap_->make<detail::TableNode>(Kind::dict);
  object_entries(node, element);
  return detail::node_slot(node);
}

void Builder::sequence_items(detail::SequenceNode* node, std::uint32_t array) {
  node->items.resize(dom_.at(array).size);
  const std::size_t base = tasks_.size();
  std::size_t i = 0;
  for (auto c = dom_.first_child(array); c != JsonDom::kNone; c = dom_.at(c).next) {
    push(c, &node->items[i++]);
  }
  std::reverse(tasks_.begin() + static_cast<std::ptrdiff_t>(base), tasks_.end());
}

std::size_t Builder::pending_table(detail::TableNode* node, std::uint32_t element) {
  pending_.index.try_emplace(node, pending_.tables.size());
  pending_.tables.push_back(PendingTable{node, pending_.entries.size(), 0, element, false});
  return pending_.tables.size() - 1;
}

void Builder::object_entries(detail::TableNode* node, std::uint32_t object) {
  const std::size_t table = pending_table(node, object);
  const std::size_t base = tasks_.size();
  for (auto c = dom_.first_child(object); c != JsonDom::kNone; c = dom_.at(c).next) {
    std::string_view key = dom_.key(dom_.at(c));
    if (is_tag_key(key)) {
      fail(c, fmt::format("dict key '{}' starts with a single '$' (write '${}')", key, key));
    }
    if (!key.empty() && key[0] == '$') key.remove_prefix(1);  // "$$x" is the key "$x"
    PendingEntry& entry = pending_.entries.emplace_back(PendingEntry{pooled_str(key), {}, c});
    ++pending_.tables[table].count;
    push(c, &entry.value);
  }
  std::reverse(tasks_.begin() + static_cast<std::ptrdiff_t>(base), tasks_.end());
}

void Builder::pair_entries(detail::TableNode* node, std::uint32_t array) {
  const std::size_t table = pending_table(node, array);
  const std::size_t base = tasks_.size();
  for (auto pair = dom_.first_child(array); pair != JsonDom::kNone; pair = dom_.at(pair).next) {
    if (dom_.at(pair).type != JsonDom::Type::array || dom_.at(pair).size != 2) {
      fail(pair, "a dict item must be a [key, value] array");
    }
    PendingEntry& entry = pending_.entries.emplace_back(PendingEntry{{}, {}, pair});
    ++pending_.tables[table].count;
    const std::uint32_t key = dom_.first_child(pair);
    push(key, &entry.key);
    push(dom_.at(key).next, &entry.value);
  }
  std::reverse(tasks_.begin() + static_cast<std::ptrdiff_t>(base), tasks_.end());
}

void Builder::member_entries(detail::TableNode* node, std::uint32_t array) {
  const std::size_t table = pending_table(node, array);
  const std::size_t base = tasks_.size();
  for (auto c = dom_.first_child(array); c != JsonDom::kNone; c = dom_.at(c).next) {
    PendingEntry& entry = pending_.entries.emplace_back(PendingEntry{{}, {}, c});
    ++pending_.tables[table].count;
    push(c, &entry.key);
  }
  std::reverse(tasks_.begin() + static_cast<std::ptrdiff_t>(base), tasks_.end());
}

void Builder::define_id(std::uint32_t id_element, const Slot& s) {
  const JsonDom::Element& e = dom_.at(id_element);
  if (e.type != JsonDom::Type::integer || e.number.integer < 0) {
    fail(id_element, "$id must be a non-negative integer");
  }
  if (s.tag != detail::Tag::node) {
    fail(id_element, fmt::format("this {} is held in 64 bits and has no identity to share: "
                                 "drop the $id",
                                 kind_name(detail::slot_kind(s))));
  }
  if (!ids_.emplace(e.number.integer, s).second) {
    fail(id_element, fmt::format("$id {} is defined twice", e.number.integer));
  }
}

}  // namespace picklejar::json

namespace picklejar {

Value from_json(std::string_view text, const JsonReadOptions& options) {
  const json::JsonDom dom = json::JsonDom::parse(text, options);
  return json::Builder(dom, options).run();
}

}  // namespace picklejar
