#pragma once
// The pickler: writes a Value the way CPython's C pickler (Modules/_pickle.c, 3.8-3.14)
// writes the equal object graph. Internal. Files:
//   encoder.cpp            the work loop, save() dispatch, memo
//   encode_scalars.cpp     None, bool, int, float, str, bytes, bytearray
//   encode_containers.cpp  tuple, list, dict, set, frozenset and their batches
//   encode_objects.cpp     globals, object recipes, and the rewrites of values that a
//                          protocol has no opcode for into the recipes CPython writes
//
// CPython's save() is recursive. This encoder recurses too for containers (the fast way), but
// only within a budget of C stack (kDirectStackBytes): below that, and for object recipes, it
// keeps an explicit stack of small tasks, so a value a million levels deep is written without
// exhausting the C stack. Both ways write in the exact order CPython's calls would, which is what
// makes the bytes (memo indices, batches, frame boundaries) come out identical.

#include <picklejar/error.hpp>
#include <picklejar/pickle.hpp>

#include <bit>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "../value/heap.hpp"
#include "../value/node.hpp"
#include "byte_order.hpp"
#include "node_memo.hpp"
#include "opcodes.hpp"
#include "output.hpp"

namespace picklejar::pickle {

using detail::Node;
using detail::Slot;

class Encoder {
 public:
  Encoder(Output& out, const EncodeOptions& options, const Value& root);
  void run();

 private:
  // ---- tasks -------------------------------------------------------------------------------
  enum class TaskKind : std::uint8_t {
    save,       // save(slot), CPython's save()
    write,      // write up to 2 opcode bytes
    memoize,    // memo_put(key)
    tuple_end,  // finish a tuple whose items are saved (TUPLEn, or POPs + GET)
    frozenset_end,
    reduce_end,   // callable and args are saved: REDUCE/NEWOBJ/..., memo, then items and state
    global_end,   // STACK_GLOBAL after module and name, then memo_put
    global_name,  // save() of a global's module or name str (see save_global_name)
    items,        // one item of a batched container
    items_after,  // what follows that item: APPENDS/SETITEMS/ADDITEMS, the next item
  };
  // Where batched items come from and which opcodes frame them.
  enum class ItemsSource : std::uint8_t { list, dict, set, object_list, object_dict };
  struct Task {
    TaskKind kind;
    std::uint8_t a = 0;  // write: byte count; items: source; tuple_end: tuple length flag
    std::uint8_t b = 0;
    char ops[2] = {0, 0};      // write: the bytes
    std::uint32_t index = 0;   // items: live item number
    std::size_t position = 0;  // items: entry position in a table
    Slot slot;                 // the value (save), the container (items), the recipe (reduce)
    Node* key = nullptr;       // memoize / reduce_end / global_end: the memo key
  };

  void push(const Task& t) { tasks_.push_back(t); }
  void push_save(const Slot& s) { push(Task{TaskKind::save, 0, 0, {}, 0, 0, s, nullptr}); }
  void push_write(char op) { push(Task{TaskKind::write, 1, 0, {op, 0}, 0, 0, {}, nullptr}); }
  void push_write(char op1, char op2) {
    push(Task{TaskKind::write, 2, 0, {op1, op2}, 0, 0, {}, nullptr});
  }
  void push_memoize(Node* key) { push(Task{TaskKind::memoize, 0, 0, {}, 0, 0, {}, key}); }
  void execute(const Task& t);
  // Runs tasks until the stack is back to `base` tasks.
  void run_tasks(std::size_t base);

  // How much C stack direct mode may use below run(): a level of lists or dicts takes about
  // 270 bytes in an optimized build, one through save() about 570 (measured; more with
  // sanitizers), so a thousand levels of plain containers -- as deep as CPython's own
  // recursion limit lets it pickle, on about as much stack -- are written directly. Well
  // within the stack of any thread an application runs (512 KiB is the smallest default,
  // macOS's secondary threads).
  static constexpr std::uintptr_t kDirectStackBytes = 256 * 1024;
  bool may_recurse() const noexcept {
    // The frame address, not a local's: under AddressSanitizer locals may live elsewhere.
    const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    return stack_top_ - here < kDirectStackBytes;
  }

