// Value: globals, object recipes, dict flavour and deep copies.

#include <picklejar/error.hpp>
#include <picklejar/value.hpp>

#include <unordered_map>

#include "value_access.hpp"
#include "well_known.hpp"

namespace picklejar {

using detail::GlobalNode;
using detail::Node;
using detail::ObjectNode;
using detail::Slot;
using detail::Tag;
using detail::ValueAccess;

Value Value::global(std::string_view module, std::string_view qualname) {
  Value module_str(module), name_str(qualname);
  Value result = detail::make_standalone<GlobalNode>();
  auto& node = detail::as_global(ValueAccess::node(result));
  node.heap->absorb(ValueAccess::slot(module_str));
  node.heap->absorb(ValueAccess::slot(name_str));
  node.module = ValueAccess::slot(module_str);
  node.name = ValueAccess::slot(name_str);
  node.well_known = detail::classify_global(module, qualname);
  return result;
}

Value Value::object(Value callable, Value args, ObjectForm form, Value kwargs) {
  if (!args.is_tuple()) detail::throw_kind_error("object args", "tuple", args.kind());
  if (!kwargs.is_none() && !kwargs.is_dict()) {
    detail::throw_kind_error("object kwargs", "dict or None", kwargs.kind());
  }
  Value result = detail::make_standalone<ObjectNode>();
  auto& node = detail::as_object(ValueAccess::node(result));
  node.form = form;
  for (Slot* field : {&node.callable, &node.args, &node.kwargs}) {
    const Value& source = field == &node.callable ? callable : field == &node.args ? args : kwargs;
    node.heap->absorb(ValueAccess::slot(source));
    *field = ValueAccess::slot(source);
  }
  return result;
}

std::string_view Value::global_module() const {
  auto& node = detail::as_global(detail::require_kind(*this, Kind::global, "global_module"));
  return detail::as_str(node.module.as.node).text();
}

std::string_view Value::global_name() const {
  auto& node = detail::as_global(detail::require_kind(*this, Kind::global, "global_name"));
  return detail::as_str(node.name.as.node).text();
}

namespace {
ObjectNode& object_node(const Value& v, std::string_view operation) {
  return detail::as_object(detail::require_kind(v, Kind::object, operation));
}
}  // namespace

Value Value::object_callable() const {
  return ValueAccess::handle(object_node(*this, "object_callable").callable);
}
Value Value::object_args() const {
  return ValueAccess::handle(object_node(*this, "object_args").args);
}
Value Value::object_kwargs() const {
  return ValueAccess::handle(object_node(*this, "object_kwargs").kwargs);
}
ObjectForm Value::object_form() const { return object_node(*this, "object_form").form; }
Value Value::object_state() const {
  return ValueAccess::handle(object_node(*this, "object_state").state);
}

void Value::set_object_state(Value state) {
  auto& node = object_node(*this, "set_object_state");
  node.heap->absorb(ValueAccess::slot(state));
  node.state = ValueAccess::slot(state);
  node.heap->maybe_collect();
}

std::vector<Value> Value::object_listitems() const {
  std::vector<Value> out;
  for (const Slot& s : object_node(*this, "object_listitems").listitems) {
    out.push_back(ValueAccess::handle(s));
  }
  return out;
}

std::vector<std::pair<Value, Value>> Value::object_dictitems() const {
  std::vector<std::pair<Value, Value>> out;
  for (const auto& [k, v] : object_node(*this, "object_dictitems").dictitems) {
    out.emplace_back(ValueAccess::handle(k), ValueAccess::handle(v));
  }
  return out;
}

void Value::object_append(Value item) {
  auto& node = object_node(*this, "object_append");
  node.heap->absorb(ValueAccess::slot(item));
  node.listitems.push_back(ValueAccess::slot(item));
  node.heap->maybe_collect();
}

void Value::object_set_item(Value key, Value value) {
  auto& node = object_node(*this, "object_set_item");
  node.heap->absorb(ValueAccess::slot(key));
  node.heap->absorb(ValueAccess::slot(value));
  node.dictitems.emplace_back(ValueAccess::slot(key), ValueAccess::slot(value));
  node.heap->maybe_collect();
}

DictFlavor Value::dict_flavor() const {
  return detail::as_table(detail::require_kind(*this, Kind::dict, "dict_flavor")).flavor;
}

void Value::set_dict_flavor(DictFlavor flavor) {
  detail::as_table(detail::require_kind(*this, Kind::dict, "set_dict_flavor")).flavor = flavor;
}

Value Value::dict_state() const {
  return ValueAccess::handle(
      detail::as_table(detail::require_kind(*this, Kind::dict, "dict_state")).state);
}

void Value::set_dict_state(Value state) {
  auto& node = detail::as_table(detail::require_kind(*this, Kind::dict, "set_dict_state"));
  node.heap->absorb(ValueAccess::slot(state));
  node.state = ValueAccess::slot(state);
  node.heap->maybe_collect();
}

// ---- deep copy ------------------------------------------------------------------------------

namespace {

// A copy of `n` in `heap` whose child slots still point at the originals.
Node* shallow_clone(Node* n, detail::Heap& heap) {
  switch (n->kind) {
    case Kind::str:
      return heap.make_str(detail::as_str(n).text());
    case Kind::bytes:
    case Kind::bytearray: {
      auto v = detail::as_bytes(n).view();
      return heap.make<detail::BytesNode>(
          n->kind, std::string_view(reinterpret_cast<const char*>(v.data()), v.size()));
    }
    case Kind::integer:
      return heap.make<detail::BigIntNode>(detail::as_bigint(n).value);
    case Kind::list:
    case Kind::tuple: {
      auto* copy = heap.make<detail::SequenceNode>(n->kind);
      copy->items.assign(detail::as_sequence(n).items.begin(), detail::as_sequence(n).items.end());
      return copy;
    }
    case Kind::dict:
    case Kind::set:
    case Kind::frozenset: {
      auto* copy = heap.make<detail::TableNode>(n->kind);
      copy->table = detail::as_table(n).table;  // same hashes and positions: index stays valid
      copy->flavor = detail::as_table(n).flavor;
      copy->state = detail::as_table(n).state;
      return copy;
    }
    case Kind::global: {
      auto* copy = heap.make<GlobalNode>();
      copy->module = detail::as_global(n).module;
      copy->name = detail::as_global(n).name;
      copy->well_known = detail::as_global(n).well_known;
      return copy;
    }
    case Kind::object: {
      auto* copy = heap.make<ObjectNode>();
      const auto& o = detail::as_object(n);
      copy->form = o.form;
      copy->callable = o.callable, copy->args = o.args, copy->kwargs = o.kwargs;
      copy->state = o.state;
      copy->listitems.assign(o.listitems.begin(), o.listitems.end());
      copy->dictitems.assign(o.dictitems.begin(), o.dictitems.end());
      return copy;
    }
    default:
      break;
  }
  throw TypeError("deep_copy: unexpected node kind");
}

}  // namespace

Value Value::deep_copy() const {
  Node* root = ValueAccess::node(*this);
  if (root == nullptr) return *this;
  detail::HeapGuard guard(detail::Heap::Memory::arena);
  std::unordered_map<Node*, Node*> copies;
  std::vector<Node*> pending{root};
  // Clone every reachable node once (children still point at the originals)...
  while (!pending.empty()) {
    Node* n = pending.back();
    pending.pop_back();
    if (copies.contains(n)) continue;
    Node* raw = shallow_clone(n, *guard.get());
    copies.emplace(n, raw);
    detail::for_each_child(raw, [&](Slot& s) {
      if (s.tag == Tag::node && !copies.contains(s.as.node)) pending.push_back(s.as.node);
    });
  }
  // ...then point the clones' children at the clones.
  for (auto& [original, clone] : copies) {
    detail::for_each_child(clone, [&](Slot& s) {
      if (s.tag == Tag::node) s.as.node = copies.at(s.as.node);
    });
  }
  return ValueAccess::handle(detail::node_slot(copies.at(root)));
}

}  // namespace picklejar
