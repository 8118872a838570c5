#pragma once
// The picklejar command's verbs. Each add_* registers a subcommand on the app; the callback it
// installs returns the process exit status through `status`.

#include <CLI/CLI.hpp>

namespace picklejar::cli {

// Exit statuses, documented in the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the input is bad (decode error) or unreadable
inline constexpr int kExitUsage = 2;    // wrong arguments

void add_dump(CLI::App& app, int& status);
void add_dis(CLI::App& app, int& status);
// convert_commands.cpp: convert, to-json, from-json
void add_convert(CLI::App& app, int& status);
void add_to_json(CLI::App& app, int& status);
void add_from_json(CLI::App& app, int& status);

}  // namespace picklejar::cli
