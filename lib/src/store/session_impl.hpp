#pragma once
// Session's state (internal), shared by the files that implement it:
//   session.cpp           the dictionary interface, lazy decode, typed errors
//   session_open.cpp      opening: inspection, the open plan, creation, configuration
//   session_sync.cpp      load / save / transact / convert_protocol and the refresh
//   session_bulk.cpp      touch, update, erase_prefix, clear and file_info's sizes
//   session_atomic.cpp    increment and add: one key saved in a transaction of its own
//   session_changes.cpp   what load() reports, changed() and wait_for_change()
//   session_backup.cpp    backup_to, the automatic backups, restore_from
//   session_maintenance.cpp  vacuum, rekey, set_app_schema_version
//   migrations.cpp        the app's schema migrations and the file format upgrade steps
//
// The view is what the session shows: the file's entries as last seen plus unsaved changes.
// `pending` remembers, for every changed key, the file's entry (to discard the change) and
// the state the change was based on (to detect conflicts).

#include <sys/types.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <picklejar/session.hpp>

#include "change_feed.hpp"
#include "file_lock.hpp"
#include "format.hpp"
#include "integrity.hpp"
#include "lock_registry.hpp"
#include "sqlite.hpp"

namespace picklejar::store {

// Session keys are Python str that SQLite's UTF-8 TEXT holds: ValueError for invalid UTF-8
// or a lone surrogate.
void check_key(std::string_view key);

// An entry's digest as stored, kept inline (no allocation per entry). A stored digest of
// another length than 32 bytes cannot verify; only that it was malformed is kept.
class StoredDigest {
 public:
  StoredDigest() = default;
  explicit StoredDigest(std::string_view stored) { assign(stored); }
  void assign(std::string_view stored) noexcept {
    well_formed_ = stored.size() == bytes_.size();
    if (well_formed_) std::memcpy(bytes_.data(), stored.data(), bytes_.size());
  }
  // The 32 bytes, or an empty view when the stored digest was malformed.
  std::string_view view() const noexcept {
    return well_formed_ ? std::string_view(bytes_.data(), bytes_.size()) : std::string_view();
  }

 private:
  std::array<char, kDigestSize> bytes_{};
  bool well_formed_ = false;
};

struct Entry {
  std::string pickle;
  StoredDigest digest;
  int protocol = 4;
  std::int64_t revision = 0;  // 0 while unsaved
  std::int64_t modified_us = 0;
  // The decoded value, set once the digest verified and the pickle decoded.
  mutable std::optional<Value> value;
};
using EntryPtr = std::shared_ptr<Entry>;

struct Pending {
  EntryPtr disk;  // the file's entry as last seen; null when the file has none
  // The entry revision the change was based on; empty when the key was absent then.
  std::optional<std::int64_t> base_revision;
};

// What a key looked like before a transact()/migration touched it, to undo fn's changes.
struct Undo {
  EntryPtr view;                   // null: not in the view
  std::optional<Pending> pending;  // empty: not pending
};

// A revision write_pending() wrote, to be applied once its transaction commits.
struct Written {
  std::int64_t revision = 0;
  std::int64_t modified_us = 0;
  std::int64_t purged_revision = 0;
  std::vector<Entry*> entries;  // the view's entries it wrote, to stamp with the revision
};

template <class V>
using KeyMap = std::map<std::string, V, std::less<>>;

// What a session's connections let a file cost (docs/FORMAT.md "Hardening").
inline DbLimits db_limits(const SessionOptions& options) {
  return {options.lock_timeout, options.decode.limits.max_input_bytes};
}

// Everything a Session holds.
struct SessionState {
  SessionState(const std::filesystem::path& path, const SessionOptions& options);

  std::filesystem::path path;
  std::string path_text;
  store::FileName file;             // what `path` names (file_name.hpp)
  std::filesystem::path lock_file;  // file.lock_file(), made once
  mode_t new_file_mode;             // options.file_mode, or default_file_mode()
  SessionOptions options;           // integrity_key removed: the signer holds the key
  store::Signer signer;
  std::unique_ptr<store::Db> db;
  pid_t pid;  // of the process that opened it, for messages
  // The lock registry of the process that opened it. A forked child gets a fresh registry
  // (lock_registry.hpp), so this tells a child's use apart without a getpid() system call on
  // every call; FileLock does the same.
  const store::LockRegistry* registry;
  bool read_only;
  std::string journal_mode;
  std::string synchronous;
  // The file's format version: the schema check holds the file to its objects.
  std::int64_t file_format = kFormatVersion;
  // PRAGMA schema_version when `db` last checked the schema; empty before its first
  // transaction. SQLite reads the schema again only when this cookie changes.
  std::optional<std::int64_t> checked_schema;

