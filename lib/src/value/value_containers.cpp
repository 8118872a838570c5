// Value: list, tuple, dict, set and frozenset operations.

#include <picklejar/error.hpp>
#include <picklejar/value.hpp>

#include <string>

#include "hash.hpp"
#include "utf8.hpp"
#include "value_access.hpp"

namespace picklejar {

using detail::Node;
using detail::SequenceNode;
using detail::Slot;
using detail::TableNode;
using detail::Tag;
using detail::ValueAccess;

namespace detail {

// Puts `key` -> `value` into a dict (or `key` into a set: pass a None value).
void table_set(TableNode& node, const Slot& key, const Slot& value) {
  const std::size_t h = slot_hash(key);
  node.heap->absorb(key);
  node.heap->absorb(value);
  auto [entry, inserted] = node.table.insert(key, h);
  entry->value = value;
}

}  // namespace detail

namespace {

Value make_sequence(Kind kind, std::span<const Value> items) {
  Value result = detail::make_standalone<SequenceNode>(kind);
  auto& node = detail::as_sequence(ValueAccess::node(result));
  node.items.reserve(items.size());
  for (const Value& item : items) {
    node.heap->absorb(ValueAccess::slot(item));
    node.items.push_back(ValueAccess::slot(item));
  }
  return result;
}

Value make_set(Kind kind, std::span<const Value> members) {
  Value result = detail::make_standalone<TableNode>(kind);
  auto& node = detail::as_table(ValueAccess::node(result));
  for (const Value& m : members) detail::table_set(node, ValueAccess::slot(m), Slot{});
  return result;
}

bool is_sequence(Kind k) { return k == Kind::list || k == Kind::tuple; }
bool is_table(Kind k) { return k == Kind::dict || k == Kind::set || k == Kind::frozenset; }

std::string short_repr(const Value& v) {
  std::string text = v.repr();
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

std::size_t sequence_index(const SequenceNode& node, const Value& index) {
  if (!index.is_int() && !index.is_bool()) {
    detail::throw_kind_error(std::string(kind_name(node.kind)) + " index", "int", index.kind());
  }
  const auto size = static_cast<std::int64_t>(node.items.size());
  std::int64_t i = index.fits_int64() ? index.as_int() : INT64_MAX;
  if (i < 0 && index.fits_int64()) i += size;
  if (i < 0 || i >= size) {
    throw LookupError(std::string(kind_name(node.kind)) + " index " + index.int_to_decimal() +
                      " out of range (size " + std::to_string(size) + ")");
  }
  return static_cast<std::size_t>(i);
}

}  // namespace

Value Value::list(std::initializer_list<Value> items) {
  return make_sequence(Kind::list, {items.begin(), items.size()});
}
Value Value::list(std::vector<Value> items) { return make_sequence(Kind::list, items); }
Value Value::tuple(std::initializer_list<Value> items) {
  return make_sequence(Kind::tuple, {items.begin(), items.size()});
}
Value Value::tuple(std::vector<Value> items) { return make_sequence(Kind::tuple, items); }

namespace {
Value make_dict(std::span<const std::pair<Value, Value>> items) {
  Value result = detail::make_standalone<TableNode>(Kind::dict);
  auto& node = detail::as_table(ValueAccess::node(result));
  for (const auto& [k, v] : items) {
    detail::table_set(node, ValueAccess::slot(k), ValueAccess::slot(v));
  }
  return result;
}
}  // namespace

Value Value::dict(std::initializer_list<std::pair<Value, Value>> items) {
  return make_dict({items.begin(), items.size()});
}
Value Value::dict(std::vector<std::pair<Value, Value>> items) { return make_dict(items); }
Value Value::set(std::initializer_list<Value> members) {
  return make_set(Kind::set, {members.begin(), members.size()});
}
Value Value::set(std::vector<Value> members) { return make_set(Kind::set, members); }
Value Value::frozenset(std::initializer_list<Value> members) {
  return make_set(Kind::frozenset, {members.begin(), members.size()});
}
Value Value::frozenset(std::vector<Value> members) { return make_set(Kind::frozenset, members); }

std::size_t Value::size() const {
  const Kind k = kind();
  if (is_sequence(k)) return detail::as_sequence(slot_.as.node).items.size();
  if (is_table(k)) return detail::as_table(slot_.as.node).table.size();
  if (k == Kind::bytes || k == Kind::bytearray) return as_bytes().size();
  if (k == Kind::str) return detail::count_code_points(as_str());
  throw TypeError("size: object of type '" + std::string(kind_name(k)) + "' has no len()");
}

Value Value::operator[](const Value& key_or_index) const {
  const Kind k = kind();
  if (is_sequence(k)) {
    const auto& node = detail::as_sequence(slot_.as.node);
    return ValueAccess::handle(node.items[sequence_index(node, key_or_index)]);
  }
  if (k == Kind::dict) {
    if (auto found = find(key_or_index)) return *found;
    throw LookupError("dict key " + short_repr(key_or_index) + " not found");
  }
  detail::throw_kind_error("operator[]", "list, tuple or dict", k);
}

Value Value::at(std::size_t index) const {
  const Kind k = kind();
  if (!is_sequence(k)) detail::throw_kind_error("at", "list or tuple", k);
  const auto& items = detail::as_sequence(slot_.as.node).items;
  if (index >= items.size()) {
    throw LookupError(std::string(kind_name(k)) + " index " + std::to_string(index) +
                      " out of range (size " + std::to_string(items.size()) + ")");
  }
  return ValueAccess::handle(items[index]);
}

std::optional<Value> Value::find(const Value& key) const {
  auto& node = detail::as_table(detail::require_kind(*this, Kind::dict, "find"));
  const auto* entry = node.table.find(ValueAccess::slot(key), key.hash());
  if (entry == nullptr) return std::nullopt;
  return ValueAccess::handle(entry->value);
}

Value Value::get(const Value& key, Value fallback) const {
  auto found = find(key);
  return found ? std::move(*found) : std::move(fallback);
}

bool Value::contains(const Value& item) const {
  const Kind k = kind();
  if (is_table(k)) {
    const auto h = detail::try_slot_hash(ValueAccess::slot(item));
    if (!h) return false;  // Python raises for `[] in {}`; nothing unhashable is inside anyway
    return detail::as_table(slot_.as.node).table.find(ValueAccess::slot(item), *h) != nullptr;
  }
  if (is_sequence(k)) {
    for (const Slot& s : detail::as_sequence(slot_.as.node).items) {
      if (detail::slot_equal(s, ValueAccess::slot(item))) return true;
    }
    return false;
  }
  detail::throw_kind_error("contains", "dict, set, frozenset, list or tuple", k);
}

void Value::append(Value item) {
  auto& node = detail::as_sequence(detail::require_kind(*this, Kind::list, "append"));
  node.heap->absorb(ValueAccess::slot(item));
  node.items.push_back(ValueAccess::slot(item));
  node.heap->maybe_collect();
}

void Value::set(const Value& key_or_index, Value value) {
  const Kind k = kind();
  if (k == Kind::list) {
    auto& node = detail::as_sequence(slot_.as.node);
    const std::size_t i = sequence_index(node, key_or_index);
    node.heap->absorb(ValueAccess::slot(value));
    node.items[i] = ValueAccess::slot(value);
  } else if (k == Kind::dict) {
    auto& node = detail::as_table(slot_.as.node);
    detail::table_set(node, ValueAccess::slot(key_or_index), ValueAccess::slot(value));
  } else {
    detail::throw_kind_error("set", "dict or list", k);
  }
  slot_.as.node->heap->maybe_collect();
}

void Value::add(Value member) {
  auto& node = detail::as_table(detail::require_kind(*this, Kind::set, "add"));
  detail::table_set(node, ValueAccess::slot(member), Slot{});
  node.heap->maybe_collect();
}

bool Value::erase(const Value& key) {
  const Kind k = kind();
  if (k != Kind::dict && k != Kind::set) detail::throw_kind_error("erase", "dict or set", k);
  const auto h = detail::try_slot_hash(ValueAccess::slot(key));
  if (!h) return false;
  auto& node = detail::as_table(slot_.as.node);
  const bool erased = node.table.erase(ValueAccess::slot(key), *h);
  node.heap->maybe_collect();
  return erased;
}

void Value::clear() {
  switch (kind()) {
    case Kind::list:
      detail::as_sequence(slot_.as.node).items.clear();
      break;
    case Kind::dict:
    case Kind::set:
      detail::as_table(slot_.as.node).table.clear();
      break;
    case Kind::bytearray: {
      auto& node = detail::as_bytes(slot_.as.node);
      node.owned.clear();
      node.external_owner.reset();
      node.external = nullptr;
      node.external_size = 0;
      node.copy_on_write = false;
      break;
    }
    default:
      detail::throw_kind_error("clear", "list, dict, set or bytearray", kind());
  }
}

std::vector<std::pair<Value, Value>> Value::items() const {
  auto& node = detail::as_table(detail::require_kind(*this, Kind::dict, "items"));
  std::vector<std::pair<Value, Value>> out;
  out.reserve(node.table.size());
  for (const auto& e : node.table.entries()) {
    if (e.key.tag == Tag::erased) continue;
    out.emplace_back(ValueAccess::handle(e.key), ValueAccess::handle(e.value));
  }
  return out;
}

// ---- iteration ------------------------------------------------------------------------------

Value::Iterator Value::begin() const {
  const Kind k = kind();
  if (!is_sequence(k) && !is_table(k)) {
    detail::throw_kind_error("iteration", "list, tuple, dict, set or frozenset", k);
  }
  Iterator it(*this, 0);
  it.skip_erased();
  return it;
}

Value::Iterator Value::end() const {
  const Kind k = kind();
  if (is_sequence(k)) return Iterator(*this, detail::as_sequence(slot_.as.node).items.size());
  if (is_table(k)) return Iterator(*this, detail::as_table(slot_.as.node).table.entries().size());
  detail::throw_kind_error("iteration", "list, tuple, dict, set or frozenset", k);
}

Value::Iterator::Iterator(Value container, std::size_t position)
    : container_(std::move(container)), position_(position) {
  if (is_table(container_.kind())) {
    version_ = detail::as_table(ValueAccess::node(container_)).table.version();
  }
}

void Value::Iterator::skip_erased() {
  Node* n = ValueAccess::node(container_);
  if (!is_table(n->kind)) return;
  const auto& entries = detail::as_table(n).table.entries();
  while (position_ < entries.size() && entries[position_].key.tag == Tag::erased) ++position_;
}

Value Value::Iterator::operator*() const {
  Node* n = ValueAccess::node(container_);
  if (is_sequence(n->kind)) {
    const auto& items = detail::as_sequence(n).items;
    if (position_ >= items.size()) throw LookupError("iterator: list shrank during iteration");
    return ValueAccess::handle(items[position_]);
  }
  const auto& table = detail::as_table(n).table;
  if (table.version() != version_) {
    throw TypeError(std::string(kind_name(n->kind)) + " changed during iteration");
  }
  return ValueAccess::handle(table.entries()[position_].key);
}

Value::Iterator& Value::Iterator::operator++() {
  ++position_;
  skip_erased();
  return *this;
}

}  // namespace picklejar
