// within_depth_and_memo(): the decoder's accounting of nesting depth, open MARKs and memo
// entries (decoder.hpp: depth travels with each value, a GET brings back the depth the value
// had when it was stored, each open MARK is a level), replayed over the opcodes without
// building values. Anything it does not follow answers false, leaving the verdict to loads().

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "byte_order.hpp"
#include "opcodes.hpp"
#include "write_check.hpp"

namespace picklejar::pickle {
namespace {

using Depth = std::uint32_t;

class DepthPass {
 public:
  DepthPass(std::string_view pickle, const DecodeLimits& limits)
      : pos_(reinterpret_cast<const std::uint8_t*>(pickle.data())),
        end_(pos_ + pickle.size()),
        max_depth_(limits.max_depth),
        max_memo_(limits.max_memo_entries) {}

  // True at STOP with every limit kept; false at the first doubt.
  bool run() {
    while (pos_ < end_) {
      const std::uint8_t op = *pos_++;
      if (op == static_cast<std::uint8_t>(Op::stop)) return true;
      if (!step(static_cast<Op>(op))) return false;
    }
    return false;
  }

 private:
  bool step(Op op);
  bool skip_argument(Op op);
  bool read_uint(std::size_t n, std::uint64_t& value) {
    if (static_cast<std::size_t>(end_ - pos_) < n) return false;
    value = 0;
    for (std::size_t i = 0; i < n; ++i) value |= std::uint64_t{pos_[i]} << (8 * i);
    pos_ += n;
    return true;
  }
  bool skip(std::uint64_t n) {
    if (static_cast<std::uint64_t>(end_ - pos_) < n) return false;
    pos_ += n;
    return true;
  }
  bool skip_line(std::string_view* line = nullptr) {
    const void* nl = std::memchr(pos_, '\n', static_cast<std::size_t>(end_ - pos_));
    if (nl == nullptr) return false;
    const auto* after = static_cast<const std::uint8_t*>(nl) + 1;
    if (line != nullptr)
      *line = std::string_view(reinterpret_cast<const char*>(pos_),
                               static_cast<std::size_t>(after - pos_ - 1));
    pos_ = after;
    return true;
  }
  bool memo_index(Op op, std::uint64_t& index);

  std::size_t fence() const noexcept { return marks_.empty() ? 0 : marks_.back(); }
  bool push(Depth d) {
    if (d > max_depth_) return false;
    stack_.push_back(d);
    return true;
  }
  bool pop(Depth& d) {
    if (stack_.size() <= fence()) return false;
    d = stack_.back();
    stack_.pop_back();
    return true;
  }
  bool deepen(std::size_t index, Depth d) {
    if (d > max_depth_) return false;
    stack_[index] = std::max(stack_[index], d);
    return true;
  }
  bool pop_mark(std::size_t& base) {
    if (marks_.empty()) return false;
    base = marks_.back();
    marks_.pop_back();
    return base <= stack_.size();
  }
  Depth slice_depth(std::size_t base) const {
    Depth deepest = 0;
    for (std::size_t i = base; i < stack_.size(); ++i) deepest = std::max(deepest, stack_[i]);
    return deepest + 1;
  }
  // LIST, TUPLE, DICT, FROZENSET, and OBJ/INST's slice (+`extra`).
  bool collapse(Depth extra) {
    std::size_t base;
    if (!pop_mark(base)) return false;
    const Depth d = slice_depth(base) + extra;
    stack_.resize(base);
    return push(d);
  }
  // APPENDS, SETITEMS, ADDITEMS.
  bool add_slice() {
    std::size_t base;
    if (!pop_mark(base) || base <= fence() || base == 0) return false;
    if (!deepen(base - 1, slice_depth(base))) return false;
    stack_.resize(base);
    return true;
  }
  // REDUCE, NEWOBJ, NEWOBJ_EX: a call of `n` values.
  bool call(std::size_t n) {
    Depth deepest = 0;
    for (std::size_t i = 0; i < n; ++i) {
      Depth d;
      if (!pop(d)) return false;
      deepest = std::max(deepest, d);
    }
    return push(deepest + 1);
  }

