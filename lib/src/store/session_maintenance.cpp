// Operations on the whole store: backup_to(), vacuum(), rekey() and set_app_schema_version().

#include <fmt/format.h>

#include <picklejar/session.hpp>

#include "session_impl.hpp"

namespace picklejar {

BackupInfo Session::backup_to(const std::filesystem::path& out) const {
  store::SessionState& s = impl();
  s.require_outside_transaction("back up");
  return s.backend->backup_to(out, s.signer);
}

void Session::vacuum() {
  store::SessionState& s = impl();
  s.require_writable("vacuum");
  s.require_outside_transaction("vacuum");
  s.backend->vacuum();
}

void Session::rekey(std::optional<std::string_view> new_key) {
  store::SessionState& s = impl();
  s.require_writable("rekey");
  s.require_outside_transaction("rekey");
  if (!s.view.pending().empty())
    throw StoreError(s.path_text, std::nullopt,
                     fmt::format("cannot rekey '{}' with unsaved changes: save() or discard() "
                                 "first",
                                 s.path_text));
  // The file keeps its id: the new key signs for the same file.
  store::Signer next = store::Signer(new_key).for_file(s.signer.file_id());
  const auto txn = s.backend->begin(store::TxnKind::write);
  s.refresh(store::TxnKind::write);
  s.view.begin_undo();
  try {
    // No unsaved changes: the view is the store. Every entry is verified with the old key.
    const store::KeyMap<store::EntryPtr> entries = s.view.entries();
    for (const auto& [key, entry] : entries) {
      s.check_digest(key, *entry);
      auto signed_again = std::make_shared<store::Entry>(*entry);
      const store::Digest digest = next.digest(key, entry->pickle);
      signed_again->digest.assign(
          std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
      s.view.place(key, std::move(signed_again));
    }
    store::Meta target = s.meta;
    target.integrity_scheme = std::string(store::scheme_name(next.scheme()));
    target.key_id =
        next.key_id().empty() ? std::nullopt : std::optional<std::string>(next.key_id());
    auto written = s.write_pending(true, target);
    txn->commit();
    s.view.end_undo();
    s.signer = std::move(next);
    s.finish_save(std::move(*written));
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
  // Inside a transaction it is written with the transaction's save (its rollback drops it);
  // outside, a transaction of its own does that.
  const auto write = [&s, version] {
    if (s.meta.app_schema_version == version && !s.schema_change) return;  // nothing to do
    s.schema_change = version;
  };
  if (s.in_transaction) {
    write();
  } else {
    transact_impl([&write](Session&) { write(); });
  }
}

}  // namespace picklejar
