// Globals and object construction opcodes. Nothing here calls anything: a global becomes an
// inert GlobalNode, an instance an inert ObjectNode recipe, and a few well-known reduce
// forms become the native values they denote.

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <string>

#include "../value/utf8.hpp"
#include "../value/value_access.hpp"
#include "../value/well_known.hpp"
#include "compat_names.hpp"
#include "decoder.hpp"

namespace picklejar::pickle {
namespace {

using detail::Tag;
using detail::WellKnown;

std::string_view kind_of(const Slot& s) { return kind_name(detail::slot_kind(s)); }

WellKnown well_known_of(const Slot& s) {
  if (detail::slot_kind(s) != Kind::global) return WellKnown::none;
  return detail::as_global(s.as.node).well_known;
}

std::span<const Slot> tuple_items(const Slot& s) { return detail::as_sequence(s.as.node).items; }

bool is_str(const Slot& s, std::string_view text) {
  return detail::slot_kind(s) == Kind::str && detail::as_str(s.as.node).text() == text;
}

// The members of a list/tuple/set/frozenset argument, or nullptr for anything else.
std::vector<Slot> iterable_items(const Slot& s) {
  switch (detail::slot_kind(s)) {
    case Kind::list:
    case Kind::tuple: {
      const auto& items = detail::as_sequence(s.as.node).items;
      return {items.begin(), items.end()};
    }
    case Kind::set:
    case Kind::frozenset: {
      std::vector<Slot> items;
      for (const auto& e : detail::as_table(s.as.node).table.entries()) {
        if (e.key.tag != Tag::erased) items.push_back(e.key);
      }
      return items;
    }
    default:
      return {};
  }
}

// What can stand for something callable (REDUCE's callable, the class of OBJ, NEWOBJ and
// NEWOBJ_EX): a global, or an object a recipe makes. Plain data (None, numbers, str,
// containers...) is never callable in Python. Below protocol 4 CPython writes a nested class
// Outer.Inner as getattr(Outer, 'Inner'), a REDUCE, so its instances are NEWOBJ on a recipe.
bool may_be_callable(const Slot& s) {
  const Kind k = detail::slot_kind(s);
  return k == Kind::global || k == Kind::object;
}

bool is_iterable(const Slot& s) {
  const Kind k = detail::slot_kind(s);
  return k == Kind::list || k == Kind::tuple || k == Kind::set || k == Kind::frozenset;
}

// Whether a BUILD state is a dict holding the key '__setstate__': Python stores it as an
// instance attribute, and the next BUILD on that object calls it with the next state.
bool sets_setstate(const Slot& state) {
  if (detail::slot_kind(state) != Kind::dict) return false;
  for (const auto& e : detail::as_table(state.as.node).table.entries()) {
    if (e.key.tag != Tag::erased && is_str(e.key, "__setstate__")) return true;
  }
  return false;
}

// Latin-1 text (code points < 256) to bytes; false if a code point is larger.
bool latin1_bytes(std::string_view utf8, std::string& out) {
  for (std::size_t pos = 0; pos < utf8.size();) {
    const char32_t cp = detail::next_code_point(utf8, pos);
    if (cp > 0xFF) return false;
    out.push_back(static_cast<char>(cp));
  }
  return true;
}

}  // namespace

// ---- globals --------------------------------------------------------------------------------

void Decoder::check_global_allowed(std::string_view module, std::string_view name) const {
  if (options_.globals != GlobalPolicy::allowlist) return;
  if (detail::classify_global(module, name) != WellKnown::none) return;
  std::string full = fmt::format("{}.{}", module, name);
  if (options_.allowed_globals.contains(full)) return;
  fail_forbidden(fmt::format("global '{}' is not in the allowlist", full));
}

void Decoder::push_global(std::string_view module, std::string_view name) {
  if (protocol_ < 3 && options_.fix_imports) {
    if (auto mapped = py2_to_py3(module, name)) std::tie(module, name) = *mapped;
  }
  check_global_allowed(module, name);
  const Slot module_str = make_str(module);
  const Slot name_str = make_str(name);
  if (++objects_ > options_.limits.max_objects) objects_exceeded();
  push(detail::node_slot(detail::make_global_node(*heap_.get(), module_str, name_str)));
  if (observer_ != nullptr) observer_->on_global(op_offset_, op_, stack_.back());
}

// An empty module or name imports nothing Python could find, and CPython's two readers say
// different things about it ("pickle data was truncated" in C, "Empty module name" or an
// attribute error in Python): refused rather than shown as a global named ".".
void Decoder::require_names(std::string_view module, std::string_view name) const {
  if (module.empty() || name.empty()) {
    fail(DecodeErrc::bad_text, fmt::format("{} {} name is empty", opcode_name(op_),
                                           module.empty() ? "module" : "qualified"));
  }
}

void Decoder::op_global() {
  const std::string_view module = read_line("GLOBAL module name");
  const std::string_view name = read_line("GLOBAL qualified name");
  // CPython decodes GLOBAL's lines as strict UTF-8, INST's as ASCII.
  require_strict_utf8(module, "a GLOBAL module name");
  require_strict_utf8(name, "a GLOBAL name");
  require_names(module, name);
  push_global(module, name);
}

void Decoder::op_stack_global() {
  const Slot name = pop();
  const Slot module = pop();
  if (detail::slot_kind(module) != Kind::str || detail::slot_kind(name) != Kind::str) {
    fail(DecodeErrc::wrong_type,
         fmt::format("STACK_GLOBAL requires str module and name, got '{}' and '{}'",
                     kind_of(module), kind_of(name)));
  }
  std::string_view module_text = detail::as_str(module.as.node).text();
  std::string_view name_text = detail::as_str(name.as.node).text();
  require_names(module_text, name_text);
  const bool remap = protocol_ < 3 && options_.fix_imports && py2_to_py3(module_text, name_text);
  if (remap) return push_global(module_text, name_text);
  check_global_allowed(module_text, name_text);
  // Keep the str nodes themselves: the pickle may share them through the memo.
  if (++objects_ > options_.limits.max_objects) objects_exceeded();
  push(detail::node_slot(detail::make_global_node(*heap_.get(), module, name)));
  if (observer_ != nullptr) observer_->on_global(op_offset_, op_, stack_.back());
}

void Decoder::op_ext(std::int64_t code) {
  if (code <= 0) fail(DecodeErrc::bad_argument, fmt::format("EXT specifies code <= 0 ({})", code));
  if (options_.extensions == nullptr) {
    fail_forbidden(
        fmt::format("extension code {} used, but no extension registry was given", code));
  }
  const GlobalName* name = options_.extensions->find(static_cast<std::int32_t>(code));
  if (name == nullptr)
    fail(DecodeErrc::bad_argument, fmt::format("unregistered extension code {}", code));
  push_global(name->module, name->qualname);
}

// ---- objects --------------------------------------------------------------------------------

Slot Decoder::make_object(ObjectForm form, const Slot& callable, const Slot& args,
                          const Slot& kwargs) {
  check_items(tuple_items(args).size());
  auto* node = make<detail::ObjectNode>();
  node->form = form;
  node->callable = callable;
  node->args = args;
  node->kwargs = kwargs;
  return detail::node_slot(node);
}

// Turns the well-known reduce forms into native values. Returns false (and the caller keeps
// the generic recipe) when the callable is not well-known or the arguments are not the shape
// CPython writes: an unusual shape stays inert data rather than an error.
bool Decoder::reduce_well_known(const Slot& callable, const Slot& args, Depth args_depth) {
  // A native container made from the argument tuple holds what the tuple's items hold.
  const Depth container_depth = std::max<Depth>(args_depth, 2) - 1;
  const WellKnown which = well_known_of(callable);
  if (which == WellKnown::none) return false;
  const auto& a = tuple_items(args);
  switch (which) {
    case WellKnown::builtins_set:
    case WellKnown::builtins_frozenset: {
      if (a.size() > 1 || (a.size() == 1 && !is_iterable(a[0]))) return false;
      auto* node =
          make<detail::TableNode>(which == WellKnown::builtins_set ? Kind::set : Kind::frozenset);
      if (a.size() == 1) {
        const auto members = iterable_items(a[0]);
        check_items(members.size());
        for (const Slot& m : members) insert_key(*node, m, Slot{});
      }
      push(detail::node_slot(node), container_depth);
      return true;
    }
    case WellKnown::builtins_bytes:
      if (!a.empty()) return false;
      push(make_bytes(Kind::bytes, {}));
      return true;
    case WellKnown::builtins_bytearray: {
      if (a.empty()) return push(make_bytes(Kind::bytearray, {})), true;
      if (a.size() == 1 &&
          (detail::slot_kind(a[0]) == Kind::bytes || detail::slot_kind(a[0]) == Kind::bytearray)) {
        auto view = detail::as_bytes(a[0].as.node).view();
        push(
            make_bytes(Kind::bytearray, {reinterpret_cast<const char*>(view.data()), view.size()}));
        return true;
      }
      // Python 2: bytearray(u'...', 'latin-1')
      std::string raw;
      if (a.size() == 2 && detail::slot_kind(a[0]) == Kind::str &&
          (is_str(a[1], "latin-1") || is_str(a[1], "latin1")) &&
          latin1_bytes(detail::as_str(a[0].as.node).text(), raw)) {
        push(make_bytes(Kind::bytearray, raw));
        return true;
      }
      return false;
    }
    case WellKnown::codecs_encode: {
      // Protocol 2 writes bytes as _codecs.encode('<latin-1 decoded text>', 'latin1').
      std::string raw;
      if (a.size() != 2 || detail::slot_kind(a[0]) != Kind::str ||
          !(is_str(a[1], "latin1") || is_str(a[1], "latin-1")) ||
          !latin1_bytes(detail::as_str(a[0].as.node).text(), raw)) {
        return false;
      }
      push(make_bytes(Kind::bytes, raw));
      return true;
    }
    case WellKnown::copyreg_reconstructor: {
      // Protocols 0-1 save a plain instance as _reconstructor(cls, object, None).
      if (a.size() != 3 || detail::slot_kind(a[0]) != Kind::global ||
          well_known_of(a[1]) != WellKnown::builtins_object || a[2].tag != Tag::none) {
        return false;
      }
      push(make_object(ObjectForm::reconstructor, a[0], make_tuple(nullptr, 0), Slot{}), 2);
      return true;
    }
    case WellKnown::ordered_dict: {
      // Python 3 writes OrderedDict() and adds items with SETITEMS; Python 2 passed a list of
      // [key, value] pairs.
      if (a.size() > 1 || (a.size() == 1 && detail::slot_kind(a[0]) != Kind::list)) return false;
      std::vector<Slot> pairs;
      if (a.size() == 1) {
        for (const Slot& p : detail::as_sequence(a[0].as.node).items) {
          const Kind k = detail::slot_kind(p);
          if ((k != Kind::list && k != Kind::tuple) ||
              detail::as_sequence(p.as.node).items.size() != 2)
            return false;
          pairs.push_back(detail::as_sequence(p.as.node).items[0]);
          pairs.push_back(detail::as_sequence(p.as.node).items[1]);
        }
      }
      auto* node = make<detail::TableNode>(Kind::dict);
      node->flavor = DictFlavor::ordered_dict;
      check_items(pairs.size() / 2);
      for (std::size_t i = 0; i < pairs.size(); i += 2) insert_key(*node, pairs[i], pairs[i + 1]);
      push(detail::node_slot(node), container_depth);
      return true;
    }
    default:
      return false;
  }
}

void Decoder::op_reduce() {
  Depth args_depth, callable_depth;
  const Slot args = pop(args_depth);
  const Slot callable = pop(callable_depth);
  if (detail::slot_kind(args) != Kind::tuple) {
    fail(DecodeErrc::wrong_type,
         fmt::format("REDUCE arguments must be a tuple, got '{}'", kind_of(args)));
  }
  if (!may_be_callable(callable)) {
    fail(DecodeErrc::wrong_type, fmt::format("'{}' object is not callable", kind_of(callable)));
  }
  if (!reduce_well_known(callable, args, args_depth)) {
    push(make_object(ObjectForm::reduce, callable, args, Slot{}),
         std::max(callable_depth, args_depth) + 1);
  } else if (observer_ != nullptr) {
    observer_->on_absorbed(args, stack_.back());
  }
  observed_call(callable);
}

void Decoder::op_newobj() {
  Depth args_depth, cls_depth;
  const Slot args = pop(args_depth);
  const Slot cls = pop(cls_depth);
  if (detail::slot_kind(args) != Kind::tuple) {
    fail(DecodeErrc::wrong_type,
         fmt::format("NEWOBJ expected an arg tuple, got '{}'", kind_of(args)));
  }
  if (!may_be_callable(cls)) {
    fail(DecodeErrc::wrong_type,
         fmt::format("NEWOBJ class argument must be a global or an object recipe, got '{}'",
                     kind_of(cls)));
  }
  push(make_object(ObjectForm::newobj, cls, args, Slot{}), std::max(cls_depth, args_depth) + 1);
  observed_call(cls);
}

void Decoder::op_newobj_ex() {
  Depth kwargs_depth, args_depth, cls_depth;
  const Slot kwargs = pop(kwargs_depth);
  const Slot args = pop(args_depth);
  const Slot cls = pop(cls_depth);
  if (detail::slot_kind(kwargs) != Kind::dict) {
    fail(DecodeErrc::wrong_type,
         fmt::format("NEWOBJ_EX kwargs must be a dict, got '{}'", kind_of(kwargs)));
  }
  if (detail::slot_kind(args) != Kind::tuple) {
    fail(DecodeErrc::wrong_type,
         fmt::format("NEWOBJ_EX args must be a tuple, got '{}'", kind_of(args)));
  }
  if (!may_be_callable(cls)) {
    fail(DecodeErrc::wrong_type,
         fmt::format("NEWOBJ_EX class argument must be a global or an object recipe, got '{}'",
                     kind_of(cls)));
  }
  push(make_object(ObjectForm::newobj_ex, cls, args, kwargs),
       std::max({cls_depth, args_depth, kwargs_depth}) + 1);
  observed_call(cls);
}

void Decoder::op_inst() {
  const std::string_view module = read_line("INST module name");
  const std::string_view name = read_line("INST class name");
  require_ascii(module, "an INST module name");
  require_ascii(name, "an INST class name");
  require_names(module, name);
  const std::size_t base = pop_mark();
  const Slot args = make_tuple(stack_.data() + base, stack_.size() - base);
  const Depth args_depth = slice_depth(base);
  truncate(base);
  push_global(module, name);
  const Slot cls = pop();
  push(make_object(ObjectForm::inst, cls, args, Slot{}), args_depth + 1);
  observed_call(cls);
}

void Decoder::op_obj() {
  const std::size_t base = pop_mark();
  if (stack_.size() == base) fail(DecodeErrc::stack_underflow, "OBJ needs a class after the MARK");
  const Slot cls = stack_[base];
  if (!may_be_callable(cls)) {
    fail(DecodeErrc::wrong_type, fmt::format("'{}' object is not callable", kind_of(cls)));
  }
  const Slot args = make_tuple(stack_.data() + base + 1, stack_.size() - base - 1);
  // The class counts as one of the items here: a recipe can be as deep as its callable.
  const Depth parts_depth = slice_depth(base);
  truncate(base);
  push(make_object(ObjectForm::obj, cls, args, Slot{}), parts_depth + 1);
  observed_call(cls);
}

void Decoder::op_build() {
  Depth state_depth;
  const Slot state = pop(state_depth);
  Slot& target = top();
  Slot* current = nullptr;  // where the target keeps its state
  if (detail::slot_kind(target) == Kind::object) {
    current = &detail::as_object(target.as.node).state;
  } else if (detail::slot_kind(target) == Kind::dict &&
             detail::as_table(target.as.node).flavor == DictFlavor::ordered_dict) {
    current = &detail::as_table(target.as.node).state;  // an OrderedDict's instance attributes
  } else {
    fail(DecodeErrc::wrong_type,
         fmt::format("BUILD target must be an object, got '{}' (setting state on it is refused)",
                     kind_of(target)));
  }
  deepen(stack_.size() - 1, state_depth + 1);
  observed_call(detail::slot_kind(target) == Kind::object
                    ? detail::as_object(target.as.node).callable
                    : Slot{});
  if (current->tag == Tag::none) {
    *current = state;
    return;
  }
  // No pickler writes two BUILDs for one object. Two dict states update __dict__ in turn, which
  // one merged dict shows; anything else makes Python call something the value cannot show:
  // __setstate__ (the first state may have set it as an attribute) with the second state.
  if (sets_setstate(*current)) {
    fail(DecodeErrc::hidden_call,
         "a second BUILD on an object whose state set '__setstate__': Python would call that "
         "with this state");
  }
  if (detail::slot_kind(*current) != Kind::dict || detail::slot_kind(state) != Kind::dict) {
    fail(DecodeErrc::hidden_call,
         fmt::format("a second BUILD on one object (a '{}' state after a '{}' one): only dict "
                     "states merge into one recorded state, and no pickler writes two",
                     kind_of(state), kind_of(*current)));
  }
  auto* merged = make<detail::TableNode>(Kind::dict);
  for (const Slot* source : std::initializer_list<const Slot*>{current, &state}) {
    for (const auto& e : detail::as_table(source->as.node).table.entries()) {
      if (e.key.tag != Tag::erased) insert_key(*merged, e.key, e.value);
    }
  }
  *current = detail::node_slot(merged);
}

// ---- persistent ids and out-of-band buffers -------------------------------------------------

void Decoder::persistent(const Slot& pid) {
  if (!options_.persistent_load) {
    fail_forbidden("persistent id found, but no persistent_load hook was given");
  }
  // The hook may keep handles into this decode's heap (the id, or earlier results) and put
  // them into other values, merging heaps and freeing ours. Merges move nodes without freeing
  // them (collection is paused), so any node of ours leads back to the surviving heap.
  Node* anchor = pid.tag == Tag::node ? pid.as.node : heap_->make_str({});
  Value result;
  std::optional<std::string> failure;
  try {
    result = options_.persistent_load(detail::ValueAccess::handle(pid));
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "an exception not derived from std::exception";
  }
  heap_.follow(anchor->heap);
  if (failure) fail(DecodeErrc::hook_failed, fmt::format("persistent_load failed: {}", *failure));
  push(adopt_external(result));
}

void Decoder::op_persid() {
  const std::string_view line = read_line("PERSID argument");
  for (char c : line) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      fail(DecodeErrc::bad_text, "persistent IDs in protocol 0 must be ASCII strings");
    }
  }
  check_allocation(line.size(), "persistent id");
  persistent(make_str(line));
}

