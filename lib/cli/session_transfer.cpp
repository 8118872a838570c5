// `picklejar export` and `import`: a whole session as one JSON document (export_document.hpp,
// docs/CLI.md) and back. Export checks and decodes every entry before writing a byte; import
// reads the whole document before touching the file, then writes every entry in one
// transaction, so a failure on either side leaves the file (and the output name) as it was.

#include <sys/stat.h>

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
#include "readable.hpp"
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
  std::optional<std::int64_t> schema_version;  // default: the document's
  bool force = false;  // import into a file of another app schema version, keeping it
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

// -o naming the session file itself (or one of SQLite's files next to it) would replace it; -o
// naming a store would make a local file of that name.
void refuse_overwriting(const ExportFlags& flags) {
  if (is_store(flags.output))
    throw std::runtime_error(fmt::format(
        "-o '{}' is a store: export writes a JSON document to a file (`picklejar copy` copies "
        "a session into a store, `picklejar import` loads a document into one)",
        shown_name(flags.output)));
  if (flags.output.empty() || flags.output == "-" || is_store(flags.session.file)) return;
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
    // The export holds what the session holds: it keeps the session file's permission bits
    // (issue 15: a private session must not become a world-readable export); a store's, whose
    // readers the database decides, is the owner's alone.
    struct stat source {};
    std::optional<unsigned> mode;
    if (is_store(flags.session.file)) {
      mode = 0600;
    } else if (::stat(flags.session.file.c_str(), &source) == 0) {
      mode = source.st_mode & 0777;
    }
    OutputFile out(flags.output, mode);
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

Entries read_document(const std::string& text, ExportFacts& facts) {
  const std::vector<ExportEntry> found = split_export(text, &facts);
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

std::runtime_error other_schema_version(const ImportFlags& flags, std::int64_t current,
                                        std::int64_t wanted) {
  return std::runtime_error(fmt::format(
      "'{}' has app schema version {} and the document {}: nothing imported "
      "(--schema-version N imports and sets the file's version to N; --force imports and "
      "keeps {})",
      shown_name(flags.session.file), current, wanted, current));
}

// The app schema version the import leaves the file at: the document's (or --schema-version)
// for a file it creates or when told; an existing file of another version is refused unless
// --force, which keeps the file's.
void settle_schema_version(Session& s, const ImportFlags& flags, std::int64_t wanted,
                           bool created) {
  const std::int64_t current = s.file_info().app_schema_version;
  if (current == wanted) return;
  if (created || flags.schema_version) {
    s.set_app_schema_version(wanted);
  } else if (!flags.force) {
    throw other_schema_version(flags, current, wanted);
  }
}

// Refuses an existing file of another app schema version before the read-write open, which
// would switch a rollback-mode file to WAL and make its lock file: a refused file is left byte
// for byte as it was (FORMAT.md). settle_schema_version checks again in the transaction, for
// a file another process changes in between.
void refuse_other_schema_version(const ImportFlags& flags, std::int64_t wanted) {
  if (flags.schema_version || flags.force) return;
  std::int64_t current = 0;
  try {
    current = open_session(flags.session, OpenMode::read_only).file_info().app_schema_version;
  } catch (const std::exception&) {
    return;  // what a reader cannot open, the read-write open reports (or upgrades)
  }
  if (current != wanted) throw other_schema_version(flags, current, wanted);
}

void import_entries(Session& session, const Entries& entries, const ImportFlags& flags,
                    std::int64_t wanted_schema, bool created) {
  const bool replace = flags.replace;
  session.transact([&](Session& s) {
    settle_schema_version(s, flags, wanted_schema, created);
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
      require_readable(*s.find_pickle(key, false), DecodeOptions{},
                       fmt::format("entry {}", json_string(key)));
      progress.advance();
    }
    progress.finish();
  });
}

int run_import(const ImportFlags& flags) {
  Entries entries;
  ExportFacts facts;
  try {
    entries = read_document(read_input(flags.input), facts);
  } catch (const std::exception& e) {
    return report_error("import", input_name(flags.input), e);
  }
  const std::string& file = flags.session.file;
  bool existed = true;
  try {
    existed = exists_now(file);
  } catch (const std::exception& e) {
    return report_error("import", file, e);
  }
  const std::int64_t wanted_schema =
      flags.schema_version.value_or(facts.app_schema_version.value_or(0));
  // A file the import creates gets the document's default protocol; one that exists keeps
  // its own (-p decides for both).
  const std::optional<int> protocol =
      flags.protocol ? flags.protocol : (existed ? std::nullopt : facts.default_protocol);
  try {
    if (existed) refuse_other_schema_version(flags, wanted_schema);
    Session session = open_session(flags.session, OpenMode::create, protocol);
    try {
      import_entries(session, entries, flags, wanted_schema, !existed);
    } catch (...) {
      if (!existed) {
        session.close();
        remove_created(file, flags.session.timeout_ms);
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
  auto* cmd =
      app.add_subcommand("export", "Write a whole session file or store as one JSON document");
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
  auto* cmd = app.add_subcommand(
      "import", "Store every entry of an export document in a session file or store");
  cmd->footer(
      "Examples:\n"
      "  picklejar import state.pj state.json\n"
      "  picklejar export old.pj | picklejar import --replace new.pj -\n"
      "  picklejar import --schema-version 2 new.pj state.json\n"
      "Every entry of the document is set, in one transaction under the session's lock,\n"
      "pickled at the file's default protocol (or --protocol); other keys stay unless\n"
      "--replace, which makes the session exactly the document. A file the import creates\n"
      "gets the document's app_schema_version and default_protocol, so the application opens\n"
      "a restored file as it left it. An existing file of another app schema version is\n"
      "refused unless --schema-version N (set the file's to N) or --force (keep the file's).\n"
      "The whole document is read and checked first: a failed import leaves the file as it\n"
      "was (one that did not exist is not created). The file is created when missing.\n"
      "Exit status: 0 ok, 1 failure (a malformed document, another schema version, ...),\n"
      "2 usage, 3 locked, 4 integrity key mismatch.");
  add_session_flags(*cmd, flags->session);
  cmd->add_option("IN", flags->input, "the export document ('-': standard input)")->required();
  cmd->add_flag("--replace", flags->replace, "also remove keys the document does not have");
  cmd->add_option("-p,--protocol", flags->protocol,
                  "pickle protocol to write, 0-5 (default: the file's default protocol)")
      ->check(CLI::Range(0, 5));
  CLI::Option* schema = cmd->add_option("--schema-version", flags->schema_version,
                                        "the app schema version the file gets (default: the "
                                        "document's)");
  cmd->add_flag("--force", flags->force,
                "import into a file of another app schema version, keeping its version")
      ->excludes(schema);
  cmd->callback([flags, &status] { status = run_import(*flags); });
}

}  // namespace picklejar::cli
