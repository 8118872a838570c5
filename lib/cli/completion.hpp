#pragma once
// What the command says about itself: `picklejar completion bash|zsh` (shell completion
// scripts generated from the CLI11 definitions of every verb, installed with the command),
// and the message for a verb that does not exist.

#include <CLI/CLI.hpp>

#include <optional>

namespace picklejar::cli {

void add_completion(CLI::App& app, int& status);

// When argv[1] is neither an option nor a verb: prints "picklejar: unknown command 'X'" and
// the verbs on stderr, and returns the usage exit status; nullopt otherwise.
std::optional<int> check_verb(CLI::App& app, int argc, char** argv);

}  // namespace picklejar::cli
