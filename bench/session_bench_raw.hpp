#pragma once
// session_bench's physical limit: the same work as a picklejar::Session, written directly
// against SQLite's C API with prepared statements, on a picklejar file's own schema (the file
// is created by a Session), at the same durability (WAL + synchronous FULL or NORMAL).
//
// "The same work" means what the file format asks of any writer and reader: values go
// through picklejar's codec (dumps on writes, loads on reads), every row carries the SHA-256
// of its pickle (OpenSSL, computed on writes, checked before decoding), and every write
// transaction (BEGIN IMMEDIATE) bumps the meta revision and stamps entries with it. What it
// leaves out is everything else a Session does: the sidecar file lock, the in-memory
// snapshot and its incremental refresh, conflict tracking, fork detection, error context.
// Writers contending for the database wait in SQLite's busy handler (sleeps of 1, 2, 5, 10,
// ... ms: what the C API gives an application); a Session waits at its lock file instead,
// polling every 50 us to 1 ms.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <picklejar/value.hpp>

namespace picklejar::bench {

class RawStore {
 public:
  // Opens an existing session file. `durable`: synchronous FULL, else NORMAL.
  RawStore(const std::filesystem::path& file, bool durable);
  ~RawStore();
  RawStore(const RawStore&) = delete;
  RawStore& operator=(const RawStore&) = delete;

  // Writes every (key, value) in one transaction.
  void save_batch(const std::vector<std::pair<std::string, Value>>& items);
  // One transaction writing one key.
  void save_one(const std::string& key, const Value& value);
  // The value under `key`, its digest checked (throws when missing or damaged).
  Value get(const std::string& key);
  // Reads every row into memory (key, pickle, digest), as a session's open does.
  std::size_t load_all();
  // One transaction: reads the integer under `key` (0 when missing), writes it plus one.
  void increment(const std::string& key);

 private:
  struct Row {
    std::string key;
    std::string pickle;
    std::string digest;
    std::int64_t protocol = 0;
    std::int64_t revision = 0;
    std::int64_t modified_us = 0;
  };
  sqlite3_stmt* prepare(const char* sql);
  void exec(const char* sql);
  void step_done(sqlite3_stmt* stmt);
  std::int64_t begin_write();  // BEGIN IMMEDIATE; returns the new revision
  void write_entry(const std::string& key, const std::string& pickle, std::int64_t revision,
                   std::int64_t now);
  void finish_write(std::int64_t revision, std::int64_t now);  // meta rows, COMMIT

  sqlite3* db_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* revision_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  sqlite3_stmt* meta_ = nullptr;
  sqlite3_stmt* select_ = nullptr;
  sqlite3_stmt* select_all_ = nullptr;
  std::vector<Row> rows_;
};

}  // namespace picklejar::bench
