#pragma once
// postgres_bench's engine limit: the same work as a picklejar::Session on a PostgreSQL store,
// written directly against libpq, sending docs/FORMAT-POSTGRES.md's statements (prepared
// once per connection, parameters and results in binary) on a store a Session created.
//
// "The same work" is what the page asks of any client: values go through picklejar's codec
// (dumps on writes, loads on reads), every entry carries the SHA-256 of its pickle (computed
// on writes, checked before decoding), and every write is one READ COMMITTED transaction
// that sets lock_timeout and synchronous_commit, takes the store row's lock (lock_store),
// writes the keys with put_entries + drop_tombstones (arrays), purges old tombstones past the
// retention, writes the store's row (update_store), sends the change hint (notify) and
// commits. A full load reads the layout and the store's row and every entry in one
// REPEATABLE READ READ ONLY snapshot. A get is one lookup by key; an increment reads what
// changed under the lock, as transact() does. What it leaves out is everything else a Session
// does: the row's range checks, the snapshot of every entry in memory, conflict tracking,
// reconnecting, error context.

#include <libpq-fe.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <picklejar/value.hpp>

namespace picklejar::bench {

class RawPgStore {
 public:
  // Connects with libpq's own configuration (`conninfo`: a URL without `store`, and the PG*
  // variables) to the existing store `store`. `durable`: synchronous_commit on, else off.
  RawPgStore(const std::string& conninfo, std::string store, bool durable);
  ~RawPgStore();
  RawPgStore(const RawPgStore&) = delete;
  RawPgStore& operator=(const RawPgStore&) = delete;

  // Writes every (key, value) in one transaction.
  void save_batch(const std::vector<std::pair<std::string, Value>>& items);
  // One transaction writing one key.
  void save_one(const std::string& key, const Value& value);
  // The value under `key`, its digest checked (throws when missing or damaged).
  Value get(const std::string& key);
  // Reads the layout, the store's row and every entry into memory (undecoded), as a session's
  // open does; returns how many entries.
  std::size_t load_all();
  // One transaction: the integer under `key` plus one. Under the lock, when the store moved
  // since this client's last look, it reads what changed (entries_since, tombstones_since)
  // as a session's transact() does, and takes the count from there.
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
  // What a write transaction learns from the store's row under its lock.
  struct Locked {
    std::vector<std::string> row;  // the store's columns, binary
    std::int64_t revision = 0;     // R, the revision it writes
    std::int64_t purged = 0;
  };
  class Result;
  Result run(const char* name, const std::vector<std::string>& params,
             const std::vector<int>& formats);
  void plain(const char* sql);
  Locked begin_write();
  void write_entries(const Locked& w, const std::vector<std::pair<std::string, std::string>>& kp);
  void finish_write(const Locked& w);

  PGconn* conn_ = nullptr;
  std::string store_;
  std::string store_id_;  // as text
  bool durable_;
  std::vector<Row> rows_;
  std::int64_t seen_ = 0;   // the revision increment() last saw
  std::int64_t count_ = 0;  // the count as of seen_
};

}  // namespace picklejar::bench
