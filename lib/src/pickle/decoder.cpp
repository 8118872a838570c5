#include "decoder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "../value/utf8.hpp"
#include "../value/value_access.hpp"
#include "byte_order.hpp"

namespace picklejar::pickle {

Decoder::Decoder(std::span<const std::byte> input, const DecodeOptions& options,
                 std::shared_ptr<void> input_owner)
    : begin_(reinterpret_cast<const std::uint8_t*>(input.data())),
      pos_(begin_),
      end_(begin_ + input.size()),
      read_end_(end_),
      options_(options),
      heap_(detail::Heap::Memory::arena, input.size()),
      budgeted_(heap_->arena()),
      // Scratch space from the value's arena: when the decoder is done, its blocks go back
      // to the arena's free lists (large ones to the per-thread cache) for reuse.
      stack_(detail::ArenaAllocator<Slot>(heap_->arena())),
      memo_(heap_->arena()),
      input_owner_(std::move(input_owner)) {
  if (input.size() > options.limits.max_input_bytes) {
    throw LimitError(std::nullopt, fmt::format("input of {} bytes exceeds max_input_bytes ({})",
                                               input.size(), options.limits.max_input_bytes));
  }
  heap_->pause_collection(true);  // the stack and memo hold plain slots
  budgeted_->set_budget(options.limits.max_total_bytes);
}

bool Decoder::step(std::uint8_t op) {
  switch (static_cast<Op>(op)) {
    // -- control
    case Op::stop:
      return false;
    case Op::proto: {
      const std::uint8_t p = read_u8();
      if (p > 5)
        fail(DecodeErrc::unsupported_protocol, fmt::format("unsupported pickle protocol: {}", p));
      protocol_ = p;
      break;
    }
    case Op::frame:
      open_frame(read_u64());
      break;
    case Op::mark:
      // Every open MARK is a container or call still being built: a level of nesting.
      if (marks_.size() >= options_.limits.max_depth) depth_exceeded();
      marks_.push_back(stack_.size());
      break;
    case Op::pop:
      if (stack_.size() > fence()) {
        truncate(stack_.size() - 1);
      } else if (!marks_.empty()) {
        marks_.pop_back();  // POP of a MARK, as CPython allows
      } else {
        underflow();
      }
      break;
    case Op::pop_mark:
      truncate(pop_mark());
      break;
    case Op::dup:
      push_value(top());
      break;
    // -- scalars
    case Op::none:
      push(Slot{});
      break;
    case Op::newtrue:
      push(detail::bool_slot(true));
      break;
    case Op::newfalse:
      push(detail::bool_slot(false));
      break;
    case Op::binint1:
      push(detail::int_slot(read_u8()));
      if (int_follows()) push_int_run();
      break;
    case Op::binint2:
      push(detail::int_slot(read_u16()));
      if (int_follows()) push_int_run();
      break;
    case Op::binint:
      push(detail::int_slot(read_i32()));
      if (int_follows()) push_int_run();
      break;
    case Op::long1:
      op_long1();
      break;
    case Op::long4:
      op_long4();
      break;
    case Op::binfloat:
      op_binfloat();
      break;
    case Op::short_binunicode:
      op_binunicode(read_u8());
      break;
    case Op::binunicode:
      op_binunicode(read_u32());
      break;
    case Op::binunicode8:
      op_binunicode(read_u64());
      break;
    case Op::short_binbytes:
      op_binbytes(Kind::bytes, read_u8());
      break;
    case Op::binbytes:
      op_binbytes(Kind::bytes, read_u32());
      break;
    case Op::binbytes8:
      op_binbytes(Kind::bytes, read_u64());
      break;
    case Op::bytearray8:
      op_binbytes(Kind::bytearray, read_u64());
      break;
    case Op::short_binstring:
      op_binstring(read_u8());
      break;
    case Op::binstring: {
      const std::int32_t n = read_i32();
      if (n < 0) fail(DecodeErrc::bad_argument, fmt::format("negative BINSTRING length {}", n));
      op_binstring(static_cast<std::size_t>(n));
      break;
    }
    // -- protocol 0 text
    case Op::int_:
      op_int_text();
      break;
    case Op::long_:
      op_long_text();
      break;
    case Op::floatnl:
      op_float_text();
      break;
    case Op::string:
      op_string_text();
      break;
    case Op::unicode:
      op_unicode_text();
      break;
    // -- containers
    case Op::empty_list:
      push(detail::node_slot(make<detail::SequenceNode>(Kind::list)), 1);
      break;
    case Op::empty_tuple:
      push(make_tuple(nullptr, 0), 1);
      break;
    case Op::empty_dict:
      push(detail::node_slot(make<detail::TableNode>(Kind::dict)), 1);
      break;
    case Op::empty_set:
      push(detail::node_slot(make<detail::TableNode>(Kind::set)), 1);
      break;
    case Op::append:
      op_append();
      break;
    case Op::appends:
      op_appends();
      break;
    case Op::list:
      op_list();
      break;
    case Op::tuple:
      op_tuple();
      break;
    case Op::tuple1:
      op_tuple_n(1);
      break;
    case Op::tuple2:
      op_tuple_n(2);
      break;
    case Op::tuple3:
      op_tuple_n(3);
      break;
    case Op::dict:
      op_dict();
      break;
    case Op::setitem:
      op_setitem();
      break;
    case Op::setitems:
      op_setitems();
      break;
    case Op::additems:
      op_additems();
      break;
    case Op::frozenset:
      op_frozenset();
      break;
    // -- memo
    case Op::put:
      op_put(read_memo_index_text());
      break;
    case Op::binput:
      op_put(read_u8());
      break;
    case Op::long_binput:
      op_put(read_u32());
      break;
    case Op::memoize:
      op_memoize();
      break;
    case Op::get:
      op_get(read_memo_index_text());
      break;
    case Op::binget:
      op_get(read_u8());
      break;
    case Op::long_binget:
      op_get(read_u32());
      break;
    // -- globals and objects
    case Op::global:
      op_global();
      break;
    case Op::stack_global:
      op_stack_global();
      break;
    case Op::ext1:
      op_ext(read_u8());
      break;
    case Op::ext2:
      op_ext(read_u16());
      break;
    case Op::ext4:
      op_ext(read_i32());
      break;
    case Op::reduce:
      op_reduce();
      break;
    case Op::build:
      op_build();
      break;
    case Op::inst:
      op_inst();
      break;
    case Op::obj:
      op_obj();
      break;
    case Op::newobj:
      op_newobj();
      break;
    case Op::newobj_ex:
      op_newobj_ex();
      break;
    case Op::persid:
      op_persid();
      break;
    case Op::binpersid:
      op_binpersid();
      break;
    case Op::next_buffer:
      op_next_buffer();
      break;
    case Op::readonly_buffer:
      op_readonly_buffer();
      break;
    default:
      fail(DecodeErrc::unknown_opcode, fmt::format("invalid load key, '\\x{:02x}'", op));
  }
  return true;
}

LoadResult Decoder::run() {
  try {
    for (;;) {
      if (pos_ == read_end_) [[unlikely]]
        at_read_end();
      op_offset_ = static_cast<std::size_t>(pos_ - begin_);
      op_ = *pos_++;
      if (!step(op_)) break;
    }
  } catch (const detail::Arena::BudgetExceeded&) {
    total_bytes_exceeded();
  }
  // STOP: the result is the top of the stack.
  Slot result = pop();
  const auto consumed = static_cast<std::size_t>(pos_ - begin_);
  heap_->pause_collection(false);
  return {detail::ValueAccess::handle(result), consumed};
}

// ---- errors ---------------------------------------------------------------------------------

void Decoder::fail(DecodeErrc code, const std::string& why) const {
  throw DecodeError(code, DecodePosition{op_offset_, op_}, why);
}

void Decoder::fail_limit(const std::string& why) const {
  throw LimitError(DecodePosition{op_offset_, op_}, why);
}

void Decoder::fail_forbidden(const std::string& why) const {
  throw ForbiddenError(DecodePosition{op_offset_, op_}, why);
}

void Decoder::underflow() const {
  if (stack_.size() == fence() && !marks_.empty()) {
    fail(DecodeErrc::stack_underflow, "unpickling stack underflow (a MARK is on top of the stack)");
  }
  fail(DecodeErrc::stack_underflow, "unpickling stack underflow");
}

void Decoder::depth_exceeded() const {
  fail_limit(
      fmt::format("values or MARKs nested deeper than max_depth ({})", options_.limits.max_depth));
}

void Decoder::objects_exceeded() const {
  fail_limit(fmt::format("more than max_objects ({}) values created", options_.limits.max_objects));
}

void Decoder::total_bytes_exceeded() const {
  fail_limit(fmt::format("decoding would allocate more than max_total_bytes ({} bytes)",
                         options_.limits.max_total_bytes));
}

void Decoder::check_items(std::size_t count) const {
  if (count > options_.limits.max_container_items) {
    fail_limit(fmt::format("container of {} items exceeds max_container_items ({})", count,
                           options_.limits.max_container_items));
  }
}

// ---- input ----------------------------------------------------------------------------------

void Decoder::at_read_end() {
  if (frame_end_ != nullptr) {  // the frame is used up: what follows is read unframed
    frame_end_ = nullptr;
    read_end_ = end_;
    if (pos_ != end_) return;
  }
  throw DecodeError(
      DecodeErrc::truncated, DecodePosition{static_cast<std::uint64_t>(pos_ - begin_), -1},
      pos_ == begin_ ? "empty input: no pickle" : "input ended before the STOP opcode");
}

// Python's pickle._Unframer reads an opcode and each piece of its argument from the current
// frame, goes on unframed once the frame is used up, and refuses a read the frame cannot
// satisfy. CPython's C reader ignores frame boundaries instead, so the same bytes read two ways
// (which scanners have been fooled by): such a pickle is refused.
void Decoder::need(std::size_t n, const char* what) {
  if (frame_end_ != nullptr && pos_ == frame_end_) {
    frame_end_ = nullptr;
    read_end_ = end_;
    if (n <= remaining()) return;
  }
  if (frame_end_ != nullptr) {
    fail(DecodeErrc::bad_frame,
         fmt::format("pickle exhausted before end of frame: {} of {} bytes crosses the end of "
                     "the frame ({} of its bytes remain)",
                     what, n, remaining()));
  }
  truncated(n, what);
}

void Decoder::open_frame(std::uint64_t size) {
  if (frame_end_ != nullptr && pos_ != frame_end_) {
    fail(DecodeErrc::bad_frame,
         fmt::format("beginning of a new frame before end of current frame ({} of its bytes "
                     "remain)",
                     remaining()));
  }
  const auto left = static_cast<std::size_t>(end_ - pos_);
  if (size > left) {
    fail(DecodeErrc::truncated,
         fmt::format("frame of {} bytes exceeds the {} bytes remaining", size, left));
  }
  frame_end_ = pos_ + size;
  read_end_ = frame_end_;
}

void Decoder::truncated(std::size_t n, const char* what) const {
  fail(DecodeErrc::truncated, fmt::format("pickle data was truncated: {} needs {} bytes, {} remain",
                                          what, n, remaining()));
}

std::string_view Decoder::read_line(const char* what) {
  const void* nl = std::memchr(pos_, '\n', remaining());
  if (nl == nullptr && frame_end_ != nullptr && pos_ == frame_end_) {
    need(0, what);  // the frame is used up: the line is read unframed
    nl = std::memchr(pos_, '\n', remaining());
  }
  if (nl == nullptr) {
    if (frame_end_ != nullptr) {
      fail(DecodeErrc::bad_frame,
           fmt::format("pickle exhausted before end of frame: {} crosses the end of the frame",
                       what));
    }
    fail(DecodeErrc::truncated, fmt::format("pickle data was truncated: {} has no newline", what));
  }
  const auto* line_end = static_cast<const std::uint8_t*>(nl);
  std::string_view line(reinterpret_cast<const char*>(pos_),
                        static_cast<std::size_t>(line_end - pos_));
  pos_ = line_end + 1;
  return line;
}

void Decoder::bad_length(std::uint64_t declared, const char* what) {
  if (declared > remaining() && frame_end_ != nullptr && pos_ == frame_end_) need(0, what);
  if (declared > remaining()) {
    if (frame_end_ != nullptr) need(static_cast<std::size_t>(declared), what);  // throws
    fail(DecodeErrc::truncated,
         fmt::format("pickle data was truncated: {} declares {} bytes, {} remain", what, declared,
                     remaining()));
  }
  check_allocation(declared, what);
}

void Decoder::check_allocation(std::uint64_t size, const char* what) const {
  if (size > options_.limits.max_allocation_bytes) {
    fail_limit(fmt::format("{} of {} bytes exceeds max_allocation_bytes ({})", what, size,
                           options_.limits.max_allocation_bytes));
  }
}

// ---- stack and nodes ------------------------------------------------------------------------

Depth Decoder::slice_depth(std::size_t base) const {
  Depth deepest = 0;
  for (std::size_t i = base; i < stack_.size(); ++i) deepest = std::max(deepest, stack_[i].aux);
  return deepest + 1;
}

void Decoder::deepen(std::size_t index, Depth depth) {
  if (depth > options_.limits.max_depth) depth_exceeded();
  stack_[index].aux = std::max(stack_[index].aux, depth);
}

std::size_t Decoder::pop_mark() {
  if (marks_.empty()) fail(DecodeErrc::mark_missing, "could not find MARK");
  const std::size_t base = marks_.back();
  marks_.pop_back();
  return base;
}

void Decoder::bad_utf8(std::string_view utf8) const {
  const std::size_t bad = *detail::find_invalid_utf8_slow(utf8);
  fail(DecodeErrc::bad_utf8, fmt::format("'utf-8' codec can't decode byte 0x{:02x} in position {}",
                                         static_cast<unsigned char>(utf8[bad]), bad));
}

void Decoder::require_strict_utf8(std::string_view text, const char* what) const {
  if (auto bad = detail::find_invalid_utf8(text)) {
    fail(DecodeErrc::bad_utf8,
         fmt::format("'utf-8' codec can't decode byte 0x{:02x} in position {} of {}",
                     static_cast<unsigned char>(text[*bad]), *bad, what));
  }
  if (auto surrogate = detail::find_surrogate(text)) {
    fail(DecodeErrc::bad_utf8,
         fmt::format(
             "'utf-8' codec can't decode byte 0xed in position {} of {}: surrogates not allowed",
             *surrogate, what));
  }
}

void Decoder::require_ascii(std::string_view text, const char* what) const {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) >= 0x80) {
      fail(DecodeErrc::bad_utf8,
           fmt::format("'ascii' codec can't decode byte 0x{:02x} in position {} of {}",
                       static_cast<unsigned char>(text[i]), i, what));
    }
  }
}

