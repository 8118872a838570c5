// `picklejar scan`: every global and call the pickles in some files would make Python import
// or run, read by the safe decoder itself (picklejar::scan()), checked against an allowlist.

#include <picklejar/error.hpp>
#include <picklejar/scan.hpp>

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "input.hpp"
#include "scan_report.hpp"

namespace picklejar::cli {
namespace {

struct ScanFlags {
  std::vector<std::string> files;
  std::vector<std::string> allowed;
};

struct Tally {
  std::size_t globals = 0, calls = 0, refused = 0, pickles = 0;
};

// One pickle starting at `start`; appends its lines to `out`.
std::size_t scan_one(const std::string& name, std::string_view data, std::size_t start,
                     const DecodeOptions& options, Tally& tally, std::string& out) {
  const ScanResult r = scan(data.substr(start), options);
  // Globals and calls in pickle order, each with its own offset in the file.
  std::size_t g = 0, c = 0;
  while (g < r.globals.size() || c < r.calls.size()) {
    const bool global =
        c == r.calls.size() || (g < r.globals.size() && r.globals[g].offset <= r.calls[c].offset);
    if (global) {
      const ScannedGlobal& s = r.globals[g++];
      out += fmt::format("{}:{}: {}{}{}\n", name, start + s.offset, describe(s),
                         s.allowed ? "" : "  [not allowed]",
                         imported_only(s, r) ? "  [imported for nothing the value holds]" : "");
      tally.refused += s.allowed ? 0 : 1;
    } else {
      const ScannedCall& s = r.calls[c++];
      out += fmt::format("{}:{}: {}{}\n", name, start + s.offset, describe(s),
                         s.in_value ? "" : "  [result discarded]");
    }
  }
  tally.globals += r.globals.size();
  tally.calls += r.calls.size();
  ++tally.pickles;
  return start + r.consumed;
}

// 0, kExitFailure (unreadable or malformed) or kExitIntegrity (a global outside the allowlist).
int scan_file(const std::string& file, const DecodeOptions& options, std::string& out) {
  const std::string name = one_line(input_name(file));
  Tally tally;
  std::string lines;
  try {
    const std::string data = read_input(file);
    // A file may hold several pickles one after another, as pickle.load reads them.
    for (std::size_t at = 0; at == 0 || at < data.size();)
      at = scan_one(name, data, at, options, tally, lines);
  } catch (const std::exception& e) {
    out += lines;
    fmt::print(stderr, "picklejar scan: {}: {}\n", name, one_line(e.what()));
    return kExitFailure;
  }
  out += lines;
  out += fmt::format("{}: {} pickle{}, {} global{}, {} call{}; {}\n", name, tally.pickles,
                     tally.pickles == 1 ? "" : "s", tally.globals, tally.globals == 1 ? "" : "s",
                     tally.calls, tally.calls == 1 ? "" : "s",
                     tally.refused == 0 ? std::string("every global allowed")
                                        : fmt::format("{} not allowed", tally.refused));
  return tally.refused == 0 ? kExitOk : kExitIntegrity;
}

int run_scan(const ScanFlags& flags) {
  DecodeOptions options = allowlist_options(flags.allowed);
  options.trailing_data = TrailingData::ignore;  // the next pickle is scanned next
  options.py2_strings = Py2Strings::bytes;       // any Python 2 str is data to a scanner
  const std::vector<std::string> files =
      flags.files.empty() ? std::vector<std::string>{""} : flags.files;
  int status = kExitOk;
  for (const std::string& file : files) {
    std::string out;
    const int file_status = scan_file(file, options, out);
    try {
      write_output(out);
    } catch (const std::exception& e) {
      return report_error("scan", file, e);
    }
    if (file_status == kExitFailure || status == kExitFailure) {
      status = kExitFailure;
    } else if (file_status != kExitOk) {
      status = file_status;
    }
  }
  return status;
}

}  // namespace

void add_scan(CLI::App& app, int& status) {
  auto flags = std::make_shared<ScanFlags>();
  auto* cmd = app.add_subcommand(
      "scan", "List every global and call a pickle would make Python import or run");
  cmd->footer(
      "Example:\n"
      "  picklejar scan model.pkl --allow collections.OrderedDict\n"
      "  model.pkl:2: GLOBAL posix.system  [not allowed]\n"
      "  model.pkl:20: REDUCE calls posix.system\n"
      "  model.pkl: 1 pickle, 1 global, 1 call; 1 not allowed\n"
      "The pickle is read by picklejar's own decoder (nothing is imported or run), so the list\n"
      "is what its reading holds: a pickle it cannot read the one way Python would (malformed\n"
      "framing, an empty global name, ...) is refused instead. Allowed without --allow: the\n"
      "plain-data names the decoder's allowlist admits (builtins.set, collections.OrderedDict,\n"
      "...). [result discarded]: Python makes the call though the value does not show it.\n"
      "Exit status: 0 every global allowed, 4 one is not, 1 a file could not be read or is\n"
      "not a pickle (its error on stderr), 2 usage.");
  cmd->add_option("FILE", flags->files, "pickle files (standard input when none or '-')");
  cmd->add_option("--allow", flags->allowed,
                  "a module.qualname that may appear (repeatable), e.g. datetime.datetime");
  cmd->callback([flags, &status] { status = run_scan(*flags); });
}

}  // namespace picklejar::cli
