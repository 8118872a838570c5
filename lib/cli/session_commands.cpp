// `picklejar ls`, `get`, `set` and `rm`: look at and edit the entries of a session file.
// Reads open the file read_only; writes go through Session (the exclusive lock, one SQLite
// transaction, the file's digests), so a failed one writes nothing.

#include <picklejar/error.hpp>
#include <picklejar/json.hpp>
#include <picklejar/pickle.hpp>
#include <picklejar/repr.hpp>
#include <picklejar/scan.hpp>
#include <picklejar/session.hpp>

#include <fmt/format.h>

#include <unistd.h>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "commands.hpp"
#include "input.hpp"
#include "readable.hpp"
#include "scan_report.hpp"
#include "session_common.hpp"
#include "type_change.hpp"
#include "value_text.hpp"

namespace picklejar::cli {
namespace {

struct LsFlags {
  SessionFlags session;
  bool long_format = false;
  bool json = false;
};

struct GetFlags {
  SessionFlags session;
  std::string key;
  std::string format = "repr";
  bool compact = false;
  bool readable = false;
  bool unverified = false;
  bool expand = false;
};

struct SetFlags {
  SessionFlags session;
  std::string key;
  std::optional<std::string> json;
  std::string json_file;
  std::string pickle_file;
  std::optional<int> protocol;
  std::optional<std::int64_t> schema_version;  // a new file's; an existing one must have it
  bool force = false;
};

struct RmFlags {
  SessionFlags session;
  std::vector<std::string> keys;
  bool force = false;
  bool json = false;
};

std::string ls_json_line(const std::string& key, const EntryInfo& info) {
  return fmt::format(
      "{{\"key\":{},\"size\":{},\"protocol\":{},\"revision\":{},\"modified\":\"{}\"}}",
      json_string(key), info.pickle_size, info.protocol, info.revision, format_time(info.modified));
}

int run_ls(const LsFlags& flags) {
  try {
    const Session session = open_session(flags.session, OpenMode::read_only);
    std::string out = flags.json ? "[" : "";
    bool first = true;
    for (const std::string& key : session.keys()) {
      const EntryInfo info = *session.entry_info(key);
      if (flags.json) {
        out += (first ? "\n  " : ",\n  ") + ls_json_line(key, info);
      } else if (flags.long_format) {
        out += fmt::format("{:>10}  p{}  {}  {}\n", info.pickle_size, info.protocol,
                           format_time(info.modified, false), one_line(key));
      } else {
        out += one_line(key) + "\n";
      }
      first = false;
    }
    if (flags.json) out += first ? "]\n" : "\n]\n";
    write_stdout(out);
    flush_stdout();
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("ls", flags.session.file, e);
  }
}

int run_get(const GetFlags& flags) {
  const bool pickle = flags.format == "pickle";
  if (flags.unverified && !pickle) {
    fmt::print(stderr,
               "picklejar get: --unverified needs --format pickle (only the stored "
               "bytes can be shown without checking them)\n");
    return kExitUsage;
  }
  if (pickle && isatty(fileno(stdout)) != 0) {
    fmt::print(stderr,
               "picklejar get: refusing to write a binary pickle to a terminal; redirect "
               "standard output to a file or a pipe\n");
    return kExitUsage;
  }
  try {
    const Session session = open_session(flags.session, OpenMode::read_only);
    if (pickle) {
      const auto bytes = session.find_pickle(flags.key, !flags.unverified);
      if (!bytes)
        throw LookupError(
            fmt::format("key '{}' not in session '{}'", flags.key, shown_name(flags.session.file)));
      write_stdout(*bytes);
    } else if (flags.format == "json") {
      JsonOptions options;
      options.indent = flags.compact ? -1 : 2;
      options.readable = flags.readable;
      write_stdout(to_json(session.get(flags.key), options) + "\n");
    } else {
      std::string text;
      const bool labelled = append_repr(text, session.get(flags.key), repr_options(flags.expand));
      write_stdout(text + "\n");
      const std::string name = one_line(shown_name(flags.session.file));
      if (labelled) print_labels_note("get", name);
      // What Python would act on that the value does not show, as dump says it. The scan
      // decodes again, with the options the session decoded with (open_session's default).
      const ScanResult scanned = scan(*session.find_pickle(flags.key), DecodeOptions{});
      for (const std::string& line : hidden_actions(scanned))
        fmt::print(stderr, "picklejar get: {}: key '{}': warning: {}\n", name, one_line(flags.key),
                   line);
    }
    flush_stdout();
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("get", flags.session.file, e);
  }
}

// The value `set` stores, from exactly one of its sources.
Value read_value(const SetFlags& flags) {
  if (flags.json) {
    try {
      return from_json(*flags.json, json_read_options());
    } catch (const JsonError& e) {
      throw std::runtime_error(fmt::format("--json: {}", e.what()));
    }
  }
  const std::string& file = flags.json_file.empty() ? flags.pickle_file : flags.json_file;
  try {
    const std::string data = read_input(file);
    return flags.json_file.empty() ? loads(data) : from_json(data, json_read_options());
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{}: {}", input_name(file), e.what()));
  }
}

// Refuses a file of another app schema version before the read-write open, which would
// switch a rollback-mode file to WAL and make its lock file: a refused file is left byte for
// byte as it was (FORMAT.md). The check inside the transaction stays, for a file another
// process changes in between.
void refuse_other_schema_version(const SetFlags& flags) {
  std::int64_t current = 0;
  try {
    current = open_session(flags.session, OpenMode::read_only).file_info().app_schema_version;
  } catch (const std::exception&) {
    return;  // what a reader cannot open, the read-write open reports (or upgrades)
  }
  if (current != *flags.schema_version)
    throw std::runtime_error(fmt::format("'{}' has app schema version {}, not {}: nothing set",
                                         shown_name(flags.session.file), current,
                                         *flags.schema_version));
}

int run_set(const SetFlags& flags) {
  const int sources = (flags.json ? 1 : 0) + (flags.json_file.empty() ? 0 : 1) +
                      (flags.pickle_file.empty() ? 0 : 1);
  if (sources != 1) {
    fmt::print(stderr,
               "picklejar set: give the value with exactly one of --json, --json-file "
               "and --pickle-file\n");
    return kExitUsage;
  }
  try {
    const Value value = read_value(flags);
    // A file of 0 bytes is made a session file as if missing (its schema version is new).
    std::error_code error;
    const bool store = is_store(flags.session.file);
    const bool was_missing = !exists_now(flags.session.file);
    const bool existed =
        store ? !was_missing : std::filesystem::file_size(flags.session.file, error) > 0 && !error;
    if (existed && flags.schema_version) refuse_other_schema_version(flags);
    Session session = open_session(flags.session, OpenMode::create, flags.protocol);
    try {
      session.transact([&](Session& s) {
        if (flags.schema_version) {
          const std::int64_t current = s.file_info().app_schema_version;
          if (existed && current != *flags.schema_version)
            throw std::runtime_error(
                fmt::format("'{}' has app schema version {}, not {}: nothing set",
                            shown_name(flags.session.file), current, *flags.schema_version));
          s.set_app_schema_version(*flags.schema_version);
        }
        if (!flags.force) check_same_type(s, flags.key, value);
        s.set(flags.key, value);
        require_readable(*s.find_pickle(flags.key, false), DecodeOptions{},
                         fmt::format("key '{}'", one_line(flags.key)));
      });
    } catch (const std::exception&) {
      if (was_missing) {
        session.close();
        remove_created(flags.session.file, flags.session.timeout_ms);
      }
      throw;
    }
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("set", flags.session.file, e);
  }
}

std::string quoted_list(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& key : keys) out += (out.empty() ? "'" : ", '") + key + "'";
  return out;
}

std::string json_array(const std::vector<std::string>& keys) {
  std::string out = "[";
  for (const std::string& key : keys) out += (out.size() == 1 ? "" : ",") + json_string(key);
  return out + "]";
}

int run_rm(const RmFlags& flags) {
  try {
    Session session = open_session(flags.session, OpenMode::read_write);
    // Under the exclusive lock, against the file as it is now: either every key goes or, when
    // one is missing (without --force), none does.
    std::vector<std::string> removed, missing;
    session.transact([&](Session& s) {
      removed.clear(), missing.clear();
      for (const std::string& key : flags.keys) (s.erase(key) ? removed : missing).push_back(key);
      if (!missing.empty() && !flags.force)
        throw LookupError(fmt::format("{} {} not in session '{}'; nothing removed",
                                      missing.size() == 1 ? "key" : "keys", quoted_list(missing),
                                      shown_name(flags.session.file)));
    });
    if (flags.json) {
      write_stdout(fmt::format("{{\"removed\":{},\"missing\":{}}}\n", json_array(removed),
                               json_array(missing)));
      flush_stdout();
    }
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("rm", flags.session.file, e);
  }
}

}  // namespace

