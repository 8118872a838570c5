// to_json() and write_json(): a value graph out as tagged JSON. The graph is walked with an
// explicit task stack (containers are visited item by item), so depth costs heap memory only.

#include <picklejar/error.hpp>
#include <picklejar/json.hpp>

#include <cmath>
#include <string_view>
#include <vector>

#include "../value/value_access.hpp"
#include "graph.hpp"
#include "numpy_forms.hpp"
#include "readable_forms.hpp"
#include "scalars.hpp"
#include "tags.hpp"
#include "writer.hpp"

namespace picklejar::json {
namespace {

using detail::Node;
using detail::Slot;
using detail::Tag;

// The first live entry of a dict/set table at or after `pos`, or its size.
std::size_t live_entry(const Node* table, std::size_t pos) {
  const auto& entries = detail::as_table(const_cast<Node*>(table)).table.entries();
  while (pos < entries.size() && entries[pos].key.tag == Tag::erased) ++pos;
  return pos;
}

class Emitter {
 public:
  Emitter(JsonWriter& out, const Slot& root, bool readable)
      : out_(out), graph_(root), readable_(readable) {
    tasks_.push_back(Task{Step::value, root});
  }
  void run() {
    while (!tasks_.empty()) {
      const Task t = tasks_.back();
      tasks_.pop_back();
      execute(t);
    }
  }

 private:
  enum class Step : std::uint8_t {
    value,  // `slot` in a value position
    name,   // `slot`, a global's module or qualname (pooled strs by their text)
    key,    // the member name `text`
    begin_array,
    end_array,
    end_object,
    items,         // list/tuple items, set members or object listitems of `slot`, from `pos`
    members,       // a dict's entries as "key": value, from `pos`
    pairs,         // a dict's entries as [key, value], from `pos`
    object_pairs,  // an object's dictitems as [key, value], from `pos`
  };
  struct Task {
    Step step;
    Slot slot{};
    std::size_t pos = 0;
    std::string_view text{};
  };

  void push(Step step, const Slot& slot = {}, std::size_t pos = 0) {
    tasks_.push_back(Task{step, slot, pos, {}});
  }
  void push_key(std::string_view text) { tasks_.push_back(Task{Step::key, {}, 0, text}); }
  void execute(const Task& t);
  void value(const Slot& s, bool name_position);
  void node(Node* n, bool name_position);
  // "{" and, for a shared node, its "$id".
  void open(std::uint32_t id) {
    out_.begin_object();
    if (id != 0) {
      out_.key(tag_text(TagName::id));
      out_.integer(id);
    }
  }
  void tagged_string(TagName tag, std::string_view text, std::uint32_t id = 0) {
    open(id);
    out_.key(tag_text(tag));
    out_.string(text);
    out_.end_object();
  }
  void str(Node* n, std::uint32_t id, bool name_position);
  void table(Node* n, std::uint32_t id);
  void object(Node* n, std::uint32_t id);
  bool readable_object(Node* n, std::uint32_t id);
  void ndarray(const ArrayForm& form, std::uint32_t id);
  void dtype(const DTypeForm& form, std::uint32_t id);
  // A tuple written as a plain array when nothing else refers to it (an object's args).
  void tuple_field(std::string_view key, const Slot& tuple);
  void items(const Task& t);
  void entries(const Task& t);

