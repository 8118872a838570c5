// restore_from() and copy_from(): the store made to hold what a backup file or another open
// session holds, as one save that other sessions see as changes (the revision goes on:
// restoring an older revision number would make other sessions believe nothing changed).

#include <fmt/format.h>

#include <functional>
#include <optional>

#include <picklejar/session.hpp>

#include "session_impl.hpp"
#include "sqlite/sqlite_backend.hpp"

namespace picklejar {
namespace {

namespace fs = std::filesystem;

struct BackupContents {
  store::Meta meta;
  store::KeyMap<store::EntryPtr> entries;
  // A copy takes its source's file id with its digests; a restore keeps the file's own.
  bool adopt_file_id = false;
};

void check_backup_meta(const store::SessionState& s, const std::string& name,
                       const store::Inspection& found) {
  if (found.kind != store::Inspection::Kind::picklejar)
    throw FormatError(name, std::nullopt,
                      fmt::format("cannot restore '{}' from '{}': it is empty", s.path_text, name));
  if (found.format_version < 1 || found.format_version > store::kFormatVersion)
    throw FormatError(name, std::nullopt,
                      fmt::format("cannot restore '{}' from '{}': its file format version {} is "
                                  "not one this picklejar reads (1 to {})",
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

// Every entry of the backup, verified with the session's key under the backup's own rule (a
// format-1 backup: no file id; format 2: the backup's id) before anything is written, and
// signed for this file (the same bytes for a backup of this file: the same id).
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
  const std::optional<store::StoreFileId> backup_id = store::signing_file_id(file.found.meta);
  const store::Signer in_backup = s.signer.for_file(backup_id);
  const bool sign_again = backup_id != s.signer.file_id();
  for (auto& [key, entry] : file.entries) {
    entry->revision = 0;  // an unsaved change until the restore's save
    entry->modified_us = 0;
    if (!in_backup.verify(key, entry->pickle, entry->digest.view()))
      throw IntegrityError(name, key,
                           fmt::format("cannot restore '{}' from '{}': key '{}' does not verify "
                                       "in the backup; nothing was restored",
                                       s.path_text, name, key));
    if (sign_again) {
      const store::Digest digest = s.signer.digest(key, entry->pickle);
      entry->digest.assign(
          std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
    }
    contents.entries.emplace(std::move(key), std::move(entry));
  }
  return contents;
}

bool same_entry(const store::Entry& a, const store::Entry& b) {
  return a.pickle == b.pickle && a.protocol == b.protocol && a.digest.view() == b.digest.view();
}

// Inside a write transaction: makes the view hold `contents` exactly, and writes it as one
// revision with its app_schema_version and default_protocol. Empty when nothing changed.
std::optional<store::Written> write_contents(Session& self, store::SessionState& s,
                                             BackupContents& contents) {
  for (const std::string& key : self.keys())
    if (!contents.entries.contains(key)) s.view.erase(key);
  for (auto& [key, entry] : contents.entries) {
    const store::Entry* now = s.view.find(key);
    if (now == nullptr || !same_entry(*now, *entry)) s.view.place(key, std::move(entry));
  }
  store::Meta target = s.meta;
  target.app_schema_version = contents.meta.app_schema_version;
  target.default_protocol = contents.meta.default_protocol;
  if (contents.adopt_file_id) target.file_id = contents.meta.file_id;
  const bool schema = contents.meta.app_schema_version != s.meta.app_schema_version;
  const bool protocol = contents.meta.default_protocol != s.meta.default_protocol;
  const bool file_id = target.file_id != s.meta.file_id;
  return s.write_pending(schema || protocol || file_id, target);
}

// The write transaction of a restore or a copy; `check` runs under the lock, after the
// refresh, before anything is written.
void replace_contents(Session& self, store::SessionState& s, BackupContents& contents,
                      const std::function<void()>& check) {
  const auto txn = s.backend->begin(store::TxnKind::write);
  s.refresh(store::TxnKind::write);
  if (check) check();
  // A copy that brings another file id: this session signs for it once the copy is saved.
  std::optional<store::Signer> signer;
  if (contents.adopt_file_id && contents.meta.file_id != s.meta.file_id)
    signer = s.signer.for_file(store::signing_file_id(contents.meta));
  s.view.begin_undo();
  try {
    auto written = write_contents(self, s, contents);
    txn->commit();
    s.view.end_undo();
    if (signer) s.signer = std::move(*signer);
    if (written) s.finish_save(std::move(*written));
  } catch (...) {
    s.rollback_undo();
    throw;
  }
}

void require_no_unsaved(const store::SessionState& s, std::string_view what) {
  if (!s.view.pending().empty())
    throw StoreError(s.path_text, std::nullopt,
                     fmt::format("cannot {} '{}' with unsaved changes: save() or discard() first",
                                 what, s.path_text));
}

// What copy_from() needs of its source: its own format, key and app schema rules.
void check_copy_source(const store::SessionState& s, const store::SessionState& from) {
  const std::string& name = from.path_text;
  if (from.meta.format_version != s.meta.format_version)
    throw FormatError(
        name, std::nullopt,
        fmt::format("cannot copy '{}' into '{}': its format version {} is not "
                    "the destination's ({}; upgrade the older one first)",
                    name, s.path_text, from.meta.format_version, s.meta.format_version));
  if (from.signer.scheme() != s.signer.scheme() || from.signer.key_id() != s.signer.key_id())
    throw IntegrityError(
        name, std::nullopt,
        fmt::format(
            "cannot copy '{}' into '{}': the source is signed {} and the destination "
            "{} (digests are copied as they are: rekey one of them first)",
            name, s.path_text,
            from.signer.key_id().empty() ? "without a key" : "with key id " + from.signer.key_id(),
            s.signer.key_id().empty() ? "without one" : "with key id " + s.signer.key_id()));
  if (s.options.schema_version && *s.options.schema_version != from.meta.app_schema_version)
    throw FormatError(
        name, std::nullopt,
        fmt::format("cannot copy '{}' into '{}': the source has app schema "
                    "version {} and the destination session declares {}",
                    name, s.path_text, from.meta.app_schema_version, *s.options.schema_version));
}

// Every entry of `from`, verified with its key. The digests are written as they are, with the
// source's file id, so they verify in the destination too: check_copy_source() required the
// same format, scheme and key id.
BackupContents verified_copy(const store::SessionState& from) {
  BackupContents contents{from.meta, {}, true};
  for (const auto& [key, entry] : from.view.entries()) {
    from.check_digest(key, *entry);
    auto copy = std::make_shared<store::Entry>();
    copy->pickle = entry->pickle;
    copy->digest = entry->digest;
    copy->protocol = entry->protocol;
    contents.entries.emplace(key, std::move(copy));  // an unsaved change until the save
  }
  return contents;
}

}  // namespace

void Session::restore_from(const fs::path& backup) {
  store::SessionState& s = impl();
  s.require_writable("restore");
  s.require_outside_transaction("restore");
  require_no_unsaved(s, "restore");
  BackupContents contents = read_backup(s, backup);
  replace_contents(*this, s, contents, nullptr);
}

void Session::copy_from(const Session& source, bool replace) {
  store::SessionState& s = impl();
  const store::SessionState& from = source.impl();
  if (&s == &from)
    throw StoreError(s.path_text, std::nullopt,
                     fmt::format("cannot copy '{}' into itself", s.path_text));
  s.require_writable("copy into");
  s.require_outside_transaction("copy into");
  require_no_unsaved(s, "copy into");
  require_no_unsaved(from, "copy from");
  check_copy_source(s, from);
  BackupContents contents = verified_copy(from);
  replace_contents(*this, s, contents, [&] {
    const std::size_t held = s.view.entries().size();
    if (!replace && held > 0)
      throw StoreError(
          s.path_text, std::nullopt,
          fmt::format("cannot copy '{}' into '{}': it holds {} {} (copying with "
                      "replace, `picklejar copy --replace`, replaces them); nothing was copied",
                      from.path_text, s.path_text, held, held == 1 ? "entry" : "entries"));
  });
}

}  // namespace picklejar