void add_ls(CLI::App& app, int& status) {
  auto flags = std::make_shared<LsFlags>();
  auto* cmd = app.add_subcommand("ls", "List the keys of a session file or store");
  cmd->footer(
      "Examples:\n"
      "  picklejar ls state.pj\n"
      "  picklejar ls 'postgresql://db.example/app?store=editor'\n"
      "  picklejar ls --long state.pj     # size in bytes, protocol, modified (UTC), key\n"
      "        1234  p4  2026-11-26T11:38:27Z  window\n"
      "  picklejar ls --json state.pj     # [{\"key\": ..., \"size\": ..., \"protocol\": ...,\n"
      "                                   #   \"revision\": ..., \"modified\": ...}, ...]\n"
      "Keys are in code point order; control characters in them print as \\xNN (use --json\n"
      "for the exact text). The file is opened read-only.\n"
      "Exit status: 0 ok, 1 failure, 2 usage, 3 locked, 4 integrity key mismatch.");
  add_session_flags(*cmd, flags->session);
  auto* long_flag = cmd->add_flag("-l,--long", flags->long_format,
                                  "size, protocol and modification time of each entry");
  cmd->add_flag("--json", flags->json, "a JSON array of {key, size, protocol, revision, modified}")
      ->excludes(long_flag);
  cmd->callback([flags, &status] { status = run_ls(*flags); });
}

