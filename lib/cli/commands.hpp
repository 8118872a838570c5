#pragma once
// The picklejar command's verbs. Every session verb takes a session file or a store on a
// PostgreSQL server (postgresql://...?store=NAME) where it takes FILE. Each add_* registers a
// subcommand on the app; the callback it installs returns the process exit status through `status`.

#include <CLI/CLI.hpp>

namespace picklejar::cli {

// Exit statuses, documented in the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the input is bad (decode error) or unreadable
inline constexpr int kExitUsage = 2;    // wrong arguments
// Session files (README, docs/CLI.md):
inline constexpr int kExitLocked = 3;     // another process held the lock past --timeout
inline constexpr int kExitIntegrity = 4;  // a digest/HMAC or the integrity key does not match,
                                          // or verify found a damaged entry, database or schema

void add_dump(CLI::App& app, int& status);
void add_dis(CLI::App& app, int& status);
// scan_command.cpp
void add_scan(CLI::App& app, int& status);
// convert_commands.cpp: convert, to-json, from-json
void add_convert(CLI::App& app, int& status);
void add_to_json(CLI::App& app, int& status);
void add_from_json(CLI::App& app, int& status);
// session_commands.cpp: ls, get, set, rm
void add_ls(CLI::App& app, int& status);
void add_get(CLI::App& app, int& status);
void add_set(CLI::App& app, int& status);
void add_rm(CLI::App& app, int& status);
// session_info.cpp
void add_info(CLI::App& app, int& status);
// session_verify.cpp
void add_verify(CLI::App& app, int& status);
// session_transfer.cpp: export, import
void add_export(CLI::App& app, int& status);
void add_import(CLI::App& app, int& status);
// session_upgrade.cpp: upgrade, convert-protocol
void add_upgrade(CLI::App& app, int& status);
void add_convert_protocol(CLI::App& app, int& status);
// session_backup.cpp: backup, restore
void add_backup(CLI::App& app, int& status);
void add_restore(CLI::App& app, int& status);
// session_maintenance.cpp: vacuum, rekey
void add_vacuum(CLI::App& app, int& status);
void add_rekey(CLI::App& app, int& status);
// session_copy.cpp
void add_copy(CLI::App& app, int& status);
// store_commands.cpp: stores, delete-store
void add_stores(CLI::App& app, int& status);
void add_delete_store(CLI::App& app, int& status);

}  // namespace picklejar::cli
