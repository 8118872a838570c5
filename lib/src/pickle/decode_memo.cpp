// The memo: PUT/BINPUT/LONG_BINPUT store the top of the stack under an index, MEMOIZE under
// the next free index, GET/BINGET/LONG_BINGET push a stored value again (the same node, so
// sharing and cycles survive).

#include <fmt/format.h>

#include "decoder.hpp"

namespace picklejar::pickle {
namespace {
// A PUT this far beyond the entries stored so far goes to the sparse map instead of growing
// the vector: LONG_BINPUT 2**31 must not allocate 2**31 slots.
constexpr std::uint64_t kDenseSlack = 4096;

bool is_unused(const Slot& v) { return v.tag == detail::Tag::erased; }
}  // namespace

bool Memo::put_slow(std::uint64_t index, const Slot& value, std::size_t max_entries) {
  if (index < dense_.size()) {
    if (is_unused(dense_[index])) {
      if (count_ >= max_entries) return false;
      ++count_;
    }
    detail::copy_slot(dense_[index], value);
    return true;
  }
  if (index <= 2 * static_cast<std::uint64_t>(count_) + kDenseSlack && sparse_.empty()) {
    if (count_ >= max_entries) return false;
    Slot unused;
    unused.tag = detail::Tag::erased;
    dense_.resize(static_cast<std::size_t>(index) + 1, unused);
    detail::copy_slot(dense_[index], value);
    ++count_;
    return true;
  }
  auto [it, inserted] = sparse_.try_emplace(index, value);
  if (inserted) {
    if (count_ >= max_entries) {
      sparse_.erase(it);
      return false;
    }
    ++count_;
  } else {
    it->second = value;
  }
  return true;
}

const Slot* Memo::get_sparse(std::uint64_t index) const noexcept {
  auto it = sparse_.find(index);
  return it == sparse_.end() ? nullptr : &it->second;
}

void Decoder::op_put(std::uint64_t index) {
  if (stack_.size() <= fence()) {
    fail(DecodeErrc::stack_underflow, marks_.empty() ? "empty stack: nothing to store in the memo"
                                                     : "cannot store a MARK in the memo");
  }
  if (!memo_.put(index, stack_.back(), options_.limits.max_memo_entries)) {
    fail_limit(
        fmt::format("memo would exceed max_memo_entries ({})", options_.limits.max_memo_entries));
  }
}

void Decoder::op_memoize() { op_put(memo_.size()); }

void Decoder::op_get(std::uint64_t index) {
  const Slot* value = memo_.get(index);
  if (value == nullptr)
    fail(DecodeErrc::memo_missing, fmt::format("Memo value not found at index {}", index));
  push_value(*value);
}

}  // namespace picklejar::pickle
