#include "encoder.hpp"

#include <fmt/format.h>

#include <unordered_map>
#include <vector>

#include "../value/value_access.hpp"
#include "opcodes.hpp"

namespace picklejar::pickle {

Encoder::Encoder(Output& out, const EncodeOptions& options, const Value& root)
    : out_(out),
      options_(options),
      proto_(options.protocol),
      root_(detail::ValueAccess::slot(root)),
      memo_(root_.tag == detail::Tag::node ? root_.as.node : nullptr) {
  if (proto_ < 0 || proto_ > 5) {
    throw ValueError(fmt::format("pickle protocol {} is not supported (0 to 5)", proto_));
  }
  scratch_->pause_collection(true);  // scratch nodes are held by plain slots
  latin1_ = scratch_str("latin1");
}

void Encoder::run() {
  if (proto_ >= 2) {
    const char header[2] = {static_cast<char>(Op::proto), static_cast<char>(proto_)};
    out_.write(std::string_view(header, 2));
    if (proto_ >= 4) out_.start_framing();
  }
  stack_top_ = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  save(root_, true);
  out_.write(static_cast<char>(Op::stop));
  out_.finish();
}

void Encoder::run_tasks(std::size_t base) {
  while (tasks_.size() > base) {
    const Task t = tasks_.back();
    tasks_.pop_back();
    execute(t);
  }
}

void Encoder::execute(const Task& t) {
  switch (t.kind) {
    case TaskKind::save:  // direct while the depth budget lasts, then by tasks alone
      return save(t.slot, may_recurse());
    case TaskKind::write:
      return out_.write(std::string_view(t.ops, t.a));
    case TaskKind::memoize:
      return memo_put(t.key);
    case TaskKind::tuple_end:
      return tuple_end(t.slot.as.node, t.a != 0);
    case TaskKind::frozenset_end:
      return frozenset_end(t.slot.as.node);
    case TaskKind::reduce_end:
      return reduce_end(t);
    case TaskKind::global_end:
      return global_end(t);
    case TaskKind::global_name:
      return save_global_name(t.slot);
    case TaskKind::items:
      return item(t);
    case TaskKind::items_after:
      return item_after(t);
  }
}

void Encoder::save(const Slot& s, bool direct) {
  if (!direct) return save_one(s, false);
  // Containers recurse while the stack budget lasts; beyond it, and for object recipes, what
  // the value pushed is run here to its end (beyond the budget by tasks only, see execute()).
  const std::size_t base = tasks_.size();
  save_one(s, may_recurse());
  if (tasks_.size() > base) run_tasks(base);
}

// CPython's save(): atoms first (never memoized), then the memo, then by type.
void Encoder::save_one(const Slot& s, bool direct) {
  out_.object_boundary();
  switch (s.tag) {
    case detail::Tag::none:
      return out_.write(static_cast<char>(Op::none));
    case detail::Tag::boolean:
      return save_bool(s.as.boolean);
    case detail::Tag::small_int:
      return save_int(s.as.small_int);
    case detail::Tag::floating:
      return save_float(s.as.floating);
    case detail::Tag::erased:
      return;
    case detail::Tag::node:
      break;
  }
  Node* n = s.as.node;
  if (n->kind == Kind::integer) return save_bigint(n);
  Node* key = n;
  if (n->kind == Kind::global) {
    const auto& g = detail::as_global(n);
    key =
        global_key(detail::as_str(g.module.as.node).text(), detail::as_str(g.name.as.node).text());
  }
  if (memo_get(key)) return;
  if (n->kind == Kind::str) return save_str(n);  // the common case, never rewritten
  if (may_rewrite(n)) {
    if (Node* recipe = rewrite(n)) return save_object(recipe, key);
  }
  switch (n->kind) {
    case Kind::str:
      return save_str(n);
    case Kind::bytes:
      return save_bytes(n);
    case Kind::bytearray:
      return save_bytearray(n);
    case Kind::tuple:
      return save_tuple(n, direct);
    case Kind::list:
      return save_list(n, direct);
    case Kind::dict:
      return save_dict(n, direct);
    case Kind::set:
      return save_set(n, direct);
    case Kind::frozenset:
      return save_frozenset(n, direct);
    case Kind::global:
      return save_global(n);
    case Kind::object:
      return save_object(n, n);
    default:
      fail(fmt::format("cannot pickle a value of kind {}", kind_name(n->kind)));
  }
}

void Encoder::memo_put_indexed(Node* key) {
  const std::uint32_t index = memo_size_++;
  if (key != nullptr) memo_.insert(key, index);
  if (proto_ == 0) return out_.write(fmt::format("p{}\n", index));
  if (index < 256) return out_.write_op(static_cast<char>(Op::binput), index, 1);
  out_.write_op(static_cast<char>(Op::long_binput), index, 4);
}

bool Encoder::memo_get(const Node* key) {
  if (key == nullptr) return false;
  const auto index = memo_.find(key);
  if (!index) return false;
  write_get(*index);
  return true;
}

void Encoder::write_long_get(std::uint32_t index) {
  if (proto_ == 0) return out_.write(fmt::format("g{}\n", index));
  out_.write_op(static_cast<char>(Op::long_binget), index, 4);
}

namespace {

// A key as a path label. repr() refuses some values (an int over 4300 digits, as CPython's
// str() does): those are named by kind, so the EncodeError being built is what gets thrown.
std::string short_repr(const Slot& s) {
  const Value v = detail::ValueAccess::handle(s);
  std::string text;
  try {
    text = v.repr();
  } catch (const Error&) {
    return fmt::format("<{}>", kind_name(v.kind()));
  }
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

// Where `target` is inside the value at `root`, e.g. ["window"]["size"][1], by a breadth-first
// search (so the shortest path, and no recursion).
std::string path_to(const Slot& root, const Node* target) {
  if (target == nullptr) return "";
  std::unordered_map<const Node*, std::pair<const Node*, std::string>> parent;
  std::vector<const Node*> queue;
  if (root.tag == detail::Tag::node)
    queue.push_back(root.as.node), parent[root.as.node] = {nullptr, ""};
  for (std::size_t next = 0; next < queue.size(); ++next) {
    Node* n = const_cast<Node*>(queue[next]);
    if (n == target) break;
    auto visit = [&](const Slot& child, std::string label) {
      if (child.tag != detail::Tag::node || parent.contains(child.as.node)) return;
      parent[child.as.node] = {n, std::move(label)};
      queue.push_back(child.as.node);
    };
    switch (n->kind) {
      case Kind::list:
      case Kind::tuple: {
        const auto& items = detail::as_sequence(n).items;
        for (std::size_t i = 0; i < items.size(); ++i) visit(items[i], fmt::format("[{}]", i));
        break;
      }
      case Kind::dict:
      case Kind::set:
      case Kind::frozenset:
        for (const auto& e : detail::as_table(n).table.entries()) {
          if (e.key.tag == detail::Tag::erased) continue;
          visit(e.key, "{" + short_repr(e.key) + "}");
          visit(e.value, "[" + short_repr(e.key) + "]");
        }
        break;
      case Kind::object: {
        const auto& o = detail::as_object(n);
        visit(o.callable, ".callable");
        visit(o.args, ".args");
        visit(o.kwargs, ".kwargs");
        visit(o.state, ".state");
        for (std::size_t i = 0; i < o.listitems.size(); ++i)
          visit(o.listitems[i], fmt::format(".listitems[{}]", i));
        for (const auto& [k, v] : o.dictitems) visit(v, ".dictitems[" + short_repr(k) + "]");
        break;
      }
      default:
        break;
    }
  }
  if (!parent.contains(target)) return "";
  std::vector<std::string> labels;
  for (const Node* at = target; at != nullptr; at = parent[at].first)
    labels.push_back(parent[at].second);
  std::string path;
  for (auto it = labels.rbegin(); it != labels.rend(); ++it) path += *it;
  return path.empty() ? "the value itself" : path;
}

}  // namespace

void Encoder::fail(const std::string& why, const Node* node) const {
  const std::string where = path_to(root_, node);
  if (where.empty())
    throw EncodeError(fmt::format("cannot pickle with protocol {}: {}", proto_, why));
  throw EncodeError(fmt::format("cannot pickle {} with protocol {}: {}", where, proto_, why));
}

}  // namespace picklejar::pickle

namespace picklejar {

void dump(const Value& value, std::string& out, const EncodeOptions& options) {
  pickle::Output output(out);
  pickle::Encoder(output, options, value).run();
}

void dump(const Value& value, std::vector<std::byte>& out, const EncodeOptions& options) {
  pickle::Output output(out);
  pickle::Encoder(output, options, value).run();
}

void dump(const Value& value, const std::function<void(std::span<const std::byte>)>& write,
          const EncodeOptions& options) {
  pickle::Output output(write);
  pickle::Encoder(output, options, value).run();
}

std::string dumps(const Value& value, const EncodeOptions& options) {
  std::string out;
  dump(value, out, options);
  return out;
}

}  // namespace picklejar
