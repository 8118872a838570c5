// `picklejar dump` and `picklejar dis`: look inside a pickle.

#include <picklejar/dis.hpp>
#include <picklejar/error.hpp>
#include <picklejar/pickle.hpp>
#include <picklejar/repr.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "commands.hpp"
#include "input.hpp"

namespace picklejar::cli {
namespace {

struct DecodeFlags {
  std::string file;
  bool ignore_trailing = false;
  Py2Strings py2_strings = Py2Strings::ascii;
};

void add_decode_flags(CLI::App& cmd, DecodeFlags& flags) {
  cmd.add_option("FILE", flags.file, "pickle file (standard input when omitted or '-')");
  cmd.add_flag("--ignore-trailing", flags.ignore_trailing,
               "accept bytes after STOP, as pickle.loads does (default: an error)");
  const std::map<std::string, Py2Strings> encodings{{"ascii", Py2Strings::ascii},
                                                    {"latin1", Py2Strings::latin1},
                                                    {"utf8", Py2Strings::utf8},
                                                    {"bytes", Py2Strings::bytes}};
  cmd.add_option("--py2-strings", flags.py2_strings,
                 "how Python 2 str opcodes decode: ascii (default), latin1, utf8 or bytes")
      ->transform(CLI::CheckedTransformer(encodings, CLI::ignore_case));
}

// One line on stderr, nothing on stdout, exit status 1.
int report(const char* verb, const std::string& file, const std::exception& e) {
  fmt::print(stderr, "picklejar {}: {}: {}\n", verb, input_name(file), e.what());
  return kExitFailure;
}

int run_dump(const DecodeFlags& flags) {
  try {
    const std::string data = read_input(flags.file);
    DecodeOptions options;
    options.trailing_data = flags.ignore_trailing ? TrailingData::ignore : TrailingData::reject;
    options.py2_strings = flags.py2_strings;
    const std::string text = repr(loads(data, options)) + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  } catch (const std::exception& e) {
    return report("dump", flags.file, e);
  }
}

int run_dis(const DecodeFlags& flags) {
  try {
    const std::string data = read_input(flags.file);
    const std::string text = disassemble(data);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  } catch (const std::exception& e) {
    return report("dis", flags.file, e);
  }
}

}  // namespace

void add_dump(CLI::App& app, int& status) {
  auto flags = std::make_shared<DecodeFlags>();
  auto* cmd = app.add_subcommand("dump", "Print a pickle's value as Python's repr() would");
  cmd->footer("Example:\n  python3 -c 'import pickle,sys; sys.stdout.buffer.write(pickle.dumps({1: [2]}))' "
              "| picklejar dump\n  {1: [2]}");
  add_decode_flags(*cmd, *flags);
  cmd->callback([flags, &status] { status = run_dump(*flags); });
}

void add_dis(CLI::App& app, int& status) {
  auto flags = std::make_shared<DecodeFlags>();
  auto* cmd = app.add_subcommand("dis", "Disassemble a pickle like python -m pickletools");
  cmd->footer("Example:\n  picklejar dis state.pickle");
  cmd->add_option("FILE", flags->file, "pickle file (standard input when omitted or '-')");
  cmd->callback([flags, &status] { status = run_dis(*flags); });
}

}  // namespace picklejar::cli
