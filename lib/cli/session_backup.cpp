// `picklejar backup` and `picklejar restore`: a complete copy of a live session file, and a
// backup (one of SessionOptions::keep_backups' automatic ones, or any copy) put back.

#include <picklejar/session.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

#include "commands.hpp"
#include "session_common.hpp"

namespace picklejar::cli {
namespace {

struct BackupFlags {
  SessionFlags session;
  std::string out;
};

struct RestoreFlags {
  SessionFlags session;
  std::string backup;  // empty: the newest automatic backup
  std::string directory;
  bool list = false;
};

std::string quoted_keys(const std::vector<std::string>& keys) {
  std::string out;
  for (std::size_t i = 0; i < keys.size() && i < 10; ++i)
    out += (i == 0 ? "'" : ", '") + one_line(keys[i]) + "'";
  return keys.size() > 10 ? out + ", ..." : out;
}

int run_backup(const BackupFlags& flags) {
  try {
    refuse_store(flags.session.file,
                 "backup copies a session file with SQLite's VACUUM INTO; `picklejar copy URL "
                 "FILE` copies a store into a session file (pg_dump backs up the whole database)");
    if (is_store(flags.out))
      throw std::runtime_error(fmt::format(
          "'{}' is a store on a PostgreSQL server: backup writes a session file; `picklejar "
          "copy FILE URL` copies a session file into a store",
          shown_name(flags.out)));
    const Session session = open_session(flags.session, OpenMode::read_only);
    const BackupInfo info = session.backup_to(flags.out);
    write_stdout(fmt::format("{} -> {}: revision {}, {}, {} bytes\n", one_line(flags.session.file),
                             one_line(flags.out), info.revision, entries_text(info.entries),
                             info.bytes));
    flush_stdout();
    if (info.unverified_keys.empty()) return kExitOk;
    fmt::print(stderr,
               "picklejar backup: {}: {} of the file do not verify and were copied as they "
               "are: {} (picklejar verify shows why)\n",
               one_line(flags.out), entries_text(info.unverified_keys.size()),
               quoted_keys(info.unverified_keys));
    return kExitIntegrity;
  } catch (const std::exception& e) {
    return report_error("backup", flags.session.file, e);
  }
}

int list_backups_of(const RestoreFlags& flags) {
  std::string out;
  for (const BackupFile& backup : list_backups(flags.session.file, flags.directory)) {
    std::error_code error;
    const auto size = std::filesystem::file_size(backup.path, error);
    out += fmt::format("{}  {:>10}  {}\n", format_time(backup.time, false), error ? 0 : size,
                       one_line(backup.path.string()));
  }
  write_stdout(out);
  flush_stdout();
  return kExitOk;
}

std::filesystem::path chosen_backup(const RestoreFlags& flags) {
  if (!flags.backup.empty()) return flags.backup;
  const auto backups = list_backups(flags.session.file, flags.directory);
  if (backups.empty())
    throw std::runtime_error(fmt::format(
        "no backups of '{}' in {} (SessionOptions::keep_backups makes them; name one to "
        "restore any session file)",
        flags.session.file, flags.directory.empty() ? "its directory" : flags.directory));
  return backups.front().path;
}

int run_restore(const RestoreFlags& flags) {
  try {
    refuse_store(flags.session.file,
                 "restore puts back a session file's backups; `picklejar copy --replace BACKUP "
                 "URL` makes a store hold what a session file holds");
    if (is_store(flags.backup))
      throw std::runtime_error(fmt::format(
          "'{}' is a store on a PostgreSQL server: restore reads a session file; `picklejar "
          "copy --replace URL FILE` makes a session file hold what a store holds",
          shown_name(flags.backup)));
    if (flags.list) return list_backups_of(flags);
    const std::filesystem::path backup = chosen_backup(flags);
    std::error_code error;
    const bool existed = std::filesystem::file_size(flags.session.file, error) > 0 && !error;
    Session session = open_session(flags.session, OpenMode::create);
    std::string before;
    if (existed) {  // the state being replaced goes into the series too: a restore is undone
      const auto saved = session.backup_to(next_backup_path(flags.session.file, flags.directory));
      before = fmt::format("; the state before is in {}", one_line(saved.path.string()));
    }
    session.restore_from(backup);
    const SessionFileInfo info = session.file_info();
    write_stdout(fmt::format("{}: restored {} from {} (app schema version {}){}\n",
                             one_line(flags.session.file), entries_text(info.entries),
                             one_line(backup.string()), info.app_schema_version, before));
    flush_stdout();
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("restore", flags.session.file, e);
  }
}

}  // namespace

void add_backup(CLI::App& app, int& status) {
  auto flags = std::make_shared<BackupFlags>();
  auto* cmd = app.add_subcommand("backup", "Copy a session file, even one in use, completely");
  cmd->footer(
      "Examples:\n"
      "  picklejar backup state.pj state-2026-12-07.pj\n"
      "  picklejar backup --key-file app.key state.pj /backups/state.pj\n"
      "The copy is SQLite's VACUUM INTO under the session's shared lock: one consistent\n"
      "state of the file while other processes keep reading and writing it, with every\n"
      "committed save (no -wal file to bring along), compacted. It is written under a\n"
      "temporary name, synced, checked (SQLite's integrity check, the format, every entry's\n"
      "digest), given the file's permissions and then renamed to OUT, replacing a file there.\n"
      "cp of a file in use can miss saves still in its -wal file, or copy half a write.\n"
      "Exit status: 0 ok, 1 failure, 2 usage, 3 locked, 4 integrity (the key does not match;\n"
      "or entries that do not verify, which the backup holds as the file does).");
  add_session_flags(*cmd, flags->session);
  cmd->add_option("OUT", flags->out, "the backup file to write")->required();
  cmd->callback([flags, &status] { status = run_backup(*flags); });
}

void add_restore(CLI::App& app, int& status) {
  auto flags = std::make_shared<RestoreFlags>();
  auto* cmd = app.add_subcommand("restore", "Put a backup of a session file back");
  cmd->footer(
      "Examples:\n"
      "  picklejar restore state.pj                  # the newest automatic backup\n"
      "  picklejar restore --list state.pj           # time (UTC), size, path; newest first\n"
      "  picklejar restore state.pj state-2026-12-07.pj\n"
      "Without BACKUP, the newest of the automatic backups an application keeps\n"
      "(SessionOptions::keep_backups: FILE.backup-<UTC time> beside FILE, or in\n"
      "--backup-dir). The file's current state is first backed up into the same series, so a\n"
      "restore can be undone by restoring again. The restore is one transaction under the\n"
      "session's lock, seen by running programs as a save: the backup's entries (exactly),\n"
      "app schema version and default protocol; keys the backup lacks are removed. Every\n"
      "entry of the backup is verified first; a failure restores nothing.\n"
      "Exit status: 0 ok, 1 failure (no backup, not a session file, ...), 2 usage, 3 locked,\n"
      "4 integrity (an entry of the backup does not verify, another key).");
  add_session_flags(*cmd, flags->session);
  cmd->add_option("BACKUP", flags->backup,
                  "the session file to restore (default: the newest "
                  "automatic backup)");
  cmd->add_option("--backup-dir", flags->directory,
                  "where the automatic backups are (default: FILE's directory)");
  cmd->add_flag("--list", flags->list, "list the automatic backups instead, newest first");
  cmd->callback([flags, &status] { status = run_restore(*flags); });
}

}  // namespace picklejar::cli