Slot Decoder::make_bytes(Kind kind, std::string_view bytes) {
  return detail::node_slot(make<detail::BytesNode>(kind, std::string(bytes)));
}

Slot Decoder::make_int(std::span<const std::byte> le_bytes) {
  if (le_bytes.size() <= 8) {  // fits in int64: sign-extend, no big int at all
    std::uint64_t bits = 0;
    for (std::size_t i = le_bytes.size(); i-- > 0;)
      bits = bits << 8 | std::to_integer<std::uint64_t>(le_bytes[i]);
    if (!le_bytes.empty() && le_bytes.size() < 8 &&
        (std::to_integer<unsigned>(le_bytes.back()) & 0x80)) {
      bits |= ~std::uint64_t{0} << (8 * le_bytes.size());
    }
    return detail::int_slot(static_cast<std::int64_t>(bits));
  }
  auto big = detail::BigInt::from_le_twos_complement(le_bytes, heap_->arena());
  if (auto small = big.to_int64()) return detail::int_slot(*small);
  return detail::node_slot(make<detail::BigIntNode>(std::move(big)));
}

Slot Decoder::make_tuple(const Slot* first, std::size_t count) {
  check_items(count);
  auto* node = make<detail::SequenceNode>(Kind::tuple);
  detail::append_slots(node->items, first, count);
  return detail::node_slot(node);
}

