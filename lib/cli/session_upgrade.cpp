// `picklejar upgrade` (the file format) and `picklejar convert-protocol` (every entry's
// pickle protocol). Both are one Session transaction: a failure leaves the file as it was.

#include <picklejar/session.hpp>

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "progress.hpp"
#include "session_common.hpp"

namespace picklejar::cli {
namespace {

struct UpgradeFlags {
  SessionFlags session;
};

struct ConvertProtocolFlags {
  SessionFlags session;
  int protocol = 4;
};

std::uint32_t big_endian_u32(const char* bytes) {
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  return n;
}

// The file format version in the SQLite header (PRAGMA user_version at offset 60, with the
// application id at 68: docs/FORMAT.md "Identification"), before opening changes it. Empty
// when the header is not a session file's.
std::optional<std::int64_t> header_format_version(const std::string& file) {
  std::array<char, 100> header{};
  std::ifstream in(file, std::ios::binary);
  if (!in.read(header.data(), header.size())) return std::nullopt;
  if (std::string_view(header.data(), 16) != std::string_view("SQLite format 3\0", 16))
    return std::nullopt;
  if (big_endian_u32(header.data() + 68) != 0x504A4152) return std::nullopt;
  return big_endian_u32(header.data() + 60);
}

int run_upgrade(const UpgradeFlags& flags) {
  const bool store = is_store(flags.session.file);
  const std::string file = shown_name(flags.session.file);
  try {
    // A store's format version is in its row, which opening reads (and would upgrade).
    // (0: not known, which no format version is.)
    const std::int64_t before = store ? 0 : header_format_version(flags.session.file).value_or(0);
    // Opening for writing upgrades an older format, in one transaction (Session).
    const Session session = open_session(flags.session, OpenMode::read_write);
    const std::int64_t after = session.file_info().format_version;
    const char* what = store ? "store" : "file";
    if (before > 0 && before < after) {
      write_stdout(fmt::format("{}: upgraded from {} format version {} to {}\n", one_line(file),
                               what, before, after));
    } else {
      write_stdout(fmt::format("{}: {} format version {} is current; nothing to do\n",
                               one_line(file), what, after));
    }
    flush_stdout();
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("upgrade", flags.session.file, e);
  }
}

int run_convert_protocol(const ConvertProtocolFlags& flags) {
  const std::string file = shown_name(flags.session.file);
  try {
    Session session = open_session(flags.session, OpenMode::read_write);
    const std::vector<std::string> keys = session.keys();
    std::uint64_t bytes = 0;
    for (const std::string& key : keys) bytes += session.entry_info(key)->pickle_size;
    // Decoding first shows progress and finds a bad entry before the write transaction;
    // convert_protocol() re-encodes the values the session now caches.
    Progress progress = stderr_progress("convert-protocol: decode", keys.size(), bytes);
    for (const std::string& key : keys) {
      session.get(key);
      progress.advance_entry(session.entry_info(key)->pickle_size);
    }
    progress.finish();
    session.convert_protocol(flags.protocol);
    write_stdout(
        fmt::format("{}: {} re-encoded with pickle protocol {}, now the file's default "
                    "protocol\n",
                    one_line(file), entries_text(keys.size()), flags.protocol));
    flush_stdout();
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("convert-protocol", flags.session.file, e);
  }
}

}  // namespace

void add_upgrade(CLI::App& app, int& status) {
  auto flags = std::make_shared<UpgradeFlags>();
  auto* cmd = app.add_subcommand("upgrade", "Upgrade a session file to this picklejar's format");
  cmd->footer(
      "Example:\n"
      "  picklejar upgrade state.pj\n"
      "  state.pj: upgraded from file format version 1 to 2\n"
      "An older file format is upgraded in one transaction under the session's lock (a\n"
      "failure leaves the file as it was). A file of a newer format than this picklejar's is\n"
      "refused and left untouched. The application's own schema version (app_schema_version)\n"
      "is the application's to migrate.\n"
      "Exit status: 0 ok, 1 failure (not a session file, a newer format), 2 usage, 3 locked,\n"
      "4 integrity key mismatch.");
  add_session_flags(*cmd, flags->session);
  cmd->callback([flags, &status] { status = run_upgrade(*flags); });
}

void add_convert_protocol(CLI::App& app, int& status) {
  auto flags = std::make_shared<ConvertProtocolFlags>();
  auto* cmd = app.add_subcommand("convert-protocol",
                                 "Re-encode every entry of a session file with a pickle protocol");
  cmd->footer(
      "Example (let Python 2.7 read the file):\n"
      "  picklejar convert-protocol state.pj 2\n"
      "  state.pj: 3 entries re-encoded with pickle protocol 2, now the file's default protocol\n"
      "Every entry is verified and decoded, then re-encoded and written in one transaction\n"
      "under the session's lock; if any entry fails (it does not verify or decode, or the\n"
      "protocol cannot express it) nothing is written. A progress bar is shown on stderr when\n"
      "it is a terminal and the file has 10,000 entries or 64 MiB of pickles.\n"
      "Exit status: 0 ok, 1 failure, 2 usage, 3 locked, 4 integrity.");
  add_session_flags(*cmd, flags->session);
  cmd->add_option("PROTOCOL", flags->protocol, "pickle protocol, 0-5")
      ->required()
      ->check(CLI::Range(0, 5));
  cmd->callback([flags, &status] { status = run_convert_protocol(*flags); });
}

}  // namespace picklejar::cli
