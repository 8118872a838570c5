// Globals (_pickle.c save_global), object recipes (save_reduce), and the rewrites: a value that
// the protocol has no opcode for is written as the recipe CPython writes for it, memoized as
// the value itself, e.g. a set at protocol 3 as REDUCE(builtins.set, ([members],)).

#include <fmt/format.h>

#include "../value/hash.hpp"
#include "../value/utf8.hpp"
#include "compat_names.hpp"
#include "encoder.hpp"
#include "opcodes.hpp"

namespace picklejar::pickle {
namespace {

using detail::Tag;

std::string_view text_of(const Slot& s) { return detail::as_str(s.as.node).text(); }

// A class copyreg._reduce_ex refuses to write below protocol 2 ("cannot pickle 'int'
// object"): one of the built-in types, whose instances only NEWOBJ can make.
bool builtin_class(const Slot& cls) {
  if (cls.tag != Tag::node || cls.as.node->kind != Kind::global) return false;
  const auto& g = detail::as_global(cls.as.node);
  const std::string_view module = text_of(g.module), name = text_of(g.name);
  if (module == "builtins" || module == "__builtin__") return name != "object";
  return module == "collections" &&
         (name == "OrderedDict" || name == "defaultdict" || name == "deque");
}

bool is_ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Latin-1 decoding of bytes, as UTF-8: what _codecs.encode(..., 'latin1') gets back.
std::string latin1_text(std::span<const std::byte> bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::byte b : bytes) detail::append_utf8(out, std::to_integer<unsigned char>(b));
  return out;
}

}  // namespace

// ---- scratch values -------------------------------------------------------------------------

Slot Encoder::scratch_str(std::string_view text) {
  return detail::node_slot(scratch_->make_str(text));
}

Slot Encoder::scratch_global(std::string_view module, std::string_view name) {
  auto* g = scratch_->make<detail::GlobalNode>();
  g->module = detail::node_slot(name_string(module));
  g->name = detail::node_slot(name_string(name));
  return detail::node_slot(g);
}

Slot Encoder::scratch_tuple(std::initializer_list<Slot> items) {
  auto* t = scratch_->make<detail::SequenceNode>(Kind::tuple);
  t->items.assign(items.begin(), items.end());
  return detail::node_slot(t);
}

Node* Encoder::scratch_object(ObjectForm form, const Slot& callable, const Slot& args) {
  auto* o = scratch_->make<detail::ObjectNode>();
  o->form = form;
  o->callable = callable;
  o->args = args;
  return o;
}

Node* Encoder::name_string(std::string_view text) {
  auto [it, inserted] = name_strings_.try_emplace(std::string(text), nullptr);
  if (inserted) it->second = scratch_->make_str(text);
  return it->second;
}

Node* Encoder::global_key(std::string_view module, std::string_view name) {
  std::string key(module);
  key.push_back('\n');
  key.append(name);
  auto [it, inserted] = global_keys_.try_emplace(key, nullptr);
  if (inserted) it->second = scratch_->make_str(key);
  return it->second;
}

// ---- globals --------------------------------------------------------------------------------

void Encoder::save_global(Node* n) {
  const auto& g = detail::as_global(n);
  std::string_view module = text_of(g.module), name = text_of(g.name);
  // pickle.loads cannot import an empty name, and the decoder refuses one at every protocol
  // (below protocol 4 a nested name's parent can be empty: "._x" is getattr(<mod.>, '_x')).
  if (module.empty() || name.empty()) {
    fail(fmt::format("global {:?} has an empty {} name, which no pickle can name",
                     fmt::format("{}.{}", module, name), module.empty() ? "module" : "qualified"),
         n);
  }
  Node* key = global_key(module, name);
  if (proto_ >= 2 && options_.extensions) {
    if (auto code = options_.extensions->code_of(module, name)) {  // not memoized, as in CPython
      if (*code <= 0xff)
        return out_.write(std::string{static_cast<char>(Op::ext1), static_cast<char>(*code)});
      std::string op(1, static_cast<char>(*code <= 0xffff ? Op::ext2 : Op::ext4));
      for (int i = 0; i < (*code <= 0xffff ? 2 : 4); ++i)
        op.push_back(static_cast<char>((*code >> (8 * i)) & 0xff));
      return out_.write(op);
    }
  }
  if (proto_ >= 4) {
    // The names are strs like any other, memoized by identity: a decoded pickle keeps the
    // sharing CPython wrote (which is not always by text), and synthesized globals share
    // one node per text (name_string).
    push(Task{TaskKind::global_end, 0, 0, {}, 0, 0, {}, key});
    push(Task{TaskKind::global_name, 0, 0, {}, 0, 0, g.name, nullptr});
    push(Task{TaskKind::global_name, 0, 0, {}, 0, 0, g.module, nullptr});
    return;
  }
  if (proto_ < 3) {
    if (options_.fix_imports) {
      if (auto mapped = py3_to_py2(module, name)) std::tie(module, name) = *mapped;
    }
    if (!is_ascii(module) || !is_ascii(name)) {
      fail(fmt::format("global '{}.{}' has non-ASCII characters, which protocols 0-2 cannot name",
                       module, name),
           n);
    }
  }
  if (proto_ == 3 && (detail::find_surrogate(module) || detail::find_surrogate(name))) {
    fail(fmt::format("global {:?} has a lone surrogate, which protocol 3 cannot write in UTF-8",
                     fmt::format("{}.{}", module, name)),
         n);
  }
  // GLOBAL ends each name at a newline: a name holding one would be read back cut in two.
  if (module.find('\n') != std::string_view::npos || name.find('\n') != std::string_view::npos) {
    fail(fmt::format("global {:?} has a newline in its name, which protocols 0-3 cannot write",
                     fmt::format("{}.{}", module, name)),
         n);
  }
  out_.write(fmt::format("c{}\n{}\n", module, name));
  memo_put(key);
}

