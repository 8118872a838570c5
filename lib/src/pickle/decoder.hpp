#pragma once
// The pickle virtual machine: reads opcodes and builds values on a stack, without executing
// anything. Internal. Opcode families live in separate files:
//   decoder.cpp             the loop, the stack and the inline reads
//   decode_scalars.cpp      numbers, strings and bytes in binary form
//   decode_text.cpp         protocol-0 text forms (INT, LONG, FLOAT, STRING, UNICODE, ...)
//   decode_containers.cpp   list, tuple, dict, set and frozenset opcodes
//   decode_memo.cpp         the memo and PUT/GET/MEMOIZE
//   decode_objects.cpp      globals, REDUCE/BUILD/NEWOBJ/INST/OBJ, EXT, persistent ids, buffers

#include <picklejar/error.hpp>
#include <picklejar/pickle.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../value/heap.hpp"
#include "../value/node.hpp"
#include "../value/slot_copy.hpp"
#include "../value/utf8.hpp"
#include "byte_order.hpp"
#include "opcodes.hpp"

namespace picklejar::pickle {

using detail::Node;
using detail::Slot;

// How deeply a value nests: 0 for a scalar, 1 + its deepest item for a container. The stack
// and the memo keep each value's depth in its slot's `aux` field.
using Depth = std::uint32_t;

// Bytes payloads from this size up refer into a shared, read-only input (loads(Buffer))
// instead of being copied. Below it a copy is cheaper than keeping the whole input alive.
inline constexpr std::size_t kZeroCopyBytes = 4096;

// PUT/GET storage. Dense indices live in a vector; a far-away index (LONG_BINPUT 2**31) goes
// to a map instead of growing the vector to it.
class Memo {
 public:
  explicit Memo(detail::Arena* arena)
      : dense_(detail::ArenaAllocator<Slot>(arena)),
        sparse_(0, std::hash<std::uint64_t>(), std::equal_to<std::uint64_t>(),
                SparseAllocator(arena)) {}
  // Stores `value` at `index`; returns false when that would exceed `max_entries`.
  bool put(std::uint64_t index, const Slot& value, std::size_t max_entries) {
    if (index == dense_.size() && sparse_.empty() && count_ < max_entries) {
      detail::copy_slot(dense_.emplace_back(), value);  // MEMOIZE, and PUT in CPython's order
      ++count_;
      return true;
    }
    return put_slow(index, value, max_entries);
  }
  const Slot* get(std::uint64_t index) const noexcept {
    if (index < dense_.size()) {
      return dense_[index].tag == detail::Tag::erased ? nullptr : &dense_[index];
    }
    return sparse_.empty() ? nullptr : get_sparse(index);
  }
  // Number of distinct indices stored: MEMOIZE's next index.
  std::size_t size() const noexcept { return count_; }

 private:
  bool put_slow(std::uint64_t index, const Slot& value, std::size_t max_entries);
  const Slot* get_sparse(std::uint64_t index) const noexcept;
  // From the decode's arena too, so that max_total_bytes counts them.
  using SparseAllocator = detail::ArenaAllocator<std::pair<const std::uint64_t, Slot>>;
  detail::ArenaVector<Slot> dense_;  // Tag::erased marks an unused index
  std::unordered_map<std::uint64_t, Slot, std::hash<std::uint64_t>, std::equal_to<std::uint64_t>,
                     SparseAllocator>
      sparse_;
  std::size_t count_ = 0;
};

// Told of every global and call as the decoder makes them, at the offset of the opcode
// (picklejar::scan()). Nodes stay alive until the decoder's value is dropped.
class DecodeObserver {
 public:
  virtual ~DecodeObserver() = default;
  // GLOBAL, STACK_GLOBAL, INST or EXT pushed `global` (a GlobalNode).
  virtual void on_global(std::size_t offset, std::uint8_t opcode, const Slot& global) = 0;
  // REDUCE, NEWOBJ, NEWOBJ_EX, INST or OBJ made `result` by calling `callable`; or BUILD set
  // the state of `result` (then `callable` is the target's class, None for an OrderedDict).
  virtual void on_call(std::size_t offset, std::uint8_t opcode, const Slot& callable,
                       const Slot& result) = 0;
  // A well-known REDUCE (bytearray(b'...'), set([...]), ...) made `result` out of `args`:
  // what `args` holds lives on in `result` as data, though no longer as nodes.
  virtual void on_absorbed(const Slot& args, const Slot& result) = 0;
};

class Decoder {
 public:
  // `input_owner`, when given, keeps the input alive and lets large bytes payloads refer
  // into it instead of being copied (the input must not change while they live).
  Decoder(std::span<const std::byte> input, const DecodeOptions& options,
          std::shared_ptr<void> input_owner = {});
  // A hook may have merged this decode's heap with a caller's: never leave it paused. The
  // arena's budget is this decode's, not the value's.
  ~Decoder() {
    heap_->pause_collection(false);
    budgeted_->clear_budget();
  }
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;
  // Runs to STOP. Returns the value and the number of bytes consumed.
  LoadResult run();
  void observe(DecodeObserver* observer) noexcept { observer_ = observer; }

