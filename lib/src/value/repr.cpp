// repr() of whole value graphs, iteratively: a work list of small printing tasks replaces
// recursion, and a set of nodes being printed catches self-containing structures.

#include <picklejar/error.hpp>
#include <picklejar/repr.hpp>

#include <unordered_set>
#include <vector>

#include "node.hpp"
#include "value_access.hpp"

namespace picklejar {
namespace {

using detail::Node;
using detail::Slot;
using detail::Tag;

struct Task {
  enum class Type { text, value, callable_name, leave } type;
  const char* text = nullptr;
  Slot slot{};
};

Task text(const char* t) { return {Task::Type::text, t, {}}; }
Task value(const Slot& s) { return {Task::Type::value, nullptr, s}; }

class Printer {
 public:
  Printer(std::string& out, const ReprOptions& options) : out_(out), options_(options) {}

  void run(const Slot& root) {
    tasks_.push_back(value(root));
    while (!tasks_.empty()) {
      Task t = tasks_.back();
      tasks_.pop_back();
      switch (t.type) {
        case Task::Type::text:
          emit(t.text);
          break;
        case Task::Type::value:
          print(t.slot);
          break;
        case Task::Type::callable_name:
          print_callable_name(t.slot);
          break;
        case Task::Type::leave:
          active_.erase(t.slot.as.node);
          break;
      }
    }
  }

 private:
  void emit(std::string_view s) {
    if (out_.size() + s.size() > options_.max_bytes) {
      throw LimitError(std::nullopt, "repr: text would exceed max_bytes (" +
                                         std::to_string(options_.max_bytes) + " bytes)");
    }
    out_.append(s);
  }

  void print(const Slot& s) {
    switch (s.tag) {
      case Tag::none:
        return emit("None");
      case Tag::boolean:
        return emit(s.as.boolean ? "True" : "False");
      case Tag::small_int:
        return emit(std::to_string(s.as.small_int));
      case Tag::floating:
        return emit(float_repr(s.as.floating));
      case Tag::erased:
        return;
      case Tag::node:
        break;
    }
    Node* n = s.as.node;
    switch (n->kind) {
      case Kind::str:
        return emit(str_repr(detail::as_str(n).text()));
      case Kind::bytes:
        return emit(bytes_repr(bytes_text(n)));
      case Kind::bytearray:
        return emit("bytearray(" + bytes_repr(bytes_text(n)) + ")");
      case Kind::integer:
        return print_bigint(n);
      case Kind::global:
        return emit("<global " + global_name(n) + ">");
      default:
        break;
    }
    if (!active_.insert(n).second) return emit(recursion_marker(n));
    tasks_.push_back({Task::Type::leave, nullptr, s});
    switch (n->kind) {
      case Kind::list:
        return sequence(detail::as_sequence(n).items, "[", "]", false);
      case Kind::tuple:
        return sequence(detail::as_sequence(n).items, "(", ")", true);
      case Kind::dict:
        return dict(detail::as_table(n));
      case Kind::set:
      case Kind::frozenset:
        return set(detail::as_table(n));
      case Kind::object:
        return object(detail::as_object(n));
      default:
        return;
    }
  }

  static std::string_view bytes_text(Node* n) {
    auto v = detail::as_bytes(n).view();
    return {reinterpret_cast<const char*>(v.data()), v.size()};
  }

  // module.qualname as written, or quoted and escaped like a str when it holds anything
  // repr() would escape (a hostile pickle may put control characters in names).
  static std::string global_name(Node* n) {
    const auto& g = detail::as_global(n);
    std::string name(detail::as_str(g.module.as.node).text());
    name += '.';
    name += detail::as_str(g.name.as.node).text();
    std::string quoted = str_repr(name);
    if (quoted.size() == name.size() + 2 && quoted.compare(1, name.size(), name) == 0) return name;
    return quoted;
  }

  static const char* recursion_marker(Node* n) {
    switch (n->kind) {
      case Kind::list:
        return "[...]";
      case Kind::tuple:
        return "(...)";
      case Kind::dict:
        return detail::as_table(n).flavor == DictFlavor::ordered_dict ? "..." : "{...}";
      case Kind::set:
        return "set(...)";
      case Kind::frozenset:
        return "frozenset(...)";
      default:
        return "<...>";
    }
  }

  void print_bigint(Node* n) {
    const auto& big = detail::as_bigint(n).value;
    // 4300 digits need at least 14281 bits; check cheaply before converting.
    const std::size_t limit = options_.max_int_digits;
    if (limit != 0 && big.bit_length() > limit * 3.33 + 8) too_many_digits();
    std::string text = big.to_decimal();
    if (limit != 0 && text.size() - (big.sign() < 0) > limit) too_many_digits();
    emit(text);
  }

  [[noreturn]] void too_many_digits() const {
    throw LimitError(std::nullopt, "repr: int exceeds the limit (" +
                                       std::to_string(options_.max_int_digits) +
                                       " digits) for integer string conversion");
  }

