// `picklejar verify`: check a whole session file — its schema, SQLite's integrity check, every
// entry's digest (SHA-256 or HMAC-SHA256), and a decode of every entry by the safe decoder —
// and list every problem, not just the first.

#include <picklejar/error.hpp>
#include <picklejar/session.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "progress.hpp"
#include "scan_report.hpp"
#include "session_common.hpp"

namespace picklejar::cli {
namespace {

struct VerifyFlags {
  SessionFlags session;
  bool strict = false;
  std::vector<std::string> allowed_globals;
  bool json = false;
};

struct Findings {
  std::vector<std::string> lines;  // one per problem
  std::size_t bad_entries = 0;
  bool database_ok = true;
};

void check_database(const Session& session, Findings& found) {
  try {
    for (const std::string& problem : session.check_database()) {
      found.lines.push_back("database: " + one_line(problem));
      found.database_ok = false;
    }
  } catch (const SqliteError& e) {  // a database too damaged to check
    found.lines.push_back("database: " + one_line(e.what()));
    found.database_ok = false;
  }
}

std::string json_strings(const std::vector<std::string>& lines) {
  std::string out = "[";
  for (const std::string& line : lines) out += (out.size() == 1 ? "" : ",") + json_string(line);
  return out + "]";
}

std::uint64_t pickle_bytes(const Session& session, const std::vector<std::string>& keys) {
  std::uint64_t total = 0;
  for (const std::string& key : keys) total += session.entry_info(key)->pickle_size;
  return total;
}

// Verifies and decodes each entry (Session::find does both, digest first); with --strict,
// scans it for globals outside the allowlist (scan_report.hpp, as `picklejar scan` does).
void check_entries(const Session& session, const VerifyFlags& flags, Findings& found) {
  const std::vector<std::string> keys = session.keys();
  Progress progress = stderr_progress("verify", keys.size(), pickle_bytes(session, keys));
  const DecodeOptions allowlist = allowlist_options(flags.allowed_globals);
  for (const std::string& key : keys) {
    try {
      session.find(key);
      if (flags.strict) {
        const auto outside = globals_outside_allowlist(session, key, allowlist);
        found.lines.insert(found.lines.end(), outside.begin(), outside.end());
        found.bad_entries += outside.empty() ? 0 : 1;
      }
    } catch (const IntegrityError& e) {
      found.lines.push_back(one_line(e.what()));
      ++found.bad_entries;
    } catch (const DecodeError& e) {
      found.lines.push_back(one_line(e.what()));
      ++found.bad_entries;
    }
    progress.advance_entry(session.entry_info(key)->pickle_size);
  }
  progress.finish();
}

// When opening was refused for the schema (FormatError): lists every object the format does
// not allow, one line each, and returns kExitIntegrity; empty when the schema is not why.
std::optional<int> report_schema(const VerifyFlags& flags) {
  const std::string& file = flags.session.file;
  std::vector<std::string> problems;
  try {
    SessionOptions options;
    options.lock_timeout = std::chrono::milliseconds(flags.session.timeout_ms);
    options.follow_symlinks = flags.session.follow_symlinks;
    problems = Session::schema_problems(file, options);
  } catch (const std::exception&) {
    return std::nullopt;  // the refusal stands as reported
  }
  if (problems.empty()) return std::nullopt;
  std::string out;
  for (const std::string& problem : problems) out += "schema: " + one_line(problem) + "\n";
  out += fmt::format("{}: schema refused ({} {}); entries not checked\n", one_line(file),
                     problems.size(), problems.size() == 1 ? "problem" : "problems");
  if (flags.json) {
    out = fmt::format("{{\"file\":{},\"ok\":false,\"schema_problems\":{},\"checked\":false}}\n",
                      json_string(file), json_strings(problems));
  }
  write_stdout(out);
  flush_stdout();
  fmt::print(stderr,
             "picklejar verify: {}: its schema holds objects a session file may not hold (or "
             "lacks its own); nothing in it was read\n",
             one_line(file));
  return kExitIntegrity;
}

int run_verify(const VerifyFlags& flags) {
  const std::string file = shown_name(flags.session.file);
  // A store's tables are the server's to check (it checksums its own pages); its schema is
  // not a file's either.
  const bool store = is_store(flags.session.file);
  try {
    std::optional<Session> opened;
    try {
      opened.emplace(open_session(flags.session, OpenMode::read_only));
    } catch (const FormatError&) {
      if (store) throw;
      if (const auto status = report_schema(flags)) return *status;
      throw;
    }
    const Session& session = *opened;
    Findings found;
    if (!store) check_database(session, found);
    check_entries(session, flags, found);
    std::string out;
    for (const std::string& line : found.lines) out += line + "\n";
    out += fmt::format(
        "{}: {}, {} bad; {}\n", one_line(file), entries_text(session.size()), found.bad_entries,
        store ? "a store: its database is the server's to check"
              : fmt::format("SQLite integrity check: {}", found.database_ok ? "ok" : "FAILED"));
    if (flags.json) {
      out = fmt::format(
          "{{\"{}\":{},\"ok\":{},\"entries\":{},\"bad_entries\":{},\"database_ok\":{},"
          "\"problems\":{}}}\n",
          store ? "store" : "file", json_string(file), found.lines.empty(), session.size(),
          found.bad_entries, store ? "null" : (found.database_ok ? "true" : "false"),
          json_strings(found.lines));
    }
    write_stdout(out);
    flush_stdout();
    if (found.lines.empty()) return kExitOk;
    fmt::print(stderr, "picklejar verify: {}: {} of {} entries failed verification{}\n",
               one_line(file), found.bad_entries, session.size(),
               found.database_ok ? "" : ", and SQLite's integrity check failed");
    return kExitIntegrity;
  } catch (const std::exception& e) {
    return report_error("verify", flags.session.file, e);
  }
}

}  // namespace

void add_verify(CLI::App& app, int& status) {
  auto flags = std::make_shared<VerifyFlags>();
  auto* cmd =
      app.add_subcommand("verify", "Check every entry and the database of a session file or store");
  cmd->footer(
      "Examples:\n"
      "  picklejar verify state.pj\n"
      "  state.pj: 3 entries, 0 bad; SQLite integrity check: ok\n"
      "  picklejar verify --key-file app.key --strict --allow-global myapp.Window state.pj\n"
      "Checks the schema (no triggers, views, virtual tables or objects docs/FORMAT.md does\n"
      "not define: each one is a 'schema:' line, and nothing else is read), SQLite's PRAGMA\n"
      "integrity_check, every entry's SHA-256 (or HMAC-SHA256 with\n"
      "--key-file), and decodes every entry with the safe decoder (nothing is imported or\n"
      "run). Each problem is one line on stdout naming the key and why, then a summary line.\n"
      "A pickle naming a class or function decodes to an inert record and passes, unless\n"
      "--strict: then only the names given with --allow-global (and plain data such as sets\n"
      "and OrderedDict) pass. A progress bar is shown on stderr when it is a terminal and the\n"
      "file has 10,000 entries or 64 MiB of pickles. A store (postgresql://...?store=NAME) has\n"
      "no file schema or SQLite database to check: its entries are checked as a file's.\n"
      "What passing proves: with --key-file, each entry was written by a holder of the key,\n"
      "under its key name, in this file (its file id); without a key, only that nothing was\n"
      "damaged by accident. What it cannot tell: an entry rolled back to an older version of\n"
      "this file's, deleted or brought back; the whole file replaced by an older state of\n"
      "itself or by another file with the same key (compare 'file id' of `picklejar info`\n"
      "with one kept elsewhere); changed meta rows or tombstones (docs/FORMAT.md\n"
      "\"Integrity\").\n"
      "Exit status: 0 all good, 4 a problem was found (or the integrity key does not match),\n"
      "1 the file could not be checked (not a session file, ...), 2 usage, 3 locked.");
  add_session_flags(*cmd, flags->session);
  cmd->add_flag("--strict", flags->strict,
                "fail entries that name classes or functions outside --allow-global (what "
                "Python's pickle.loads would import, and maybe call)");
  cmd->add_option("--allow-global", flags->allowed_globals,
                  "with --strict: a module.qualname that may appear (repeatable)");
  cmd->add_flag("--json", flags->json,
                "print one JSON object: {file, ok, entries, bad_entries, database_ok, problems}");
  cmd->callback([flags, &status] { status = run_verify(*flags); });
}

}  // namespace picklejar::cli
