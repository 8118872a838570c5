// Operations on many keys at once (update, erase_prefix, clear), touch() for values changed in
// place.

#include <fmt/format.h>

#include <picklejar/session.hpp>

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
  for (std::size_t i = 0; i < values.size(); ++i)
    s.view.place(values[i].first, std::move(entries[i]));
}

void Session::touch(std::string_view key) {
  store::SessionState& s = impl();
  s.require_writable("touch a key in");
  const auto it = s.view.entries().find(key);
  if (it == s.view.entries().end())
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
  for (const std::string& key : doomed) s.view.erase(key);
  return doomed.size();
}

void Session::clear() { erase_prefix(""); }

}  // namespace picklejar