  // ---- save() and the memo (encoder.cpp) ---------------------------------------------------
  // `direct`: write the whole value before returning (recursing into containers while the
  // depth budget lasts, running any tasks it pushes); otherwise containers and objects push
  // tasks for their contents and return.
  void save(const Slot& s, bool direct = false);
  void save_one(const Slot& s, bool direct);
  // memo_put: remembers `key` (a node, a global's name node, or nullptr for something
  // nothing will refer to again) under the next index and writes the PUT/BINPUT/MEMOIZE.
  void memo_put(Node* key) {
    if (proto_ < 4) return memo_put_indexed(key);
    if (key != nullptr) memo_.insert(key, memo_size_);
    ++memo_size_;
    out_.write(static_cast<char>(Op::memoize));
  }
  void memo_put_indexed(Node* key);  // PUT/BINPUT/LONG_BINPUT: protocols 0-3
  bool memo_get(const Node* key);    // writes the GET and returns true if memoized
  bool memoized(const Node* key) const { return key != nullptr && memo_.contains(key); }
  void write_get(std::uint32_t index) {
    if (index < 256 && proto_ >= 1) return out_.write_op(static_cast<char>(Op::binget), index, 1);
    write_long_get(index);
  }
  void write_long_get(std::uint32_t index);  // LONG_BINGET, or protocol 0's GET

  // ---- scalars (encode_scalars.cpp) --------------------------------------------------------
  // None, bool, int64 and float: what save() writes without the memo. Inline, for the runs of
  // them that lists are made of; int32 values (the common case) are written right here.
  static bool is_atom(const Slot& s) noexcept {
    return s.tag == detail::Tag::none || s.tag == detail::Tag::boolean ||
           s.tag == detail::Tag::small_int || s.tag == detail::Tag::floating;
  }
  void save_atom(const Slot& s) {
    out_.object_boundary();
    if (proto_ >= 2) {  // the binary forms; protocols 0-1 go the long way
      switch (s.tag) {
        case detail::Tag::none:
          return out_.write(static_cast<char>(Op::none));
        case detail::Tag::boolean:
          return out_.write(static_cast<char>(s.as.boolean ? Op::newtrue : Op::newfalse));
        case detail::Tag::small_int:
          if (s.as.small_int >= INT32_MIN && s.as.small_int <= INT32_MAX) {
            const auto u = static_cast<std::uint32_t>(s.as.small_int);
            if (u <= 0xff) return out_.write_op(static_cast<char>(Op::binint1), u, 1);
            if (u <= 0xffff) return out_.write_op(static_cast<char>(Op::binint2), u, 2);
            return out_.write_op(static_cast<char>(Op::binint), u, 4);
          }
          break;
        case detail::Tag::floating:
          return save_float(s.as.floating);
        default:
          break;
      }
    }
    save(s);
  }
  // An item of a container in direct mode: atoms and short strs (the bulk of most values)
  // inline, anything else through save().
  void save_item(const Slot& s) { is_atom(s) ? save_atom(s) : save_item_node(s); }
  void save_item_node(const Slot& s);
  [[gnu::noinline]] void save_item_container(Node* n);  // a tuple, list, dict or set
  // What save() writes for a str of at most 255 bytes at protocol 4+ (SHORT_BINUNICODE and
  // MEMOIZE, or its GET), in one piece; false, having written nothing, for any other str.
  bool save_short_str(Node* n) {
    if (detail::as_str(n).size > 0xff || proto_ < 4) return false;
    out_.object_boundary();
    if (const auto index = memo_.find(n)) {
      write_get(*index);
      return true;
    }
    write_new_short_str(n);
    return true;
  }
  // Out of line: a GET (the common case, keys) then needs no registers saved.
  [[gnu::noinline]] void write_new_short_str(Node* n) {
    const auto& str = detail::as_str(n);
    char* to = out_.write_in_place(str.size + 3);
    to[0] = static_cast<char>(Op::short_binunicode);
    to[1] = static_cast<char>(str.size);
    Output::copy(to + 2, str.text().data(), str.size);
    to[str.size + 2] = static_cast<char>(Op::memoize);
    memo_.insert(n, memo_size_++);
  }
  void save_bool(bool b);
  void save_int(std::int64_t i);
  void save_bigint(Node* n);
  void save_float(double d) {
    if (proto_ == 0) return save_float_text(d);
    // Big-endian: the bit pattern (NaN payloads, -0.0) goes out exactly.
    auto bits = std::bit_cast<std::uint64_t>(d);
    if constexpr (std::endian::native == std::endian::little) bits = byte_swap(bits);
    char* to = out_.write_in_place(9);
    to[0] = static_cast<char>(Op::binfloat);
    std::memcpy(to + 1, &bits, 8);
  }
  void save_float_text(double d);  // protocol 0's FLOAT
  void save_str(Node* n);
  void save_bytes(Node* n);
  void save_bytearray(Node* n);
  bool out_of_band(Node* n);

