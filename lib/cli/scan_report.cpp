#include "scan_report.hpp"

#include <fmt/format.h>

#include "input.hpp"

namespace picklejar::cli {
namespace {

std::string name_of(const ScannedGlobal& g) { return one_line(g.module + "." + g.name); }

}  // namespace

DecodeOptions allowlist_options(const std::vector<std::string>& allowed) {
  DecodeOptions options;
  options.globals = GlobalPolicy::allowlist;
  options.allowed_globals.insert(allowed.begin(), allowed.end());
  return options;
}

std::string describe(const ScannedGlobal& global) {
  return fmt::format("{} {}", global.opcode_name, name_of(global));
}

std::string describe(const ScannedCall& call) {
  const std::string_view op = call.opcode_name;
  if (op == "BUILD") return fmt::format("BUILD sets the state of {}", one_line(call.callable));
  return fmt::format("{} calls {}", op, one_line(call.callable));
}

bool imported_only(const ScannedGlobal& global, const ScanResult& scanned) {
  if (global.in_value) return false;
  const std::string name = global.module + "." + global.name;
  for (const ScannedCall& c : scanned.calls) {
    if (c.callable == name && c.offset > global.offset) return false;
  }
  return true;
}

std::vector<std::string> hidden_actions(const ScanResult& scanned, std::size_t max_lines) {
  std::vector<std::string> lines;
  std::size_t more = 0;
  const auto add = [&](std::string line) {
    if (lines.size() < max_lines) {
      lines.push_back(std::move(line));
    } else {
      ++more;
    }
  };
  for (const ScannedCall& c : scanned.calls) {
    if (c.in_value) continue;
    add(
        fmt::format("{} (offset {}): the value does not hold the result, but Python's "
                    "pickle.loads makes the call",
                    describe(c), c.offset));
  }
  for (const ScannedGlobal& g : scanned.globals) {
    if (!imported_only(g, scanned)) continue;
    add(
        fmt::format("{} (offset {}): the value does not hold it, but Python's pickle.loads "
                    "imports it",
                    describe(g), g.offset));
  }
  if (more > 0) {
    lines.push_back(fmt::format("and {} more (picklejar scan lists every global and call)", more));
  }
  return lines;
}

std::vector<std::string> globals_outside_allowlist(const Session& session, const std::string& key,
                                                   const DecodeOptions& options) {
  const auto pickle = session.find_pickle(key);
  if (!pickle) return {};
  std::vector<std::string> lines;
  for (const ScannedGlobal& g : scan(*pickle, options).globals) {
    if (g.allowed) continue;
    lines.push_back(fmt::format("key '{}': offset {}: {} is outside the allowlist", one_line(key),
                                g.offset, describe(g)));
  }
  return lines;
}

}  // namespace picklejar::cli
