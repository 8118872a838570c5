// `picklejar dump` and `picklejar dis`: look inside a pickle.

#include <picklejar/dis.hpp>
#include <picklejar/error.hpp>
#include <picklejar/pickle.hpp>
#include <picklejar/repr.hpp>
#include <picklejar/scan.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "commands.hpp"
#include "input.hpp"
#include "scan_report.hpp"
#include "value_text.hpp"

namespace picklejar::cli {
namespace {

const std::map<std::string, Py2Strings> kPy2Strings{{"ascii", Py2Strings::ascii},
                                                    {"latin1", Py2Strings::latin1},
                                                    {"utf8", Py2Strings::utf8},
                                                    {"bytes", Py2Strings::bytes}};

struct DumpFlags {
  std::string file;
  bool ignore_trailing = false;
  bool expand = false;
  std::string py2_strings = "ascii";  // one of kPy2Strings' names
};

struct DisFlags {
  std::string file;
  int indent = 4;
  bool annotate = false;
};

void add_file_argument(CLI::App& cmd, std::string& file) {
  cmd.add_option("FILE", file, "pickle file (standard input when omitted or '-')");
}

// The value, decoded by scan() so that what Python would do that the value does not show (a
// call whose result the pickle throws away) can be said on stderr.
int run_dump(const DumpFlags& flags) {
  try {
    const std::string data = read_input(flags.file);
    DecodeOptions options;
    options.trailing_data = flags.ignore_trailing ? TrailingData::ignore : TrailingData::reject;
    options.py2_strings = kPy2Strings.at(flags.py2_strings);
    const ScanResult scanned = scan(data, options);
    std::string text;
    const bool labelled = append_repr(text, scanned.value, repr_options(flags.expand));
    write_output(text + "\n");
    const std::string name = one_line(input_name(flags.file));
    if (labelled) print_labels_note("dump", name);
    for (const std::string& line : hidden_actions(scanned))
      fmt::print(stderr, "picklejar dump: {}: warning: {}\n", name, line);
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("dump", flags.file, e);
  }
}

int run_dis(const DisFlags& flags) {
  try {
    const std::string data = read_input(flags.file);
    DisassembleOptions options;
    options.indent_level = flags.indent;
    options.annotate = flags.annotate ? 30 : 0;  // python3 -m pickletools -a
    write_output(disassemble(data, options));
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("dis", flags.file, e);
  }
}

}  // namespace

void add_dump(CLI::App& app, int& status) {
  auto flags = std::make_shared<DumpFlags>();
  auto* cmd = app.add_subcommand("dump", "Print a pickle's value as Python's repr() would");
  cmd->footer(
      "Example:\n"
      "  python3 -c 'import pickle,sys; sys.stdout.buffer.write(pickle.dumps({1: [2]}))' "
      "> a.pickle\n"
      "  picklejar dump a.pickle\n"
      "  {1: [2]}\n"
      "Nothing in the pickle is imported or run. An object that appears more than once is\n"
      "printed as Python prints it while that stays small, else once as #1=... and then as\n"
      "#1# (--expand: always in full). A warning on stderr names each call the pickle makes\n"
      "but discards (Python would still make it) and each global the value does not hold.\n"
      "Errors are one line on stderr naming the file, byte offset and opcode; exit status 1.");
  add_file_argument(*cmd, flags->file);
  cmd->add_flag("--ignore-trailing", flags->ignore_trailing,
                "accept bytes after STOP, as pickle.loads does (default: an error)");
  add_expand_flag(*cmd, flags->expand);
  cmd->add_option("--py2-strings", flags->py2_strings,
                  "how Python 2 str opcodes decode: ascii (default), latin1, utf8 or bytes")
      ->transform(CLI::IsMember({"ascii", "latin1", "utf8", "bytes"}, CLI::ignore_case));
  cmd->callback([flags, &status] { status = run_dump(*flags); });
}

void add_dis(CLI::App& app, int& status) {
  auto flags = std::make_shared<DisFlags>();
  auto* cmd = app.add_subcommand("dis", "Disassemble a pickle like python3 -m pickletools");
  cmd->footer(
      "Example:\n"
      "  python3 -c 'import pickle,sys; sys.stdout.buffer.write(pickle.dumps([1], 2))' "
      "| picklejar dis\n"
      "      0: \\x80 PROTO      2\n"
      "      2: ]    EMPTY_LIST\n"
      "      3: q    BINPUT     0\n"
      "      5: K    BININT1    1\n"
      "      7: a    APPEND\n"
      "      8: .    STOP\n"
      "  highest protocol among opcodes = 2\n"
      "The listing and its checks are pickletools.dis()'s. On a malformed pickle nothing is\n"
      "printed on stdout and one line on stderr names the file, byte offset, opcode and\n"
      "pickletools' complaint; exit status 1.");
  add_file_argument(*cmd, flags->file);
  cmd->add_option("--indent", flags->indent, "blanks per open MARK (default 4), as pickletools -l")
      ->check(CLI::Range(0, 64));
  cmd->add_flag("-a,--annotate", flags->annotate,
                "end each line with a short description of its opcode, as pickletools -a");
  cmd->callback([flags, &status] { status = run_dis(*flags); });
}

}  // namespace picklejar::cli