  store::Meta meta;        // the meta rows as last seen
  bool have_meta = false;  // false until the first refresh
  std::int64_t seen = 0;   // the global revision the view is current with
  // The connection's data version (Db::data_version) when the view was last known current:
  // inside a write transaction an unchanged data version means nothing to refresh, without
  // reading the meta revision.
  std::optional<std::uint32_t> seen_data_version;
  // True when the file was known to hold no tombstones at revision `seen`: a save then needs
  // neither to look for a set key's tombstone nor to purge.
  bool no_tombstones = false;
  store::KeyMap<store::EntryPtr> view;
  store::KeyMap<store::Pending> pending;
  // Inside transact()/a migration/convert_protocol(): the undo log of keys fn touched.
  std::optional<store::KeyMap<store::Undo>> undo;
  // Inside fn of transact() or a migration: save/load/discard are refused.
  bool in_transaction = false;
  // set_app_schema_version() inside a transaction: written with the transaction's save.
  std::optional<std::int64_t> schema_change;

  // Change notification (session_changes.cpp). Keys other sessions changed since the last
  // look (load(), wait_for_change()), each with whether the file had it at that look.
  store::KeyMap<bool> unreported;
  std::int64_t looked_revision = 0;  // `seen` at the last look
  std::uint64_t looked_version = 0;  // feed->version() at the last look
  std::unique_ptr<ChangeFeed> feed;  // uses `db`: declared after it, destroyed before it

  // ---- session.cpp ---------------------------------------------------------------------------
  // The writers' lock (exclusive), within the lock timeout. It passes other processes' shared
  // locks (older picklejar readers, or another user holding the lock file): SQLite's write
  // lock, which every write transaction takes next, is what keeps writers apart.
  FileLock writer_lock() const;
  // For a reader about to refuse a file that a writer may be creating: waits (up to the lock
  // timeout) until no writer holds the lock file. Best effort: nothing when the lock file
  // cannot be opened.
  void wait_for_writers() const;
  // Throws IntegrityError naming the key when the entry's digest does not verify.
  void check_digest(std::string_view key, const store::Entry& entry) const;
  const Value& decoded(std::string_view key, const store::Entry& entry) const;
  void require_writable(std::string_view what) const;
  void require_outside_transaction(std::string_view what) const;
  // Records `key` in the undo log and as pending before it changes. Returns the key's place
  // in the view: its entry, or where it would be inserted.
  store::KeyMap<store::EntryPtr>::iterator before_change(const std::string& key);
  // The entry `value` becomes under `key` (pickled now: EncodeError naming the key), without
  // changing anything.
  EntryPtr encode(const std::string& key, const Value& value, int protocol) const;
  // Makes `entry` the view's entry under `key`, recording the change.
  void place(const std::string& key, EntryPtr entry);
  void put(const std::string& key, const Value& value, int protocol);
  int write_protocol() const;
  void rollback_undo() noexcept;
  // Tells options.on_dropped_changes of the unsaved changes, if any (for the destructor and
  // close()).
  void report_dropped() const noexcept;

  // ---- session_bulk.cpp ----------------------------------------------------------------------
  // Fills info's sizes from the file (a read transaction under the shared lock; inside
  // transact() or a migration, the write transaction already open).
  void read_sizes(SessionFileInfo& info);

  // ---- session_sync.cpp ----------------------------------------------------------------------
  // Inside a transaction, before anything else is read: checks the schema (schema_check.hpp)
  // on the first transaction and whenever another connection changed it.
  void check_schema_current();
  // Inside a transaction of `kind`: reads what changed since `seen` and applies it to the
  // view.
  void refresh(store::Transaction::Kind kind);
  // refresh() once the file is known to have changed since `seen`.
  void read_changes();
  // Inside a write transaction after refresh(): checks conflicts (strict), writes every
  // pending change and the meta rows as revision meta.revision + 1. `force` writes a revision
  // even with nothing pending (a meta change). Empty when nothing was written. Changes no
  // state of the session.
  std::optional<store::Written> write_pending(bool force);
  // After the commit of what write_pending wrote: marks everything saved.
  void finish_save(const store::Written& written) noexcept;

  // ---- session_changes.cpp -------------------------------------------------------------------
  // Inside refresh, before another session's change to `key` is applied to the view: keeps
  // it for the next look.
  void note_outside_change(const std::string& key);
  // Inside the read transaction of a look, after its refresh: the changes since the previous
  // look, which this one ends.
  Changes take_changes();
  // Makes `feed` (once the connection is configured).
  void start_feed();
  // Inside the open's last read transaction: this is the first look.
  void begin_looking();

  // ---- session_backup.cpp --------------------------------------------------------------------
  // Before anything else is written by the open (SessionOptions::keep_backups): a backup of
  // the file as found, unless the newest already holds `found`'s revision; then the oldest
  // beyond keep_backups are removed.
  void automatic_backup(const store::Meta& found);

  // ---- migrations.cpp ------------------------------------------------------------------------
  // Under the exclusive lock: migrates the file's app schema to options.schema_version in one
  // write transaction, running the steps on `self`.
  void migrate(Session& self);
};

// wait_for_change() until `deadline`; with `stop`, also returns (empty Changes) once *stop
// is true and feed->wake() was called (Watcher).
Changes wait_for_changes(Session& session, SessionState& s,
                         std::chrono::steady_clock::time_point deadline,
                         const std::atomic<bool>* stop);

}  // namespace picklejar::store
