#include "session_bench_raw.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string_view>

#include <picklejar/pickle.hpp>

#include "sha256.hpp"

namespace picklejar::bench {
namespace {

std::int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string_view column_bytes(sqlite3_stmt* stmt, int column) {
  const void* data = sqlite3_column_blob(stmt, column);
  const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, column));
  return data == nullptr ? std::string_view()
                         : std::string_view(static_cast<const char*>(data), size);
}

}  // namespace

// How the raw writer signs its writes (meta writer_* rows).
constexpr std::string_view kWriterName = "session_bench-raw";
constexpr std::string_view kWriterVersion = "1";
constexpr std::string_view kWriterApp = "";

RawStore::RawStore(const std::filesystem::path& file, bool durable) {
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK)
    throw std::runtime_error(fmt::format("cannot open {}: {}", file.string(), sqlite3_errmsg(db_)));
  sqlite3_busy_timeout(db_, 600'000);
  exec("PRAGMA journal_mode = WAL");
  exec(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  begin_ = prepare("BEGIN IMMEDIATE");
  commit_ = prepare("COMMIT");
  write_meta_ = prepare(
      "SELECT name, value FROM meta WHERE name IN ('revision', 'purged_revision', "
      "'writer_name', 'writer_version', 'writer_app')");
  any_tombstone_ = prepare("SELECT EXISTS (SELECT 1 FROM tombstones)");
  unbury_ = prepare("DELETE FROM tombstones WHERE key = ?1");
  purge_ = prepare("DELETE FROM tombstones WHERE revision <= ?1");
  set_purged_ = prepare("UPDATE meta SET value = ?1 WHERE name = 'purged_revision'");
  upsert_ = prepare(
      "INSERT INTO entries (key, pickle, protocol, digest, revision, modified_us) "
      "VALUES (?1, ?2, 4, ?3, ?4, ?5) ON CONFLICT (key) DO UPDATE SET "
      "pickle = excluded.pickle, protocol = excluded.protocol, digest = excluded.digest, "
      "revision = excluded.revision, modified_us = excluded.modified_us");
  meta_ = prepare(
      "UPDATE meta SET value = CASE name WHEN 'revision' THEN ?1 ELSE ?2 END "
      "WHERE name IN ('revision', 'modified_us')");
  writer_ = prepare(
      "UPDATE meta SET value = CASE name WHEN 'writer_name' THEN ?1 WHEN 'writer_version' "
      "THEN ?2 ELSE ?3 END WHERE name IN ('writer_name', 'writer_version', 'writer_app')");
  select_ = prepare("SELECT pickle, digest FROM entries WHERE key = ?1");
  select_all_ = prepare("SELECT key, pickle, protocol, digest, revision, modified_us FROM entries");
  read_meta_ = prepare("SELECT name, value FROM meta");
  application_id_ = prepare("PRAGMA application_id");
  user_version_ = prepare("PRAGMA user_version");
}

RawStore::~RawStore() {
  for (sqlite3_stmt* stmt :
       {begin_, commit_, write_meta_, any_tombstone_, unbury_, purge_, set_purged_, upsert_, meta_,
        writer_, select_, select_all_, read_meta_, application_id_, user_version_})
    sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

sqlite3_stmt* RawStore::prepare(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
    throw std::runtime_error(fmt::format("cannot prepare {}: {}", sql, sqlite3_errmsg(db_)));
  return stmt;
}

void RawStore::exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
    throw std::runtime_error(fmt::format("{}: {}", sql, sqlite3_errmsg(db_)));
}

void RawStore::step_done(sqlite3_stmt* stmt) {
  const int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_));
}

std::int64_t RawStore::pragma_int(sqlite3_stmt* stmt) {
  if (sqlite3_step(stmt) != SQLITE_ROW) throw std::runtime_error(sqlite3_errmsg(db_));
  const std::int64_t value = sqlite3_column_int64(stmt, 0);
  sqlite3_reset(stmt);
  return value;
}

RawStore::WriteState RawStore::begin_write() {
  step_done(begin_);
  WriteState w;
  int writer_rows_same = 0;
  bool have_revision = false;
  while (sqlite3_step(write_meta_) == SQLITE_ROW) {
    const std::string_view name = column_bytes(write_meta_, 0);
    if (name == "revision") {
      w.revision = sqlite3_column_int64(write_meta_, 1) + 1;
      have_revision = true;
    } else if (name == "purged_revision") {
      w.purged = sqlite3_column_int64(write_meta_, 1);
    } else {
      const std::string_view value = column_bytes(write_meta_, 1);
      writer_rows_same += (name == "writer_name" && value == kWriterName) ||
                          (name == "writer_version" && value == kWriterVersion) ||
                          (name == "writer_app" && value == kWriterApp);
    }
  }
  sqlite3_reset(write_meta_);
  if (!have_revision) throw std::runtime_error("no revision");
  w.writer_rows_differ = writer_rows_same != 3;
  w.tombstones = pragma_int(any_tombstone_) != 0;
  w.now = now_us();
  return w;
}

