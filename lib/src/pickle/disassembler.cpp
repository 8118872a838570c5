// pickletools.dis() (CPython 3.11.7 Lib/pickletools.py), line for line: the same listing,
// the same emulation of the stack, MARKs and memo, and the same checks, raised at the same
// point of the output. Argument reading lives in dis_args.cpp, Python's text conversions in
// dis_text.cpp and dis_numbers.cpp, the stack kinds in dis_stack.cpp.
#include <picklejar/dis.hpp>
#include <picklejar/error.hpp>
#include <picklejar/repr.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dis_args.hpp"
#include "dis_stack.hpp"
#include "opcodes.hpp"

namespace picklejar {
namespace {

using pickle::ArgType;
using pickle::Op;
using pickle::OpcodeInfo;
using pickle::dis::Argument;
using pickle::dis::Failure;
using pickle::dis::StackKind;

bool is_op(std::uint8_t code, Op op) noexcept { return code == static_cast<std::uint8_t>(op); }

bool is_put(std::uint8_t code) noexcept {
  return is_op(code, Op::put) || is_op(code, Op::binput) || is_op(code, Op::long_binput) ||
         is_op(code, Op::memoize);
}

bool is_get(std::uint8_t code) noexcept {
  return is_op(code, Op::get) || is_op(code, Op::binget) || is_op(code, Op::long_binget);
}

// repr(opcode.code)[1:-1]: the character itself, or \xNN above ASCII.
std::string code_text(std::uint8_t code) {
  return code < 0x80 ? std::string(1, static_cast<char>(code)) : fmt::format("\\x{:02x}", code);
}

// A check that failed on the current opcode: raised once its line has been printed.
struct Complaint {
  DecodeErrc code;
  std::string message;
};

class Disassembler {
 public:
  Disassembler(std::string_view data, std::string& out, const DisassembleOptions& options)
      : data_(data), out_(out), start_(out.size()), options_(options) {}

  void run() {
    while (step()) {
    }
    emit(fmt::format("highest protocol among opcodes = {}\n", max_protocol_));
    if (!stack_.empty()) {
      // Values left under STOP's: the pickle holds more than its one result.
      fail(DecodeErrc::trailing_data, "stack not empty after STOP: " + stack_text());
    }
  }

 private:
  bool step();
  void pop_mark_block(const OpcodeInfo& info, std::string& mark_note,
                      std::optional<Complaint>& complaint, std::size_t& to_pop);
  void use_memo(const OpcodeInfo& info, const std::optional<Argument>& arg, std::string& mark_note,
                std::optional<Complaint>& complaint, std::vector<StackKind>& after);
  std::string stack_text() const;

  [[noreturn]] void fail(DecodeErrc code, const std::string& why) const {
    const DecodePosition position{op_offset_, op_};
    if (code == DecodeErrc::limit_exceeded) throw LimitError(position, why);
    throw DecodeError(code, position, why);
  }

  // Appends to the listing, within max_output_bytes.
  void emit(std::string_view text) {
    if (out_.size() - start_ + text.size() > options_.max_output_bytes) output_exceeded();
    out_.append(text);
  }

  [[noreturn]] void output_exceeded() const {
    fail(DecodeErrc::limit_exceeded,
         fmt::format("the listing exceeds max_output_bytes ({})", options_.max_output_bytes));
  }