void Decoder::op_binpersid() { persistent(pop()); }

void Decoder::op_next_buffer() {
  if (options_.buffers.empty()) {
    fail_forbidden("pickle stream refers to out-of-band data but no buffers were given");
  }
  if (next_buffer_ >= options_.buffers.size()) {
    fail(DecodeErrc::bad_argument, "not enough out-of-band buffers");
  }
  const Buffer& buffer = options_.buffers[next_buffer_++];
  const auto bytes = buffer.bytes();
  push(detail::node_slot(
      make<detail::BytesNode>(buffer.readonly() ? Kind::bytes : Kind::bytearray, buffer.owner(),
                              const_cast<std::byte*>(bytes.data()), bytes.size())));
}

void Decoder::op_readonly_buffer() {
  Slot& target = top();
  const Kind kind = detail::slot_kind(target);
  if (kind == Kind::bytes) return;
  if (kind != Kind::bytearray) {
    fail(DecodeErrc::wrong_type,
         fmt::format("READONLY_BUFFER needs a buffer, got '{}'", kind_of(target)));
  }
  auto& source = detail::as_bytes(target.as.node);
  if (source.is_external()) {
    target = detail::node_slot(make<detail::BytesNode>(Kind::bytes, source.external_owner,
                                                       source.external, source.external_size));
  } else {
    target = detail::node_slot(make<detail::BytesNode>(Kind::bytes, source.owned));
  }
}

}  // namespace picklejar::pickle
