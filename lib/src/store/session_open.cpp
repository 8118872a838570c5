// Opening a session: the options checked, the backend opened (it creates, upgrades and
// refuses what it must: sqlite/open.cpp for a file, postgres/postgres_open.cpp for a
// postgresql:// URL), the first load before anything else changes the
// store, the backend made ready, the app schema migrated, and the first look.

#include <fmt/format.h>

#include <set>

#include <picklejar/session.hpp>

#include "postgres/postgres_backend.hpp"
#include "session_impl.hpp"
#include "sqlite/sqlite_backend.hpp"

namespace picklejar {
namespace {

void validate_options(const SessionOptions& options) {
  if (options.protocol && (*options.protocol < 0 || *options.protocol > 5))
    throw ValueError(
        fmt::format("SessionOptions::protocol must be 0-5, not {}", *options.protocol));
  if (options.lock_timeout.count() < 0)
    throw ValueError("SessionOptions::lock_timeout must not be negative");
  if (options.file_mode &&
      ((*options.file_mode & ~0777u) != 0 || (*options.file_mode & 0600u) != 0600))
    throw ValueError(
        fmt::format("SessionOptions::file_mode must be 0600-0777 with owner read and "
                    "write, not 0{:o}",
                    *options.file_mode));
  if (!options.migrations.empty() && !options.schema_version)
    throw ValueError("SessionOptions::migrations need a schema_version to migrate to");
  std::set<std::int64_t> froms;
  for (const Migration& m : options.migrations) {
    if (m.to <= m.from || !m.apply)
      throw ValueError(
          fmt::format("migration {} -> {} must go up and have a function", m.from, m.to));
    if (!froms.insert(m.from).second)
      throw ValueError(fmt::format("two migrations start at schema version {}", m.from));
  }
}

}  // namespace

Session::Session(const std::filesystem::path& path, const SessionOptions& options) {
  validate_options(options);
  std::optional<store::StoreUrl> url;
  if (store::is_store_url(path)) url = store::parse_store_url(path.native());
  // A store on a server is named by its URL without the password, from the start.
  impl_ = std::make_unique<store::SessionState>(url ? std::filesystem::path(url->shown) : path,
                                                options);
  store::SessionState& s = *impl_;
  const store::OpenRequest request{s.path, s.path_text, s.options, s.signer};
  store::OpenPlan plan;
  if (url) {
    auto [backend, found] = store::PostgresBackend::open(request, *url);
    s.path = s.path_text = backend->name();  // with the server as libpq connected
    s.backend = std::move(backend);
    plan = found;
  } else {
    auto [backend, found] = store::SqliteBackend::open(request);
    s.backend = std::move(backend);
    plan = found;
  }
  {  // the first load before anything else changes the store: one refused here stays as it was
    const auto txn = s.backend->begin(store::TxnKind::read);
    s.refresh(store::TxnKind::read);
    txn->commit();
  }
  s.backend->ready();
  if (plan.migrate) s.migrate(*this);
  const auto txn = s.backend->begin(store::TxnKind::read);
  s.refresh(store::TxnKind::read);
  s.begin_looking();
  txn->commit();
}

std::vector<std::string> Session::schema_problems(const std::filesystem::path& path,
                                                  const SessionOptions& options) {
  validate_options(options);
  if (store::is_store_url(path)) {  // never a local file of that name
    const std::string shown = store::shown_url(path.native());
    throw StoreError(shown, std::nullopt,
                     fmt::format("cannot check the schema of '{}': it is a store on a "
                                 "PostgreSQL server, whose tables the server keeps",
                                 shown));
  }
  return store::sqlite_schema_problems(path, options);
}

}  // namespace picklejar
