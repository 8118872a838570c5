// Synchronizing a session with its file: the incremental refresh, writing a revision, and
// load / save / transact / convert_protocol on top of them.

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include <picklejar/session.hpp>

#include "entry_rows.hpp"
#include "file_lock.hpp"
#include "schema_check.hpp"
#include "session_impl.hpp"

namespace picklejar {
namespace {

using store::EntryPtr;
using store::FileLock;
using store::LockMode;
using store::Transaction;

std::int64_t file_revision(store::Db& db) {
  auto q = db.query("SELECT value FROM meta WHERE name = 'revision'");
  return q->step() ? q->column_int(0) : -1;
}

constexpr const char* kSelectAllEntries =
    "SELECT key, pickle, protocol, digest, revision, modified_us FROM entries";

// Every entry of the file. Rows come in rowid order, which is key order for keys saved
// together (a save writes them sorted), so the end is the hint and building the map costs
// no key comparisons beyond one per row; other orders still insert correctly.
store::KeyMap<EntryPtr> read_all_entries(store::Db& db) {
  store::KeyMap<EntryPtr> all;
  auto q = db.query(kSelectAllEntries);
  while (q->step()) {
    const std::string_view key = store::row_key(*q, 0, "entries", db.path());
    all.emplace_hint(all.end(), key, store::read_entry(*q, key, db.path()));
  }
  return all;
}

// Keys the session believes are in the file (not counting its own unsaved entries).
std::vector<std::string> keys_on_disk(const store::SessionState& s) {
  std::vector<std::string> keys;
  for (const auto& [key, entry] : s.view)
    if (!s.pending.contains(key)) keys.push_back(key);
  for (const auto& [key, change] : s.pending)
    if (change.disk) keys.push_back(key);
  return keys;
}

// Keys this session knows of that are no longer in the file, found by listing the file's
// keys: used when tombstones this session needs were purged.
std::vector<std::string> vanished_keys(store::SessionState& s) {
  std::vector<std::string> file_keys;
  {
    auto q = s.db->query("SELECT key FROM entries");
    while (q->step()) file_keys.emplace_back(store::row_key(*q, 0, "entries", s.path_text));
  }
  std::sort(file_keys.begin(), file_keys.end());
  std::vector<std::string> gone;
  for (std::string& key : keys_on_disk(s))
    if (!std::binary_search(file_keys.begin(), file_keys.end(), key)) gone.push_back(key);
  return gone;
}

void check_meta_change(const store::SessionState& s, const store::Meta& fresh) {
  if (fresh.format_version != s.meta.format_version)
    throw FormatError(s.path_text, std::nullopt,
                      fmt::format("'{}' changed to file format version {} while open (this "
                                  "session uses {}): open it again",
                                  s.path_text, fresh.format_version, s.meta.format_version));
  if (s.options.schema_version && !s.read_only &&
      fresh.app_schema_version > *s.options.schema_version)
    throw FormatError(
        s.path_text, std::nullopt,
        fmt::format("'{}' was migrated to app schema version {} by another "
                    "program while open (this program knows {})",
                    s.path_text, fresh.app_schema_version, *s.options.schema_version));
}

// Another program's rekey() makes every entry fail to verify with this session's key.
void check_key_change(const store::SessionState& s, const store::Meta& fresh) {
  if (fresh.integrity_scheme == s.meta.integrity_scheme && fresh.key_id == s.meta.key_id) return;
  const auto name = [](const store::Meta& m) {
    return m.key_id ? "key id " + *m.key_id : std::string("no key");
  };
  throw IntegrityError(s.path_text, std::nullopt,
                       fmt::format("'{}' was re-keyed by another program while open ({} -> {}): "
                                   "open it again with its new key",
                                   s.path_text, name(s.meta), name(fresh)));
}

void check_conflicts(const store::SessionState& s) {
  std::vector<std::string> keys;
  for (const auto& [key, change] : s.pending) {
    const std::optional<std::int64_t> now =
        change.disk ? std::optional(change.disk->revision) : std::nullopt;
    if (now != change.base_revision) keys.push_back(key);
  }
  if (keys.empty()) return;
  std::string list;
  for (const std::string& key : keys) list += (list.empty() ? "'" : ", '") + key + "'";
  throw ConflictError(s.path_text, keys,
                      fmt::format("cannot save '{}': another session changed {} since this one "
                                  "saw {}: {}",
                                  s.path_text, keys.size() == 1 ? "a key" : "keys",
                                  keys.size() == 1 ? "it" : "them", list));
}

// `tombstones`: whether the file may hold tombstones, which a set key must lose.
void write_entry(store::Db& db, const std::string& key, const store::Entry& entry,
                 std::int64_t revision, std::int64_t now, bool tombstones) {
  db.query(
        "INSERT INTO entries (key, pickle, protocol, digest, revision, modified_us) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key) DO UPDATE SET "
        "pickle = excluded.pickle, protocol = excluded.protocol, digest = excluded.digest, "
        "revision = excluded.revision, modified_us = excluded.modified_us")
      ->bind_text(1, key)
      .bind_blob(2, entry.pickle)
      .bind(3, entry.protocol)
      .bind_blob(4, entry.digest.view())
      .bind(5, revision)
      .bind(6, now)
      .run();
  if (tombstones) db.query("DELETE FROM tombstones WHERE key = ?1")->bind_text(1, key).run();
}

bool any_tombstones(store::Db& db) {
  auto q = db.query("SELECT EXISTS (SELECT 1 FROM tombstones)");
  return q->step() && q->column_int(0) != 0;
}

// The meta rows every write sets: revision and time always, the writer's rows when they
// differ from what the file holds.
void write_writer_meta(store::SessionState& s, const store::Written& written) {
  s.db->query(
          "UPDATE meta SET value = CASE name WHEN 'revision' THEN ?1 ELSE ?2 END "
          "WHERE name IN ('revision', 'modified_us')")
      ->bind(1, written.revision)
      .bind(2, written.modified_us)
      .run();
  if (s.meta.writer_name != store::kWriterName)
    store::write_meta(*s.db, "writer_name", store::kWriterName);
  if (s.meta.writer_version != store::library_version())
    store::write_meta(*s.db, "writer_version", store::library_version());
  if (s.meta.writer_app != s.options.app_name)
    store::write_meta(*s.db, "writer_app", s.options.app_name);
}

// Returns whether it wrote a tombstone.
bool erase_entry(store::Db& db, const std::string& key, std::int64_t revision) {
  db.query("DELETE FROM entries WHERE key = ?1")->bind_text(1, key).run();
  if (db.changes() == 0) return false;  // nothing there: nobody needs to hear of it
  db.query("INSERT OR REPLACE INTO tombstones (key, revision) VALUES (?1, ?2)")
      ->bind_text(1, key)
      .bind(2, revision)
      .run();
  return true;
}

// Deletes tombstones too old to keep; returns the new purged_revision.
std::int64_t purge_tombstones(store::Db& db, std::int64_t revision, std::int64_t purged) {
  const std::int64_t limit = revision - store::kTombstoneRetention;
  if (limit <= purged) return purged;
  db.query("DELETE FROM tombstones WHERE revision <= ?1")->bind(1, limit).run();
  if (db.changes() == 0) return purged;
  store::write_meta(db, "purged_revision", limit);
  return limit;
}

}  // namespace

// ---- SessionState: refresh and write -----------------------------------------------------------

void store::SessionState::check_schema_current() {
  std::int64_t cookie = 0;
  {
    auto q = db->query("PRAGMA schema_version");
    if (!q->step()) db->fail(SQLITE_ERROR, "no result from a pragma on");
    cookie = q->column_int(0);
  }
  if (checked_schema == cookie) return;
  store::check_schema(*db, file_format);
  checked_schema = cookie;
}

void store::SessionState::refresh(store::Transaction::Kind kind) {
  // BEGIN IMMEDIATE has started reading, so the data version is current: unchanged, the file
  // (schema included) is as this session last saw it. (A deferred BEGIN reads nothing until
  // the first query.)
  if (have_meta && kind == store::Transaction::Kind::write && seen_data_version &&
      db->data_version() == seen_data_version)
    return;
  check_schema_current();
  if (have_meta && file_revision(*db) == seen) {
    seen_data_version = db->data_version();
    return;
  }
  no_tombstones = false;  // another writer may have erased keys
  read_changes();
  seen_data_version = db->data_version();
}

void store::SessionState::read_changes() {
  store::Meta fresh = store::read_meta(*db);
  if (have_meta) {
    check_meta_change(*this, fresh);
    check_key_change(*this, fresh);
  }
  // Read everything first, apply after: a failed read leaves the session as it was.
  if (seen == 0 && view.empty() && pending.empty()) {  // the first load: take the file as is
    store::KeyMap<EntryPtr> all = read_all_entries(*db);
    if (have_meta)  // a file created empty, then written by others: all of it is news
      for (const auto& [key, entry] : all) note_outside_change(key);
    view = std::move(all);
    meta = std::move(fresh);
    have_meta = true;
    seen = meta.revision;
    return;
  }
  std::vector<std::pair<std::string, EntryPtr>> changed;
  {
    auto q = db->query(seen == 0 ? kSelectAllEntries
                                 : "SELECT key, pickle, protocol, digest, revision, "
                                   "modified_us FROM entries WHERE revision > ?1");
    if (seen != 0) q->bind(1, seen);
    while (q->step()) {
      const std::string_view key = store::row_key(*q, 0, "entries", path_text);
      changed.emplace_back(std::string(key), store::read_entry(*q, key, path_text));
    }
  }
  std::vector<std::string> erased;
  if (seen != 0 && seen < fresh.purged_revision) {
    erased = vanished_keys(*this);
  } else if (seen != 0) {
    auto q = db->query("SELECT key FROM tombstones WHERE revision > ?1");
    q->bind(1, seen);
    while (q->step()) erased.emplace_back(store::row_key(*q, 0, "tombstones", path_text));
  }
  const auto apply = [this](const std::string& key, EntryPtr entry) {
    note_outside_change(key);
    if (const auto it = pending.find(key); it != pending.end()) {
      it->second.disk = std::move(entry);
    } else if (entry) {
      view[key] = std::move(entry);
    } else {
      view.erase(key);
    }
  };
  for (auto& [key, entry] : changed) apply(key, std::move(entry));
  for (const std::string& key : erased) apply(key, nullptr);
  meta = std::move(fresh);
  have_meta = true;
  seen = meta.revision;
}

std::optional<store::Written> store::SessionState::write_pending(bool force) {
  if (pending.empty() && !force && !schema_change) return std::nullopt;
  if (options.conflicts == ConflictPolicy::strict) check_conflicts(*this);
  store::Written written;
  written.revision = store::next_revision(*db, meta.revision);
  written.modified_us = store::now_us();
  if (!no_tombstones) no_tombstones = !any_tombstones(*db);
  const bool tombstones = !no_tombstones;
  written.entries.reserve(pending.size());
  // Both maps are sorted alike: the entry after the last one found is usually the next.
  auto it = view.begin();
  for (const auto& [key, change] : pending) {
    if (it == view.end() || it->first != key) it = view.find(key);
    if (it != view.end()) {
      write_entry(*db, key, *it->second, written.revision, written.modified_us, tombstones);
      written.entries.push_back((it++)->second.get());
    } else if (erase_entry(*db, key, written.revision)) {
      no_tombstones = false;
    }
  }
  // Nothing to purge without tombstones: purged_revision only moves when some were deleted.
  written.purged_revision = no_tombstones
                                ? meta.purged_revision
                                : purge_tombstones(*db, written.revision, meta.purged_revision);
  write_writer_meta(*this, written);
  return written;
}

void store::SessionState::finish_save(const store::Written& written) noexcept {
  for (store::Entry* entry : written.entries) {
    entry->revision = written.revision;
    entry->modified_us = written.modified_us;
  }
  pending.clear();
  meta.revision = written.revision;
  meta.modified_us = written.modified_us;
  meta.purged_revision = written.purged_revision;
  meta.writer_name = std::string(store::kWriterName);
  meta.writer_version = std::string(store::library_version());
  meta.writer_app = options.app_name;
  seen = written.revision;
  seen_data_version = db->data_version();  // after the COMMIT: counts it, and no other's
  if (schema_change) meta.app_schema_version = *std::exchange(schema_change, std::nullopt);
}

// ---- Session -----------------------------------------------------------------------------------

Changes Session::load() {
  store::SessionState& s = impl();
  s.require_outside_transaction("load");
  Transaction txn(*s.db, Transaction::Kind::read);
  s.refresh(Transaction::Kind::read);
  Changes changes = s.take_changes();
  txn.commit();
  return changes;
}

void Session::save() {
  store::SessionState& s = impl();
  s.require_writable("save");
  s.require_outside_transaction("save");
  if (s.pending.empty()) return;
  const FileLock held = s.writer_lock();
  Transaction txn(*s.db, Transaction::Kind::write);
  s.refresh(Transaction::Kind::write);
  const auto written = s.write_pending(false);
  txn.commit();
  if (written) s.finish_save(*written);
}

void Session::transact_impl(const std::function<void(Session&)>& fn) {
  store::SessionState& s = impl();
  if (s.in_transaction) {  // joins the outer transact()
    fn(*this);
    return;
  }
  s.require_writable("transact on");
  const FileLock held = s.writer_lock();
  Transaction txn(*s.db, Transaction::Kind::write);
  s.refresh(Transaction::Kind::write);
  s.undo.emplace();
  s.in_transaction = true;
  try {
    fn(*this);
    s.in_transaction = false;
    const auto written = s.write_pending(false);
    txn.commit();
    s.undo.reset();
    if (written) s.finish_save(*written);
  } catch (...) {
    s.in_transaction = false;
    s.rollback_undo();
    throw;
  }
}

void Session::convert_protocol(int protocol) {
  store::SessionState& s = impl();
  if (protocol < 0 || protocol > 5)
    throw ValueError(fmt::format("convert_protocol: protocol must be 0-5, not {}", protocol));
  s.require_writable("convert the protocol of");
  s.require_outside_transaction("convert the protocol of");
  if (!s.pending.empty())
    throw StoreError(s.path_text, std::nullopt,
                     fmt::format("cannot convert the protocol of '{}' with unsaved changes: "
                                 "save() or discard() first",
                                 s.path_text));
  const FileLock held = s.writer_lock();
  Transaction txn(*s.db, Transaction::Kind::write);
  s.refresh(Transaction::Kind::write);
  s.undo.emplace();
  try {
    for (const std::string& key : keys()) s.put(key, s.decoded(key, *s.view.at(key)), protocol);
    store::write_meta(*s.db, "default_protocol", protocol);
    const auto written = s.write_pending(true);
    txn.commit();
    s.undo.reset();
    s.meta.default_protocol = protocol;
    s.finish_save(*written);
  } catch (...) {
    s.rollback_undo();
    throw;
  }
}

}  // namespace picklejar
