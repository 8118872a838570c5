#include "sqlite.hpp"

#include <fmt/format.h>

#include <picklejar/error.hpp>

#include <algorithm>
#include <utility>

namespace picklejar::store {

// ---- Db ------------------------------------------------------------------------------------

std::unique_ptr<Db> Db::open(const std::filesystem::path& path, Access access,
                             std::chrono::milliseconds busy_timeout) {
  int flags = SQLITE_OPEN_NOMUTEX;
  switch (access) {
    case Access::read_only:
      flags |= SQLITE_OPEN_READONLY;
      break;
    case Access::read_write:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case Access::create:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
  }
  sqlite3* handle = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  // Even a failed open usually allocates a handle, which carries the message.
  std::unique_ptr<Db> db(new Db(handle, path.string()));
  if (rc != SQLITE_OK) db->fail(rc, "cannot open");
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle,
                       static_cast<int>(std::min<std::int64_t>(busy_timeout.count(), INT32_MAX)));
  return db;
}

Db::~Db() {
  cache_.clear();
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

void Db::close() {
  cache_.clear();
  sqlite3* handle = std::exchange(db_, nullptr);
  const int rc = sqlite3_close(handle);
  if (rc == SQLITE_OK) return;
  sqlite3_close_v2(handle);  // let SQLite free it when it can
  throw SqliteError(path_, rc, fmt::format("cannot close '{}': {}", path_, sqlite3_errstr(rc)));
}

void Db::abandon() noexcept {
  // Leak the statements too: finalizing one could end a read of the parent's WAL.
  for (auto& [sql, statement] : cache_) (void)statement.release();
  cache_.clear();
  db_ = nullptr;
}

void Db::exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, "cannot run SQL on");
}

std::optional<std::uint32_t> Db::data_version() const noexcept {
  unsigned int version = 0;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_DATA_VERSION, &version) != SQLITE_OK)
    return std::nullopt;
  return version;
}

Query Db::query(const char* sql) {
  auto& slot = cache_[sql];
  if (!slot) slot = std::make_unique<Statement>(*this, sql);
  return Query(*slot);
}

void Db::fail(int rc, std::string_view what) const {
  // The connection's message is only about `rc` when it reports the same code.
  const char* message =
      (db_ != nullptr && sqlite3_extended_errcode(db_) == rc) ? sqlite3_errmsg(db_) : nullptr;
  throw SqliteError(path_, rc,
                    fmt::format("{} '{}': {} ({})", what, path_,
                                message != nullptr ? message : sqlite3_errstr(rc), rc));
}

// ---- Statement -------------------------------------------------------------------------------

Statement::Statement(const Db& db, std::string_view sql) : db_(&db) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  stmt_.reset(stmt);
  if (rc != SQLITE_OK) db.fail(rc, "cannot prepare SQL for");
}

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK) db_->fail(rc, "cannot bind a parameter for");
  return *this;
}

Statement& Statement::bind_text(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) db_->fail(rc, "cannot bind a parameter for");
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view blob) {
  // A zero-length blob must not be bound as NULL (a null data pointer means NULL).
  static const char empty = 0;
  const int rc = sqlite3_bind_blob64(stmt_.get(), index, blob.empty() ? &empty : blob.data(),
                                     blob.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK) db_->fail(rc, "cannot bind a parameter for");
  return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::byte> blob) {
  return bind_blob(index,
                   std::string_view(reinterpret_cast<const char*>(blob.data()), blob.size()));
}

Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_.get(), index);
  if (rc != SQLITE_OK) db_->fail(rc, "cannot bind a parameter for");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(rc, "SQLite failed on");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

int Statement::column_type(int column) const noexcept {
  return sqlite3_column_type(stmt_.get(), column);
}

bool Statement::column_is_null(int column) const noexcept {
  return column_type(column) == SQLITE_NULL;
}

std::int64_t Statement::column_int(int column) const noexcept {
  return sqlite3_column_int64(stmt_.get(), column);
}

std::string_view Statement::column_text(int column) const noexcept {
  const auto* text = sqlite3_column_text(stmt_.get(), column);
  const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column));
  return text == nullptr ? std::string_view()
                         : std::string_view(reinterpret_cast<const char*>(text), size);
}

std::string_view Statement::column_blob(int column) const noexcept {
  const void* blob = sqlite3_column_blob(stmt_.get(), column);
  const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column));
  return blob == nullptr ? std::string_view()
                         : std::string_view(static_cast<const char*>(blob), size);
}

// ---- Transaction -----------------------------------------------------------------------------

Transaction::Transaction(Db& db, Kind kind) : db_(db) {
  db_.query(kind == Kind::write ? "BEGIN IMMEDIATE" : "BEGIN")->run();
}

Transaction::~Transaction() {
  if (!open_) return;
  // A failed statement may already have ended the transaction; ROLLBACK then just fails.
  sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.query("COMMIT")->run();
  open_ = false;
}

}  // namespace picklejar::store
