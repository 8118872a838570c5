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
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "byte_order.hpp"
#include "dis_annotate.hpp"
#include "dis_args.hpp"
#include "dis_stack.hpp"
#include "opcodes.hpp"

namespace picklejar {
namespace {

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

// What dis() works out for one opcode before printing its line: the note after the argument,
// a failed check (raised once the line is printed), and the stack change.
struct Effect {
  std::string note;  // "(MARK at N)", "(as N)", "no MARK exists on stack"
  std::optional<std::pair<DecodeErrc, std::string>> complaint;
  std::size_t to_pop = 0;
  std::vector<StackKind> after;
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
  const OpcodeInfo& next_opcode(std::optional<Argument>& arg);
  std::string line_start(const OpcodeInfo& info);
  void pop_mark_block(const OpcodeInfo& info, Effect& effect);
  void use_memo(const OpcodeInfo& info, const std::optional<Argument>& arg, Effect& effect);
  std::string stack_text() const;
  void check_frame(const OpcodeInfo& info);
  void check_names(const OpcodeInfo& info) const;

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
  std::size_t frame_end_ = pickle::dis::kNoFrame;  // where the open FRAME ends
  pickle::dis::Annotator annotator_{options_.annotate};
};

// One iteration of dis()'s loop; false after STOP.
bool Disassembler::step() {
  std::optional<Argument> arg;
  const OpcodeInfo& info = next_opcode(arg);
  max_protocol_ = std::max<int>(max_protocol_, info.protocol);
  emit(fmt::format("{:5d}: ", op_offset_));
  std::string line = line_start(info);

  Effect effect;
  effect.to_pop = info.mark_index >= 0 ? 0 : info.pops;
  const auto pushed = pickle::dis::stack_after(info.code);
  effect.after.assign(pushed.begin(), pushed.end());
  pop_mark_block(info, effect);
  use_memo(info, arg, effect);

  if (arg || !effect.note.empty()) {
    line.append(info.name.size() < 10 ? 10 - info.name.size() : 0, ' ');  // align arguments
    if (arg) {
      if (arg->repr_failure) fail(arg->repr_failure->code(), arg->repr_failure->what());
      line += ' ' + arg->repr;
    }
    if (!effect.note.empty()) line += ' ' + effect.note;
  }
  if (annotator_.enabled()) annotator_.append(line, info.code);
  line += '\n';
  emit(line);
  if (effect.complaint) fail(effect.complaint->first, effect.complaint->second);

  if (stack_.size() < effect.to_pop) {
    fail(DecodeErrc::stack_underflow,
         fmt::format("tries to pop {} items from stack with only {} items", effect.to_pop,
                     stack_.size()));
  }
  stack_.resize(stack_.size() - effect.to_pop);
  if (is_op(info.code, Op::mark)) marks_.push_back(op_offset_);
  stack_.insert(stack_.end(), effect.after.begin(), effect.after.end());
  return !is_op(info.code, Op::stop);
}

// genops(): the next opcode and its argument. Nothing is printed for an opcode that fails here.
const OpcodeInfo& Disassembler::next_opcode(std::optional<Argument>& arg) {
  op_offset_ = pos_;
  op_ = -1;
  if (pos_ == frame_end_) frame_end_ = pickle::dis::kNoFrame;  // used up: read on unframed
  if (pos_ == data_.size()) fail(DecodeErrc::truncated, "pickle exhausted before seeing STOP");
  op_ = static_cast<std::uint8_t>(data_[pos_++]);
  const OpcodeInfo* info = pickle::opcode_info(static_cast<std::uint8_t>(op_));
  if (info == nullptr) {
    fail(DecodeErrc::unknown_opcode, fmt::format("at position {}, opcode {} unknown", op_offset_,
                                                 bytes_repr(data_.substr(op_offset_, 1))));
  }
  try {
    arg = pickle::dis::read_argument(info->arg, data_, pos_, frame_end_);
  } catch (const Failure& e) {
    fail(e.code(), e.what());
  }
  check_frame(*info);
  check_names(*info);
  return *info;
}

// Beyond pickletools, which reads straight through frames: the decoder's framing rules (those
// of Python's own framed reader, pickle._Unframer, with its messages, plus a frame may not
// declare more bytes than remain), so that no listing shows a pickle the decoder refuses.
void Disassembler::check_frame(const OpcodeInfo& info) {
  if (!is_op(info.code, Op::frame)) return;
  if (frame_end_ != pickle::dis::kNoFrame && pos_ != frame_end_) {
    fail(DecodeErrc::bad_frame, "beginning of a new frame before end of current frame");
  }
  const auto size = pickle::load_le<std::uint64_t>(
      reinterpret_cast<const std::uint8_t*>(data_.data() + op_offset_ + 1));
  if (size > data_.size() - pos_) {
    fail(DecodeErrc::truncated, fmt::format("frame of {} bytes exceeds the {} bytes remaining",
                                            size, data_.size() - pos_));
  }
  frame_end_ = pos_ + static_cast<std::size_t>(size);
}

// pickletools prints an empty GLOBAL/INST name; the decoder refuses it (so does CPython).
void Disassembler::check_names(const OpcodeInfo& info) const {
  if (!is_op(info.code, Op::global) && !is_op(info.code, Op::inst)) return;
  const std::string_view lines = data_.substr(op_offset_ + 1, pos_ - op_offset_ - 1);
  const std::size_t newline = lines.find('\n');
  if (newline == 0 || newline + 2 == lines.size()) {
    fail(DecodeErrc::bad_text,
         fmt::format("{} {} name is empty", info.name, newline == 0 ? "module" : "qualified"));
  }
}

// "%-4s %s%s" % (code, indentation, name)
std::string Disassembler::line_start(const OpcodeInfo& info) {
  const std::size_t indent = static_cast<std::size_t>(std::max(options_.indent_level, 0));
  // Deep MARK nesting makes the listing quadratic in the input: check before indenting.
  if (indent != 0 && marks_.size() > options_.max_output_bytes / indent) output_exceeded();
  return fmt::format("{:<4} {}{}", code_text(info.code), std::string(indent * marks_.size(), ' '),
                     info.name);
}

// An opcode that consumes a MARK (or a POP that finds one on top) takes the MARK block off.
void Disassembler::pop_mark_block(const OpcodeInfo& info, Effect& effect) {
  const bool pop_of_mark =
      is_op(info.code, Op::pop) && !stack_.empty() && stack_.back() == StackKind::mark;
  if (info.mark_index < 0 && !pop_of_mark) return;
  if (marks_.empty()) {
    effect.note = "no MARK exists on stack";
    effect.complaint.emplace(DecodeErrc::mark_missing, effect.note);
    return;
  }
  effect.note = fmt::format("(MARK at {})", marks_.back());
  marks_.pop_back();
  // The MARK may have been taken by an ordinary pop (DUP, POP, APPEND... under an open MARK):
  // pickletools then runs off the bottom of its stack with an IndexError.
  const auto mark = std::find(stack_.rbegin(), stack_.rend(), StackKind::mark);
  if (mark == stack_.rend()) fail(DecodeErrc::mark_missing, "list index out of range");
  stack_.erase(std::prev(mark.base()), stack_.end());
  effect.to_pop = info.mark_index >= 0 ? static_cast<std::size_t>(info.mark_index) : 0;
}

void Disassembler::use_memo(const OpcodeInfo& info, const std::optional<Argument>& arg,
                            Effect& effect) {
  if (is_put(info.code)) {
    const bool memoize = is_op(info.code, Op::memoize);
    const std::string key = memoize ? std::to_string(memo_.size()) : arg->memo_key;
    if (memoize) effect.note = "(as " + key + ")";
    if (memo_.contains(key)) {
      effect.complaint.emplace(DecodeErrc::bad_argument, fmt::format("memo key {} already defined",
                                                                     memoize ? "None" : arg->repr));
    } else if (stack_.empty()) {
      effect.complaint.emplace(DecodeErrc::stack_underflow,
                               "stack is empty -- can't store into memo");
    } else if (stack_.back() == StackKind::mark) {
      effect.complaint.emplace(DecodeErrc::stack_underflow, "can't store markobject in the memo");
    } else {
      memo_.emplace(key, stack_.back());
    }
  } else if (is_get(info.code)) {
    const auto found = memo_.find(arg->memo_key);
    if (found != memo_.end()) {
      effect.after.assign(1, found->second);
    } else {
      effect.complaint.emplace(DecodeErrc::memo_missing,
                               fmt::format("memo key {} has never been stored into", arg->repr));
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