void add_get(CLI::App& app, int& status) {
  auto flags = std::make_shared<GetFlags>();
  auto* cmd = app.add_subcommand("get", "Print one entry of a session file");
  cmd->footer(
      "Examples:\n"
      "  picklejar get state.pj window                    # {'x': 10, 'y': 20}\n"
      "  picklejar get --format json state.pj window      # tagged JSON (docs/JSON.md)\n"
      "  picklejar get --format json --readable state.pj recent > r.json   # edit, then\n"
      "  picklejar set state.pj recent --json-file r.json\n"
      "  picklejar get --format pickle state.pj window | picklejar dis\n"
      "  picklejar get --format pickle --unverified state.pj broken > broken.pickle\n"
      "The entry's digest is checked and its pickle decoded by the safe decoder: nothing named\n"
      "in it is imported or run. --format pickle writes the stored bytes (never to a\n"
      "terminal); with --unverified even when the digest does not match, to inspect damage.\n"
      "An object that appears more than once is printed as Python prints it while that stays\n"
      "small, else once as #1=... and then as #1# (--expand: always in full). As with dump,\n"
      "a warning on stderr names each call the pickle discards and each global the value\n"
      "does not hold (Python would still make or import it).\n"
      "Exit status: 0 ok, 1 failure (missing key, undecodable entry), 2 usage, 3 locked,\n"
      "4 integrity (the entry's digest or the integrity key does not match).");
  add_session_flags(*cmd, flags->session);
  cmd->add_option("KEY", flags->key, "the entry's key")->required();
  cmd->add_option("-f,--format", flags->format,
                  "repr (Python's repr, default), json (tagged JSON) or pickle (stored bytes)")
      ->check(CLI::IsMember({"repr", "json", "pickle"}));
  cmd->add_flag("--compact", flags->compact, "with --format json: one line, no spaces");
  cmd->add_flag("--readable", flags->readable,
                "with --format json: datetimes, Decimals, UUIDs, paths and plain instances in "
                "readable forms, for editing and `set --json-file` (docs/JSON.md)");
  add_expand_flag(*cmd, flags->expand);
  cmd->add_flag("--unverified", flags->unverified,
                "with --format pickle: write the bytes even if the digest does not match");
  cmd->callback([flags, &status] { status = run_get(*flags); });
}

