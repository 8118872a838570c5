// Operations on many keys at once (update, erase_prefix, clear), touch() for values changed in
// place, and the sizes file_info() reports.

#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <system_error>

#include <picklejar/session.hpp>

#include "file_lock.hpp"
#include "session_impl.hpp"

namespace picklejar {

void Session::update_values(const std::vector<std::pair<std::string, Value>>& values) {
  store::SessionState& s = impl();
  s.require_writable("set a key in");
  for (const auto& [key, value] : values) store::check_key(key);
  // Every pickle first: a value that cannot be encoded leaves the session unchanged.
  std::vector<store::EntryPtr> entries;
  entries.reserve(values.size());
  const int protocol = s.write_protocol();
  for (const auto& [key, value] : values) entries.push_back(s.encode(key, value, protocol));
  for (std::size_t i = 0; i < values.size(); ++i) s.place(values[i].first, std::move(entries[i]));
}

void Session::touch(std::string_view key) {
  store::SessionState& s = impl();
  s.require_writable("touch a key in");
  const auto it = s.view.find(key);
  if (it == s.view.end())
    throw LookupError(fmt::format("cannot touch key '{}': not in session '{}'", key, s.path_text));
  // The value as the session holds it now, changed in place or not; a value never handed out
  // is decoded (and so verified) first. Its protocol stays.
  const store::EntryPtr entry = it->second;
  const std::string name(key);
  s.put(name, s.decoded(name, *entry), entry->protocol);
}

std::size_t Session::erase_prefix(std::string_view prefix) {
  store::SessionState& s = impl();
  s.require_writable("erase keys from");
  const std::vector<std::string> doomed = keys(prefix);
  for (const std::string& key : doomed) s.view.erase(s.before_change(key));
  return doomed.size();
}

void Session::clear() { erase_prefix(""); }

void store::SessionState::read_sizes(SessionFileInfo& info) {
  std::optional<store::Transaction> txn;
  if (!in_transaction) {  // transact() and migrations have a write transaction open
    txn.emplace(*db, store::Transaction::Kind::read);
    check_schema_current();
  }
  {
    auto q = db->query("SELECT count(*), coalesce(sum(length(pickle)), 0) FROM entries");
    if (q->step()) {
      info.entries = q->column_int(0);
      info.pickle_bytes = q->column_int(1);
    }
  }
  const auto pragma = [this](const char* sql) {
    auto q = db->query(sql);
    return q->step() ? q->column_int(0) : 0;
  };
  info.page_size = pragma("PRAGMA page_size");
  info.file_bytes = pragma("PRAGMA page_count") * info.page_size;
  info.free_pages = pragma("PRAGMA freelist_count");
  if (txn) txn->commit();
  std::error_code error;
  std::filesystem::path wal_file = file.file;
  wal_file += "-wal";
  const std::uintmax_t wal = std::filesystem::file_size(wal_file, error);
  info.wal_bytes = error ? 0 : static_cast<std::int64_t>(wal);
}

}  // namespace picklejar