  // ---- used by the opcode families ----------------------------------------------------------
  [[noreturn]] void fail(DecodeErrc code, const std::string& why) const;
  [[noreturn]] void fail_limit(const std::string& why) const;
  [[noreturn]] void fail_forbidden(const std::string& why) const;

 private:
  // Dispatch one opcode; false at STOP. Inlined into run()'s loop: it is the hot path.
  [[gnu::always_inline]] inline bool step(std::uint8_t op);

  // Input. Reads stop at read_end_: the end of the current FRAME, or of the input. A frame
  // that is used up gives way to unframed reads; a read crossing its end is refused, as
  // Python's own framed reader does (see need()).
  std::size_t remaining() const noexcept { return static_cast<std::size_t>(read_end_ - pos_); }
  const std::uint8_t* take(std::size_t n, const char* what) {
    if (n > remaining()) [[unlikely]]
      need(n, what);
    const std::uint8_t* p = pos_;
    pos_ += n;
    return p;
  }
  // Makes `n` bytes readable at pos_ or throws: leaves a used-up frame, refuses a read
  // crossing the end of the current frame (bad_frame), or one past the input (truncated).
  void need(std::size_t n, const char* what);
  // The opcode fetch found pos_ at read_end_: leaves a used-up frame, or throws at the end.
  void at_read_end();
  void open_frame(std::uint64_t size);
  [[noreturn]] void truncated(std::size_t n, const char* what) const;
  std::uint8_t read_u8() { return *take(1, "argument"); }
  std::uint16_t read_u16() { return load_le<std::uint16_t>(take(2, "argument")); }
  std::uint32_t read_u32() { return load_le<std::uint32_t>(take(4, "argument")); }
  std::int32_t read_i32() { return static_cast<std::int32_t>(read_u32()); }
  std::uint64_t read_u64() { return load_le<std::uint64_t>(take(8, "argument")); }
  std::string_view read_line(const char* what);
  // Checks a declared payload length against the input and the allocation limit.
  std::size_t checked_length(std::uint64_t declared, const char* what) {
    if (declared > remaining() || declared > options_.limits.max_allocation_bytes) [[unlikely]] {
      bad_length(declared, what);
    }
    return static_cast<std::size_t>(declared);
  }
  // Either makes `declared` bytes readable (leaving a used-up frame) or throws.
  void bad_length(std::uint64_t declared, const char* what);
  // Throws LimitError when one payload of `size` bytes exceeds max_allocation_bytes.
  void check_allocation(std::uint64_t size, const char* what) const;

  // Stack. The "fence" is the position of the innermost MARK: nothing below it may be popped
  // except by the opcode that consumes the MARK. Each value's nesting depth travels with it in
  // its slot's aux field (also in the memo), so max_depth bounds how deeply values and open MARKs
  // nest, not how many items a flat tuple puts on the stack. The memo keeps the depth a value had
  // when it was stored, and picklers store a container before filling it, so a GET may bring
  // back less than the full depth: the bound sees nesting as it is written out the first
  // time. It guards callers' recursive code; nothing in picklejar recurses on depth.
  std::size_t fence() const noexcept { return marks_.empty() ? 0 : marks_.back(); }
  [[gnu::always_inline]] void push(Slot s, Depth depth = 0) {
    if (depth > options_.limits.max_depth) [[unlikely]]
      depth_exceeded();
    // Field by field (see copy_slot): `s` was often assembled just now.
    Slot& top = stack_.emplace_back();
    top.tag = s.tag;
    top.aux = depth;
    top.as = s.as;
  }
  // Pushes a value that carries its depth (from the memo or the stack).
  [[gnu::always_inline]] void push_value(const Slot& v) { push(v, v.aux); }
  Slot pop() {
    if (stack_.size() <= fence()) [[unlikely]]
      underflow();
    Slot s = stack_.back();
    stack_.pop_back();
    return s;
  }
  Slot pop(Depth& depth) {
    Slot s = pop();
    depth = s.aux;
    return s;
  }
  Slot& top() {
    if (stack_.size() <= fence()) [[unlikely]]
      underflow();
    return stack_.back();
  }
  void truncate(std::size_t size) { stack_.resize(size); }
  // The depth of a container holding the values from stack position `base` up.
  Depth slice_depth(std::size_t base) const;
  // The value at stack position `index` now holds a container level of `depth`.
  void deepen(std::size_t index, Depth depth);
  // Pops the innermost MARK; returns the stack position where its slice starts.
  std::size_t pop_mark();
  [[noreturn]] void underflow() const;
  [[noreturn]] void depth_exceeded() const;

