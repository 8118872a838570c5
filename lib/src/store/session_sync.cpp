// load(), save(), transact() and convert_protocol(): the incremental refresh of the view from
// the store (docs/FORMAT.md "Reading") and the write of every pending change as one revision
// (docs/FORMAT.md "Revisions"), through the session's backend.

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <picklejar/session.hpp>

#include "session_impl.hpp"

namespace picklejar {
namespace {

using store::EntryPtr;
using store::TxnKind;

// Keys this session knows of that are no longer in the store, found by listing the store's
// keys: used when tombstones this session needs were purged.
std::vector<std::string> vanished_keys(store::SessionState& s) {
  std::vector<std::string> store_keys = s.backend->read_keys();
  std::sort(store_keys.begin(), store_keys.end());
  std::vector<std::string> gone;
  for (std::string& key : s.view.keys_in_store())
    if (!std::binary_search(store_keys.begin(), store_keys.end(), key)) gone.push_back(key);
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

// Another program's copy_from() (`picklejar copy`) gave the file another's id: this session's
// digests, bound to the old one, no longer verify anything written since.
void check_file_id_change(const store::SessionState& s, const store::Meta& fresh) {
  if (fresh.file_id == s.meta.file_id) return;
  const auto id = [](const store::Meta& m) {
    return m.file_id ? store::file_id_hex(*m.file_id) : std::string("none");
  };
  throw IntegrityError(s.path_text, std::nullopt,
                       fmt::format("'{}': its file id changed while open ({} -> {}; another "
                                   "program copied a session over it, `picklejar copy`): open "
                                   "it again",
                                   s.path_text, id(s.meta), id(fresh)));
}

void check_conflicts(const store::SessionState& s) {
  const std::vector<std::string> keys = s.view.conflicts();
  if (keys.empty()) return;
  std::string list;
  for (const std::string& key : keys) list += (list.empty() ? "'" : ", '") + key + "'";
  throw ConflictError(s.path_text, keys,
                      fmt::format("cannot save '{}': another session changed {} since this one "
                                  "saw {}: {}",
                                  s.path_text, keys.size() == 1 ? "a key" : "keys",
                                  keys.size() == 1 ? "it" : "them", list));
}

}  // namespace

// ---- SessionState: refresh and write -----------------------------------------------------------

void store::SessionState::refresh(store::TxnKind kind) {
  if (backend->unchanged(seen, have_meta, kind)) return;
  read_changes();
  backend->caught_up();
}

void store::SessionState::read_changes() {
  store::Meta fresh = backend->read_meta();
  if (have_meta) {
    check_meta_change(*this, fresh);
    check_key_change(*this, fresh);
    check_file_id_change(*this, fresh);
  }
  // Read everything first, apply after: a failed read leaves the session as it was.
  if (seen == 0 && view.entries().empty() && view.pending().empty()) {
    // The first load: take the store as it is.
    store::KeyMap<EntryPtr> all = backend->read_all_entries();
    if (have_meta)  // a store created empty, then written by others: all of it is news
      for (const auto& [key, entry] : all) note_outside_change(key);
    // From the first load on, digests are made and checked under the store's rule and id.
    std::optional<store::Signer> bound;
    if (!have_meta) bound = signer.for_file(store::signing_file_id(fresh));
    view.load(std::move(all));
    if (bound) signer = std::move(*bound);
    meta = std::move(fresh);
    have_meta = true;
    seen = meta.revision;
    return;
  }
  std::vector<std::pair<std::string, EntryPtr>> changed = backend->read_entries_since(seen);
  std::vector<std::string> erased;
  if (seen != 0 && seen < fresh.purged_revision) {
    erased = vanished_keys(*this);
  } else if (seen != 0) {
    erased = backend->read_erased_since(seen);
  }
  const auto apply = [this](const std::string& key, EntryPtr entry) {
    note_outside_change(key);
    view.apply_outside(key, std::move(entry));
  };
  for (auto& [key, entry] : changed) apply(key, std::move(entry));
  for (const std::string& key : erased) apply(key, nullptr);
  meta = std::move(fresh);
  have_meta = true;
  seen = meta.revision;
}

std::optional<store::Written> store::SessionState::write_pending(
    bool force, const std::optional<store::Meta>& target) {
  const auto& pending = view.pending();
  if (pending.empty() && !force && !schema_change) return std::nullopt;
  if (options.conflicts == ConflictPolicy::strict) check_conflicts(*this);
  store::Written written;
  store::Meta& after = written.meta;
  after = target ? *target : meta;
  after.revision = store::next_revision(path_text, meta.revision);
  after.modified_us = store::now_us();
  written.entries.reserve(pending.size());
  // Both maps are sorted alike: the entry after the last one found is usually the next.
  const auto& entries = view.entries();
  auto it = entries.begin();
  for (const auto& [key, change] : pending) {
    if (it == entries.end() || it->first != key) it = entries.find(key);
    if (it != entries.end()) {
      backend->put_entry(key, *it->second, after.revision, after.modified_us);
      written.entries.push_back((it++)->second.get());
    } else {
      backend->erase_entry(key, after.revision);
    }
  }
  after.purged_revision = backend->purge_tombstones(after.revision, meta.purged_revision);
  after.writer_name = std::string(store::kWriterName);
  after.writer_version = std::string(store::library_version());
  after.writer_app = options.app_name;
  if (schema_change) after.app_schema_version = *schema_change;
  backend->write_meta(meta, after);
  return written;
}

void store::SessionState::finish_save(store::Written written) noexcept {
  view.saved(written.entries, written.meta.revision, written.meta.modified_us);
  meta = std::move(written.meta);
  seen = meta.revision;
  schema_change.reset();
}

// ---- Session -----------------------------------------------------------------------------------

Changes Session::load() {
  store::SessionState& s = impl();
  s.require_outside_transaction("load");
  const auto txn = s.backend->begin(TxnKind::read);
  s.refresh(TxnKind::read);
  Changes changes = s.take_changes();
  txn->commit();
  return changes;
}

void Session::save() {
  store::SessionState& s = impl();
  s.require_writable("save");
  s.require_outside_transaction("save");
  if (s.view.pending().empty()) return;
  const auto txn = s.backend->begin(TxnKind::write);
  s.refresh(TxnKind::write);
  auto written = s.write_pending(false);
  txn->commit();
  if (written) s.finish_save(std::move(*written));
}

void Session::transact_impl(const std::function<void(Session&)>& fn) {
  store::SessionState& s = impl();
  if (s.in_transaction) {  // joins the outer transact()
    fn(*this);
    return;
  }
  s.require_writable("transact on");
  const auto txn = s.backend->begin(TxnKind::write);
  s.refresh(TxnKind::write);
  s.view.begin_undo();
  s.in_transaction = true;
  try {
    fn(*this);
    s.in_transaction = false;
    auto written = s.write_pending(false);
    txn->commit();
    s.view.end_undo();
    if (written) s.finish_save(std::move(*written));
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
  if (!s.view.pending().empty())
    throw StoreError(s.path_text, std::nullopt,
                     fmt::format("cannot convert the protocol of '{}' with unsaved changes: "
                                 "save() or discard() first",
                                 s.path_text));
  const auto txn = s.backend->begin(TxnKind::write);
  s.refresh(TxnKind::write);
  s.view.begin_undo();
  try {
    for (const std::string& key : keys()) s.put(key, s.decoded(key, *s.view.find(key)), protocol);
    store::Meta target = s.meta;
    target.default_protocol = protocol;
    auto written = s.write_pending(true, target);
    txn->commit();
    s.view.end_undo();
    s.finish_save(std::move(*written));
  } catch (...) {
    s.rollback_undo();
    throw;
  }
}

}  // namespace picklejar
