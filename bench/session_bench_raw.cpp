#include "session_bench_raw.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string_view>

#include <picklejar/pickle.hpp>

namespace picklejar::bench {
namespace {

// SHA-256 the fastest way OpenSSL 3 offers: the implementation fetched once, one context
// reused.
class Sha256 {
 public:
  Sha256() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (md_ == nullptr || ctx_ == nullptr) throw std::runtime_error("no SHA-256 in OpenSSL");
  }
  ~Sha256() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  std::array<unsigned char, 32> operator()(std::string_view data) {
    std::array<unsigned char, 32> out{};
    unsigned int size = 0;
    if (EVP_DigestInit_ex2(ctx_, md_, nullptr) != 1 ||
        EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(ctx_, out.data(), &size) != 1)
      throw std::runtime_error("SHA-256 failed");
    return out;
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

Sha256& sha256() {
  static Sha256 instance;
  return instance;
}

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

RawStore::RawStore(const std::filesystem::path& file, bool durable) {
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK)
    throw std::runtime_error(fmt::format("cannot open {}: {}", file.string(), sqlite3_errmsg(db_)));
  sqlite3_busy_timeout(db_, 600'000);
  exec("PRAGMA journal_mode = WAL");
  exec(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  begin_ = prepare("BEGIN IMMEDIATE");
  commit_ = prepare("COMMIT");
  revision_ = prepare("SELECT value FROM meta WHERE name = 'revision'");
  upsert_ = prepare(
      "INSERT INTO entries (key, pickle, protocol, digest, revision, modified_us) "
      "VALUES (?1, ?2, 4, ?3, ?4, ?5) ON CONFLICT (key) DO UPDATE SET "
      "pickle = excluded.pickle, protocol = excluded.protocol, digest = excluded.digest, "
      "revision = excluded.revision, modified_us = excluded.modified_us");
  meta_ = prepare(
      "UPDATE meta SET value = CASE name WHEN 'revision' THEN ?1 ELSE ?2 END "
      "WHERE name IN ('revision', 'modified_us')");
  select_ = prepare("SELECT pickle, digest FROM entries WHERE key = ?1");
  select_all_ = prepare("SELECT key, pickle, protocol, digest, revision, modified_us FROM entries");
}

RawStore::~RawStore() {
  for (sqlite3_stmt* stmt : {begin_, commit_, revision_, upsert_, meta_, select_, select_all_})
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

std::int64_t RawStore::begin_write() {
  step_done(begin_);
  if (sqlite3_step(revision_) != SQLITE_ROW) throw std::runtime_error("no revision");
  const std::int64_t revision = sqlite3_column_int64(revision_, 0) + 1;
  sqlite3_reset(revision_);
  return revision;
}

void RawStore::write_entry(const std::string& key, const std::string& pickle, std::int64_t revision,
                           std::int64_t now) {
  const auto digest = sha256()(pickle);
  sqlite3_bind_text(upsert_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  sqlite3_bind_blob(upsert_, 2, pickle.data(), static_cast<int>(pickle.size()), SQLITE_STATIC);
  sqlite3_bind_blob(upsert_, 3, digest.data(), static_cast<int>(digest.size()), SQLITE_STATIC);
  sqlite3_bind_int64(upsert_, 4, revision);
  sqlite3_bind_int64(upsert_, 5, now);
  step_done(upsert_);
}

void RawStore::finish_write(std::int64_t revision, std::int64_t now) {
  sqlite3_bind_int64(meta_, 1, revision);
  sqlite3_bind_int64(meta_, 2, now);
  step_done(meta_);
  step_done(commit_);
}

void RawStore::save_batch(const std::vector<std::pair<std::string, Value>>& items) {
  const std::int64_t revision = begin_write();
  const std::int64_t now = now_us();
  for (const auto& [key, value] : items) write_entry(key, dumps(value), revision, now);
  finish_write(revision, now);
}

void RawStore::save_one(const std::string& key, const Value& value) {
  const std::string pickle = dumps(value);
  const std::int64_t revision = begin_write();
  const std::int64_t now = now_us();
  write_entry(key, pickle, revision, now);
  finish_write(revision, now);
}

Value RawStore::get(const std::string& key) {
  sqlite3_bind_text(select_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  if (sqlite3_step(select_) != SQLITE_ROW) {
    sqlite3_reset(select_);
    throw std::runtime_error("no key " + key);
  }
  const std::string_view pickle = column_bytes(select_, 0);
  const std::string_view digest = column_bytes(select_, 1);
  const auto expected = sha256()(pickle);
  if (digest.size() != expected.size() ||
      CRYPTO_memcmp(digest.data(), expected.data(), expected.size()) != 0) {
    sqlite3_reset(select_);
    throw std::runtime_error("damaged entry " + key);
  }
  Value value = loads(pickle);
  sqlite3_reset(select_);
  return value;
}

std::size_t RawStore::load_all() {
  exec("BEGIN");
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

void RawStore::increment(const std::string& key) {
  const std::int64_t revision = begin_write();
  std::int64_t count = 0;
  sqlite3_bind_text(select_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  if (sqlite3_step(select_) == SQLITE_ROW) {
    const std::string_view pickle = column_bytes(select_, 0);
    const auto expected = sha256()(pickle);
    if (CRYPTO_memcmp(column_bytes(select_, 1).data(), expected.data(), expected.size()) != 0)
      throw std::runtime_error("damaged entry " + key);
    count = loads(pickle).as_int();
  }
  sqlite3_reset(select_);
  const std::int64_t now = now_us();
  write_entry(key, dumps(Value(count + 1)), revision, now);
  finish_write(revision, now);
}

}  // namespace picklejar::bench