  // ---- containers (encode_containers.cpp) --------------------------------------------------
  // `direct`: the items are saved right here (see save()), not pushed as tasks.
  void save_tuple(Node* n, bool direct);
  void save_empty_tuple();
  void tuple_end(Node* n, bool short_form);
  void save_list(Node* n, bool direct);
  void save_dict(Node* n, bool direct);
  void save_set(Node* n, bool direct);
  void save_frozenset(Node* n, bool direct);
  void frozenset_end(Node* n);
  // How start_items() goes on: push the items' task (something pushed before it must run
  // after the items), or run it now (it is what would be popped next: running it at once
  // saves reading back a task just stored, which stalls store forwarding).
  enum class ItemsStart : std::uint8_t { push, now };
  void start_items(ItemsSource source, const Slot& container, std::size_t count, ItemsStart start);
  std::uint8_t batch_rule(ItemsSource source) const;  // a Rule (encode_containers.cpp)

  // Direct mode's chains (see encode_containers.cpp): what is written after a container's
  // deferred last item.
  // Two words, made in registers and passed by value: one built field by field on the stack
  // and copied into closers_ at once would stall store forwarding.
  struct Closer {
    Node* tuple;         // tuple_end(tuple, word != 0), or else:
    std::uint64_t word;  // up to 3 bytes to write, first in the low byte; their count above
    static Closer tuple_end(Node* n, bool short_form) noexcept { return {n, short_form}; }
    static Closer bytes(char a) noexcept { return {nullptr, std::uint64_t{1} << 32 | byte(a)}; }
    static Closer bytes(char a, char b, char c) noexcept {
      return {nullptr, std::uint64_t{3} << 32 | byte(c) << 16 | byte(b) << 8 | byte(a)};
    }
    static std::uint64_t byte(char c) noexcept { return static_cast<unsigned char>(c); }
  };
  static bool chains(Kind k) noexcept {
    return k == Kind::tuple || k == Kind::list || k == Kind::dict || k == Kind::set;
  }
  // Writes a tuple, list, dict or set (checked: not memoized, nothing to rewrite) and the
  // containers in its last items after it, one after the other.
  void save_chain(Node* head);
  // Writes n up to its last item; returns that item if it is left to the chain (a closer
  // pushed), or nullptr once all of n is written.
  const Slot* save_head(Node* n);
  bool in_one_batch(std::size_t count) const noexcept;
  void open_one_batch(Node* n, Op empty);
  const Slot* tuple_head(Node* n);
  const Slot* items_head(ItemsSource source, Node* n, std::size_t count);
  const Slot* defer_or_save(const Slot* last, Closer closer);
  void close(Closer c);
  template <class SaveNext, class SaveLast>
  const Slot* write_batches(std::uint8_t rule, ItemsSource source, std::size_t count,
                            SaveNext&& save_next, SaveLast&& save_last);
  void item(const Task& t);
  void item_after(const Task& t);
  bool finish_item(Task& t, std::size_t count);
  bool saves_inline(const Slot& s) const;
  static std::size_t item_count(ItemsSource source, Node* n);

