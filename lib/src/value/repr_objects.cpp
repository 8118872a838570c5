// repr() of what Python's repr cannot show for plain data: readable renderings of
// well-known classes and plain instances (repr_readable.hpp), globals, object recipes, and
// the instance attributes of an OrderedDict. A rendering for a particular class (say, an
// array type) belongs here, chosen in object() or in readable_object().

#include <fmt/format.h>

#include "repr_printer.hpp"
#include "repr_readable.hpp"
#include "value_access.hpp"

namespace picklejar::detail {

bool Printer::readable(const Slot& s) {
  auto parts = readable_object(ValueAccess::handle(s));
  if (!parts) return false;
  for (auto it = parts->rbegin(); it != parts->rend(); ++it) {
    if (it->value) tasks_.push_back(value(ValueAccess::slot(*it->value)));
    tasks_.push_back(text(texts_.emplace_back(std::move(it->text)).c_str()));
  }
  return true;
}

// module.qualname as written, or quoted and escaped like a str when it holds anything repr()
// would escape (a hostile pickle may put control characters in names).
std::string Printer::global_name(Node* n) {
  const auto& g = as_global(n);
  std::string name(as_str(g.module.as.node).text());
  name += '.';
  name += as_str(g.name.as.node).text();
  std::string quoted = str_repr(name);
  if (quoted.size() == name.size() + 2 && quoted.compare(1, name.size(), name) == 0) return name;
  return quoted;
}

void Printer::print_callable_name(const Slot& callable) {
  if (callable.tag == Tag::node && callable.as.node->kind == Kind::global) {
    return emit(global_name(callable.as.node));
  }
  print(callable);
}

// <reduce module.func(args...) ...> or <module.Class object args=(...) ...>
void Printer::object(const ObjectNode& o) {
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
  if (o.state.tag != Tag::none) tasks_.push_back(value(o.state)), tasks_.push_back(text(" state="));
  if (o.kwargs.tag != Tag::none) {
    tasks_.push_back(value(o.kwargs)), tasks_.push_back(text(" kwargs="));
  }
  const auto& args = as_sequence(o.args.as.node).items;
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

// Python's repr of an OrderedDict leaves its attributes out, but BUILD may have put anything
// there (even a __setstate__ that a later BUILD would call): shown, after the items.
void Printer::with_dict_state(const TableNode& node) {
  emit("<");
  tasks_.push_back(text(">"));
  tasks_.push_back(value(node.state));
  tasks_.push_back(text(" state="));
}

}  // namespace picklejar::detail
