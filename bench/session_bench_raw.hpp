#pragma once
// session_bench's physical limit: the same work as a picklejar::Session, written directly
// against SQLite's C API with prepared statements, on a picklejar file's own schema (the file
// is created by a Session), at the same durability (WAL + synchronous FULL or NORMAL).
//
// "The same work" means what the file format asks of any writer and reader (docs/FORMAT.md
// "Revisions: how writers write" and "Reading"): values go through picklejar's codec (dumps
// on writes, loads on reads), every row carries the SHA-256 of its pickle (OpenSSL, computed
// on writes, checked before decoding), and every write transaction (BEGIN IMMEDIATE) reads
// the meta revision, purged_revision and writer rows in one statement, asks once whether any
// tombstones exist (a set key must lose its tombstone: DELETE per key only when some do),
// purges old tombstones when the revision passes the retention, stamps entries with R and
// writes revision and modified_us (the writer rows only when they differ). A full load reads
// the meta rows, application_id and user_version too. Reads of every value scan the table
// once (the cheapest way SQLite offers), not one lookup per key. What it leaves out is
// everything else a Session does: the sidecar file lock, the rest of the open-time checks
// (truncation, meta types, table columns), the in-memory snapshot and its incremental
// refresh, conflict tracking, fork detection, error context.
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
  // Reads the meta rows and every entry into memory (key, pickle, digest, ...), undecoded, as
  // a session's open does.
  std::size_t load_all();
  // Reads and decodes every value (digests checked) in one scan; returns how many.
  std::size_t read_all();
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
  // What a write transaction learns at its start.
  struct WriteState {
    std::int64_t revision = 0;  // R, the revision it writes
    std::int64_t purged = 0;    // meta purged_revision
    bool tombstones = false;    // whether any tombstone exists
    bool writer_rows_differ = true;
    std::int64_t now = 0;
  };
  sqlite3_stmt* prepare(const char* sql);
  void exec(const char* sql);
  void step_done(sqlite3_stmt* stmt);
  WriteState begin_write();  // BEGIN IMMEDIATE, then the reads every write needs
  void write_entry(const WriteState& w, const std::string& key, const std::string& pickle);
  void finish_write(const WriteState& w);  // purge, meta rows, COMMIT
  std::int64_t pragma_int(sqlite3_stmt* stmt);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* write_meta_ = nullptr;  // revision, purged_revision, writer rows
  sqlite3_stmt* any_tombstone_ = nullptr;
  sqlite3_stmt* unbury_ = nullptr;  // DELETE a set key's tombstone
  sqlite3_stmt* purge_ = nullptr;
  sqlite3_stmt* set_purged_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  sqlite3_stmt* meta_ = nullptr;    // revision and modified_us
  sqlite3_stmt* writer_ = nullptr;  // writer_name, writer_version, writer_app
  sqlite3_stmt* select_ = nullptr;
  sqlite3_stmt* select_all_ = nullptr;
  sqlite3_stmt* read_meta_ = nullptr;
  sqlite3_stmt* application_id_ = nullptr;
  sqlite3_stmt* user_version_ = nullptr;
  std::vector<Row> rows_;
  struct MetaRow {
    std::string name;
    int type = 0;
    std::int64_t integer = 0;
    std::string text;
  };
  std::vector<MetaRow> meta_rows_;
  std::vector<std::pair<std::string, Value>> values_;
};

}  // namespace picklejar::bench
