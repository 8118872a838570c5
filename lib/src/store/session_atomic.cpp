// increment() and add(): one key read, changed and saved in a write transaction of its own
// (under the store's exclusive lock), so that processes racing on the key serialize.
// Unlike transact(), they write only their key: other unsaved changes stay unsaved.

#include <fmt/format.h>

#include <string>
#include <utility>

#include <picklejar/session.hpp>

#include "session_impl.hpp"

namespace picklejar {
namespace {

// Brings the session up to date in a write transaction, runs change() (which may change only
// `key`), and saves `key` if change() changed it. Inside transact(), runs change() alone:
// the outer transaction saves. Returns what change() returns.
template <class Change>
auto save_one(store::SessionState& s, const std::string& key, Change&& change) {
  if (s.in_transaction) return change();
  const auto txn = s.backend->begin(store::TxnKind::write);
  s.refresh(store::TxnKind::write);  // with every pending change in place
  // Only `key` is written: the other pending changes wait aside, so write_pending() and
  // finish_save() see just this one.
  store::KeyMap<store::Pending> others = s.view.set_aside_except(key);
  s.view.begin_undo();
  try {
    auto result = change();
    std::optional<store::Written> written;
    if (s.view.touched(key)) written = s.write_pending(false);
    txn->commit();
    s.view.end_undo();
    if (written) s.finish_save(std::move(*written));
    s.view.restore_aside(others);
    return result;
  } catch (...) {
    s.rollback_undo();
    s.view.restore_aside(others);
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
    if (const store::Entry* entry = s.view.find(name))
      now = read_as<std::int64_t>(name, s.decoded(name, *entry));
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
    if (s.view.find(name) != nullptr) return false;
    s.view.place(name, std::move(entry));
    return true;
  });
}

}  // namespace picklejar
