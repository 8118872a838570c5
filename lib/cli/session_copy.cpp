// `picklejar copy SRC DST`: a whole session copied between session files and stores on
// PostgreSQL servers (file -> store, store -> file, store -> store, file -> file) through
// Session::copy_from: every entry's pickle, protocol and digest byte for byte, the app schema
// version and default protocol, in one transaction on the destination. Every entry of the
// source is verified before the destination is even opened, so a damaged source leaves the
// destination as it was (a destination the copy created is removed again).

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
#include "session_common.hpp"

namespace picklejar::cli {
namespace {

struct CopyFlags {
  SessionFlags source;       // SRC, --timeout, --key-file, --follow-symlinks
  SessionFlags destination;  // DST, and --file-mode for a file it creates
  bool replace = false;
};

// Checks every entry's digest with the source's key (Session::find_pickle verifies): an
// IntegrityError names the key and the source.
void verify_source(const Session& source) {
  const std::vector<std::string> keys = source.keys();
  std::uint64_t bytes = 0;
  for (const std::string& key : keys) bytes += source.entry_info(key)->pickle_size;
  Progress progress = stderr_progress("copy: verify", keys.size(), bytes);
  for (const std::string& key : keys) {
    source.find_pickle(key);
    progress.advance_entry(source.entry_info(key)->pickle_size);
  }
  progress.finish();
}

Session open_with_key(const SessionFlags& flags, OpenMode mode,
                      const std::optional<std::string>& key) {
  SessionOptions options = session_options(flags, mode);
  options.integrity_key = key;
  return Session(flags.file, options);
}

// The destination, opened (created when missing), then made to hold the source; a
// destination it created goes again when the copy fails.
void copy_into(const CopyFlags& flags, const Session& source,
               const std::optional<std::string>& key) {
  const std::string& file = flags.destination.file;
  const bool existed = exists_now(file);
  Session destination = open_with_key(flags.destination, OpenMode::create, key);
  try {
    destination.copy_from(source, flags.replace);
  } catch (...) {
    if (!existed) {
      destination.close();
      remove_created(file, flags.destination.timeout_ms);
    }
    throw;
  }
  const SessionFileInfo info = destination.file_info();
  write_stdout(fmt::format(
      "{} -> {}: {} copied (app schema version {}, default protocol {}, {}), revision {}\n",
      one_line(shown_name(flags.source.file)), one_line(shown_name(file)),
      entries_text(destination.size()), info.app_schema_version, info.default_protocol,
      info.integrity_scheme, info.revision));
  flush_stdout();
}

int run_copy(const CopyFlags& flags) {
  std::optional<std::string> key;
  const std::string* at = &flags.source.file;  // what an error is about
  try {
    key = read_key_file(flags.source.key_file);
    std::optional<Session> source;
    source.emplace(open_with_key(flags.source, OpenMode::read_only, key));
    verify_source(*source);
    at = &flags.destination.file;
    copy_into(flags, *source, key);
  } catch (const std::exception& e) {
    if (key) std::fill(key->begin(), key->end(), '\0');
    return report_error("copy", *at, e);
  }
  if (key) std::fill(key->begin(), key->end(), '\0');
  return kExitOk;
}

}  // namespace

void add_copy(CLI::App& app, int& status) {
  auto flags = std::make_shared<CopyFlags>();
  auto* cmd = app.add_subcommand(
      "copy", "Copy a whole session between session files and stores on PostgreSQL servers");
  cmd->footer(
      "Examples:\n"
      "  picklejar copy state.pj 'postgresql://db.example/app?store=editor'\n"
      "  picklejar copy 'postgresql://db.example/app?store=editor' state.pj\n"
      "  picklejar copy --key-file app.key 'postgresql://a/app?store=x' "
      "'postgresql://b/app?store=x'\n"
      "  picklejar copy --replace state.pj 'postgresql://db.example/app?store=editor'\n"
      "Every entry is copied as it is stored (its pickle, protocol and digest, byte for byte),\n"
      "with the app schema version and default protocol, in one transaction under the\n"
      "destination's lock; the destination is created when missing, with the source's\n"
      "integrity scheme. Every entry is verified first: one that does not stops the copy\n"
      "(exit status 4) and the destination stays as it was. A destination holding entries is\n"
      "refused unless --replace, which makes it hold exactly the source (its other keys are\n"
      "removed). --key-file is the key of both sides (a copy keeps the digests; rekey the copy\n"
      "afterwards to change it). URLs are shown without their passwords.\n"
      "Exit status: 0 ok, 1 failure (a destination holding entries, ...), 2 usage, 3 locked,\n"
      "4 integrity (an entry does not verify, the key is missing or another one).");
  cmd->add_option("SRC", flags->source.file,
                  "the session file or store (postgresql://...?store=NAME) to copy")
      ->required();
  cmd->add_option("DST", flags->destination.file,
                  "the session file or store to copy into (created when missing)")
      ->required();
  cmd->add_option("--timeout", flags->source.timeout_ms,
                  "milliseconds to wait for a lock other processes hold (default 5000); then "
                  "exit status 3")
      ->check(CLI::Range(0, 86'400'000));
  cmd->add_option("--key-file", flags->source.key_file,
                  "file whose exact bytes are the integrity key (HMAC-SHA256) of the source, "
                  "and so of the destination; '-' for standard input");
  cmd->add_option("--file-mode", flags->destination.file_mode,
                  "octal permission bits (600-777) of a destination file the copy creates "
                  "(default 600 with --key-file, else 666 less the umask)");
  cmd->add_flag("--follow-symlinks", flags->source.follow_symlinks,
                "open SRC and DST even when they are symbolic links");
  cmd->add_flag("--replace", flags->replace,
                "copy into a destination holding entries, making it hold exactly the source");
  cmd->callback([flags, &status] {
    flags->destination.timeout_ms = flags->source.timeout_ms;
    flags->destination.key_file = flags->source.key_file;
    // --follow-symlinks concerns the sides that are files.
    flags->destination.follow_symlinks =
        flags->source.follow_symlinks && !is_store(flags->destination.file);
    flags->source.follow_symlinks = flags->source.follow_symlinks && !is_store(flags->source.file);
    status = run_copy(*flags);
  });
}

}  // namespace picklejar::cli