  // ---- globals and objects (encode_objects.cpp) --------------------------------------------
  void save_global(Node* n);
  void global_end(const Task& t);
  void save_global_name(const Slot& name);
  void save_object(Node* recipe, Node* memo_key);
  void reduce_end(const Task& t);
  // A recipe CPython writes for something this protocol has no opcode for, or nullptr.
  Node* rewrite(Node* n);
  // False for what rewrite() surely leaves alone: lists, tuples, plain dicts, and what this
  // protocol has an opcode for.
  bool may_rewrite(const Node* n) const noexcept {
    if (n->kind == Kind::dict)
      return detail::as_table(const_cast<Node*>(n)).flavor != DictFlavor::dict;
    return (rewritten_kinds_ >> static_cast<unsigned>(n->kind)) & 1u;
  }
  // The kinds may_rewrite() holds for at this protocol, one bit each (a mask, not a switch:
  // it is asked for every container).
  static std::uint32_t rewritten_kinds(int protocol) noexcept {
    std::uint32_t mask = ~std::uint32_t{0};
    const auto leave = [&](Kind k) { mask &= ~(std::uint32_t{1} << static_cast<unsigned>(k)); };
    leave(Kind::list);
    leave(Kind::tuple);
    if (protocol >= 3) leave(Kind::bytes);
    if (protocol >= 5) leave(Kind::bytearray);
    if (protocol >= 4) leave(Kind::set), leave(Kind::frozenset), leave(Kind::global);
    return mask;
  }
  Node* rewrite_object(Node* n);
  Node* reconstructor_with_base(Node* n);
  // numpy's protocol-5 array recipe as numpy writes it below protocol 5 (encode_numpy.cpp).
  Node* rewrite_numpy_frombuffer(Node* n);
  // The memo key of every global with this name (CPython memoizes the class object, of
  // which there is one per name): a node of the scratch heap.
  Node* global_key(std::string_view module, std::string_view name);
  // The str node of every synthesized global name with this text (CPython's are interned).
  Node* name_string(std::string_view text);

  // Synthesized values, in a scratch heap that lives as long as the encoder.
  Slot scratch_str(std::string_view text);
  Slot scratch_global(std::string_view module, std::string_view name);
  Slot scratch_tuple(std::initializer_list<Slot> items);
  Node* scratch_object(ObjectForm form, const Slot& callable, const Slot& args);

  // EncodeError naming what could not be written, the protocol, and where `node` sits in
  // the value being written (found by a search from the root, only when failing).
  [[noreturn]] void fail(const std::string& why, const Node* node = nullptr) const;

  Output& out_;
  const EncodeOptions& options_;
  const int proto_;
  Slot root_;
  std::vector<Task> tasks_;
  std::vector<Closer> closers_;
  std::uintptr_t stack_top_ = 0;  // the stack's frame address in run()
  detail::HeapGuard scratch_;
  NodeMemo memo_;
  std::uint32_t memo_size_ = 0;
  const std::uint32_t rewritten_kinds_ = rewritten_kinds(proto_);
  std::unordered_map<std::string, Node*> global_keys_;
  std::unordered_map<std::string, Node*> name_strings_;
  // The first decoded str written as a global's module or name, per text (see
  // save_global_name).
  std::unordered_map<std::string, Node*> decoded_names_;
  // Instances written as _reconstructor(cls, base, base(obj)): until REDUCE memoizes one, its
  // items are its arguments, and meeting it among them is a loop (CPython: RecursionError).
  std::unordered_set<Node*> in_base_state_;
  Slot latin1_;  // the one 'latin1' str of _codecs.encode(..., 'latin1'), as in CPython
};

}  // namespace picklejar::pickle
