// picklejar::scan(): the decoder run with an observer that records every global and call, then
// a walk over the decoded value to tell which of them it still holds.

#include <picklejar/scan.hpp>

#include <fmt/format.h>

#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "../value/value_access.hpp"
#include "../value/well_known.hpp"
#include "decoder.hpp"
#include "opcodes.hpp"

namespace picklejar {
namespace {

using detail::Node;
using detail::Slot;
using detail::Tag;

std::string_view text_of(const Slot& s) { return detail::as_str(s.as.node).text(); }

class Recorder final : public pickle::DecodeObserver {
 public:
  explicit Recorder(const DecodeOptions& options) : options_(options) {}

  void on_global(std::size_t offset, std::uint8_t opcode, const Slot& global) override {
    const auto& g = detail::as_global(global.as.node);
    ScannedGlobal record;
    record.offset = offset;
    record.opcode = opcode;
    record.opcode_name = pickle::opcode_name(opcode);
    record.module = text_of(g.module);
    record.name = text_of(g.name);
    record.allowed = allowed(record.module, record.name);
    globals_.push_back(std::move(record));
    global_nodes_.push_back(global.as.node);
  }

  void on_call(std::size_t offset, std::uint8_t opcode, const Slot& callable,
               const Slot& result) override {
    ScannedCall record;
    record.offset = offset;
    record.opcode = opcode;
    record.opcode_name = pickle::opcode_name(opcode);
    record.callable = describe(callable, result);
    calls_.push_back(std::move(record));
    call_nodes_.push_back(result.as.node);
    // The first call that made a node names it (a BUILD on it later does not).
    made_by_.try_emplace(result.as.node, calls_.size() - 1);
  }

  void on_absorbed(const Slot& args, const Slot& result) override {
    absorbed_.emplace_back(args.as.node, result.as.node);
  }

  // Fills `result`'s lists, with in_value from a walk over what the value reaches.
  void finish(ScanResult& result) {
    const std::unordered_set<Node*> reached = reachable(detail::ValueAccess::slot(result.value));
    for (std::size_t i = 0; i < globals_.size(); ++i)
      globals_[i].in_value = reached.contains(global_nodes_[i]);
    for (std::size_t i = 0; i < calls_.size(); ++i)
      calls_[i].in_value = reached.contains(call_nodes_[i]);
    result.globals = std::move(globals_);
    result.calls = std::move(calls_);
  }

 private:
  bool allowed(std::string_view module, std::string_view name) const {
    if (options_.globals != GlobalPolicy::allowlist) return true;
    if (detail::classify_global(module, name) != detail::WellKnown::none) return true;
    return options_.allowed_globals.contains(fmt::format("{}.{}", module, name));
  }

  std::string describe(const Slot& callable, const Slot& result) const {
    if (callable.tag == Tag::node && callable.as.node->kind == Kind::global) {
      const auto& g = detail::as_global(callable.as.node);
      return fmt::format("{}.{}", text_of(g.module), text_of(g.name));
    }
    if (callable.tag == Tag::node) {
      const auto made = made_by_.find(callable.as.node);
      if (made != made_by_.end()) {
        const ScannedCall& by = calls_[made->second];
        return fmt::format("<result of {} at offset {}>", by.opcode_name, by.offset);
      }
    }
    // BUILD on an OrderedDict (no callable slot), or a callable that came from a hook.
    if (detail::slot_kind(result) == Kind::dict) return "collections.OrderedDict";
    return fmt::format("<{}>", kind_name(detail::slot_kind(callable)));
  }

  // What the value holds: the nodes it reaches, and what the well-known forms it reaches
  // were made of (bytearray(_codecs.encode(...)) holds the bytes that encode made).
  std::unordered_set<Node*> reachable(const Slot& root) const {
    std::unordered_set<Node*> seen;
    std::vector<Node*> work;
    const auto walk = [&](Node* from) {
      work.push_back(from);
      while (!work.empty()) {
        Node* n = work.back();
        work.pop_back();
        if (!seen.insert(n).second) continue;
        detail::for_each_child(n, [&](Slot& child) {
          if (child.tag == Tag::node) work.push_back(child.as.node);
        });
      }
    };
    if (root.tag == Tag::node) walk(root.as.node);
    // Latest first: an outer form was made after the forms inside it, so one pass usually
    // does it; another pass follows whenever one added something.
    for (bool grew = true; grew;) {
      grew = false;
      for (auto it = absorbed_.rbegin(); it != absorbed_.rend(); ++it) {
        if (seen.contains(it->second) && !seen.contains(it->first)) walk(it->first), grew = true;
      }
    }
    return seen;
  }

  const DecodeOptions& options_;
  std::vector<ScannedGlobal> globals_;
  std::vector<Node*> global_nodes_;
  std::vector<ScannedCall> calls_;
  std::vector<Node*> call_nodes_;
  std::unordered_map<Node*, std::size_t> made_by_;
  std::vector<std::pair<Node*, Node*>> absorbed_;  // (args, the value made of them)
};

}  // namespace

ScanResult scan(std::span<const std::byte> pickle, const DecodeOptions& options) {
  DecodeOptions keep = options;  // record the globals the allowlist would refuse
  keep.globals = GlobalPolicy::keep;
  Recorder recorder(options);
  pickle::Decoder decoder(pickle, keep);
  decoder.observe(&recorder);
  LoadResult loaded = decoder.run();
  if (options.trailing_data == TrailingData::reject && loaded.consumed != pickle.size()) {
    throw DecodeError(DecodeErrc::trailing_data, DecodePosition{loaded.consumed, -1},
                      fmt::format("{} bytes of trailing data after the STOP opcode",
                                  pickle.size() - loaded.consumed));
  }
  ScanResult result;
  result.value = std::move(loaded.value);
  result.consumed = loaded.consumed;
  recorder.finish(result);
  return result;
}

ScanResult scan(std::string_view pickle, const DecodeOptions& options) {
  return scan(std::as_bytes(std::span(pickle.data(), pickle.size())), options);
}

}  // namespace picklejar
