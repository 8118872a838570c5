#include "session_common.hpp"

#include <picklejar/error.hpp>
#include <picklejar/json.hpp>
#include <picklejar/stores.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "commands.hpp"
#include "input.hpp"

namespace picklejar::cli {

std::optional<std::string> read_key_file(const std::string& key_file) {
  if (key_file.empty()) return std::nullopt;
  std::string key;
  try {
    key = read_input(key_file);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("key file '{}': {}", input_name(key_file), e.what()));
  }
  if (key.empty())
    throw std::runtime_error(fmt::format("key file '{}' is empty", input_name(key_file)));
  return key;
}

void add_session_flags(CLI::App& cmd, SessionFlags& flags) {
  cmd.add_option("FILE", flags.file,
                 "session file, or a store: postgresql://[user@]host[:port]/db?store=NAME")
      ->required();
  cmd.add_option("--timeout", flags.timeout_ms,
                 "milliseconds to wait for a lock other processes hold (default 5000); then "
                 "exit status 3")
      ->check(CLI::Range(0, 86'400'000));
  cmd.add_option("--key-file", flags.key_file,
                 "file whose exact bytes are the integrity key (HMAC-SHA256) the session was "
                 "created with; '-' for standard input");
  cmd.add_option("--file-mode", flags.file_mode,
                 "octal permission bits (600-777) of the files a new session gets, e.g. 600 "
                 "for secrets (default 600 with --key-file, else 666 less the umask)");
  cmd.add_flag("--follow-symlinks", flags.follow_symlinks,
               "open FILE even when it is a symbolic link (default: refuse, so a link another "
               "user planted cannot redirect the write)");
}

bool is_store(const std::string& file) { return is_store_url(file); }

std::string shown_name(const std::string& file) {
  return is_store(file) ? url_without_password(file) : file;
}

void refuse_store(const std::string& file, std::string_view why) {
  if (is_store(file))
    throw std::runtime_error(
        fmt::format("'{}' is a store on a PostgreSQL server: {}", shown_name(file), why));
}

SessionOptions session_options(const SessionFlags& flags, OpenMode mode) {
  if (!flags.file_mode.empty())
    refuse_store(flags.file,
                 "--file-mode is for session files (a store's tables are guarded by "
                 "the database's privileges: GRANT)");
  if (flags.follow_symlinks) refuse_store(flags.file, "--follow-symlinks is for session files");
  SessionOptions options;
  options.mode = mode;
  options.lock_timeout = std::chrono::milliseconds(flags.timeout_ms);
  options.app_name = "picklejar command";
  options.follow_symlinks = flags.follow_symlinks;
  if (!flags.file_mode.empty()) {
    std::size_t used = 0;
    unsigned long bits = 0;
    try {
      bits = std::stoul(flags.file_mode, &used, 8);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != flags.file_mode.size() || bits > 0777)
      throw std::runtime_error(fmt::format(
          "--file-mode must be octal permission bits such as 600, not '{}'", flags.file_mode));
    options.file_mode = static_cast<unsigned>(bits);
  }
  return options;
}

Session open_session(const SessionFlags& flags, OpenMode mode, std::optional<int> protocol,
                     const DecodeOptions& decode) {
  SessionOptions options = session_options(flags, mode);
  options.integrity_key = read_key_file(flags.key_file);
  options.protocol = protocol;
  options.decode = decode;
  Session session(flags.file, options);
  if (options.integrity_key)
    std::fill(options.integrity_key->begin(), options.integrity_key->end(), '\0');
  return session;
}

bool exists_now(const std::string& file) {
  if (is_store(file)) return find_store(file).has_value();
  std::error_code error;
  return std::filesystem::exists(file, error) || error;
}

void remove_created(const std::string& file, int timeout_ms) noexcept {
  if (is_store(file)) {
    try {
      delete_store(file, std::chrono::milliseconds(timeout_ms), true);
    } catch (const std::exception& e) {  // the verb's own error is the one reported
      fmt::print(stderr, "picklejar: could not remove the store it created: {}\n",
                 one_line(e.what()));
    }
    return;
  }
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    std::filesystem::remove(file + suffix, ignored);
}

std::string format_time(std::chrono::system_clock::time_point time, bool with_microseconds) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(time.time_since_epoch()).count();
  auto seconds = static_cast<std::time_t>(us / 1'000'000);
  auto fraction = us % 1'000'000;
  if (fraction < 0) {
    fraction += 1'000'000;
    --seconds;
  }
  std::tm tm{};
  if (gmtime_r(&seconds, &tm) == nullptr) return fmt::format("@{}us", us);
  std::string text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900,
                                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (with_microseconds) text += fmt::format(".{:06}", fraction);
  return text + "Z";
}

std::string entries_text(std::size_t n) {
  return fmt::format("{} {}", n, n == 1 ? "entry" : "entries");
}

std::string json_string(std::string_view text) { return to_json(Value(text)); }

}  // namespace picklejar::cli
