// `picklejar stores URL` and `picklejar delete-store URL`: the stores of a PostgreSQL database
// as a whole (picklejar/stores.hpp), listed or deleted one at a time.

#include <picklejar/stores.hpp>

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "session_common.hpp"

namespace picklejar::cli {
namespace {

struct StoresFlags {
  std::string url;
  bool json = false;
};

struct DeleteStoreFlags {
  std::string url;
  int timeout_ms = 5000;
  bool missing_ok = false;
};

std::string store_json(const StoreInfo& store) {
  return fmt::format(
      "{{\"name\":{},\"format_version\":{},\"revision\":{},\"modified\":\"{}\","
      "\"integrity_scheme\":{}}}",
      json_string(store.name), store.format_version, store.revision, format_time(store.modified),
      json_string(store.integrity_scheme));
}

int run_stores(const StoresFlags& flags) {
  try {
    const std::vector<StoreInfo> stores = list_stores(flags.url);
    std::string out = flags.json ? "[" : "";
    for (const StoreInfo& store : stores) {
      if (flags.json) {
        out += (out.size() == 1 ? "\n  " : ",\n  ") + store_json(store);
      } else {
        out += fmt::format("{:>10}  {}  {:<11}  {}\n", store.revision,
                           format_time(store.modified, false), store.integrity_scheme,
                           one_line(store.name));
      }
    }
    if (flags.json) out += stores.empty() ? "]\n" : "\n]\n";
    write_stdout(out);
    flush_stdout();
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("stores", flags.url, e);
  }
}

int run_delete_store(const DeleteStoreFlags& flags) {
  try {
    const bool deleted =
        delete_store(flags.url, std::chrono::milliseconds(flags.timeout_ms), flags.missing_ok);
    write_stdout(fmt::format("{}: {}\n", one_line(shown_name(flags.url)),
                             deleted ? "deleted" : "no such store; nothing deleted"));
    flush_stdout();
    return kExitOk;
  } catch (const std::exception& e) {
    return report_error("delete-store", flags.url, e);
  }
}

}  // namespace

void add_stores(CLI::App& app, int& status) {
  auto flags = std::make_shared<StoresFlags>();
  auto* cmd = app.add_subcommand("stores", "List the session stores of a PostgreSQL database");
  cmd->footer(
      "Examples:\n"
      "  picklejar stores postgresql://db.example/app\n"
      "           7  2026-12-07T22:10:41Z  sha256       editor\n"
      "           0  2026-12-07T21:02:13Z  hmac-sha256  worker state\n"
      "  picklejar stores --json postgresql://db.example/app   # [{\"name\", \"format_version\",\n"
      "                                                    #   \"revision\", \"modified\", ...}]\n"
      "One line per store, by name in code point order: its revision (0 until the first\n"
      "save), when it was last saved (UTC; its creation before that), its integrity scheme and\n"
      "its name (control characters as \\xNN; --json for the exact text). URL names the\n"
      "database, without ?store= (libpq's PG* variables and ~/.pgpass fill in what it leaves\n"
      "out). A database without picklejar tables has no stores; nothing is created.\n"
      "Exit status: 0 ok, 1 failure (no server, a URL naming a store, ...), 2 usage.");
  cmd->add_option("URL", flags->url, "the database: postgresql://[user@]host[:port]/db")
      ->required();
  cmd->add_flag("--json", flags->json,
                "a JSON array of {name, format_version, revision, modified, integrity_scheme}");
  cmd->callback([flags, &status] { status = run_stores(*flags); });
}

void add_delete_store(CLI::App& app, int& status) {
  auto flags = std::make_shared<DeleteStoreFlags>();
  auto* cmd = app.add_subcommand("delete-store",
                                 "Delete a session store, with all its entries, from a database");
  cmd->footer(
      "Examples:\n"
      "  picklejar delete-store 'postgresql://db.example/app?store=editor'\n"
      "  postgresql://db.example/app?store=editor: deleted\n"
      "  picklejar delete-store --missing-ok 'postgresql://db.example/app?store=old'\n"
      "The store's row, entries and tombstones go in one transaction, which waits for the\n"
      "store's lock like a save (sessions saving to it finish first), up to --timeout.\n"
      "Programs with the store open fail their next load or save (\"was deleted\"). There is\n"
      "no undo: `picklejar copy URL FILE` first keeps a copy.\n"
      "Exit status: 0 ok, 1 failure (no such store without --missing-ok, ...), 2 usage,\n"
      "3 locked.");
  cmd->add_option("URL", flags->url, "the store: postgresql://[user@]host[:port]/db?store=NAME")
      ->required();
  cmd->add_option("--timeout", flags->timeout_ms,
                  "milliseconds to wait for the store's lock (default 5000); then exit status 3")
      ->check(CLI::Range(0, 86'400'000));
  cmd->add_flag("--missing-ok", flags->missing_ok, "a missing store is not an error");
  cmd->callback([flags, &status] { status = run_delete_store(*flags); });
}

}  // namespace picklejar::cli
