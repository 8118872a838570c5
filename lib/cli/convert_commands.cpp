// `picklejar convert`, `to-json` and `from-json`: re-encode a pickle at another protocol, and
// go between pickles and the lossless tagged JSON form (docs/JSON.md). Decoding is the safe
// decoder with its default limits: nothing named in the input is imported or run.

#include <picklejar/error.hpp>
#include <picklejar/json.hpp>
#include <picklejar/pickle.hpp>

#include <fmt/format.h>

#include <unistd.h>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "commands.hpp"
#include "input.hpp"
#include "readable.hpp"

namespace picklejar::cli {
namespace {

struct ConvertFlags {
  std::string file;
  int protocol = 4;
};

struct ToJsonFlags {
  std::string file;
  int indent = 2;
  bool compact = false;
  bool ascii = false;
  bool readable = false;
};

// A pickle is binary: written to a terminal it would only garble the screen.
bool refuse_terminal(const char* verb) {
  if (isatty(fileno(stdout)) == 0) return false;
  fmt::print(stderr,
             "picklejar {}: refusing to write a binary pickle to a terminal; redirect standard "
             "output to a file or a pipe\n",
             verb);
  return true;
}

// The pickle of `value`, which the decoder (with its default limits) reads back.
std::string encode(const Value& value, int protocol) {
  EncodeOptions options;
  options.protocol = protocol;
  std::string pickle = dumps(value, options);
  require_readable(pickle, DecodeOptions{}, "the value");
  return pickle;
}

int run_convert(const ConvertFlags& flags) {
  if (refuse_terminal("convert")) return kExitUsage;
  try {
    write_output(encode(loads(read_input(flags.file)), flags.protocol));
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("convert", flags.file, e);
  }
}

int run_to_json(const ToJsonFlags& flags) {
  try {
    JsonOptions options;
    options.indent = flags.compact ? -1 : flags.indent;
    options.ensure_ascii = flags.ascii;
    options.readable = flags.readable;
    write_output(to_json(loads(read_input(flags.file)), options) + "\n");
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("to-json", flags.file, e);
  }
}

int run_from_json(const ConvertFlags& flags) {
  if (refuse_terminal("from-json")) return kExitUsage;
  try {
    write_output(encode(from_json(read_input(flags.file), json_read_options()), flags.protocol));
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("from-json", flags.file, e);
  }
}

void add_protocol_option(CLI::App& cmd, int& protocol) {
  cmd.add_option("-p,--protocol", protocol,
                 "pickle protocol to write, 0-5 (default 4, what Python 3.8-3.13 writes)")
      ->check(CLI::Range(0, 5));
}

}  // namespace

void add_convert(CLI::App& app, int& status) {
  auto flags = std::make_shared<ConvertFlags>();
  auto* cmd = app.add_subcommand("convert", "Re-encode a pickle at another protocol");
  cmd->footer(
      "Example (a protocol 5 pickle for a Python older than 3.8):\n"
      "  picklejar convert --protocol 4 new.pickle > old.pickle\n"
      "The pickle is written as Python's pickle.dumps(obj, protocol) writes the object graph\n"
      "it decodes to: the same opcodes, memo and frames. Nothing in it is imported or run.\n"
      "A pickle is not written to a terminal (exit status 2). Errors are one line on stderr\n"
      "naming the input; exit status 1.");
  cmd->add_option("FILE", flags->file, "pickle file (standard input when omitted or '-')");
  add_protocol_option(*cmd, flags->protocol);
  cmd->callback([flags, &status] { status = run_convert(*flags); });
}

void add_to_json(CLI::App& app, int& status) {
  auto flags = std::make_shared<ToJsonFlags>();
  auto* cmd = app.add_subcommand("to-json", "Print a pickle as lossless tagged JSON");
  cmd->footer(
      "Example:\n"
      "  python3 -c 'import pickle,sys; sys.stdout.buffer.write(pickle.dumps({\"a\": (1, "
      "b\"x\")}))'"
      " | picklejar to-json --compact\n"
      "  {\"a\":{\"$tuple\":[1,{\"$bytes\":\"eA==\"}]}}\n"
      "Plain JSON for what JSON has; tagged objects ($tuple, $bytes, $ref, ...) for the rest,\n"
      "described in docs/JSON.md. `picklejar from-json` turns it back into the same pickle.\n"
      "Errors are one line on stderr naming the input; exit status 1.");
  cmd->add_option("FILE", flags->file, "pickle file (standard input when omitted or '-')");
  cmd->add_option("--indent", flags->indent, "spaces per nesting level (default 2)")
      ->check(CLI::Range(0, 16));
  cmd->add_flag("--compact", flags->compact, "everything on one line, no spaces");
  cmd->add_flag("--ascii", flags->ascii, "escape non-ASCII characters as \\uXXXX");
  cmd->add_flag("--readable", flags->readable,
                "datetimes, Decimals, UUIDs, paths and plain instances in the readable forms of "
                "docs/JSON.md ({\"$datetime\": \"2026-12-07T08:42:33Z\"}, {\"$class\": ...})");
  cmd->callback([flags, &status] { status = run_to_json(*flags); });
}

void add_from_json(CLI::App& app, int& status) {
  auto flags = std::make_shared<ConvertFlags>();
  auto* cmd = app.add_subcommand("from-json", "Turn tagged JSON (or plain JSON) into a pickle");
  cmd->footer(
      "Example:\n"
      "  echo '{\"a\": {\"$tuple\": [1, 2]}}' | picklejar from-json --protocol 2 > a.pickle\n"
      "  python3 -c 'import pickle; print(pickle.load(open(\"a.pickle\", \"rb\")))'\n"
      "  {'a': (1, 2)}\n"
      "The JSON form is described in docs/JSON.md; to-json's output comes back as the pickle\n"
      "it was made from. A pickle is not written to a terminal (exit status 2). Errors are one\n"
      "line on stderr naming the input and where in it (line and column, or JSON pointer);\n"
      "exit status 1.");
  cmd->add_option("FILE", flags->file, "JSON file (standard input when omitted or '-')");
  add_protocol_option(*cmd, flags->protocol);
  cmd->callback([flags, &status] { status = run_from_json(*flags); });
}

}  // namespace picklejar::cli
