// The picklejar command: look inside pickles, session files and stores.

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "completion.hpp"

int main(int argc, char** argv) {
  CLI::App app{"picklejar: Python pickles and session files, read safely from C++"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "picklejar " PICKLEJAR_CLI_VERSION);
  int status = picklejar::cli::kExitOk;
  picklejar::cli::add_dump(app, status);
  picklejar::cli::add_dis(app, status);
  picklejar::cli::add_scan(app, status);
  picklejar::cli::add_convert(app, status);
  picklejar::cli::add_to_json(app, status);
  picklejar::cli::add_from_json(app, status);
  picklejar::cli::add_ls(app, status);
  picklejar::cli::add_get(app, status);
  picklejar::cli::add_set(app, status);
  picklejar::cli::add_rm(app, status);
  picklejar::cli::add_info(app, status);
  picklejar::cli::add_verify(app, status);
  picklejar::cli::add_export(app, status);
  picklejar::cli::add_import(app, status);
  picklejar::cli::add_upgrade(app, status);
  picklejar::cli::add_convert_protocol(app, status);
  picklejar::cli::add_backup(app, status);
  picklejar::cli::add_restore(app, status);
  picklejar::cli::add_vacuum(app, status);
  picklejar::cli::add_rekey(app, status);
  picklejar::cli::add_copy(app, status);
  picklejar::cli::add_stores(app, status);
  picklejar::cli::add_delete_store(app, status);
  picklejar::cli::add_completion(app, status);
  if (const auto status_for_verb = picklejar::cli::check_verb(app, argc, argv)) {
    return *status_for_verb;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : picklejar::cli::kExitUsage;
  }
  return status;
}
