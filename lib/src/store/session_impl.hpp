#pragma once
// Session's state (internal), shared by the files that implement it:
//   session.cpp           the dictionary interface, lazy decode, typed errors
//   session_open.cpp      opening: the backend, the first load, migrations
//   session_sync.cpp      load / save / transact / convert_protocol and the refresh
//   session_bulk.cpp      touch, update, erase_prefix, clear
//   session_atomic.cpp    increment and add: one key saved in a transaction of its own
//   session_changes.cpp   what load() reports, changed() and wait_for_change()
//   session_maintenance.cpp  backup_to, vacuum, rekey, set_app_schema_version, file_info
//   session_restore.cpp   restore_from
//   migrations.cpp        the app's schema migrations
//
// Its parts: the Backend (backend.hpp: where the store lives, sqlite/ for a file), the View
// (view.hpp: the entries and unsaved changes), and what the session last saw of the store's
// meta, here. Nothing in these files knows which backend it talks to.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <picklejar/session.hpp>

#include "backend.hpp"
#include "integrity.hpp"
#include "sqlite/lock_registry.hpp"
#include "view.hpp"

namespace picklejar::store {

// Session keys are Python str that SQLite's UTF-8 TEXT holds: ValueError for invalid UTF-8
// or a lone surrogate.
void check_key(std::string_view key);

// A revision write_pending() wrote, to be applied once its transaction commits.
struct Written {
  Meta meta;                    // the meta rows it wrote
  std::vector<Entry*> entries;  // the view's entries it wrote, to stamp with the revision
};

// Everything a Session holds.
struct SessionState {
  SessionState(const std::filesystem::path& path, const SessionOptions& options);

  std::filesystem::path path;
  std::string path_text;   // the store as shown in messages
  SessionOptions options;  // integrity_key removed: the signer holds the key
  store::Signer signer;
  pid_t pid;  // of the process that opened it, for messages
  // The lock registry of the process that opened it. A forked child gets a fresh registry
  // (lock_registry.hpp), so this tells a child's use apart without a getpid() system call on
  // every call; FileLock does the same.
  const store::LockRegistry* registry;
  bool read_only;
  std::unique_ptr<Backend> backend;

  store::Meta meta;        // the meta rows as last seen
  bool have_meta = false;  // false until the first refresh
  std::int64_t seen = 0;   // the global revision the view is current with
  store::View view;
  // Inside fn of transact() or a migration: save/load/discard are refused.
  bool in_transaction = false;
  // set_app_schema_version() inside a transaction: written with the transaction's save.
  std::optional<std::int64_t> schema_change;

  // Change notification (session_changes.cpp). Keys other sessions changed since the last
  // look (load(), wait_for_change()), each with whether the store had it at that look.
  store::KeyMap<bool> unreported;
  std::int64_t looked_revision = 0;  // `seen` at the last look
  std::uint64_t looked_version = 0;  // feed().version() at the last look

  // ---- session.cpp ---------------------------------------------------------------------------
  // Throws IntegrityError naming the key when the entry's digest does not verify.
  void check_digest(std::string_view key, const store::Entry& entry) const;
  const Value& decoded(std::string_view key, const store::Entry& entry) const;
  void require_writable(std::string_view what) const;
  void require_outside_transaction(std::string_view what) const;
  // The entry `value` becomes under `key` (pickled now: EncodeError naming the key), without
  // changing anything.
  EntryPtr encode(const std::string& key, const Value& value, int protocol) const;
  void put(const std::string& key, const Value& value, int protocol);
  int write_protocol() const;
  // Undoes what the transaction in progress changed in the view.
  void rollback_undo() noexcept;
  // Tells options.on_dropped_changes of the unsaved changes, if any (for the destructor and
  // close()).
  void report_dropped() const noexcept;

  // ---- session_sync.cpp ----------------------------------------------------------------------
  // Inside a transaction of `kind`: reads what changed since `seen` and applies it to the
  // view.
  void refresh(store::TxnKind kind);
  // refresh() once the store is known to have changed since `seen`.
  void read_changes();
  // Inside a write transaction after refresh(): checks conflicts (strict), writes every
  // pending change and the meta rows as revision meta.revision + 1, with `target`'s
  // app_schema_version, default_protocol, integrity_scheme and key_id (the session's meta
  // when not given). `force` writes a revision even with nothing pending (a meta change).
  // Empty when nothing was written. Changes no state of the session.
  std::optional<store::Written> write_pending(bool force,
                                              const std::optional<store::Meta>& target = {});
  // After the commit of what write_pending wrote: marks everything saved.
  void finish_save(store::Written written) noexcept;

  // ---- session_changes.cpp -------------------------------------------------------------------
  // Inside refresh, before another session's change to `key` is applied to the view: keeps
  // it for the next look.
  void note_outside_change(const std::string& key);
  // Inside the read transaction of a look, after its refresh: the changes since the previous
  // look, which this one ends.
  Changes take_changes();
  // Inside the open's last read transaction: this is the first look.
  void begin_looking();

  // ---- migrations.cpp ------------------------------------------------------------------------
  // Migrates the store's app schema to options.schema_version in one write transaction,
  // running the steps on `self`.
  void migrate(Session& self);
};

// wait_for_change() until `deadline`; with `stop`, also returns (empty Changes) once *stop
// is true and feed().wake() was called (Watcher).
Changes wait_for_changes(Session& session, SessionState& s,
                         std::chrono::steady_clock::time_point deadline,
                         const std::atomic<bool>* stop);

}  // namespace picklejar::store
