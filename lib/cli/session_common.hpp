#pragma once
// What the session verbs (ls, get, set, rm, info, verify, export, import, upgrade,
// convert-protocol, copy, ...) share: the FILE argument — a session file, or a store on a
// PostgreSQL server named by its postgresql:// URL — and the --timeout/--key-file options,
// opening the session, and the texts of times, counts and keys (reports and output:
// input.hpp).

#include <picklejar/session.hpp>

#include <CLI/CLI.hpp>

#include <exception>
#include <string>
#include <string_view>

#include "input.hpp"

namespace picklejar::cli {

struct SessionFlags {
  std::string file;  // a path, or a postgresql:// URL (which may hold a password)
  int timeout_ms = 5000;
  std::string key_file;   // empty: no integrity key
  std::string file_mode;  // octal; empty: SessionOptions' default
  bool follow_symlinks = false;
};

// Adds FILE (required) and --timeout, --key-file.
void add_session_flags(CLI::App& cmd, SessionFlags& flags);

// Opens flags.file with the integrity key read from --key-file (its exact bytes) and the lock
// timeout from --timeout. Throws what Session's constructor throws, and std::runtime_error
// for an unreadable or empty key file, and for --file-mode or --follow-symlinks with a store.
Session open_session(const SessionFlags& flags, OpenMode mode,
                     std::optional<int> protocol = std::nullopt, const DecodeOptions& decode = {});
// The options open_session() opens with, but the integrity key (the caller's). Throws
// std::runtime_error as open_session().
SessionOptions session_options(const SessionFlags& flags, OpenMode mode);

// Whether `file` names a store on a server (a postgresql:// or postgres:// URL).
bool is_store(const std::string& file);
// `file` as people see it: a path as given, a store's URL without its password.
std::string shown_name(const std::string& file);
// For what only a session file has: throws std::runtime_error "'URL' is a store on a
// PostgreSQL server: <why>" when `file` names a store; report_error() prefixes the verb.
void refuse_store(const std::string& file, std::string_view why);

// Whether the session file or store exists now (a store: PostgreSQL's row of it; its server
// is asked). For verbs that create it, so that they remove what they created on failure.
bool exists_now(const std::string& file);

// The integrity key in `key_file` (its exact bytes; "-": standard input), or empty for "".
// Throws std::runtime_error for an unreadable or empty key file.
std::optional<std::string> read_key_file(const std::string& key_file);

// A session file a writing verb created must not stay behind when the verb failed: the file
// was missing before, so it goes again (the lock file stays, as the lock protocol asks). A
// store goes with delete_store(), waiting up to timeout_ms for its lock.
void remove_created(const std::string& file, int timeout_ms = 5000) noexcept;

// "2026-11-26T11:38:27.123456Z" (UTC), or without the fraction: "2026-11-26T11:38:27Z".
std::string format_time(std::chrono::system_clock::time_point time, bool with_microseconds = true);

// "1 entry", "2 entries".
std::string entries_text(std::size_t n);

// `text` (UTF-8) as a JSON string literal. Throws ValueError when it is not UTF-8.
std::string json_string(std::string_view text);

}  // namespace picklejar::cli
