#pragma once
// What the session-file verbs (ls, get, set, rm, info, verify, export, import, upgrade,
// convert-protocol) share: the FILE argument and the --timeout/--key-file options, opening
// the session, and the texts of times, counts and keys (reports and output: input.hpp).

#include <picklejar/session.hpp>

#include <CLI/CLI.hpp>

#include <exception>
#include <string>
#include <string_view>

#include "input.hpp"

namespace picklejar::cli {

struct SessionFlags {
  std::string file;
  int timeout_ms = 5000;
  std::string key_file;   // empty: no integrity key
  std::string file_mode;  // octal; empty: SessionOptions' default
  bool follow_symlinks = false;
};

// Adds FILE (required) and --timeout, --key-file.
void add_session_flags(CLI::App& cmd, SessionFlags& flags);

// Opens flags.file with the integrity key read from --key-file (its exact bytes) and the lock
// timeout from --timeout. Throws what Session's constructor throws, and std::runtime_error
// for an unreadable or empty key file.
Session open_session(const SessionFlags& flags, OpenMode mode,
                     std::optional<int> protocol = std::nullopt, const DecodeOptions& decode = {});

// The integrity key in `key_file` (its exact bytes; "-": standard input), or empty for "".
// Throws std::runtime_error for an unreadable or empty key file.
std::optional<std::string> read_key_file(const std::string& key_file);

// A session file a writing verb created must not stay behind when the verb failed: the file
// was missing before, so it goes again (the lock file stays, as the lock protocol asks).
void remove_created(const std::string& file) noexcept;

// "2026-11-26T11:38:27.123456Z" (UTC), or without the fraction: "2026-11-26T11:38:27Z".
std::string format_time(std::chrono::system_clock::time_point time, bool with_microseconds = true);

// "1 entry", "2 entries".
std::string entries_text(std::size_t n);

// `text` (UTF-8) as a JSON string literal. Throws ValueError when it is not UTF-8.
std::string json_string(std::string_view text);

}  // namespace picklejar::cli