  const std::uint8_t* pos_;
  const std::uint8_t* end_;
  const std::size_t max_depth_;
  const std::size_t max_memo_;
  std::vector<Depth> stack_;
  std::vector<std::size_t> marks_;
  std::vector<Depth> memo_;  // dense, as dumps() writes it
};

bool DepthPass::skip_argument(Op op) {
  const OpcodeInfo* info = opcode_info(static_cast<std::uint8_t>(op));
  if (info == nullptr) return false;
  std::uint64_t n = 0;
  switch (info->arg) {
    case ArgType::none:
      return true;
    case ArgType::uint1:
      return skip(1);
    case ArgType::uint2:
      return skip(2);
    case ArgType::int4:
    case ArgType::uint4:
      return skip(4);
    case ArgType::uint8:
    case ArgType::float8:
      return skip(8);
    case ArgType::decimalnl_short:
    case ArgType::decimalnl_long:
    case ArgType::floatnl:
    case ArgType::stringnl:
    case ArgType::stringnl_noescape:
    case ArgType::unicodestringnl:
      return skip_line();
    case ArgType::stringnl_noescape_pair:
      return skip_line() && skip_line();
    case ArgType::string1:
    case ArgType::bytes1:
    case ArgType::unicodestring1:
    case ArgType::long1:
      return read_uint(1, n) && skip(n);
    case ArgType::string4:
    case ArgType::bytes4:
    case ArgType::unicodestring4:
    case ArgType::long4:
      return read_uint(4, n) && n < 0x80000000u && skip(n);
    case ArgType::bytes8:
    case ArgType::unicodestring8:
    case ArgType::bytearray8:
      return read_uint(8, n) && skip(n);
  }
  return false;
}

bool DepthPass::memo_index(Op op, std::uint64_t& index) {
  switch (op) {
    case Op::binget:
    case Op::binput:
      return read_uint(1, index);
    case Op::long_binget:
    case Op::long_binput:
      return read_uint(4, index);
    default: {  // GET, PUT: a decimal line
      std::string_view line;
      if (!skip_line(&line) || line.empty() || line.size() > 18) return false;
      index = 0;
      for (const char c : line) {
        if (c < '0' || c > '9') return false;
        index = index * 10 + static_cast<unsigned>(c - '0');
      }
      return true;
    }
  }
}

bool DepthPass::step(Op op) {
  std::uint64_t index = 0;
  Depth a = 0, b = 0;
  switch (op) {
    case Op::mark:
      if (marks_.size() >= max_depth_) return false;
      marks_.push_back(stack_.size());
      return true;
    case Op::pop:
      if (stack_.size() > fence()) {
        stack_.pop_back();
      } else {
        if (marks_.empty()) return false;
        marks_.pop_back();
      }
      return true;
    case Op::pop_mark:
      if (!pop_mark(index)) return false;
      stack_.resize(index);
      return true;
    case Op::dup:
      if (stack_.size() <= fence()) return false;
      return push(stack_.back());
    case Op::put:
    case Op::binput:
    case Op::long_binput:
      if (!memo_index(op, index)) return false;
      [[fallthrough]];
    case Op::memoize:
      if (op == Op::memoize) index = memo_.size();
      if (stack_.size() <= fence()) return false;
      if (index < memo_.size()) {
        memo_[index] = stack_.back();
        return true;
      }
      if (index != memo_.size() || memo_.size() >= max_memo_) return false;
      memo_.push_back(stack_.back());
      return true;
    case Op::get:
    case Op::binget:
    case Op::long_binget:
      if (!memo_index(op, index) || index >= memo_.size()) return false;
      return push(memo_[index]);
    case Op::append:
      if (!pop(a) || stack_.size() <= fence()) return false;
      return deepen(stack_.size() - 1, a + 1);
    case Op::setitem:
      if (!pop(a) || !pop(b) || stack_.size() <= fence()) return false;
      return deepen(stack_.size() - 1, std::max(a, b) + 1);
    case Op::build:
      if (!pop(a) || stack_.size() <= fence()) return false;
      return deepen(stack_.size() - 1, a + 1);
    case Op::appends:
    case Op::setitems:
    case Op::additems:
      return add_slice();
    case Op::list:
    case Op::tuple:
    case Op::dict:
    case Op::frozenset:
      return collapse(0);
    case Op::obj:
      return collapse(1);
    case Op::inst:
      return skip_argument(op) && collapse(1);
    case Op::tuple1:
    case Op::tuple2:
    case Op::tuple3: {
      const std::size_t n =
          static_cast<std::uint8_t>(op) - static_cast<std::uint8_t>(Op::tuple1) + 1;
      if (stack_.size() < fence() + n) return false;
      const std::size_t base = stack_.size() - n;
      const Depth d = slice_depth(base);
      stack_.resize(base);
      return push(d);
    }
    case Op::reduce:  // as a call: never less than a well-known form's depth
    case Op::newobj:
      return call(2);
    case Op::newobj_ex:
      return call(3);
    // The common scalars first, without the opcode table.
    case Op::none:
    case Op::newtrue:
    case Op::newfalse:
      return push(0);
    case Op::binint1:
      return skip(1) && push(0);
    case Op::binint2:
      return skip(2) && push(0);
    case Op::binint:
      return skip(4) && push(0);
    case Op::binfloat:
      return skip(8) && push(0);
    case Op::short_binunicode:
    case Op::short_binbytes:
      if (pos_ == end_) return false;
      return skip(1 + std::uint64_t{*pos_}) && push(0);
    case Op::empty_list:  // an empty container is 1 deep, as in the decoder
    case Op::empty_tuple:
    case Op::empty_dict:
    case Op::empty_set:
      return push(1);
    case Op::stack_global:
      return pop(a) && pop(b) && push(0);
    case Op::proto:
    case Op::frame:
    case Op::readonly_buffer:
      return skip_argument(op);
    case Op::persid:
    case Op::binpersid:
    case Op::stop:
      return false;
    default:  // pushes a scalar or a global
      return skip_argument(op) && push(0);
  }
}

}  // namespace

bool within_depth_and_memo(std::string_view pickle, const DecodeLimits& limits) {
  return DepthPass(pickle, limits).run();
}

}  // namespace picklejar::pickle