  // Nodes.
  template <class N, class... Args>
  N* make(Args&&... args) {
    if (++objects_ > options_.limits.max_objects) objects_exceeded();
    return heap_->make<N>(std::forward<Args>(args)...);
  }
  detail::StrNode* make_str_node(std::string_view text) {
    if (++objects_ > options_.limits.max_objects) objects_exceeded();
    return heap_->make_str(text);
  }
  [[noreturn]] void objects_exceeded() const;
  [[noreturn]] void total_bytes_exceeded() const;
  void check_items(std::size_t count) const;
  Slot make_str(std::string_view utf8) {
    if (!detail::is_ascii(utf8) && detail::find_invalid_utf8_slow(utf8)) [[unlikely]] {
      bad_utf8(utf8);
    }
    return detail::node_slot(make_str_node(utf8));
  }
  [[noreturn]] void bad_utf8(std::string_view utf8) const;
  // Throws bad_utf8 unless `text` is UTF-8 without encoded surrogates (bytes.decode('utf-8'),
  // where make_str allows "surrogatepass"), or unless it is ASCII.
  void require_strict_utf8(std::string_view text, const char* what) const;
  void require_ascii(std::string_view text, const char* what) const;
  Slot make_bytes(Kind kind, std::string_view bytes);
  Slot make_int(std::span<const std::byte> le_bytes);
  Slot make_tuple(const Slot* first, std::size_t count);
  // Absorbs a value that came from outside (a hook's result) into this decode's heap.
  Slot adopt_external(const Value& v);

  // decode_scalars.cpp
  void push_int_run();
  // Whether the next opcode is BININT, BININT1 or BININT2 inside the current frame: only then
  // is push_int_run worth its call (a nested list has one int per level).
  bool int_follows() const noexcept {
    if (pos_ == read_end_) return false;
    const unsigned d = *pos_ - static_cast<unsigned>(Op::binint);  // J K (L) M
    return d < 4 && ((0b1011u >> d) & 1u) != 0;
  }
  void op_long1();
  void op_long4();
  void op_binstring(std::size_t length);
  void op_binunicode(std::uint64_t length);
  void op_binbytes(Kind kind, std::uint64_t length);
  void op_binfloat();
  void push_py2_string(std::string_view raw);

  // decode_text.cpp
  void op_int_text();
  void op_long_text();
  void op_float_text();
  void op_string_text();
  void op_unicode_text();
  void push_decimal(std::string_view text, const char* what);
  std::uint64_t read_memo_index_text();

  // decode_containers.cpp
  void op_append();
  void op_appends();
  void op_list();
  void op_tuple();
  void op_tuple_n(std::size_t n);
  void op_dict();
  void op_setitem();
  void op_setitems();
  void op_additems();
  void op_frozenset();
  void append_items(Slot& target, const Slot* first, std::size_t count);
  void set_items(Slot& target, const Slot* first, std::size_t count);
  void insert_key(detail::TableNode& table, const Slot& key, const Slot& value);

  // decode_memo.cpp
  void op_put(std::uint64_t index);
  void op_get(std::uint64_t index);
  void op_memoize();

  // decode_objects.cpp
  void op_global();
  void op_stack_global();
  void op_ext(std::int64_t code);
  void op_reduce();
  void op_build();
  void op_inst();
  void op_obj();
  void op_newobj();
  void op_newobj_ex();
  void op_persid();
  void op_binpersid();
  void op_next_buffer();
  void op_readonly_buffer();
  void push_global(std::string_view module, std::string_view name);
  void check_global_allowed(std::string_view module, std::string_view name) const;
  void require_names(std::string_view module, std::string_view name) const;
  bool reduce_well_known(const Slot& callable, const Slot& args, Depth args_depth);
  Slot make_object(ObjectForm form, const Slot& callable, const Slot& args, const Slot& kwargs);
  void persistent(const Slot& pid);
  // Tells the observer (if any) about the call just made, whose result is on top.
  void observed_call(const Slot& callable) {
    if (observer_ != nullptr) [[unlikely]]
      observer_->on_call(op_offset_, op_, callable, stack_.back());
  }

  const std::uint8_t* begin_;
  const std::uint8_t* pos_;
  const std::uint8_t* end_;
  const std::uint8_t* read_end_;             // frame_end_, or end_ outside a frame
  const std::uint8_t* frame_end_ = nullptr;  // the current FRAME's end, null outside one
  const DecodeOptions& options_;
  detail::HeapGuard heap_;
  detail::Arena* budgeted_;  // the arena holding max_total_bytes (the heap's, at the start)
  detail::ArenaVector<Slot> stack_;
  std::vector<std::size_t> marks_;
  Memo memo_;
  int protocol_ = 0;
  std::size_t op_offset_ = 0;  // offset of the opcode being executed, for errors
  std::uint8_t op_ = 0;
  std::size_t objects_ = 0;
  std::size_t next_buffer_ = 0;
  std::shared_ptr<void> input_owner_;
  DecodeObserver* observer_ = nullptr;
};

}  // namespace picklejar::pickle
