// describe() and describe_loaded(): see describe.hpp, and the format in make_corpus.py.

#include "describe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "corpus.hpp"
#include "value/value_access.hpp"

namespace picklejar::test {
namespace {

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xF]);
  }
  return out;
}

std::string float_bits(double d) { return fmt::format("{:016x}", std::bit_cast<std::uint64_t>(d)); }

// Identity of a node-backed value (nullptr for immediates, which are never numbered).
const void* node_of(const Value& v) { return detail::ValueAccess::node(v); }

// `loaded` selects make_fixtures.py's variant (canonical global names, "new"/"reduce" forms,
// empty states as None, sorted dicts and sets).
struct Mode {
  const GlobalNames* loaded_names = nullptr;
  bool loaded() const { return loaded_names != nullptr; }
};

class Describer {
 public:
  explicit Describer(Mode mode) : mode_(mode) {}

  std::string run(const Value& root) {
    todo_.push_back(Task{root, {}});
    while (!todo_.empty()) {
      Task task = std::move(todo_.back());
      todo_.pop_back();
      if (task.value) {
        visit(*task.value);
      } else {
        out_ += task.text;
      }
    }
    return std::move(out_);
  }

 private:
  // Either a value still to describe or literal text to append.
  struct Task {
    std::optional<Value> value;
    std::string text;
  };

  // Builds the tasks that follow the current one, in output order.
  class Sequence {
   public:
    Sequence& text(std::string s) {
      return tasks_.push_back(Task{std::nullopt, std::move(s)}), *this;
    }
    Sequence& value(Value v) { return tasks_.push_back(Task{std::move(v), {}}), *this; }
    Sequence& values(const std::vector<Value>& items) {
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) text(",");
        value(items[i]);
      }
      return *this;
    }
    Sequence& pairs(const std::vector<std::pair<Value, Value>>& items) {
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) text(",");
        value(items[i].first).text("=").value(items[i].second);
      }
      return *this;
    }
    std::vector<Task>& tasks() { return tasks_; }

   private:
    std::vector<Task> tasks_;
  };

  void schedule(Sequence& seq) {
    auto& tasks = seq.tasks();
    for (auto it = tasks.rbegin(); it != tasks.rend(); ++it) todo_.push_back(std::move(*it));
  }

  // Appends "@n" and returns false for a node already described; else appends "<name>#n".
  bool first_visit(const Value& v, std::string_view name) {
    const auto [it, inserted] = ids_.emplace(node_of(v), ids_.size());
    if (!inserted) {
      out_ += fmt::format("@{}", it->second);
      return false;
    }
    out_ += fmt::format("{}#{}", name, it->second);
    return true;
  }

  void visit(const Value& v) {
    switch (v.kind()) {
      case Kind::none:
        out_ += "None";
        return;
      case Kind::boolean:
        out_ += v.as_bool() ? "True" : "False";
        return;
      case Kind::integer:
        out_ += "int:" + v.int_to_decimal();
        return;
      case Kind::floating:
        out_ += "float:" + float_bits(v.as_float());
        return;
      case Kind::str:
        out_ += "str:" + hex(v.as_str());
        return;
      case Kind::bytes:
        out_ += "bytes:" + hex(v.as_bytes_view());
        return;
      case Kind::bytearray:
        if (first_visit(v, "bytearray")) out_ += ":" + hex(v.as_bytes_view());
        return;
      case Kind::list:
        if (first_visit(v, "list")) enclose("[", members(v, false), "]");
        return;
      case Kind::tuple:
        out_ += "tuple";
        return enclose("(", members(v, false), ")");
      case Kind::dict:
        if (first_visit(v, v.dict_flavor() == DictFlavor::ordered_dict ? "odict" : "dict")) {
          Sequence seq;
          seq.text("{").pairs(sorted_pairs(v.items())).text("}");
          if (!v.dict_state().is_none()) seq.text("state=").value(v.dict_state());
          schedule(seq);
        }
        return;
      case Kind::set:
        if (first_visit(v, "set")) enclose("{", members(v, true), "}");
        return;
      case Kind::frozenset:
        out_ += "frozenset";
        return enclose("{", members(v, true), "}");
      case Kind::global:
        out_ += global_name(v);
        return;
      case Kind::object:
        if (first_visit(v, "object")) object(v);
        return;
    }
  }

  void enclose(std::string open, const std::vector<Value>& items, std::string close) {
    Sequence seq;
    seq.text(std::move(open)).values(items).text(std::move(close));
    schedule(seq);
  }

  // A container's items in iteration order, or (loaded mode, sets) sorted.
  std::vector<Value> members(const Value& v, bool unordered) {
    std::vector<Value> items(v.begin(), v.end());
    if (!unordered || !mode_.loaded()) return items;
    std::vector<std::pair<std::string, Value>> keyed;
    for (auto& item : items) keyed.emplace_back(Describer(mode_).run(item), std::move(item));
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    items.clear();
    for (auto& [key, item] : keyed) items.push_back(std::move(item));
    return items;
  }

  std::vector<std::pair<Value, Value>> sorted_pairs(std::vector<std::pair<Value, Value>> items) {
    if (!mode_.loaded()) return items;
    std::vector<std::pair<std::string, std::pair<Value, Value>>> keyed;
    for (auto& item : items) keyed.emplace_back(Describer(mode_).run(item.first), std::move(item));
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    items.clear();
    for (auto& [key, item] : keyed) items.push_back(std::move(item));
    return items;
  }

  std::string global_name(const Value& v) const {
    if (!mode_.loaded()) return fmt::format("global:{}.{}", v.global_module(), v.global_name());
    const auto it =
        mode_.loaded_names->find({std::string(v.global_module()), std::string(v.global_name())});
    if (it == mode_.loaded_names->end() || it->second.empty()) {
      return fmt::format("unresolved:{}.{}", v.global_module(), v.global_name());
    }
    return "global:" + it->second;
  }

  void object(const Value& v) {
    const ObjectForm form = v.object_form();
    Value state = v.object_state();
    if (mode_.loaded()) {
      out_ += form == ObjectForm::reduce ? ":reduce(" : ":new(";
      if (state.is_dict() && state.empty()) state = Value();
    } else {
      out_ += fmt::format(":{}(", form_name(form));
    }
    Sequence seq;
    seq.value(v.object_callable()).text(";").value(v.object_args()).text(";");
    seq.value(v.object_kwargs()).text(";").value(state).text(";[");
    seq.values(v.object_listitems())
        .text("];{")
        .pairs(sorted_pairs(v.object_dictitems()))
        .text("})");
    schedule(seq);
  }

  Mode mode_;
  std::vector<Task> todo_;
  std::unordered_map<const void*, std::size_t> ids_;
  std::string out_;
};

}  // namespace

