// repr() of whole value graphs, iteratively: a work list of small printing tasks replaces
// recursion, a set of nodes being printed catches self-containing structures, and shared
// objects are either printed again (Python's repr, within a budget) or labelled.

#include <picklejar/error.hpp>
#include <picklejar/repr.hpp>

#include <fmt/format.h>

#include "repr_printer.hpp"
#include "value_access.hpp"

namespace picklejar {
namespace detail {

Printer::Printer(std::string& out, const ReprOptions& options, Mode mode, const Slot& root)
    : out_(out), start_(out.size()), options_(options), mode_(mode) {
  count_repeats_ = mode == Mode::python && options.shared == SharedRepr::automatic;
  if (mode == Mode::labelled) mark_shared_nodes(root, marks_, globals_);
}

void Printer::run(const Slot& root) {
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
      case Task::Type::end_repeat:
        repeated_ += out_.size() - repeat_start_;
        in_repeat_ = false;
        break;
    }
  }
}

void Printer::emit(std::string_view s) {
  const std::size_t size = out_.size() + s.size();
  // Past a limit while repeating: the labelled text (without the repeats) may still fit.
  if (in_repeat_ && (repeated_ + (size - repeat_start_) > options_.max_repeated_bytes ||
                     size - start_ > options_.max_bytes)) {
    throw TooRepetitive{};
  }
  if (size - start_ > options_.max_bytes) {
    throw LimitError(std::nullopt, fmt::format("repr: text would exceed max_bytes ({} bytes)",
                                               options_.max_bytes));
  }
  out_.append(s);
}

bool Printer::begin_node(Node* n) {
  if (mode_ == Mode::labelled) {
    if (const auto label = labels_.find(n); label != labels_.end()) {
      emit(fmt::format("#{}#", label->second));
      return false;
    }
    if (ReprMarks::has(n, repr_shared)) {
      const std::size_t label = labels_.size() + 1;
      labels_.emplace(n, label);
      emit(fmt::format("#{}=", label));
    }
    return true;
  }
  // Python mode: printing a node again (not a cycle, which prints "[...]") is a repeat, and
  // everything it prints counts until it ends.
  if (!count_repeats_) return true;
  if (!ReprMarks::has(n, repr_seen)) {
    marks_.set(n, repr_seen);
  } else if (!in_repeat_ && !active_.contains(n)) {
    in_repeat_ = true;
    repeat_start_ = out_.size();
    tasks_.push_back({Task::Type::end_repeat, nullptr, {}});
  }
  return true;
}

void Printer::print(const Slot& s) {
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
  if (n->kind == Kind::global) n = globals_.canonical(n);
  if (!begin_node(n)) return;
  switch (n->kind) {
    case Kind::str:
    case Kind::bytes:
    case Kind::bytearray:
    case Kind::integer:
    case Kind::global:
      return print_leaf(n);
    default:
      break;
  }
  if (!active_.insert(n).second) return emit(recursion_marker(n));
  tasks_.push_back({Task::Type::leave, nullptr, s});
  switch (n->kind) {
    case Kind::list:
      return sequence(as_sequence(n).items, "[", "]", false);
    case Kind::tuple:
      return sequence(as_sequence(n).items, "(", ")", true);
    case Kind::dict:
      return dict(n);
    case Kind::set:
    case Kind::frozenset:
      return set(as_table(n));
    case Kind::object:
      if (options_.object_text) {
        if (const auto text = options_.object_text(ValueAccess::handle(s))) return emit(*text);
      }
      if (readable(s)) return;
      return object(as_object(n));
    default:
      return;
  }
}

namespace {
std::string_view bytes_text(Node* n) {
  auto v = as_bytes(n).view();
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

[[noreturn]] void too_many_digits(std::size_t limit) {
  throw LimitError(std::nullopt,
                   fmt::format("repr: int exceeds the limit ({} digits) for integer string "
                               "conversion",
                               limit));
}
}  // namespace

void Printer::print_leaf(Node* n) {
  switch (n->kind) {
    case Kind::str:
      return emit(str_repr(as_str(n).text()));
    case Kind::bytes:
      return emit(bytes_repr(bytes_text(n)));
    case Kind::bytearray:
      return emit("bytearray(" + bytes_repr(bytes_text(n)) + ")");
    case Kind::global:
      return emit("<global " + global_name(n) + ">");
    default:
      break;
  }
  const auto& big = as_bigint(n).value;
  // 4300 digits need at least 14281 bits; check cheaply before converting.
  const std::size_t limit = options_.max_int_digits;
  if (limit != 0 && big.bit_length() > limit * 3.33 + 8) too_many_digits(limit);
  std::string text = big.to_decimal();
  if (limit != 0 && text.size() - (big.sign() < 0) > limit) too_many_digits(limit);
  emit(text);
}

const char* Printer::recursion_marker(Node* n) {
  switch (n->kind) {
    case Kind::list:
      return "[...]";
    case Kind::tuple:
      return "(...)";
    case Kind::dict:
      return as_table(n).flavor == DictFlavor::ordered_dict ? "..." : "{...}";
    case Kind::set:
      return "set(...)";
    case Kind::frozenset:
      return "frozenset(...)";
    default:
      return "<...>";
  }
}

// Pushes the items (reversed, since the work list is a stack) between open and close.
void Printer::sequence(std::span<const Slot> items, const char* open, const char* close,
                       bool tuple_comma) {
  emit(open);
  tasks_.push_back(text(close));
  if (tuple_comma && items.size() == 1) tasks_.push_back(text(","));
  for (std::size_t i = items.size(); i-- > 0;) {
    tasks_.push_back(value(items[i]));
    if (i > 0) tasks_.push_back(text(", "));
  }
}

std::vector<const OrderedTable::Entry*> Printer::live_entries(const OrderedTable& t) {
  std::vector<const OrderedTable::Entry*> live;
  live.reserve(t.size());
  for (const auto& e : t.entries()) {
    if (e.key.tag != Tag::erased) live.push_back(&e);
  }
  return live;
}

void Printer::dict(Node* n) {
  const auto& node = as_table(n);
  const auto live = live_entries(node.table);
  if (node.flavor == DictFlavor::ordered_dict) {
    if (node.state.tag != Tag::none) with_dict_state(node);
    return ordered_dict(live);
  }
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
void Printer::ordered_dict(const std::vector<const OrderedTable::Entry*>& live) {
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

void Printer::set(const TableNode& node) {
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

}  // namespace detail

bool append_repr(std::string& out, const Value& value, const ReprOptions& options) {
  using detail::Printer;
  const detail::Slot& root = detail::ValueAccess::slot(value);
  const std::size_t start = out.size();
  if (options.shared != SharedRepr::label) {
    try {
      Printer(out, options, Printer::Mode::python, root).run(root);
      return false;
    } catch (const Printer::TooRepetitive&) {
      out.resize(start);
    } catch (...) {
      out.resize(start);
      throw;
    }
  }
  try {
    Printer(out, options, Printer::Mode::labelled, root).run(root);
  } catch (...) {
    out.resize(start);
    throw;
  }
  return true;
}

std::string repr(const Value& value, const ReprOptions& options) {
  std::string out;
  append_repr(out, value, options);
  return out;
}

std::string Value::repr() const { return picklejar::repr(*this); }

}  // namespace picklejar