  // Pushes the items (reversed, since the work list is a stack) between open and close.
  void sequence(std::span<const Slot> items, const char* open, const char* close,
                bool tuple_comma) {
    emit(open);
    tasks_.push_back(text(close));
    if (tuple_comma && items.size() == 1) tasks_.push_back(text(","));
    for (std::size_t i = items.size(); i-- > 0;) {
      tasks_.push_back(value(items[i]));
      if (i > 0) tasks_.push_back(text(", "));
    }
  }

  std::vector<const detail::OrderedTable::Entry*> live_entries(const detail::OrderedTable& t) {
    std::vector<const detail::OrderedTable::Entry*> live;
    live.reserve(t.size());
    for (const auto& e : t.entries()) {
      if (e.key.tag != Tag::erased) live.push_back(&e);
    }
    return live;
  }

  void dict(const detail::TableNode& node) {
    const auto live = live_entries(node.table);
    if (node.flavor == DictFlavor::ordered_dict) return ordered_dict(live);
    emit("{");
    tasks_.push_back(text("}"));
    for (std::size_t i = live.size(); i-- > 0;) {
      tasks_.push_back(value(live[i]->value));
      tasks_.push_back(text(": "));
      tasks_.push_back(value(live[i]->key));
      if (i > 0) tasks_.push_back(text(", "));
    }
  }

  // collections.OrderedDict's repr in 3.11: OrderedDict([('a', 1), ('b', 2)]).
  void ordered_dict(const std::vector<const detail::OrderedTable::Entry*>& live) {
    if (live.empty()) return emit("OrderedDict()");
    emit("OrderedDict([");
    tasks_.push_back(text("])"));
    for (std::size_t i = live.size(); i-- > 0;) {
      tasks_.push_back(text(")"));
      tasks_.push_back(value(live[i]->value));
      tasks_.push_back(text(", "));
      tasks_.push_back(value(live[i]->key));
      tasks_.push_back(text("("));
      if (i > 0) tasks_.push_back(text(", "));
    }
  }

  void set(const detail::TableNode& node) {
    const bool frozen = node.kind == Kind::frozenset;
    const auto live = live_entries(node.table);
    if (live.empty()) return emit(frozen ? "frozenset()" : "set()");
    emit(frozen ? "frozenset({" : "{");
    tasks_.push_back(text(frozen ? "})" : "}"));
    for (std::size_t i = live.size(); i-- > 0;) {
      tasks_.push_back(value(live[i]->key));
      if (i > 0) tasks_.push_back(text(", "));
    }
  }

  void print_callable_name(const Slot& callable) {
    if (callable.tag == Tag::node && callable.as.node->kind == Kind::global) {
      return emit(global_name(callable.as.node));
    }
    print(callable);
  }

  // <reduce module.func(args...) ...> or <module.Class object args=(...) ...>
  void object(const detail::ObjectNode& o) {
    const bool reduce = o.form == ObjectForm::reduce;
    emit("<");
    tasks_.push_back(text(">"));
    if (!o.dictitems.empty()) {
      tasks_.push_back(text("}"));
      for (std::size_t i = o.dictitems.size(); i-- > 0;) {
        tasks_.push_back(value(o.dictitems[i].second));
        tasks_.push_back(text(": "));
        tasks_.push_back(value(o.dictitems[i].first));
        if (i > 0) tasks_.push_back(text(", "));
      }
      tasks_.push_back(text(" dictitems={"));
    }
    if (!o.listitems.empty()) {
      tasks_.push_back(text("]"));
      for (std::size_t i = o.listitems.size(); i-- > 0;) {
        tasks_.push_back(value(o.listitems[i]));
        if (i > 0) tasks_.push_back(text(", "));
      }
      tasks_.push_back(text(" listitems=["));
    }
    if (o.state.tag != Tag::none)
      tasks_.push_back(value(o.state)), tasks_.push_back(text(" state="));
    if (o.kwargs.tag != Tag::none) {
      tasks_.push_back(value(o.kwargs)), tasks_.push_back(text(" kwargs="));
    }
    const auto& args = detail::as_sequence(o.args.as.node).items;
    if (reduce) {
      tasks_.push_back(text(")"));
      for (std::size_t i = args.size(); i-- > 0;) {
        tasks_.push_back(value(args[i]));
        if (i > 0) tasks_.push_back(text(", "));
      }
      tasks_.push_back(text("("));
      tasks_.push_back({Task::Type::callable_name, nullptr, o.callable});
      tasks_.push_back(text("reduce "));
    } else {
      if (!args.empty()) tasks_.push_back(value(o.args)), tasks_.push_back(text(" args="));
      tasks_.push_back(text(" object"));
      tasks_.push_back({Task::Type::callable_name, nullptr, o.callable});
    }
  }

  std::string& out_;
  const ReprOptions& options_;
  std::vector<Task> tasks_;
  std::unordered_set<Node*> active_;
};

}  // namespace

void append_repr(std::string& out, const Value& value, const ReprOptions& options) {
  Printer(out, options).run(detail::ValueAccess::slot(value));
}

std::string repr(const Value& value, const ReprOptions& options) {
  std::string out;
  append_repr(out, value, options);
  return out;
}

std::string Value::repr() const { return picklejar::repr(*this); }

}  // namespace picklejar