std::string describe(const Value& value) { return Describer(Mode{}).run(value); }

std::string describe_loaded(const Value& value, const GlobalNames& canonical) {
  return Describer(Mode{&canonical}).run(value);
}

void collect_globals(const Value& value, GlobalNames& out) {
  std::vector<Value> todo{value};
  std::unordered_set<const void*> seen;
  while (!todo.empty()) {
    const Value v = std::move(todo.back());
    todo.pop_back();
    if (node_of(v) == nullptr || !seen.insert(node_of(v)).second) continue;
    switch (v.kind()) {
      case Kind::global:
        out.emplace(std::pair(std::string(v.global_module()), std::string(v.global_name())), "");
        break;
      case Kind::list:
      case Kind::tuple:
      case Kind::set:
      case Kind::frozenset:
        todo.insert(todo.end(), v.begin(), v.end());
        break;
      case Kind::dict:
        for (auto& [k, item] : v.items()) todo.push_back(k), todo.push_back(item);
        break;
      case Kind::object:
        todo.push_back(v.object_callable()), todo.push_back(v.object_args());
        todo.push_back(v.object_kwargs()), todo.push_back(v.object_state());
        for (auto& item : v.object_listitems()) todo.push_back(item);
        for (auto& [k, item] : v.object_dictitems()) todo.push_back(k), todo.push_back(item);
        break;
      default:
        break;
    }
  }
}

bool description_has_nan(const std::string& description) {
  static constexpr std::string_view marker = "float:";
  for (auto pos = description.find(marker); pos != std::string::npos;
       pos = description.find(marker, pos + 1)) {
    const std::uint64_t bits =
        std::stoull(description.substr(pos + marker.size(), 16), nullptr, 16);
    constexpr std::uint64_t exponent = 0x7ff0000000000000, mantissa = 0x000fffffffffffff;
    if ((bits & exponent) == exponent && (bits & mantissa) != 0) return true;
  }
  return false;
}

}  // namespace picklejar::test
