// `picklejar export` and `import`: a whole session as one JSON document (export_document.hpp,
// docs/CLI.md) and back. Export checks and decodes every entry before writing a byte; import
// reads the whole document before touching the file, then writes every entry in one
// transaction, so a failure on either side leaves the file (and the output name) as it was.

#include <picklejar/error.hpp>
#include <picklejar/json.hpp>
#include <picklejar/session.hpp>

#include <fmt/format.h>

#include <unistd.h>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "export_document.hpp"
#include "input.hpp"
#include "output_file.hpp"
#include "progress.hpp"
#include "session_common.hpp"

namespace picklejar::cli {
namespace {

struct ExportFlags {
  SessionFlags session;
  std::string output;  // "" or "-": standard output
  bool ascii = false;
};

struct ImportFlags {
  SessionFlags session;
  std::string input;  // "" or "-": standard input
  bool replace = false;
  std::optional<int> protocol;
};

std::uint64_t pickle_bytes(const Session& session, const std::vector<std::string>& keys) {
  std::uint64_t total = 0;
  for (const std::string& key : keys) total += session.entry_info(key)->pickle_size;
  return total;
}

// Verifies and decodes every entry (the session caches the values for the writing pass).
void decode_all(const Session& session, const std::vector<std::string>& keys, bool quiet) {
  Progress progress =
      stderr_progress("export: decode", keys.size(), pickle_bytes(session, keys), quiet);
  for (const std::string& key : keys) {
    session.get(key);
    progress.advance_entry(session.entry_info(key)->pickle_size);
  }
  progress.finish();
}

void write_document(const Session& session, const std::vector<std::string>& keys, OutputFile& out,
                    const ExportFlags& flags, bool quiet) {
  Progress progress =
      stderr_progress("export: write", keys.size(), pickle_bytes(session, keys), quiet);
  JsonOptions options;
  options.ensure_ascii = flags.ascii;
  const auto write = [&out](std::string_view text) { out.write(text); };
  out.write(export_header(session.file_info()));
  bool first = true;
  for (const std::string& key : keys) {
    if (!first) out.write(kExportSeparator);
    first = false;
    out.write(export_entry_prefix(key, flags.ascii));
    write_json(session.get(key), write, options);
    progress.advance_entry(session.entry_info(key)->pickle_size);
  }
  out.write(first ? "}}\n" : kExportFooter);
  progress.finish();
}

// -o naming the session file itself (or one of SQLite's files next to it) would replace it.
void refuse_overwriting(const ExportFlags& flags) {
  if (flags.output.empty() || flags.output == "-") return;
  for (const char* suffix : {"", "-wal", "-shm", "-journal", ".lock"}) {
    std::error_code error;
    if (std::filesystem::equivalent(flags.output, flags.session.file + suffix, error))
      throw std::runtime_error(
          fmt::format("refusing to write the export over '{}'", flags.session.file + suffix));
  }
}

int run_export(const ExportFlags& flags) {
  try {
    refuse_overwriting(flags);
    const Session session = open_session(flags.session, OpenMode::read_only);
    const std::vector<std::string> keys = session.keys();
    OutputFile out(flags.output);
    // A document on the terminal would be garbled by a bar drawn over it.
    const bool quiet = out.is_stdout() && isatty(STDOUT_FILENO) != 0;
    decode_all(session, keys, quiet);
    write_document(session, keys, out, flags, quiet);
    out.commit();
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("export", flags.session.file, e);
  }
}

using Entries = std::vector<std::pair<std::string, Value>>;

Entries read_document(const std::string& text) {
  const std::vector<ExportEntry> found = split_export(text);
  Progress progress = stderr_progress("import: read", found.size(), text.size());
  Entries entries;
  entries.reserve(found.size());
  for (const ExportEntry& entry : found) {
    entries.emplace_back(entry.key, read_export_value(text, entry));
    progress.advance_entry(entry.value_size);
  }
  progress.finish();
  return entries;
}

void import_entries(Session& session, const Entries& entries, bool replace) {
  session.transact([&entries, replace](Session& s) {
    if (replace) {
      std::set<std::string_view> keep;
      for (const auto& [key, value] : entries) keep.insert(key);
      for (const std::string& key : s.keys())
        if (!keep.contains(key)) s.erase(key);
    }
    Progress progress = stderr_progress("import: write", entries.size(), 0);
    for (const auto& [key, value] : entries) {
      try {
        s.set(key, value);
      } catch (const ValueError& e) {  // a key SQLite cannot hold (a lone surrogate)
        throw ValueError(fmt::format("entry {}: {}", json_string(key), e.what()));
      }
      progress.advance();
    }
    progress.finish();
  });
}

// A session file this import created must not stay behind when the import failed: the file
// was missing before, so it goes again (the lock file stays, as the lock protocol asks).
void remove_created(const std::string& file) noexcept {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    std::filesystem::remove(file + suffix, ignored);
}

int run_import(const ImportFlags& flags) {
  Entries entries;
  try {
    entries = read_document(read_input(flags.input));
  } catch (const std::exception& e) {
    return report_error("import", input_name(flags.input), e);
  }
  const std::string& file = flags.session.file;
  std::error_code error;
  const bool existed = std::filesystem::exists(file, error) || error;
  try {
    Session session = open_session(flags.session, OpenMode::create, flags.protocol);
    try {
      import_entries(session, entries, flags.replace);
    } catch (...) {
      if (!existed) {
        session.close();
        remove_created(file);
      }
      throw;
    }
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("import", file, e);
  }
}

}  // namespace

void add_export(CLI::App& app, int& status) {
  auto flags = std::make_shared<ExportFlags>();
  auto* cmd = app.add_subcommand("export", "Write a whole session file as one JSON document");
  cmd->footer(
      "Examples:\n"
      "  picklejar export state.pj -o state.json\n"
      "  picklejar export state.pj | python3 -c 'import json,sys; print(len(json.load(sys.stdin)"
      "[\"entries\"]))'\n"
      "The document is {\"picklejar_export\": 1, ..., \"entries\": {KEY: VALUE, ...}} with each\n"
      "value in the lossless tagged JSON form (docs/JSON.md, docs/CLI.md), one entry per line.\n"
      "Every entry is verified and decoded before anything is written; with -o the document\n"
      "appears under its name only once complete. A progress bar is shown on stderr when it is\n"
      "a terminal and the file has 10,000 entries or 64 MiB of pickles.\n"
      "Exit status: 0 ok, 1 failure (an entry that does not decode, ...), 2 usage, 3 locked,\n"
      "4 integrity (an entry's digest or the integrity key does not match).");
  add_session_flags(*cmd, flags->session);
  cmd->add_option("-o,--output", flags->output, "write to this file (default: standard output)");
  cmd->add_flag("--ascii", flags->ascii, "escape non-ASCII characters as \\uXXXX");
  cmd->callback([flags, &status] { status = run_export(*flags); });
}

void add_import(CLI::App& app, int& status) {
  auto flags = std::make_shared<ImportFlags>();
  auto* cmd = app.add_subcommand("import", "Store every entry of an export document in a session");
  cmd->footer(
      "Examples:\n"
      "  picklejar import state.pj state.json\n"
      "  picklejar export old.pj | picklejar import --replace new.pj -\n"
      "Every entry of the document is set, in one transaction under the session's lock,\n"
      "pickled at the file's default protocol (or --protocol); other keys stay unless\n"
      "--replace, which makes the session exactly the document. The whole document is read\n"
      "and checked first: a failed import leaves the file as it was (one that did not exist\n"
      "is not created). The file is created when missing.\n"
      "Exit status: 0 ok, 1 failure (a malformed document, ...), 2 usage, 3 locked,\n"
      "4 integrity key mismatch.");
  add_session_flags(*cmd, flags->session);
  cmd->add_option("IN", flags->input, "the export document ('-': standard input)")->required();
  cmd->add_flag("--replace", flags->replace, "also remove keys the document does not have");
  cmd->add_option("-p,--protocol", flags->protocol,
                  "pickle protocol to write, 0-5 (default: the file's default protocol)")
      ->check(CLI::Range(0, 5));
  cmd->callback([flags, &status] { status = run_import(*flags); });
}

}  // namespace picklejar::cli
