#pragma once
// The PostgreSQL backend (internal): one store of a database, following
// docs/FORMAT-POSTGRES.md step by step — reads in one REPEATABLE READ READ ONLY snapshot,
// writes in one READ COMMITTED transaction holding the store row's lock (SELECT ... FOR
// UPDATE under the session's lock timeout), LISTEN/NOTIFY as the change hint.
//   postgres_backend.cpp  the connection, transactions, reading, writing one revision
//   postgres_open.cpp     opening: the tables, the store's row found or created, checked
//   change_feed.cpp       the store's revision and LISTEN picklejar
//
// One connection per session. A connection found lost at the start of a call is opened
// again (nothing of the call was sent yet); one lost inside a call fails the call
// (ServerError) and the server rolls back whatever the call had begun.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../backend.hpp"
#include "connection.hpp"
#include "url.hpp"
#include "write_batch.hpp"

namespace picklejar::store {

class PostgresBackend final : public Backend {
 public:
  // Opens (creating the tables and the store as the options allow) the store `url` names
  // (docs/FORMAT-POSTGRES.md "Opening a store"). request.name is the URL as shown before
  // connecting; name() is the same with what libpq connected to.
  static std::pair<std::unique_ptr<PostgresBackend>, OpenPlan> open(const OpenRequest& request,
                                                                    const StoreUrl& url);
  PostgresBackend(const OpenRequest& request, const StoreUrl& url);
  ~PostgresBackend() override;

  // The store as shown to people: its URL with the server as connected, no password.
  const std::string& name() const noexcept { return names_.shown; }

  std::unique_ptr<BackendTransaction> begin(TxnKind kind) override;
  bool unchanged(std::int64_t seen, bool known, TxnKind kind) override;
  void caught_up() noexcept override;
  Meta read_meta() override;
  KeyMap<EntryPtr> read_all_entries() override;
  std::vector<std::pair<std::string, EntryPtr>> read_entries_since(std::int64_t since) override;
  std::vector<std::string> read_erased_since(std::int64_t since) override;
  std::vector<std::string> read_keys() override;
  void put_entry(const std::string& key, const Entry& entry, std::int64_t revision,
                 std::int64_t now) override;
  void erase_entry(const std::string& key, std::int64_t revision) override;
  std::int64_t purge_tombstones(std::int64_t revision, std::int64_t purged) override;
  void write_meta(const Meta& before, const Meta& after) override;
  ChangeFeed& feed() override { return *feed_; }
  void ready() override {}
  void describe(SessionFileInfo& info, bool in_transaction) override;
  std::vector<std::string> check_database(bool in_transaction) override;
  BackupInfo backup_to(const std::filesystem::path& out, const Signer& signer) override;
  void vacuum() override;
  void close() override;
  void abandon() noexcept override;

 private:
  class Txn;
  friend class PostgresFeed;

  // ---- the connection (postgres_backend.cpp) ----
  // A new connection, set up (docs/FORMAT-POSTGRES.md "Connecting"): not listening yet.
  void connect();
  // The first statement of a call (BEGIN ...): on a new connection when the one held is
  // found lost — nothing of this call was sent on it, so beginning again is safe.
  void begin_statement(const char* sql);
  // store_revision, outside any transaction, retried once on a new connection the same way;
  // empty when the store is gone.
  std::optional<std::int64_t> current_revision();

  // ---- opening (postgres_open.cpp) ----
  // The tables, created under the advisory lock when missing; their layout version checked.
  void check_layout(bool read_only);
  // The store's row, created first when `fresh` is given and there is none.
  std::optional<Meta> find_store(const Meta* fresh);
  // The row of a read_store or lock_store result, checked (FormatError naming the store).
  Meta meta_of(const PgResult& row);
  // Upgrades an older store's format to this library's, under the row lock (a store another
  // client upgraded meanwhile is left as it is).
  void upgrade(const OpenRequest& request);
  [[noreturn]] void unsupported(const char* what) const;

  std::string conninfo_;  // may hold a password: never shown
  ConnectionNames names_;
  std::string store_;  // the store's name
  std::int64_t store_id_ = 0;
  std::chrono::milliseconds lock_timeout_;
  bool durable_;
  std::unique_ptr<PgConnection> conn_;
  bool listening_ = false;   // LISTEN picklejar ran on conn_
  std::optional<Meta> row_;  // the store's row as this transaction read it
  bool wrote_ = false;       // this write transaction wrote a revision
  // The store's revision the session is current with (its own commits included): the feed
  // reports no change while the store is there.
  std::int64_t current_ = -1;
  std::unique_ptr<ChangeFeed> feed_;
  // The keys this write transaction sets and erases, until purge_tombstones() sends them.
  WriteBatch batch_;
};

// The feed of a store on a server (change_feed.cpp): version() is store_revision (a
// constant while it is the revision the session is current with); wait() blocks on the
// connection's socket for a NOTIFY, and on the wake pipe.
std::unique_ptr<ChangeFeed> postgres_change_feed(PostgresBackend& backend);

}  // namespace picklejar::store