  JsonWriter& out_;
  GraphInfo graph_;
  std::vector<Task> tasks_;
  std::uint32_t next_id_ = 0;
  const bool readable_;  // JsonOptions::readable
};

void Emitter::execute(const Task& t) {
  switch (t.step) {
    case Step::value:
      return value(t.slot, false);
    case Step::name:
      return value(t.slot, true);
    case Step::key:
      return out_.key(t.text);
    case Step::begin_array:
      return out_.begin_array();
    case Step::end_array:
      return out_.end_array();
    case Step::end_object:
      return out_.end_object();
    case Step::items:
      return items(t);
    case Step::members:
    case Step::pairs:
    case Step::object_pairs:
      return entries(t);
  }
}

void Emitter::value(const Slot& s, bool name_position) {
  switch (s.tag) {
    case Tag::none:
      return out_.null();
    case Tag::boolean:
      return out_.boolean(s.as.boolean);
    case Tag::small_int:
      return out_.integer(s.as.small_int);
    case Tag::floating:
      if (std::isfinite(s.as.floating)) return out_.floating(s.as.floating);
      return tagged_string(TagName::floating, special_float_text(s.as.floating));
    case Tag::node:
      return node(s.as.node, name_position);
    case Tag::erased:
      break;
  }
  throw TypeError("to_json: an erased slot is not a value");
}

void Emitter::node(Node* n, bool name_position) {
  NodeInfo& info = graph_.at(n);
  if (info.pooled) {
    const std::string_view text = detail::as_str(n).text();
    if (name_position) return out_.string(text);
    return tagged_string(TagName::interned, text);
  }
  if (info.refs > 1) {
    if (info.id != 0) {
      out_.begin_object();
      out_.key(tag_text(TagName::ref));
      out_.integer(info.id);
      return out_.end_object();
    }
    info.id = ++next_id_;
  }
  const std::uint32_t id = info.id;
  switch (n->kind) {
    case Kind::str:
      return str(n, id, name_position);
    case Kind::bytes:
    case Kind::bytearray:
      return tagged_string(n->kind == Kind::bytes ? TagName::bytes : TagName::bytearray,
                           base64_encode(detail::as_bytes(n).view()), id);
    case Kind::integer:
      return tagged_string(TagName::integer, bigint_text(detail::as_bigint(n).value), id);
    case Kind::list:
      if (id == 0) {
        out_.begin_array();
        push(Step::end_array);
        return push(Step::items, detail::node_slot(n));
      }
      [[fallthrough]];
    case Kind::tuple:
    case Kind::set:
    case Kind::frozenset: {
      open(id);
      const TagName tag = n->kind == Kind::list    ? TagName::list
                          : n->kind == Kind::tuple ? TagName::tuple
                          : n->kind == Kind::set   ? TagName::set
                                                   : TagName::frozenset;
      out_.key(tag_text(tag));
      out_.begin_array();
      push(Step::end_object);
      push(Step::end_array);
      return push(Step::items, detail::node_slot(n));
    }
    case Kind::dict:
      return table(n, id);
    case Kind::global:
      open(id);
      out_.key(tag_text(TagName::global));
      out_.begin_array();
      push(Step::end_object);
      push(Step::end_array);
      push(Step::name, detail::as_global(n).name);
      return push(Step::name, detail::as_global(n).module);
    case Kind::object:
      return object(n, id);
    default:
      break;
  }
  throw TypeError("to_json: unexpected node kind");
}

void Emitter::str(Node* n, std::uint32_t id, bool name_position) {
  const std::string_view text = detail::as_str(n).text();
  if (graph_.at(n).plain_text) {
    // A plain string in a name position would mean the pooled str of that text.
    if (id == 0 && !name_position) return out_.string(text);
    return tagged_string(TagName::str, text, id);
  }
  open(id);
  out_.key(tag_text(TagName::str));
  out_.begin_array();
  for (const StrChunk& chunk : surrogate_chunks(text)) {
    if (const auto* run = std::get_if<std::string_view>(&chunk)) {
      out_.string(*run);
    } else {
      out_.integer(std::get<char32_t>(chunk));
    }
  }
  out_.end_array();
  out_.end_object();
}

void Emitter::table(Node* n, std::uint32_t id) {
  const auto& t = detail::as_table(n);
  const bool ordered = t.flavor == DictFlavor::ordered_dict;
  const bool plain = graph_.plain_keys(n);
  if (!ordered && plain && id == 0) {
    out_.begin_object();
    push(Step::end_object);
    return push(Step::members, detail::node_slot(n));
  }
  open(id);
  out_.key(tag_text(ordered ? TagName::odict : TagName::dict));
  push(Step::end_object);
  if (ordered && t.state.tag != Tag::none) {
    push(Step::value, t.state);
    push_key(tag_text(TagName::state));
  }
  if (plain) {
    out_.begin_object();
    push(Step::end_object);
    return push(Step::members, detail::node_slot(n));
  }
  out_.begin_array();
  push(Step::end_array);
  push(Step::pairs, detail::node_slot(n));
}

// {"$datetime": "..."} or {"$class": "m.C", attributes...} (readable_forms.hpp), if it has one.
bool Emitter::readable_object(Node* n, std::uint32_t id) {
  const ReadableForm form = readable_form(n, graph_);
  if (const auto* text = std::get_if<ReadableText>(&form)) {
    tagged_string(text->tag, text->text, id);
    return true;
  }
  const auto* instance = std::get_if<ReadableInstance>(&form);
  if (instance == nullptr) return false;
  open(id);
  out_.key(tag_text(TagName::class_));
  out_.string(instance->class_name);
  push(Step::end_object);
  if (instance->state.tag != Tag::none) push(Step::members, instance->state);
  return true;
}

void Emitter::object(Node* n, std::uint32_t id) {
  if (const auto form = array_form(n, graph_)) return ndarray(*form, id);
  if (const auto form = dtype_form(n, graph_)) return dtype(*form, id);
  if (readable_ && readable_object(n, id)) return;
  const auto& o = detail::as_object(n);
  open(id);
  out_.key(tag_text(TagName::object));
  out_.begin_object();
  out_.key("form");
  out_.string(form_name(o.form));
  push(Step::end_object);  // {"$object": ...}
  push(Step::end_object);  // the fields
  if (!o.dictitems.empty()) {
    push(Step::end_array);
    push(Step::object_pairs, detail::node_slot(n));
    push(Step::begin_array);
    push_key("dictitems");
  }
  if (!o.listitems.empty()) {
    push(Step::end_array);
    push(Step::items, detail::node_slot(n));
    push(Step::begin_array);
    push_key("listitems");
  }
  if (o.state.tag != Tag::none) {
    push(Step::value, o.state);
    push_key("state");
  }
  if (o.kwargs.tag != Tag::none) {
    push(Step::value, o.kwargs);
    push_key("kwargs");
  }
  if (graph_.at(o.args.as.node).refs > 1 || !detail::as_sequence(o.args.as.node).items.empty())
    tuple_field("args", o.args);
  push(Step::value, o.callable);
  push_key("callable");
}

void Emitter::tuple_field(std::string_view key, const Slot& tuple) {
  if (graph_.at(tuple.as.node).refs > 1) {
    push(Step::value, tuple);
  } else {
    push(Step::end_array);
    push(Step::items, tuple);
    push(Step::begin_array);
  }
  push_key(key);
}

// {"$ndarray": {"recipe": ..., ["numpy": "numpy._core",] "dtype": ..., "shape": [...],
// "order"/"fortran"[, "typecode"], "data": ...}}: fields pushed last first.
void Emitter::ndarray(const ArrayForm& form, std::uint32_t id) {
  open(id);
  out_.key(tag_text(TagName::ndarray));
  out_.begin_object();
  out_.key("recipe");
  out_.string(form.kind == numpy::RecipeKind::scalar       ? "scalar"
              : form.kind == numpy::RecipeKind::frombuffer ? "frombuffer"
                                                           : "reconstruct");
  if (form.package == numpy::Package::underscore) {
    out_.key("numpy");
    out_.string("numpy._core");
  }
  push(Step::end_object);
  push(Step::end_object);
  push(Step::value, *form.data);
  push_key("data");
  if (form.typecode) push(Step::value, *form.typecode), push_key("typecode");
  if (form.fortran) push(Step::value, *form.fortran), push_key("fortran");
  if (form.order) push(Step::value, *form.order), push_key("order");
  if (form.shape) tuple_field("shape", *form.shape);
  push(Step::value, *form.dtype);
  push_key("dtype");
}

// {"$dtype": "<f8"}, or {"$dtype": {"str": "<f8", "endian": ...}} with its shared parts.
void Emitter::dtype(const DTypeForm& form, std::uint32_t id) {
  open(id);
  out_.key(tag_text(TagName::dtype));
  if (!form.endian && !form.metadata && !form.unit) {
    out_.string(form.text.text());
    return out_.end_object();
  }
  out_.begin_object();
  out_.key("str");
  out_.string(form.text.text());
  push(Step::end_object);
  push(Step::end_object);
  if (form.unit) push(Step::value, *form.unit), push_key("unit");
  if (form.metadata) push(Step::value, *form.metadata), push_key("metadata");
  if (form.endian) push(Step::value, *form.endian), push_key("endian");
}

void Emitter::items(const Task& t) {
  Node* n = t.slot.as.node;
  Slot item;
  std::size_t next = t.pos + 1;
  switch (n->kind) {
    case Kind::list:
    case Kind::tuple: {
      const auto& v = detail::as_sequence(n).items;
      if (t.pos >= v.size()) return;
      item = v[t.pos];
      break;
    }
    case Kind::set:
    case Kind::frozenset: {
      const std::size_t pos = live_entry(n, t.pos);
      const auto& entries = detail::as_table(n).table.entries();
      if (pos >= entries.size()) return;
      item = entries[pos].key;
      next = pos + 1;
      break;
    }
    case Kind::object: {
      const auto& v = detail::as_object(n).listitems;
      if (t.pos >= v.size()) return;
      item = v[t.pos];
      break;
    }
    default:
      return;
  }
  push(Step::items, t.slot, next);
  push(Step::value, item);
}

void Emitter::entries(const Task& t) {
  Node* n = t.slot.as.node;
  Slot key, value;
  std::size_t next = t.pos + 1;
  if (t.step == Step::object_pairs) {
    const auto& v = detail::as_object(n).dictitems;
    if (t.pos >= v.size()) return;
    std::tie(key, value) = v[t.pos];
  } else {
    const std::size_t pos = live_entry(n, t.pos);
    const auto& entries = detail::as_table(n).table.entries();
    if (pos >= entries.size()) return;
    key = entries[pos].key, value = entries[pos].value;
    next = pos + 1;
  }
  push(t.step, t.slot, next);
  if (t.step == Step::members) {
    out_.key(detail::as_str(key.as.node).text(), /*dollar_escape=*/true);
    return push(Step::value, value);
  }
  out_.begin_array();
  push(Step::end_array);
  push(Step::value, value);
  push(Step::value, key);
}

void write(const Value& value, std::string& out, const JsonWriter::Sink& sink,
           const JsonOptions& options) {
  if (options.indent < -1) throw ValueError("to_json: indent must be -1 (one line) or more");
  JsonWriter writer(out, sink, options);
  Emitter(writer, detail::ValueAccess::slot(value), options.readable).run();
  writer.finish();
}

}  // namespace
}  // namespace picklejar::json

namespace picklejar {

std::string to_json(const Value& value, const JsonOptions& options) {
  std::string out;
  json::write(value, out, {}, options);
  return out;
}

void write_json(const Value& value, const std::function<void(std::string_view)>& write,
                const JsonOptions& options) {
  std::string buffer;
  json::write(value, buffer, write, options);
}

}  // namespace picklejar
