#include "migrations.hpp"

#include <fmt/format.h>

#include <picklejar/error.hpp>

#include "format.hpp"
#include "session_impl.hpp"

namespace picklejar::store {

std::span<const FormatStep> format_steps() noexcept { return {}; }

void upgrade_format(Db& db, std::int64_t from, std::int64_t to, std::span<const FormatStep> steps) {
  std::int64_t version = from;
  while (version < to) {
    const FormatStep* next = nullptr;
    for (const FormatStep& step : steps)
      if (step.from == version && step.to <= to) next = &step;
    if (next == nullptr)
      throw FormatError(db.path(), std::nullopt,
                        fmt::format("cannot open '{}': no upgrade from file format version {} "
                                    "to {}",
                                    db.path(), version, to));
    next->apply(db);
    version = next->to;
  }
  db.exec(fmt::format("PRAGMA user_version = {}", to).c_str());
  write_meta(db, "format_version", to);
  write_meta(db, "revision", read_revision(db) + 1);
}

std::vector<const Migration*> migration_path(const std::vector<Migration>& migrations,
                                             std::int64_t from, std::int64_t to,
                                             const std::string& path) {
  std::vector<const Migration*> chain;
  std::int64_t version = from;
  while (version < to) {
    const Migration* next = nullptr;
    for (const Migration& m : migrations)
      if (m.from == version && m.to <= to) next = &m;
    if (next == nullptr)
      throw FormatError(path, std::nullopt,
                        fmt::format("cannot open '{}': no migration from app schema version {} "
                                    "(migrating to {})",
                                    path, version, to));
    chain.push_back(next);
    version = next->to;
  }
  return chain;
}

}  // namespace picklejar::store

namespace picklejar {

void store::SessionState::migrate(Session& self) {
  store::Transaction txn(*db, store::Transaction::Kind::write);
  refresh(store::Transaction::Kind::write);
  const std::int64_t to = *options.schema_version;
  if (meta.app_schema_version >= to) {  // another process got there first
    txn.commit();
    return;
  }
  const auto chain =
      store::migration_path(options.migrations, meta.app_schema_version, to, path_text);
  undo.emplace();
  in_transaction = true;
  try {
    for (const Migration* step : chain) step->apply(self);
    in_transaction = false;
    store::write_meta(*db, "app_schema_version", to);
    const auto written = write_pending(true);
    txn.commit();
    undo.reset();
    meta.app_schema_version = to;
    finish_save(*written);
  } catch (...) {
    in_transaction = false;
    rollback_undo();
    throw;
  }
}

}  // namespace picklejar