void RawStore::write_entry(const WriteState& w, const std::string& key, const std::string& pickle) {
  const auto digest = sha256()(pickle);
  sqlite3_bind_text(upsert_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  sqlite3_bind_blob(upsert_, 2, pickle.data(), static_cast<int>(pickle.size()), SQLITE_STATIC);
  sqlite3_bind_blob(upsert_, 3, digest.data(), static_cast<int>(digest.size()), SQLITE_STATIC);
  sqlite3_bind_int64(upsert_, 4, w.revision);
  sqlite3_bind_int64(upsert_, 5, w.now);
  step_done(upsert_);
  if (!w.tombstones) return;
  sqlite3_bind_text(unbury_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  step_done(unbury_);
}

void RawStore::finish_write(const WriteState& w) {
  const std::int64_t limit = w.revision - 10'000;  // FORMAT.md: the tombstone retention
  if (limit > w.purged) {
    sqlite3_bind_int64(purge_, 1, limit);
    step_done(purge_);
    if (sqlite3_changes(db_) > 0) {
      sqlite3_bind_int64(set_purged_, 1, limit);
      step_done(set_purged_);
    }
  }
  sqlite3_bind_int64(meta_, 1, w.revision);
  sqlite3_bind_int64(meta_, 2, w.now);
  step_done(meta_);
  if (w.writer_rows_differ) {
    sqlite3_bind_text(writer_, 1, kWriterName.data(), static_cast<int>(kWriterName.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(writer_, 2, kWriterVersion.data(), static_cast<int>(kWriterVersion.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(writer_, 3, kWriterApp.data(), static_cast<int>(kWriterApp.size()),
                      SQLITE_STATIC);
    step_done(writer_);
  }
  step_done(commit_);
}

void RawStore::save_batch(const std::vector<std::pair<std::string, Value>>& items) {
  const WriteState w = begin_write();
  for (const auto& [key, value] : items) write_entry(w, key, dumps(value));
  finish_write(w);
}

void RawStore::save_one(const std::string& key, const Value& value) {
  const std::string pickle = dumps(value);
  const WriteState w = begin_write();
  write_entry(w, key, pickle);
  finish_write(w);
}

Value RawStore::get(const std::string& key) {
  sqlite3_bind_text(select_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  if (sqlite3_step(select_) != SQLITE_ROW) {
    sqlite3_reset(select_);
    throw std::runtime_error("no key " + key);
  }
  const std::string_view pickle = column_bytes(select_, 0);
  try {
    check_digest(pickle, column_bytes(select_, 1), key);
  } catch (...) {
    sqlite3_reset(select_);
    throw;
  }
  Value value = loads(pickle);
  sqlite3_reset(select_);
  return value;
}

std::size_t RawStore::load_all() {
  exec("BEGIN");
  if (pragma_int(application_id_) != 0x504A4152 || pragma_int(user_version_) != 2)
    throw std::runtime_error("not a picklejar file of format 2");
  meta_rows_.clear();
  while (sqlite3_step(read_meta_) == SQLITE_ROW) {
    MetaRow row;
    row.name = std::string(column_bytes(read_meta_, 0));
    row.type = sqlite3_column_type(read_meta_, 1);
    row.integer = sqlite3_column_int64(read_meta_, 1);
    row.text = std::string(column_bytes(read_meta_, 1));
    meta_rows_.push_back(std::move(row));
  }
  sqlite3_reset(read_meta_);
  rows_.clear();
  while (sqlite3_step(select_all_) == SQLITE_ROW) {
    Row row;
    row.key = std::string(column_bytes(select_all_, 0));
    row.pickle = std::string(column_bytes(select_all_, 1));
    row.protocol = sqlite3_column_int64(select_all_, 2);
    row.digest = std::string(column_bytes(select_all_, 3));
    row.revision = sqlite3_column_int64(select_all_, 4);
    row.modified_us = sqlite3_column_int64(select_all_, 5);
    rows_.push_back(std::move(row));
  }
  sqlite3_reset(select_all_);
  exec("COMMIT");
  return rows_.size();
}

std::size_t RawStore::read_all() {
  exec("BEGIN");
  values_.clear();
  try {
    while (sqlite3_step(select_all_) == SQLITE_ROW) {
      const std::string_view key = column_bytes(select_all_, 0);
      const std::string_view pickle = column_bytes(select_all_, 1);
      check_digest(pickle, column_bytes(select_all_, 3), key);
      values_.emplace_back(std::string(key), loads(pickle));
    }
  } catch (...) {
    sqlite3_reset(select_all_);
    exec("COMMIT");
    throw;
  }
  sqlite3_reset(select_all_);
  exec("COMMIT");
  return values_.size();
}

void RawStore::increment(const std::string& key) {
  const WriteState w = begin_write();
  std::int64_t count = 0;
  sqlite3_bind_text(select_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  if (sqlite3_step(select_) == SQLITE_ROW) {
    const std::string_view pickle = column_bytes(select_, 0);
    check_digest(pickle, column_bytes(select_, 1), key);
    count = loads(pickle).as_int();
  }
  sqlite3_reset(select_);
  write_entry(w, key, dumps(Value(count + 1)));
  finish_write(w);
}

}  // namespace picklejar::bench
