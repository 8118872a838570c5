#include "migrations.hpp"

#include <fmt/format.h>

#include <picklejar/error.hpp>

#include "session_impl.hpp"

namespace picklejar::store {

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
  const auto txn = backend->begin(store::TxnKind::write);
  refresh(store::TxnKind::write);
  const std::int64_t to = *options.schema_version;
  if (meta.app_schema_version >= to) {  // another process got there first
    txn->commit();
    return;
  }
  const auto chain =
      store::migration_path(options.migrations, meta.app_schema_version, to, path_text);
  view.begin_undo();
  in_transaction = true;
  try {
    for (const Migration* step : chain) step->apply(self);
    in_transaction = false;
    store::Meta target = meta;
    target.app_schema_version = to;
    auto written = write_pending(true, target);
    txn->commit();
    view.end_undo();
    finish_save(std::move(*written));
  } catch (...) {
    in_transaction = false;
    rollback_undo();
    throw;
  }
}

}  // namespace picklejar
