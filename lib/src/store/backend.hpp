#pragma once
// The seam between the session logic and where a store lives (internal). The session logic
// — the view and its unsaved changes, conflicts, lazy verified decoding, migrations, change
// notification (session*.cpp, migrations.cpp) — is written once, against this interface; a
// backend (sqlite/: a session file) knows how to open one store, read it in one snapshot,
// write one change set in one transaction under the store's exclusive lock, and tell
// cheaply whether it changed. docs/FORMAT.md is the contract every backend follows.
//
// Thread safety: one thread at a time, as the Session that owns it; ChangeFeed::wake() from
// any thread.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <picklejar/session.hpp>

#include "change_feed.hpp"
#include "entry.hpp"
#include "meta.hpp"

namespace picklejar::store {

enum class TxnKind { read, write };

// A transaction a backend began: rolled back (and its lock released) when destroyed
// uncommitted.
class BackendTransaction {
 public:
  virtual ~BackendTransaction() = default;
  virtual void commit() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // ---- transactions ----------------------------------------------------------------------------
  // read: one snapshot of the store that waits for no writer. write: the store's exclusive
  // lock (LockTimeout naming the store once SessionOptions::lock_timeout passed) and a write
  // transaction under it, whose reads see every write committed before.
  virtual std::unique_ptr<BackendTransaction> begin(TxnKind kind) = 0;

  // ---- inside a transaction: reading (docs/FORMAT.md "Reading") -------------------------------
  // True when the store is still at revision `seen`, which the session knows (`known`);
  // false for a first look. Cheap: reads no entry.
  virtual bool unchanged(std::int64_t seen, bool known, TxnKind kind) = 0;
  // The session applied what changed: it is current with the store as this transaction sees it.
  virtual void caught_up() noexcept {}
  // The meta rows, each checked against its type and range (FormatError naming the store).
  virtual Meta read_meta() = 0;
  // Every entry, each row checked (FormatError naming the key and the store).
  virtual KeyMap<EntryPtr> read_all_entries() = 0;
  // The entries written after revision `since`.
  virtual std::vector<std::pair<std::string, EntryPtr>> read_entries_since(std::int64_t since) = 0;
  // The keys of the tombstones written after revision `since`.
  virtual std::vector<std::string> read_erased_since(std::int64_t since) = 0;
  // Every key the store holds, in any order.
  virtual std::vector<std::string> read_keys() = 0;

  // ---- inside a write transaction: one revision (docs/FORMAT.md "Revisions") ------------------
  // Sets `key` to `entry` at `revision` (dropping its tombstone).
  virtual void put_entry(const std::string& key, const Entry& entry, std::int64_t revision,
                         std::int64_t now) = 0;
  // Erases `key`, leaving a tombstone at `revision` when there was an entry.
  virtual void erase_entry(const std::string& key, std::int64_t revision) = 0;
  // Deletes the tombstones too old to keep at `revision`; returns the new purged revision
  // (`purged` when none were deleted).
  virtual std::int64_t purge_tombstones(std::int64_t revision, std::int64_t purged) = 0;
  // Makes the meta rows `after`, which were `before` (what differs, revision and time always).
  virtual void write_meta(const Meta& before, const Meta& after) = 0;

  // ---- change notification ---------------------------------------------------------------------
  virtual ChangeFeed& feed() = 0;

  // ---- the whole store --------------------------------------------------------------------------
  // After the first load, before the session writes anything of its own (a file's journal).
  virtual void ready() = 0;
  // What file_info() reports besides the meta rows: journal, sizes.
  virtual void describe(SessionFileInfo& info, bool in_transaction) = 0;
  // The storage's own consistency check; empty when sound.
  virtual std::vector<std::string> check_database(bool in_transaction) = 0;
  virtual BackupInfo backup_to(const std::filesystem::path& out, const Signer& signer) = 0;
  virtual void vacuum() = 0;
  // Closes the connection now (errors thrown).
  virtual void close() = 0;
  // In a child process after fork(): forgets the connection without closing it.
  virtual void abandon() noexcept = 0;
};

// What a session asks of a backend it opens.
struct OpenRequest {
  const std::filesystem::path& path;
  const std::string& name;  // the store as shown to people
  const SessionOptions& options;
  const Signer& signer;
};

// What opening decided, for the session to finish.
struct OpenPlan {
  bool create = false;
  bool upgrade = false;  // an older store format
  bool migrate = false;  // an older app schema
};

// The checks every backend makes of a store's meta before reading an entry
// (docs/FORMAT.md "Opening a file"): FormatError / IntegrityError naming the store.
void check_format_version(const OpenRequest& request, std::int64_t version,
                          std::int64_t min_reader_version, OpenPlan& plan);
void check_integrity_key(const OpenRequest& request, const Meta& meta);
void check_app_schema(const OpenRequest& request, const Meta& meta, OpenPlan& plan);
// The meta rows of a store this session creates.
Meta new_store_meta(const OpenRequest& request);

}  // namespace picklejar::store