  std::string_view data_;
  std::string& out_;
  std::size_t start_;
  const DisassembleOptions& options_;
  std::size_t pos_ = 0;
  std::uint64_t op_offset_ = 0;
  int op_ = -1;
  std::vector<StackKind> stack_;
  std::vector<std::size_t> marks_;  // offsets of the open MARK opcodes (pickletools' markstack)
  std::unordered_map<std::string, StackKind> memo_;  // keyed by the index in decimal
  int max_protocol_ = -1;
};

bool Disassembler::step() {
  op_offset_ = pos_;
  op_ = -1;
  if (pos_ == data_.size()) fail(DecodeErrc::truncated, "pickle exhausted before seeing STOP");
  const auto code = static_cast<std::uint8_t>(data_[pos_++]);
  op_ = code;
  const OpcodeInfo* info = pickle::opcode_info(code);
  if (info == nullptr) {
    fail(DecodeErrc::unknown_opcode, fmt::format("at position {}, opcode {} unknown", op_offset_,
                                                 bytes_repr(data_.substr(op_offset_, 1))));
  }
  std::optional<Argument> arg;
  try {
    arg = pickle::dis::read_argument(info->arg, data_, pos_);
  } catch (const Failure& e) {
    fail(e.code(), e.what());
  }
  max_protocol_ = std::max<int>(max_protocol_, info->protocol);

  emit(fmt::format("{:5d}: ", op_offset_));
  const std::size_t indent = static_cast<std::size_t>(std::max(options_.indent_level, 0));
  // Deep MARK nesting makes the listing quadratic in the input: check before indenting.
  if (indent != 0 && marks_.size() > options_.max_output_bytes / indent) output_exceeded();
  std::string line = fmt::format("{:<4} {}{}", code_text(code),
                                 std::string(indent * marks_.size(), ' '), info->name);

  std::string mark_note;
  std::optional<Complaint> complaint;
  std::size_t to_pop = info->mark_index >= 0 ? 0 : info->pops;
  pop_mark_block(*info, mark_note, complaint, to_pop);
  const auto pushed = pickle::dis::stack_after(code);
  std::vector<StackKind> after(pushed.begin(), pushed.end());
  use_memo(*info, arg, mark_note, complaint, after);

  if (arg || !mark_note.empty()) {
    line.append(info->name.size() < 10 ? 10 - info->name.size() : 0, ' ');  // align arguments
    if (arg) {
      if (arg->repr_failure) fail(arg->repr_failure->code(), arg->repr_failure->what());
      line += ' ' + arg->repr;
    }
    if (!mark_note.empty()) line += ' ' + mark_note;
  }
  line += '\n';
  emit(line);
  if (complaint) fail(complaint->code, complaint->message);

  if (stack_.size() < to_pop) {
    fail(DecodeErrc::stack_underflow,
         fmt::format("tries to pop {} items from stack with only {} items", to_pop, stack_.size()));
  }
  stack_.resize(stack_.size() - to_pop);
  if (is_op(code, Op::mark)) marks_.push_back(op_offset_);
  stack_.insert(stack_.end(), after.begin(), after.end());
  return !is_op(code, Op::stop);
}

// An opcode that consumes a MARK (or a POP that finds one on top) takes the MARK block off.
void Disassembler::pop_mark_block(const OpcodeInfo& info, std::string& mark_note,
                                  std::optional<Complaint>& complaint, std::size_t& to_pop) {
  const bool pop_of_mark =
      is_op(info.code, Op::pop) && !stack_.empty() && stack_.back() == StackKind::mark;
  if (info.mark_index < 0 && !pop_of_mark) return;
  if (marks_.empty()) {
    mark_note = "no MARK exists on stack";
    complaint = Complaint{DecodeErrc::mark_missing, mark_note};
    return;
  }
  mark_note = fmt::format("(MARK at {})", marks_.back());
  marks_.pop_back();
  // The MARK may have been taken by an ordinary pop (DUP, POP, APPEND... under an open MARK):
  // pickletools then runs off the bottom of its stack with an IndexError.
  const auto mark = std::find(stack_.rbegin(), stack_.rend(), StackKind::mark);
  if (mark == stack_.rend()) fail(DecodeErrc::mark_missing, "list index out of range");
  stack_.erase(std::prev(mark.base()), stack_.end());
  to_pop = info.mark_index >= 0 ? static_cast<std::size_t>(info.mark_index) : 0;
}

void Disassembler::use_memo(const OpcodeInfo& info, const std::optional<Argument>& arg,
                            std::string& mark_note, std::optional<Complaint>& complaint,
                            std::vector<StackKind>& after) {
  if (is_put(info.code)) {
    const bool memoize = is_op(info.code, Op::memoize);
    const std::string key = memoize ? std::to_string(memo_.size()) : arg->memo_key;
    if (memoize) mark_note = "(as " + key + ")";
    if (memo_.contains(key)) {
      complaint = Complaint{DecodeErrc::bad_argument, fmt::format("memo key {} already defined",
                                                                  memoize ? "None" : arg->repr)};
    } else if (stack_.empty()) {
      complaint = Complaint{DecodeErrc::stack_underflow, "stack is empty -- can't store into memo"};
    } else if (stack_.back() == StackKind::mark) {
      complaint = Complaint{DecodeErrc::stack_underflow, "can't store markobject in the memo"};
    } else {
      memo_.emplace(key, stack_.back());
    }
  } else if (is_get(info.code)) {
    const auto found = memo_.find(arg->memo_key);
    if (found != memo_.end()) {
      after.assign(1, found->second);
    } else {
      complaint = Complaint{DecodeErrc::memo_missing,
                            fmt::format("memo key {} has never been stored into", arg->repr)};
    }
  }
}

// repr() of pickletools' stack: a list of StackObject names.
std::string Disassembler::stack_text() const {
  std::string text = "[";
  for (std::size_t i = 0; i < stack_.size(); ++i) {
    if (i != 0) text += ", ";
    text += pickle::dis::stack_kind_name(stack_[i]);
  }
  return text + "]";
}

}  // namespace

void disassemble(std::span<const std::byte> pickle, std::string& out,
                 const DisassembleOptions& options) {
  const std::string_view data(reinterpret_cast<const char*>(pickle.data()), pickle.size());
  Disassembler(data, out, options).run();
}

std::string disassemble(std::string_view pickle, const DisassembleOptions& options) {
  std::string out;
  disassemble(std::as_bytes(std::span(pickle.data(), pickle.size())), out, options);
  return out;
}

}  // namespace picklejar