// A global's module or name at protocol 4+. Decoded names keep the sharing CPython wrote
// (by identity, which is not always by text). But a global the encoder synthesizes (the
// builtins.bytearray of a bytearray's REDUCE, collections.OrderedDict) stands for a class
// whose names CPython shares with every other global of that module (they are interned):
// a synthesized name and a decoded one of the same text are one str.
void Encoder::save_global_name(const Slot& slot) {
  if (slot.tag != Tag::node || slot.as.node->kind != Kind::str || memoized(slot.as.node))
    return save(slot);
  out_.object_boundary();  // as save() would, before a GET
  Node* n = slot.as.node;
  const std::string text(detail::as_str(n).text());
  const auto synthesized = name_strings_.find(text);
  const bool is_synthesized = synthesized != name_strings_.end() && synthesized->second == n;
  // Writes a GET of `same` for n, which from now on is `same` for the memo too.
  const auto get_as = [&](Node* same) {
    const auto index = memo_.find(same);
    if (!index) return false;
    write_get(*index);
    memo_.insert(n, *index);
    return true;
  };
  if (is_synthesized) {
    const auto decoded = decoded_names_.find(text);
    if (decoded != decoded_names_.end() && get_as(decoded->second)) return;
  } else {
    if (synthesized != name_strings_.end() && get_as(synthesized->second)) return;
    decoded_names_.try_emplace(text, n);
  }
  save(slot);
}

void Encoder::global_end(const Task& t) {
  out_.write(static_cast<char>(Op::stack_global));
  memo_put(t.key);
}

// ---- objects --------------------------------------------------------------------------------

void Encoder::save_object(Node* recipe, Node* memo_key) {
  const auto& o = detail::as_object(recipe);
  push(Task{TaskKind::reduce_end, 0, 0, {}, 0, 0, detail::node_slot(recipe), memo_key});
  switch (o.form) {
    case ObjectForm::newobj_ex:
      push_save(o.kwargs);
      [[fallthrough]];
    case ObjectForm::reduce:
    case ObjectForm::newobj:
      push_save(o.args);
      push_save(o.callable);
      return;
    case ObjectForm::inst:
    case ObjectForm::obj: {  // Python 2 classic instances: MARK [cls] args INST/OBJ
      const auto& args = detail::as_sequence(o.args.as.node).items;
      for (std::size_t i = args.size(); i-- > 0;) push_save(args[i]);
      if (o.form == ObjectForm::obj || proto_ >= 1) push_save(o.callable);
      out_.write(static_cast<char>(Op::mark));
      return;
    }
    case ObjectForm::reconstructor:
      break;  // rewritten before it gets here
  }
  fail("object form not expected here", recipe);
}

void Encoder::reduce_end(const Task& t) {
  Node* recipe = t.slot.as.node;
  const auto& o = detail::as_object(recipe);
  switch (o.form) {
    case ObjectForm::reduce:
      out_.write(static_cast<char>(Op::reduce));
      break;
    case ObjectForm::newobj:
      out_.write(static_cast<char>(Op::newobj));
      break;
    case ObjectForm::newobj_ex:
      out_.write(static_cast<char>(Op::newobj_ex));
      break;
    case ObjectForm::inst:
    case ObjectForm::obj:
      if (proto_ == 0 && o.callable.tag == Tag::node && o.callable.as.node->kind == Kind::global) {
        const auto& g = detail::as_global(o.callable.as.node);
        out_.write(fmt::format("i{}\n{}\n", text_of(g.module), text_of(g.name)));
      } else {
        out_.write(static_cast<char>(Op::obj));
      }
      break;
    case ObjectForm::reconstructor:
      break;
  }
  // Memoized while its arguments were written: it reaches itself through them (CPython's
  // save_reduce: pop what was built and fetch the memoized one).
  if (t.key != nullptr && memoized(t.key)) {
    out_.write(static_cast<char>(Op::pop));
    memo_get(t.key);
    return;
  }
  memo_put(t.key);
  // Then list items, dict items, and the state with BUILD, in that order.
  if (o.state.tag != Tag::none) {
    push_write(static_cast<char>(Op::build));
    push_save(o.state);
  }
  start_items(ItemsSource::object_dict, detail::node_slot(recipe), o.dictitems.size(),
              ItemsStart::push);
  start_items(ItemsSource::object_list, detail::node_slot(recipe), o.listitems.size(),
              ItemsStart::now);
}

