// `picklejar vacuum` (give erased entries' space back) and `picklejar rekey` (re-sign every
// entry with another integrity key, or none).

#include <picklejar/session.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "commands.hpp"
#include "session_common.hpp"

namespace picklejar::cli {
namespace {

struct VacuumFlags {
  SessionFlags session;
};

struct RekeyFlags {
  SessionFlags session;  // key_file: --old-key-file
  std::string new_key_file;
};

std::uintmax_t size_on_disk(const std::string& file) {
  std::uintmax_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(file + suffix, error);
    if (!error) total += size;
  }
  return total;
}

int run_vacuum(const VacuumFlags& flags) {
  const std::string& file = flags.session.file;
  try {
    refuse_store(file,
                 "vacuum rewrites a session file; the server reclaims a store's space itself "
                 "(autovacuum, or VACUUM picklejar.entry run by its owner)");
    Session session = open_session(flags.session, OpenMode::read_write);
    const std::uintmax_t before = size_on_disk(file);
    session.vacuum();
    write_stdout(fmt::format("{}: {} -> {} bytes (with its -wal file)\n", one_line(file), before,
                             size_on_disk(file)));
    flush_stdout();
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("vacuum", file, e);
  }
}

int run_rekey(const RekeyFlags& flags) {
  const std::string& file = flags.session.file;
  const std::string shown = shown_name(file);
  if (flags.session.key_file.empty() && flags.new_key_file.empty()) {
    fmt::print(stderr,
               "picklejar rekey: give --old-key-file (the file's key now), --new-key-file "
               "(its key from now on), or both\n");
    return kExitUsage;
  }
  try {
    std::optional<std::string> key = read_key_file(flags.new_key_file);
    Session session = open_session(flags.session, OpenMode::read_write);
    session.rekey(key ? std::optional<std::string_view>(*key) : std::nullopt);
    if (key) std::fill(key->begin(), key->end(), '\0');
    const SessionFileInfo info = session.file_info();
    write_stdout(fmt::format("{}: {} signed {}\n", one_line(shown), entries_text(info.entries),
                             info.key_id ? "with key id " + *info.key_id + " (hmac-sha256)"
                                         : std::string("without a key (sha256)")));
    flush_stdout();
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("rekey", file, e);
  }
}

}  // namespace

void add_vacuum(CLI::App& app, int& status) {
  auto flags = std::make_shared<VacuumFlags>();
  auto* cmd = app.add_subcommand("vacuum", "Give the space of erased entries back");
  cmd->footer(
      "Examples:\n"
      "  picklejar vacuum state.pj        # state.pj: 41544296 -> 200704 bytes (with its -wal)\n"
      "SQLite's VACUUM under the session's exclusive lock, then a checkpoint that truncates the\n"
      "-wal file. It rewrites the whole file (and needs that much free space meanwhile);\n"
      "entries and the revision stay as they are. Programs reading the file keep reading; the\n"
      "file shrinks once none of them reads an older state.\n"
      "Exit status: 0 ok, 1 failure, 2 usage, 3 locked, 4 integrity key mismatch.");
  add_session_flags(*cmd, flags->session);
  cmd->callback([flags, &status] { status = run_vacuum(*flags); });
}

void add_rekey(CLI::App& app, int& status) {
  auto flags = std::make_shared<RekeyFlags>();
  auto* cmd = app.add_subcommand("rekey", "Re-sign every entry with another integrity key");
  cmd->footer(
      "Examples:\n"
      "  picklejar rekey state.pj --old-key-file old.key --new-key-file new.key\n"
      "  picklejar rekey state.pj --new-key-file app.key    # a file without a key gets one\n"
      "  picklejar rekey state.pj --old-key-file app.key    # and loses it again\n"
      "Every entry is verified with the old key (none: SHA-256) and signed with the new one\n"
      "(none: SHA-256), in one transaction under the session's lock that also records the\n"
      "new key id: an entry that does not verify stops it, and nothing is written. Programs\n"
      "that have the file open must open it again with the new key. Key files hold the key's\n"
      "exact bytes ('-': standard input, for one of the two).\n"
      "Exit status: 0 ok, 1 failure, 2 usage, 3 locked, 4 integrity (an entry does not\n"
      "verify, or the old key is not the file's).");
  cmd->add_option("FILE", flags->session.file,
                  "session file, or a store: postgresql://[user@]host[:port]/db?store=NAME")
      ->required();
  cmd->add_option("--timeout", flags->session.timeout_ms,
                  "milliseconds to wait for a lock other processes hold (default 5000); then "
                  "exit status 3")
      ->check(CLI::Range(0, 86'400'000));
  cmd->add_option("--old-key-file,--key-file", flags->session.key_file,
                  "the file's integrity key now (default: none, SHA-256 digests)");
  cmd->add_option("--new-key-file", flags->new_key_file,
                  "the integrity key from now on (default: none, SHA-256 digests)");
  cmd->callback([flags, &status] { status = run_rekey(*flags); });
}

}  // namespace picklejar::cli