void add_set(CLI::App& app, int& status) {
  auto flags = std::make_shared<SetFlags>();
  auto* cmd = app.add_subcommand("set", "Store one entry in a session file");
  cmd->footer(
      "Examples:\n"
      "  picklejar set state.pj window --json '{\"x\": 10, \"size\": {\"$tuple\": [640, 480]}}'\n"
      "  picklejar get --format json state.pj window > w.json    # edit w.json, then\n"
      "  picklejar set state.pj window --json-file w.json\n"
      "  python3 -c 'import pickle,sys; sys.stdout.buffer.write(pickle.dumps({1, 2}))' \\\n"
      "    | picklejar set state.pj numbers --pickle-file -\n"
      "The value is written like Session::set() and save(): under the session's lock, in one\n"
      "transaction, with its digest, pickled at the file's default protocol (or --protocol).\n"
      "A pickle given with --pickle-file is decoded by the safe decoder and re-encoded. The\n"
      "file is created when missing, with app schema version --schema-version N (default 0:\n"
      "an application declaring a schema_version migrates it from 0); with --schema-version\n"
      "an existing file must have that version. A value of another Python type than the entry\n"
      "holds (a dict for a WindowGeometry instance, a list for a tuple) is refused unless\n"
      "--force.\n"
      "Exit status: 0 ok, 1 failure, 2 usage, 3 locked, 4 integrity key mismatch.");
  add_session_flags(*cmd, flags->session);
  cmd->add_option("KEY", flags->key, "the entry's key")->required();
  auto* json = cmd->add_option("--json", flags->json, "the value as (tagged) JSON text");
  auto* json_file = cmd->add_option("--json-file", flags->json_file,
                                    "the value as (tagged) JSON in a file ('-': standard input)");
  auto* pickle_file = cmd->add_option("--pickle-file", flags->pickle_file,
                                      "the value as a pickle in a file ('-': standard input)");
  json->excludes(json_file)->excludes(pickle_file);
  json_file->excludes(pickle_file);
  cmd->add_option("-p,--protocol", flags->protocol,
                  "pickle protocol to write, 0-5 (default: the file's default protocol)")
      ->check(CLI::Range(0, 5));
  cmd->add_option("--schema-version", flags->schema_version,
                  "the app schema version of a file set creates (default 0); an existing file "
                  "must have it");
  cmd->add_flag("--force", flags->force,
                "store the value even when it changes the entry's Python type");
  cmd->callback([flags, &status] { status = run_set(*flags); });
}

void add_rm(CLI::App& app, int& status) {
  auto flags = std::make_shared<RmFlags>();
  auto* cmd = app.add_subcommand("rm", "Remove entries from a session file");
  cmd->footer(
      "Examples:\n"
      "  picklejar rm state.pj window recent_files\n"
      "  picklejar rm --force state.pj maybe_there\n"
      "  picklejar rm --json --force state.pj a b   # {\"removed\":[\"a\"],\"missing\":[\"b\"]}\n"
      "Every key is removed in one transaction under the session's lock. A key that is not\n"
      "there is an error (nothing is removed) unless --force.\n"
      "Exit status: 0 ok, 1 failure (a missing key), 2 usage, 3 locked, 4 integrity key\n"
      "mismatch.");
  add_session_flags(*cmd, flags->session);
  cmd->add_option("KEY", flags->keys, "keys to remove")->required();
  cmd->add_flag("-f,--force", flags->force, "ignore keys that are not there");
  cmd->add_flag("--json", flags->json,
                "print {\"removed\": [keys], \"missing\": [keys]} (missing: with --force)");
  cmd->callback([flags, &status] { status = run_rm(*flags); });
}

}  // namespace picklejar::cli
