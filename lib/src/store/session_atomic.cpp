// increment() and add(): one key read, changed and saved in a write transaction of its own
// (BEGIN IMMEDIATE after the writers' lock), so that processes racing on the key serialize.
// Unlike transact(), they write only their key: other unsaved changes stay unsaved.

#include <fmt/format.h>

#include <string>
#include <utility>

#include <picklejar/session.hpp>

#include "file_lock.hpp"
#include "session_impl.hpp"

namespace picklejar {
namespace {

// Brings the session up to date in a write transaction, runs change() (which may change only
// `key`), and saves `key` if change() changed it. Inside transact(), runs change() alone:
// the outer transaction saves. Returns what change() returns.
template <class Change>
auto save_one(store::SessionState& s, const std::string& key, Change&& change) {
  if (s.in_transaction) return change();
  const store::FileLock held = s.writer_lock();
  store::Transaction txn(*s.db, store::Transaction::Kind::write);
  s.refresh(store::Transaction::Kind::write);  // with every pending change in place
  // Only `key` is written: the other pending changes wait aside, so write_pending() and
  // finish_save() see just this one.
  store::KeyMap<store::Pending> others = std::move(s.pending);
  s.pending.clear();
  if (auto mine = others.extract(key)) s.pending.insert(std::move(mine));
  s.undo.emplace();
  try {
    auto result = change();
    std::optional<store::Written> written;
    if (s.undo->contains(key)) written = s.write_pending(false);
    txn.commit();
    s.undo.reset();
    if (written) s.finish_save(*written);
    s.pending.merge(others);
    return result;
  } catch (...) {
    s.rollback_undo();
    s.pending.merge(others);
    throw;
  }
}

}  // namespace

std::int64_t Session::increment(std::string_view key, std::int64_t delta) {
  store::SessionState& s = impl();
  s.require_writable("increment a key in");
  store::check_key(key);
  const std::string name(key);
  return save_one(s, name, [&] {
    std::int64_t now = 0;
    if (const auto it = s.view.find(name); it != s.view.end())
      now = read_as<std::int64_t>(name, s.decoded(name, *it->second));
    std::int64_t next = 0;
    if (__builtin_add_overflow(now, delta, &next))
      throw ValueError(fmt::format("cannot increment key '{}' in '{}': {} + {} overflows 64 bits",
                                   name, s.path_text, now, delta));
    s.put(name, Value(next), s.write_protocol());
    return next;
  });
}

bool Session::add(std::string_view key, const Value& value) {
  store::SessionState& s = impl();
  s.require_writable("add a key to");
  store::check_key(key);
  const std::string name(key);
  store::EntryPtr entry = s.encode(name, value, s.write_protocol());  // fails before locking
  return save_one(s, name, [&] {
    if (s.view.contains(name)) return false;
    s.place(name, std::move(entry));
    return true;
  });
}

}  // namespace picklejar