// ---- rewrites -------------------------------------------------------------------------------

Node* Encoder::rewrite(Node* n) {
  switch (n->kind) {
    case Kind::bytes: {
      if (proto_ >= 3) return nullptr;
      const auto view = detail::as_bytes(n).view();
      if (view.empty())
        return scratch_object(ObjectForm::reduce, scratch_global("builtins", "bytes"),
                              scratch_tuple({}));
      // _codecs.encode(<the bytes as Latin-1 text>, 'latin1'): Python 2 reads a str, Python 3
      // bytes. The 'latin1' str is one object, memoized once (CPython's interned identifier).
      return scratch_object(ObjectForm::reduce, scratch_global("_codecs", "encode"),
                            scratch_tuple({scratch_str(latin1_text(view)), latin1_}));
    }
    case Kind::bytearray: {
      if (proto_ >= 5) return nullptr;
      auto& node = detail::as_bytes(n);
      const auto view = node.view();
      const Slot cls = scratch_global("builtins", "bytearray");
      if (view.empty()) return scratch_object(ObjectForm::reduce, cls, scratch_tuple({}));
      // bytearray(bytes(obj)): a new bytes object, here one that looks at the same memory.
      auto* inner = scratch_->make<detail::BytesNode>(
          Kind::bytes, std::shared_ptr<void>(), const_cast<std::byte*>(view.data()), view.size());
      return scratch_object(ObjectForm::reduce, cls, scratch_tuple({detail::node_slot(inner)}));
    }
    case Kind::set:
    case Kind::frozenset: {
      if (proto_ >= 4) return nullptr;
      auto* members = scratch_->make<detail::SequenceNode>(Kind::list);  // list(obj)
      for (const auto& e : detail::as_table(n).table.entries()) {
        if (e.key.tag != Tag::erased) members->items.push_back(e.key);
      }
      const bool frozen = n->kind == Kind::frozenset;
      return scratch_object(ObjectForm::reduce,
                            scratch_global("builtins", frozen ? "frozenset" : "set"),
                            scratch_tuple({detail::node_slot(members)}));
    }
    case Kind::dict: {
      const auto& table = detail::as_table(n);
      if (table.flavor != DictFlavor::ordered_dict) return nullptr;
      // OrderedDict.__reduce__: (cls, (), state, None, iter(items))
      Node* recipe = scratch_object(
          ObjectForm::reduce, scratch_global("collections", "OrderedDict"), scratch_tuple({}));
      auto& o = detail::as_object(recipe);
      for (const auto& e : table.table.entries()) {
        if (e.key.tag != Tag::erased) o.dictitems.emplace_back(e.key, e.value);
      }
      o.state = table.state;
      return recipe;
    }
    case Kind::global: {
      if (proto_ >= 4) return nullptr;
      const auto& g = detail::as_global(n);
      const std::string_view module = text_of(g.module), name = text_of(g.name);
      const auto dot = name.rfind('.');
      if (dot == std::string_view::npos) return nullptr;
      if (proto_ >= 2 && options_.extensions && options_.extensions->code_of(module, name))
        return nullptr;
      // A nested class below protocol 4: getattr(<parent>, '<last name>').
      return scratch_object(ObjectForm::reduce, scratch_global("builtins", "getattr"),
                            scratch_tuple({scratch_global(module, name.substr(0, dot)),
                                           scratch_str(name.substr(dot + 1))}));
    }
    case Kind::object:
      return rewrite_object(n);
    default:
      return nullptr;
  }
}

