// Operations on the whole file: vacuum(), rekey() and set_app_schema_version().

#include <fmt/format.h>

#include <picklejar/session.hpp>

#include "file_lock.hpp"
#include "session_impl.hpp"

namespace picklejar {

void Session::vacuum() {
  store::SessionState& s = impl();
  s.require_writable("vacuum");
  s.require_outside_transaction("vacuum");
  const store::FileLock held = s.writer_lock();
  // VACUUM rebuilds every table and index (evaluating index expressions) with no time limit:
  // the schema, which another program may have changed since the open, is checked first.
  {
    store::Transaction txn(*s.db, store::Transaction::Kind::read);
    s.check_schema_current();
    txn.commit();
  }
  s.db->exec_unlimited("VACUUM");
  // VACUUM wrote the new file into the WAL; the checkpoint moves it into the file, which
  // shrinks, and TRUNCATE gives back the WAL's space (if a reader in another process still
  // uses an older snapshot, the checkpoint stops short and a later one finishes).
  if (s.journal_mode == "wal") s.db->exec_unlimited("PRAGMA wal_checkpoint(TRUNCATE)");
}

void Session::rekey(std::optional<std::string_view> new_key) {
  store::SessionState& s = impl();
  s.require_writable("rekey");
  s.require_outside_transaction("rekey");
  if (!s.pending.empty())
    throw StoreError(s.path_text, std::nullopt,
                     fmt::format("cannot rekey '{}' with unsaved changes: save() or discard() "
                                 "first",
                                 s.path_text));
  store::Signer next(new_key);
  const store::FileLock held = s.writer_lock();
  store::Transaction txn(*s.db, store::Transaction::Kind::write);
  s.refresh(store::Transaction::Kind::write);
  s.undo.emplace();
  try {
    // No unsaved changes: the view is the file. Every entry is verified with the old key.
    for (const auto& [key, entry] : s.view) {
      s.check_digest(key, *entry);
      auto signed_again = std::make_shared<store::Entry>(*entry);
      const store::Digest digest = next.digest(key, entry->pickle);
      signed_again->digest.assign(
          std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
      s.place(key, std::move(signed_again));
    }
    const std::string scheme(store::scheme_name(next.scheme()));
    store::write_meta(*s.db, "integrity_scheme", scheme);
    if (next.key_id().empty()) {
      s.db->query("INSERT OR REPLACE INTO meta (name, value) VALUES ('key_id', NULL)")->run();
    } else {
      store::write_meta(*s.db, "key_id", next.key_id());
    }
    const auto written = s.write_pending(true);
    txn.commit();
    s.undo.reset();
    s.signer = std::move(next);
    s.meta.integrity_scheme = scheme;
    s.meta.key_id =
        s.signer.key_id().empty() ? std::nullopt : std::optional<std::string>(s.signer.key_id());
    s.finish_save(*written);
  } catch (...) {
    s.rollback_undo();
    throw;
  }
}

void Session::set_app_schema_version(std::int64_t version) {
  store::SessionState& s = impl();
  s.require_writable("set the app schema version of");
  if (s.options.schema_version && *s.options.schema_version != version)
    throw StoreError(s.path_text, std::nullopt,
                     fmt::format("cannot set the app schema version of '{}' to {}: this session "
                                 "declares version {}, which its migrations keep",
                                 s.path_text, version, *s.options.schema_version));
  // Inside a transaction the row is written at once (its rollback takes it back) and the
  // transaction's save bumps the revision; outside, a transaction of its own does that.
  const auto write = [&s, version] {
    if (s.meta.app_schema_version == version && !s.schema_change) return;  // nothing to do
    store::write_meta(*s.db, "app_schema_version", version);
    s.schema_change = version;
  };
  if (s.in_transaction) {
    write();
  } else {
    transact_impl([&write](Session&) { write(); });
  }
}

}  // namespace picklejar
