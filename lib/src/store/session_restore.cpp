// restore_from(): the file made to hold what a backup holds, as one save that other sessions
// see as changes (the revision goes on: restoring an older revision number would make other
// sessions believe nothing changed).

#include <fmt/format.h>

#include <picklejar/session.hpp>

#include "session_impl.hpp"
#include "sqlite/sqlite_backend.hpp"

namespace picklejar {
namespace {

namespace fs = std::filesystem;

struct BackupContents {
  store::Meta meta;
  store::KeyMap<store::EntryPtr> entries;
};

void check_backup_meta(const store::SessionState& s, const std::string& name,
                       const store::Inspection& found) {
  if (found.kind != store::Inspection::Kind::picklejar)
    throw FormatError(name, std::nullopt,
                      fmt::format("cannot restore '{}' from '{}': it is empty", s.path_text, name));
  if (found.format_version != store::kFormatVersion)
    throw FormatError(name, std::nullopt,
                      fmt::format("cannot restore '{}' from '{}': its file format version {} is "
                                  "not this picklejar's ({})",
                                  s.path_text, name, found.format_version, store::kFormatVersion));
  const store::Meta& meta = found.meta;
  if (meta.integrity_scheme != store::scheme_name(s.signer.scheme()) ||
      meta.key_id.value_or("") != s.signer.key_id())
    throw IntegrityError(
        name, std::nullopt,
        fmt::format("cannot restore '{}' from '{}': the backup was written {} "
                    "and the session {} (rekey a copy of the backup first)",
                    s.path_text, name,
                    meta.key_id ? "with key id " + *meta.key_id : "without a key",
                    s.signer.key_id().empty() ? "has no key" : "has key id " + s.signer.key_id()));
  if (s.options.schema_version && *s.options.schema_version != meta.app_schema_version)
    throw FormatError(
        name, std::nullopt,
        fmt::format("cannot restore '{}' from '{}': the backup has app schema "
                    "version {} and this session declares {} (restore it without "
                    "a schema_version, e.g. `picklejar restore`; the application "
                    "migrates it when it opens the file)",
                    s.path_text, name, meta.app_schema_version, *s.options.schema_version));
}

// Every entry of the backup, verified with the session's key before anything is written.
BackupContents read_backup(const store::SessionState& s, const fs::path& backup) {
  const std::string name = backup.string();
  std::error_code error;
  if (!fs::exists(backup, error))
    throw StoreError(name, std::nullopt,
                     fmt::format("cannot restore '{}' from '{}': no such file", s.path_text, name));
  store::FileContents file = store::read_session_file(
      backup, store::db_limits(s.options),
      [&](const store::Inspection& found) { check_backup_meta(s, name, found); });
  BackupContents contents{file.found.meta, {}};
  for (auto& [key, entry] : file.entries) {
    entry->revision = 0;  // an unsaved change until the restore's save
    entry->modified_us = 0;
    if (!s.signer.verify(key, entry->pickle, entry->digest.view()))
      throw IntegrityError(name, key,
                           fmt::format("cannot restore '{}' from '{}': key '{}' does not verify "
                                       "in the backup; nothing was restored",
                                       s.path_text, name, key));
    contents.entries.emplace(std::move(key), std::move(entry));
  }
  return contents;
}

bool same_entry(const store::Entry& a, const store::Entry& b) {
  return a.pickle == b.pickle && a.protocol == b.protocol && a.digest.view() == b.digest.view();
}

}  // namespace

void Session::restore_from(const fs::path& backup) {
  store::SessionState& s = impl();
  s.require_writable("restore");
  s.require_outside_transaction("restore");
  if (!s.view.pending().empty())
    throw StoreError(s.path_text, std::nullopt,
                     fmt::format("cannot restore '{}' with unsaved changes: save() or discard() "
                                 "first",
                                 s.path_text));
  BackupContents contents = read_backup(s, backup);
  const auto txn = s.backend->begin(store::TxnKind::write);
  s.refresh(store::TxnKind::write);
  s.view.begin_undo();
  try {
    for (const std::string& key : keys())
      if (!contents.entries.contains(key)) s.view.erase(key);
    for (auto& [key, entry] : contents.entries) {
      const store::Entry* now = s.view.find(key);
      if (now == nullptr || !same_entry(*now, *entry)) s.view.place(key, std::move(entry));
    }
    store::Meta target = s.meta;
    target.app_schema_version = contents.meta.app_schema_version;
    target.default_protocol = contents.meta.default_protocol;
    const bool schema = contents.meta.app_schema_version != s.meta.app_schema_version;
    const bool protocol = contents.meta.default_protocol != s.meta.default_protocol;
    auto written = s.write_pending(schema || protocol, target);
    txn->commit();
    s.view.end_undo();
    if (written) s.finish_save(std::move(*written));
  } catch (...) {
    s.rollback_undo();
    throw;
  }
}

}  // namespace picklejar