// Below protocol 2 CPython writes an instance as copyreg._reduce_ex makes it:
// _reconstructor(cls, base, base(obj)) plus BUILD of its attributes, where base is the first
// built-in class in cls's MRO. A protocol 2+ recipe shows that base only through its items:
// list items come from a list subclass, dict items from a dict subclass, and Python's
// _reconstructor must be given that base (object.__new__(a dict subclass) is refused). A
// recipe without items is a plain instance (base object), except for a class that is itself
// built in, which copyreg cannot write at all.
Node* Encoder::reconstructor_with_base(Node* n) {
  const auto& o = detail::as_object(n);
  const bool list_items = !o.listitems.empty(), dict_items = !o.dictitems.empty();
  if (list_items && dict_items) {
    fail(
        "an object with both list and dict items (NEWOBJ) needs protocol 2 or higher: "
        "copyreg._reconstructor takes one base class",
        n);
  }
  if (!list_items && !dict_items && builtin_class(o.callable)) {
    const auto& g = detail::as_global(o.callable.as.node);
    fail(fmt::format("an instance of {}.{} made by NEWOBJ needs protocol 2 or higher: "
                     "copyreg._reconstructor cannot make a built-in class's instance",
                     text_of(g.module), text_of(g.name)),
         n);
  }
  if (list_items || dict_items) {
    if (!in_base_state_.insert(n).second) {
      fail(
          "an object that contains itself through its list or dict items cannot be written "
          "below protocol 2: the items are copyreg._reconstructor's arguments",
          n);
    }
  }
  Slot base = scratch_global("builtins", "object");
  Slot base_state;  // base(obj): None for object
  if (list_items) {
    auto* items = scratch_->make<detail::SequenceNode>(Kind::list);
    items->items.assign(o.listitems.begin(), o.listitems.end());
    base = scratch_global("builtins", "list");
    base_state = detail::node_slot(items);
  } else if (dict_items) {
    auto* items = scratch_->make<detail::TableNode>(Kind::dict);
    for (const auto& [key, value] : o.dictitems) {
      const auto hash = detail::try_slot_hash(key);
      if (!hash) fail("a dict item with an unhashable key, which dict(obj) cannot hold", n);
      items->table.insert(key, *hash).first->value = value;
    }
    base = scratch_global("builtins", "dict");
    base_state = detail::node_slot(items);
  }
  Node* recipe = scratch_object(ObjectForm::reduce, scratch_global("copyreg", "_reconstructor"),
                                scratch_tuple({o.callable, base, base_state}));
  detail::as_object(recipe).state = o.state;
  return recipe;
}

// The forms an instance takes by protocol: NEWOBJ from 2, copyreg._reconstructor below;
// NEWOBJ_EX from 4, functools.partial(cls.__new__, cls, *args, **kwargs)() below.
Node* Encoder::rewrite_object(Node* n) {
  const auto& o = detail::as_object(n);
  if (proto_ < 5 && o.form == ObjectForm::reduce) {
    if (Node* array = rewrite_numpy_frombuffer(n)) return array;
  }
  const auto copy_rest = [&](Node* recipe) {
    auto& r = detail::as_object(recipe);
    r.state = o.state;
    r.listitems.assign(o.listitems.begin(), o.listitems.end());
    r.dictitems.assign(o.dictitems.begin(), o.dictitems.end());
    return recipe;
  };
  const bool no_args = detail::as_sequence(o.args.as.node).items.empty();
  if (o.form == ObjectForm::reconstructor || (o.form == ObjectForm::newobj && proto_ < 2)) {
    if (proto_ >= 2)
      return copy_rest(scratch_object(ObjectForm::newobj, o.callable, scratch_tuple({})));
    if (!no_args)
      fail("an object built with __new__ arguments (NEWOBJ) needs protocol 2 or higher", n);
    if (o.form == ObjectForm::newobj) return reconstructor_with_base(n);
    return copy_rest(
        scratch_object(ObjectForm::reduce, scratch_global("copyreg", "_reconstructor"),
                       scratch_tuple({o.callable, scratch_global("builtins", "object"), Slot{}})));
  }
  if (o.form == ObjectForm::newobj_ex && proto_ < 4) {
    if (o.callable.tag != Tag::node || o.callable.as.node->kind != Kind::global) {
      fail("an object built with keyword arguments (NEWOBJ_EX) from a class that is not a global",
           n);
    }
    const auto& cls = detail::as_global(o.callable.as.node);
    const Slot cls_new =
        scratch_global(text_of(cls.module), std::string(text_of(cls.name)) + ".__new__");
    auto* args = scratch_->make<detail::SequenceNode>(Kind::tuple);  // (cls, *args)
    args->items.push_back(o.callable);
    for (const Slot& a : detail::as_sequence(o.args.as.node).items) args->items.push_back(a);
    const bool has_kwargs =
        o.kwargs.tag == Tag::node && detail::as_table(o.kwargs.as.node).table.size() > 0;
    Node* partial = scratch_object(ObjectForm::reduce, scratch_global("functools", "partial"),
                                   scratch_tuple({cls_new}));
    detail::as_object(partial).state =
        scratch_tuple({cls_new, detail::node_slot(args), has_kwargs ? o.kwargs : Slot{}, Slot{}});
    return copy_rest(
        scratch_object(ObjectForm::reduce, detail::node_slot(partial), scratch_tuple({})));
  }
  return nullptr;
}

}  // namespace picklejar::pickle
