// `picklejar info`: what a session file or store is — versions, integrity, size, journal,
// writers.

#include <picklejar/session.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "session_common.hpp"

namespace picklejar::cli {
namespace {

struct InfoFlags {
  SessionFlags session;
  bool json = false;
};

std::uintmax_t size_or_zero(const std::string& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

// (name, text shown, JSON value) of every fact, in the order shown.
struct Fact {
  std::string label;
  std::string text;
  std::string json;
};

std::string optional_json(const std::optional<std::string>& text) {
  return text ? json_string(*text) : "null";
}

std::vector<Fact> facts(const Session& session, const std::string& file) {
  const SessionFileInfo info = session.file_info();
  std::uint64_t pickle_bytes = 0;
  for (const std::string& key : session.keys())
    pickle_bytes += session.entry_info(key)->pickle_size;
  const std::string writer =
      info.writer_app.empty() ? info.writer : fmt::format("{} ({})", info.writer, info.writer_app);
  auto number = [](auto n) { return std::to_string(n); };
  // A store is named as the library connected to it (host, port, database), without the
  // password; it has no file sizes of its own (the server's storage is the server's).
  const bool store = is_store(file);
  const std::string name = store ? session.path().string() : file;
  std::vector<Fact> all = {
      {store ? "store" : "file", name, json_string(name)},
      {"format version", number(info.format_version), number(info.format_version)},
      {"app schema version", number(info.app_schema_version), number(info.app_schema_version)},
      {"integrity scheme", info.integrity_scheme, json_string(info.integrity_scheme)},
      {"key id", info.key_id.value_or("-"), optional_json(info.key_id)},
      {"file id", info.file_id.empty() ? "-" : info.file_id,
       info.file_id.empty() ? "null" : json_string(info.file_id)},
      {"default protocol", number(info.default_protocol), number(info.default_protocol)},
      {"entries", number(session.size()), number(session.size())},
      {"pickle bytes", number(pickle_bytes), number(pickle_bytes)},
  };
  if (!store) {
    const std::uintmax_t file_bytes = size_or_zero(file);
    const std::uintmax_t wal_bytes = size_or_zero(file + "-wal");
    all.push_back({"file bytes", number(file_bytes), number(file_bytes)});
    all.push_back({"wal bytes", number(wal_bytes), number(wal_bytes)});
  }
  std::vector<Fact> rest = {
      {"journal mode", info.journal_mode, json_string(info.journal_mode)},
      {"revision", number(info.revision), number(info.revision)},
      {"created", format_time(info.created, false), json_string(format_time(info.created))},
      {"created by", info.created_by, json_string(info.created_by)},
      {"modified", format_time(info.modified, false), json_string(format_time(info.modified))},
      {"last writer", writer, json_string(info.writer)},
      {"last writer app", info.writer_app, json_string(info.writer_app)},
  };
  all.insert(all.end(), rest.begin(), rest.end());
  return all;
}

std::string json_name(std::string label) {
  for (char& c : label)
    if (c == ' ') c = '_';
  return label;
}

std::string render(const std::vector<Fact>& all, bool json) {
  std::string out = json ? "{" : "";
  for (const Fact& fact : all) {
    if (json) {
      out += fmt::format("{}\n  \"{}\": {}", out.size() > 1 ? "," : "", json_name(fact.label),
                         fact.json);
    } else if (fact.label != "last writer app") {  // shown with "last writer"
      out += fmt::format("{:<20}{}\n", fact.label + ":", one_line(fact.text));
    }
  }
  return json ? out + "\n}\n" : out;
}

int run_info(const InfoFlags& flags) {
  try {
    const Session session = open_session(flags.session, OpenMode::read_only);
    write_stdout(render(facts(session, flags.session.file), flags.json));
    flush_stdout();
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("info", flags.session.file, e);
  }
}

}  // namespace

void add_info(CLI::App& app, int& status) {
  auto flags = std::make_shared<InfoFlags>();
  auto* cmd = app.add_subcommand("info", "Describe a session file or store");
  cmd->footer(
      "Example:\n"
      "  picklejar info state.pj\n"
      "  file:               state.pj\n"
      "  format version:     2\n"
      "  app schema version: 0\n"
      "  integrity scheme:   sha256\n"
      "  ...\n"
      "  last writer:        picklejar-cpp 0.1.0 (editor)\n"
      "--json prints the same facts as one JSON object (times with microseconds). The file is\n"
      "opened read-only; a file of a newer format that this picklejar may read is described.\n"
      "A store (postgresql://...?store=NAME) shows 'store:' with its URL as connected, never\n"
      "its password, journal mode 'postgresql', and no file sizes.\n"
      "Exit status: 0 ok, 1 failure (not a session file, ...), 2 usage, 3 locked, 4 integrity\n"
      "key mismatch.");
  add_session_flags(*cmd, flags->session);
  cmd->add_flag("--json", flags->json, "one JSON object");
  cmd->callback([flags, &status] { status = run_info(*flags); });
}

}  // namespace picklejar::cli
