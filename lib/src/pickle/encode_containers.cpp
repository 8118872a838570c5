// Tuples, lists, dicts, sets and frozensets (_pickle.c save_tuple, save_list, save_dict,
// save_set, save_frozenset), and the batching of their items (batch_list_exact,
// batch_dict_exact, batch_list, batch_dict), one item per task.

#include <algorithm>

#include <fmt/format.h>

#include "encoder.hpp"
#include "opcodes.hpp"

namespace picklejar::pickle {
namespace {

constexpr std::uint32_t kBatch = 1000;

// How a container's items are split into batches.
enum Rule : std::uint8_t {
  one_at_a_time,  // protocol 0: APPEND/SETITEM after every item
  iterator,       // batch_list/batch_dict (and CPython 3.15+): a 1-item batch is APPEND/SETITEM
  exact_list,     // batch_list_exact: APPEND only for a 1-item list; no empty batch
  exact_dict,     // batch_dict_exact: SETITEM only for a 1-item dict; empty batch at 1000*k
  exact_set,      // save_set: always MARK...ADDITEMS; empty batch at 1000*k
  python_set,     // pickle.py's save_set (and 3.15+): no empty batch
};

}  // namespace

// ---- tuple ----------------------------------------------------------------------------------

void Encoder::save_tuple(Node* n, bool direct) {
  if (direct) return save_chain(n);
  const auto& items = detail::as_sequence(n).items;
  const std::size_t len = items.size();
  if (len == 0) return save_empty_tuple();
  const bool short_form = len <= 3 && proto_ >= 2;
  if (!short_form) out_.write(static_cast<char>(Op::mark));
  Task end{TaskKind::tuple_end,
           static_cast<std::uint8_t>(short_form),
           0,
           {},
           0,
           0,
           detail::node_slot(n),
           n};
  push(end);
  for (std::size_t i = len; i-- > 0;) push_save(items[i]);
}

void Encoder::save_empty_tuple() {  // never memoized
  proto_ >= 1 ? out_.write(static_cast<char>(Op::empty_tuple)) : out_.write("(t");
}

const Slot* Encoder::tuple_head(Node* n) {
  const auto& items = detail::as_sequence(n).items;
  const std::size_t len = items.size();
  if (len == 0) return save_empty_tuple(), nullptr;
  const bool short_form = len <= 3 && proto_ >= 2;
  if (short_form && proto_ >= 4 && std::all_of(items.begin(), items.end(), is_atom)) {
    // A pair of floats, say: nothing in it can refer back to the tuple, so tuple_end() has
    // nothing to check, and TUPLEn MEMOIZE go out in one write.
    for (const Slot& item : items) save_atom(item);
    char* to = out_.write_in_place(2);
    to[0] = static_cast<char>(static_cast<int>(Op::tuple1) + static_cast<int>(len) - 1);
    to[1] = static_cast<char>(Op::memoize);
    memo_.insert(n, memo_size_++);
    return nullptr;
  }
  if (!short_form) out_.write(static_cast<char>(Op::mark));
  for (std::size_t i = 0; i + 1 < len; ++i) save_item(items[i]);
  return defer_or_save(&items[len - 1], Closer::tuple_end(n, short_form));
}

// After the items: a tuple that got memoized while its items were saved contains itself
// (through a list or dict); throw away what was pushed and fetch it from the memo.
void Encoder::tuple_end(Node* n, bool short_form) {
  const std::size_t len = detail::as_sequence(n).items.size();
  if (memoized(n)) {
    if (short_form) {
      for (std::size_t i = 0; i < len; ++i) out_.write(static_cast<char>(Op::pop));
    } else if (proto_ >= 1) {
      out_.write(static_cast<char>(Op::pop_mark));
    } else {
      for (std::size_t i = 0; i <= len; ++i) out_.write(static_cast<char>(Op::pop));
    }
    memo_get(n);
    return;
  }
  if (short_form) {
    out_.write(static_cast<char>(static_cast<int>(Op::tuple1) + static_cast<int>(len) - 1));
  } else {
    out_.write(static_cast<char>(Op::tuple));
  }
  memo_put(n);
}

// ---- list, dict, set ------------------------------------------------------------------------

void Encoder::save_list(Node* n, bool direct) {
  if (direct) return save_chain(n);
  proto_ >= 1 ? out_.write(static_cast<char>(Op::empty_list)) : out_.write("(l");
  memo_put(n);
  start_items(ItemsSource::list, detail::node_slot(n), detail::as_sequence(n).items.size(),
              ItemsStart::now);
}

void Encoder::save_dict(Node* n, bool direct) {
  if (direct) return save_chain(n);
  proto_ >= 1 ? out_.write(static_cast<char>(Op::empty_dict)) : out_.write("(d");
  memo_put(n);
  start_items(ItemsSource::dict, detail::node_slot(n), detail::as_table(n).table.size(),
              ItemsStart::now);
}

// Protocol 4+ (earlier protocols are rewritten to a set(...) recipe).
void Encoder::save_set(Node* n, bool direct) {
  if (direct) return save_chain(n);
  out_.write(static_cast<char>(Op::empty_set));
  memo_put(n);
  start_items(ItemsSource::set, detail::node_slot(n), detail::as_table(n).table.size(),
              ItemsStart::now);
}

// Protocol 4+: MARK, members, FROZENSET, not batched.
void Encoder::save_frozenset(Node* n, bool direct) {
  out_.write(static_cast<char>(Op::mark));
  const auto& entries = detail::as_table(n).table.entries();
  if (direct) {
    for (const auto& e : entries) {
      if (e.key.tag != detail::Tag::erased) save_item(e.key);
    }
    return frozenset_end(n);
  }
  push(Task{TaskKind::frozenset_end, 0, 0, {}, 0, 0, detail::node_slot(n), n});
  for (std::size_t i = entries.size(); i-- > 0;) {
    if (entries[i].key.tag != detail::Tag::erased) push_save(entries[i].key);
  }
}

void Encoder::frozenset_end(Node* n) {
  if (memoized(n)) {  // it contains itself (through an object): as for tuples
    out_.write(static_cast<char>(Op::pop_mark));
    memo_get(n);
    return;
  }
  out_.write(static_cast<char>(Op::frozenset));
  memo_put(n);
}

// ---- batches --------------------------------------------------------------------------------

std::uint8_t Encoder::batch_rule(ItemsSource source) const {
  const bool c38 = options_.batching == BatchingProfile::cpython_3_8;
  if (proto_ == 0) return one_at_a_time;
  switch (source) {
    case ItemsSource::list:
      return c38 ? exact_list : iterator;
    case ItemsSource::dict:
      return c38 ? exact_dict : iterator;
    case ItemsSource::set:
      return c38 ? exact_set : python_set;
    case ItemsSource::object_list:
    case ItemsSource::object_dict:
      break;
  }
  return iterator;
}

void Encoder::start_items(ItemsSource source, const Slot& container, std::size_t count,
                          ItemsStart start) {
  if (count == 0) return;
  const Task items{
      TaskKind::items, static_cast<std::uint8_t>(source), batch_rule(source), {}, 0, 0, container,
      nullptr};
  if (start == ItemsStart::push) return push(items);
  item(items);
}

// ---- direct mode: chains ----------------------------------------------------------------
//
// A container is written up to its last item; when that item is itself a container, what
// follows it (APPENDS, SETITEMS, a tuple's end) waits on closers_ and the item is written
// next in the same loop, not by recursion. A value nested in its containers' last items (a
// linked list, the rightmost spine of a tree) then takes no C stack and no return per level.
// The bytes come out in the same order either way.

void Encoder::save_chain(Node* head) {
  const std::size_t base = closers_.size();
  for (const Slot* tail = save_head(head); tail != nullptr;) {
    Node* n = tail->as.node;
    if (may_rewrite(n)) {
      save(*tail, true);
      break;
    }
    out_.object_boundary();
    if (const auto index = memo_.find(n)) {  // memo_get(), inline in this loop
      write_get(*index);
      break;
    }
    tail = save_head(n);
  }
  while (closers_.size() > base) {
    const Closer c = closers_.back();
    closers_.pop_back();
    close(c);
  }
}

const Slot* Encoder::save_head(Node* n) {
  switch (n->kind) {
    case Kind::tuple:
      return tuple_head(n);
    case Kind::list: {
      const auto& items = detail::as_sequence(n).items;
      const std::size_t count = items.size();
      if (in_one_batch(count)) {
        open_one_batch(n, Op::empty_list);
        for (std::size_t i = 0; i + 1 < count; ++i) save_item(items[i]);
        return defer_or_save(&items[count - 1], Closer::bytes(static_cast<char>(Op::appends)));
      }
      proto_ >= 1 ? out_.write(static_cast<char>(Op::empty_list)) : out_.write("(l");
      memo_put(n);
      return items_head(ItemsSource::list, n, count);
    }
    case Kind::dict: {
      const auto& table = detail::as_table(n).table;
      const std::size_t count = table.size();
      if (in_one_batch(count)) {
        open_one_batch(n, Op::empty_dict);
        const auto* entry = table.entries().data();
        for (std::size_t i = 0; i + 1 < count; ++entry) {
          if (entry->key.tag == detail::Tag::erased) continue;
          save_item(entry->key);
          save_item(entry->value);
          ++i;
        }
        while (entry->key.tag == detail::Tag::erased) ++entry;  // to the last live entry
        save_item(entry->key);
        return defer_or_save(&entry->value, Closer::bytes(static_cast<char>(Op::setitems)));
      }
      proto_ >= 1 ? out_.write(static_cast<char>(Op::empty_dict)) : out_.write("(d");
      memo_put(n);
      return items_head(ItemsSource::dict, n, count);
    }
    case Kind::set:
      out_.write(static_cast<char>(Op::empty_set));
      memo_put(n);
      return items_head(ItemsSource::set, n, detail::as_table(n).table.size());
    default:
      fail("not a container that can be chained", n);
  }
}

// Lists and dicts of 2 to 999 items at protocol 4+, the common kind: every batching profile
// writes them as one batch, MARK ... APPENDS/SETITEMS (only 1 item, and 1000 or more, differ),
// and EMPTY_x MEMOIZE MARK go out in one write.
bool Encoder::in_one_batch(std::size_t count) const noexcept {
  return proto_ >= 4 && count >= 2 && count < kBatch;
}

void Encoder::open_one_batch(Node* n, Op empty) {
  char* to = out_.write_in_place(3);
  to[0] = static_cast<char>(empty);
  to[1] = static_cast<char>(Op::memoize);
  to[2] = static_cast<char>(Op::mark);
  memo_.insert(n, memo_size_++);
}

const Slot* Encoder::defer_or_save(const Slot* last, Closer closer) {
  if (last->tag == detail::Tag::node && chains(last->as.node->kind)) {
    closers_.push_back(closer);
    return last;
  }
  save_item(*last);
  close(closer);
  return nullptr;
}

void Encoder::close(Closer c) {
  if (c.tuple != nullptr) return tuple_end(c.tuple, c.word != 0);
  const auto count = static_cast<int>(c.word >> 32);
  for (int i = 0; i < count; ++i) out_.write(static_cast<char>(c.word >> (8 * i)));
}

// The items of a list, dict or set, batch by batch, as item() and finish_item() would write
// them one task at a time, but for the last one: see defer_or_save().
const Slot* Encoder::items_head(ItemsSource source, Node* n, std::size_t count) {
  if (count == 0) return nullptr;
  const std::uint8_t rule = batch_rule(source);
  // save_next(k) saves the next k items (keys and values), its cursor kept in a local while
  // it loops (the output's stores could alias one kept in the closure); save_last() saves
  // the last key and returns the last value (or item).
  if (source == ItemsSource::list) {
    const Slot* items = detail::as_sequence(n).items.data();
    return write_batches(
        rule, source, count,
        [this, at = items](std::size_t length) mutable {
          const Slot* item = at;
          for (const Slot* end = at + length; item != end; ++item) save_item(*item);
          at = item;
        },
        [last = items + count - 1] { return last; });
  }
  const bool is_dict = source == ItemsSource::dict;
  const auto& entries = detail::as_table(n).table.entries();
  return write_batches(
      rule, source, count,
      [this, is_dict, at = entries.data()](std::size_t length) mutable {
        const auto* entry = at;
        for (std::size_t i = 0; i < length; ++entry) {
          if (entry->key.tag == detail::Tag::erased) continue;
          save_item(entry->key);
          if (is_dict) save_item(entry->value);
          ++i;
        }
        at = entry;
      },
      [this, is_dict, &entries] {
        const auto* entry = entries.data() + entries.size() - 1;
        while (entry->key.tag == detail::Tag::erased) --entry;
        if (!is_dict) return &entry->key;
        save_item(entry->key);
        return &entry->value;
      });
}

// Kept small: the common cases end in tail calls, and a str found in the memo (a dict key,
// most often) is written without saving a register.
void Encoder::save_item_node(const Slot& s) {
  if (s.tag == detail::Tag::node) {  // what save() would do, without its general checks
    Node* n = s.as.node;
    if (n->kind == Kind::str) {
      if (save_short_str(n)) return;
    } else if (chains(n->kind)) {
      return save_item_container(n);
    }
  }
  save(s, true);
}

void Encoder::save_item_container(Node* n) {
  if (may_recurse() && !may_rewrite(n)) {
    out_.object_boundary();
    if (memo_get(n)) return;
    return save_chain(n);
  }
  save(detail::node_slot(n), true);
}

template <class SaveNext, class SaveLast>
const Slot* Encoder::write_batches(std::uint8_t rule_byte, ItemsSource source, std::size_t count,
                                   SaveNext&& save_next, SaveLast&& save_last) {
  const auto rule = static_cast<Rule>(rule_byte);
  const bool is_dict = source == ItemsSource::dict || source == ItemsSource::object_dict;
  const char one = static_cast<char>(is_dict ? Op::setitem : Op::append);
  const char many = static_cast<char>(source == ItemsSource::set ? Op::additems
                                      : is_dict                  ? Op::setitems
                                                                 : Op::appends);
  const Closer after_one = Closer::bytes(one);
  for (std::size_t start = 0;; start += kBatch) {
    const std::size_t length = std::min<std::size_t>(kBatch, count - start);
    const bool final = start + length == count;
    if (rule == one_at_a_time) {
      for (std::size_t i = 0; i + final < length; ++i) save_next(1), out_.write(one);
      if (final) return defer_or_save(save_last(), after_one);
      continue;
    }
    if (length == 1 &&
        (rule == iterator || ((rule == exact_list || rule == exact_dict) && count == 1))) {
      if (final) return defer_or_save(save_last(), after_one);
      save_next(1);
      out_.write(one);
      continue;
    }
    out_.write(static_cast<char>(Op::mark));
    if (!final) {
      save_next(length);
      out_.write(many);
      continue;
    }
    save_next(length - 1);
    if ((rule == exact_dict || rule == exact_set) && count % kBatch == 0) {
      // CPython 3.8-3.14 ends these with an empty batch.
      const char mark = static_cast<char>(Op::mark);
      return defer_or_save(save_last(), Closer::bytes(many, mark, many));
    }
    return defer_or_save(save_last(), Closer::bytes(many));
  }
}

// Items that save() writes without pushing tasks (atoms, ints, strs, bytes the protocol has
// an opcode for, and anything already memoized) are written in a loop right here: most
// containers hold nothing else, and a task per item would cost more than the item.
bool Encoder::saves_inline(const Slot& s) const {
  if (s.tag != detail::Tag::node) return true;
  const Node* n = s.as.node;
  switch (n->kind) {
    case Kind::integer:
    case Kind::str:
      return true;
    case Kind::bytes:
      return proto_ >= 3;
    case Kind::bytearray:
      return proto_ >= 5;
    case Kind::global:
      return false;  // memoized by name, not by node
    default:
      return memo_.contains(n);
  }
}

std::size_t Encoder::item_count(ItemsSource source, Node* n) {
  switch (source) {
    case ItemsSource::list:
      return detail::as_sequence(n).items.size();
    case ItemsSource::object_list:
      return detail::as_object(n).listitems.size();
    case ItemsSource::object_dict:
      return detail::as_object(n).dictitems.size();
    case ItemsSource::dict:
    case ItemsSource::set:
      break;
  }
  return detail::as_table(n).table.size();
}

// Task mode: writes items from t.index on, up to the first one that needs tasks of its own,
// which it pushes together with the task that goes on after it.
void Encoder::item(const Task& task) {
  Task t = task;
  Node* n = t.slot.as.node;
  const auto source = static_cast<ItemsSource>(t.a);
  const auto rule = static_cast<Rule>(t.b);
  const std::size_t count = item_count(source, n);
  for (;;) {
    Slot first, second;
    bool pair = false;
    switch (source) {
      case ItemsSource::list:
        first = detail::as_sequence(n).items[t.index];
        break;
      case ItemsSource::object_list:
        first = detail::as_object(n).listitems[t.index];
        break;
      case ItemsSource::object_dict:
        first = detail::as_object(n).dictitems[t.index].first;
        second = detail::as_object(n).dictitems[t.index].second;
        pair = true;
        break;
      case ItemsSource::dict:
      case ItemsSource::set: {
        const auto& entries = detail::as_table(n).table.entries();
        while (entries[t.position].key.tag == detail::Tag::erased) ++t.position;
        first = entries[t.position].key;
        second = entries[t.position].value;
        pair = source == ItemsSource::dict;
        break;
      }
    }
    const std::size_t i = t.index;
    const std::size_t batch_start = i - i % kBatch;
    const std::size_t batch_length = std::min<std::size_t>(kBatch, count - batch_start);
    const bool single =
        rule == one_at_a_time ||
        (batch_length == 1 &&
         (rule == iterator || ((rule == exact_list || rule == exact_dict) && count == 1)));
    if (!single && i == batch_start) out_.write(static_cast<char>(Op::mark));
    t.ops[0] = static_cast<char>(single);
    // A run of atoms inside a batch, up to (not including) the batch's last item, which
    // needs the APPENDS: nothing but the atoms themselves to write.
    if (!single && (source == ItemsSource::list || source == ItemsSource::object_list)) {
      const auto& items = source == ItemsSource::list ? detail::as_sequence(n).items
                                                      : detail::as_object(n).listitems;
      const std::size_t last = batch_start + batch_length - 1;
      std::size_t j = i;
      for (; j < last && is_atom(items[j]); ++j) save_atom(items[j]);
      if (j > i) {
        t.index = static_cast<std::uint32_t>(j);
        t.position += j - i;
        continue;
      }
    }
    if (saves_inline(first) && (!pair || saves_inline(second))) {
      save(first);
      if (pair) save(second);
      if (!finish_item(t, count)) return;
      continue;
    }
    Task after = t;
    after.kind = TaskKind::items_after;
    push(after);
    if (pair) push_save(second);
    push_save(first);
    return;
  }
}

void Encoder::item_after(const Task& task) {
  Task t = task;
  if (finish_item(t, item_count(static_cast<ItemsSource>(t.a), t.slot.as.node))) {
    t.kind = TaskKind::items;
    push(t);
  }
}

// What follows item t.index: APPEND/SETITEM, or the batch's APPENDS/SETITEMS/ADDITEMS when it
// is the last of its batch. Moves t to the next item and returns true if there is one.
bool Encoder::finish_item(Task& t, std::size_t count) {
  const auto source = static_cast<ItemsSource>(t.a);
  const auto rule = static_cast<Rule>(t.b);
  const bool is_dict = source == ItemsSource::dict || source == ItemsSource::object_dict;
  const bool is_set = source == ItemsSource::set;
  const std::size_t i = t.index;
  const std::size_t batch_start = i - i % kBatch;
  const std::size_t batch_length = std::min<std::size_t>(kBatch, count - batch_start);
  const char many = static_cast<char>(is_set ? Op::additems : is_dict ? Op::setitems : Op::appends);
  if (t.ops[0]) {
    out_.write(static_cast<char>(is_dict ? Op::setitem : Op::append));
  } else if (i == batch_start + batch_length - 1) {
    out_.write(many);
  }
  if (i + 1 < count) {
    t.index = static_cast<std::uint32_t>(i + 1);
    t.position += 1;
    return true;
  }
  if ((rule == exact_dict || rule == exact_set) && count % kBatch == 0) {
    const char empty_batch[2] = {static_cast<char>(Op::mark), many};  // CPython 3.8-3.14
    out_.write(std::string_view(empty_batch, 2));
  }
  return false;
}

}  // namespace picklejar::pickle