Slot Decoder::adopt_external(const Value& v) {
  const Slot& s = detail::ValueAccess::slot(v);
  heap_.follow(heap_->absorb(s));
  return s;
}

}  // namespace picklejar::pickle

namespace picklejar {

LoadResult load_prefix(std::span<const std::byte> data, const DecodeOptions& options) {
  return pickle::Decoder(data, options).run();
}

namespace {
Value load_whole(std::span<const std::byte> pickle, const DecodeOptions& options,
                 std::shared_ptr<void> owner) {
  pickle::Decoder decoder(pickle, options, std::move(owner));
  LoadResult result = decoder.run();
  if (options.trailing_data == TrailingData::reject && result.consumed != pickle.size()) {
    throw DecodeError(DecodeErrc::trailing_data, DecodePosition{result.consumed, -1},
                      fmt::format("{} bytes of trailing data after the STOP opcode",
                                  pickle.size() - result.consumed));
  }
  return std::move(result.value);
}
}  // namespace

Value loads(std::span<const std::byte> pickle, const DecodeOptions& options) {
  return load_whole(pickle, options, {});
}

Value loads(const Buffer& pickle, const DecodeOptions& options) {
  // Zero copy only from read-only memory: a writable buffer could change under the values.
  return load_whole(pickle.bytes(), options, pickle.readonly() ? pickle.owner() : nullptr);
}

Value loads(std::string_view pickle, const DecodeOptions& options) {
  return loads(std::as_bytes(std::span(pickle.data(), pickle.size())), options);
}

}  // namespace picklejar
