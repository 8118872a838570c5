#include "sqlite.hpp"

#include <fmt/format.h>

#include <picklejar/error.hpp>

#include <algorithm>
#include <utility>

namespace picklejar::store {

// ---- Db ------------------------------------------------------------------------------------

namespace {

// How many virtual machine instructions SQLite runs between two looks at the clock.
constexpr int kProgressInstructions = 1000;
// Our own statements are a few hundred bytes; a hostile schema's SQL must not be larger.
constexpr int kMaxSqlBytes = 1 << 20;

}  // namespace

std::unique_ptr<Db> Db::open(const FileName& name, Access access, const DbLimits& limits) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  if (!name.follow_symlinks) flags |= SQLITE_OPEN_NOFOLLOW;
  std::string uri = name.uri;
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
    case Access::page_one:
      flags |= SQLITE_OPEN_READONLY;
      uri += "?immutable=1";
      break;
  }
  sqlite3* handle = nullptr;
  const int rc = sqlite3_open_v2(uri.c_str(), &handle, flags, nullptr);
  // Even a failed open usually allocates a handle, which carries the message.
  std::unique_ptr<Db> db(new Db(handle, name.shown, name.file));
  if (rc != SQLITE_OK) db->fail(rc, "cannot open");
  sqlite3_extended_result_codes(handle, 1);
  db->harden(limits);
  return db;
}

// SQLite's advice for files of uncertain provenance (sqlite.org/security.html), applied
// before the first read. Each setting is read back: a connection that did not take one is
// refused rather than used unhardened.
void Db::harden(const DbLimits& limits) {
  const auto set = [this](int option, int value, const char* name) {
    int now = -1;
    const int rc = sqlite3_db_config(db_, option, value, &now);
    if (rc != SQLITE_OK || now != value)
      throw SqliteError(path_, rc == SQLITE_OK ? SQLITE_MISUSE : rc,
                        fmt::format("cannot open '{}': SQLite {} refused {} = {}", path_,
                                    sqlite3_libversion(), name, value));
  };
  set(SQLITE_DBCONFIG_DEFENSIVE, 1, "SQLITE_DBCONFIG_DEFENSIVE");
  set(SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, "SQLITE_DBCONFIG_ENABLE_TRIGGER");
  set(SQLITE_DBCONFIG_ENABLE_VIEW, 0, "SQLITE_DBCONFIG_ENABLE_VIEW");
  set(SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, "SQLITE_DBCONFIG_TRUSTED_SCHEMA");
  const std::size_t length = std::clamp<std::size_t>(limits.max_value_bytes, kMinValueBytes,
                                                     static_cast<std::size_t>(INT32_MAX));
  sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, static_cast<int>(length));
  sqlite3_limit(db_, SQLITE_LIMIT_SQL_LENGTH, kMaxSqlBytes);
  const std::int64_t timeout = std::clamp<std::int64_t>(limits.timeout.count(), 0, INT32_MAX);
  sqlite3_busy_timeout(db_, static_cast<int>(timeout));
  statement_time_ = std::max(std::chrono::milliseconds(timeout), kMinStatementTime);
  sqlite3_progress_handler(db_, kProgressInstructions, &Db::on_progress, this);
  // Neither reads the file (they are settings of this connection).
  exec("PRAGMA cell_size_check = ON; PRAGMA mmap_size = 0");
}

int Db::on_progress(void* self) noexcept {
  const Db& db = *static_cast<const Db*>(self);
  if (!db.armed_ || std::chrono::steady_clock::now() < db.deadline_) return 0;
  db.interrupted_ = true;
  return 1;  // SQLite stops the statement with SQLITE_INTERRUPT
}

Db::Clock::Clock(const Db& db) noexcept : db_(db), was_armed_(db.armed_) {
  db_.deadline_ = std::chrono::steady_clock::now() + db_.statement_time_;
  db_.armed_ = true;
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
  const Clock clock(*this);
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, "cannot run SQL on");
}

void Db::exec_unlimited(const char* sql) {
  const bool was_armed = std::exchange(armed_, false);
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  armed_ = was_armed;
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
  if (rc == SQLITE_INTERRUPT && std::exchange(interrupted_, false))
    throw SqliteError(
        path_, rc,
        fmt::format("{} '{}': a statement ran longer than {} ms and was stopped "
                    "(the file's schema or contents make SQLite work without end; "
                    "the limit is the lock timeout, at least {} ms) ({})",
                    what, path_, statement_time_.count(), kMinStatementTime.count(), rc));
  // The connection's message is only about `rc` when it reports the same code.
  const char* message =
      (db_ != nullptr && sqlite3_extended_errcode(db_) == rc) ? sqlite3_errmsg(db_) : nullptr;
  throw SqliteError(path_, rc,
                    fmt::format("{} '{}': {} ({})", what, path_,
                                message != nullptr ? message : sqlite3_errstr(rc), rc));
}

// ---- Statement -------------------------------------------------------------------------------

Statement::Statement(const Db& db, std::string_view sql) : db_(&db) {
  const Db::Clock clock(db);  // preparing may load (parse) the file's schema
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
  const Db::Clock clock(*db_);
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
