#pragma once
// What a session shows (internal): its store's entries as last read, with the session's
// unsaved changes on top, and the undo log of a transaction in progress. The invariants
// live here and nowhere else:
//   - every key changed since the last save is pending, remembering the store's entry (to
//     discard the change) and the entry revision the change was based on (to detect
//     conflicts);
//   - a key pending is in the view exactly when the change sets it;
//   - inside transact(), a migration or a maintenance write, the undo log holds what every
//     key touched looked like before, so that a failed transaction leaves no trace.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "entry.hpp"

namespace picklejar::store {

struct Pending {
  EntryPtr disk;  // the store's entry as last seen; null when the store has none
  // The entry revision the change was based on; empty when the key was absent then.
  std::optional<std::int64_t> base_revision;
};

class View {
 public:
  // ---- reading --------------------------------------------------------------------------------
  const KeyMap<EntryPtr>& entries() const noexcept { return entries_; }
  const KeyMap<Pending>& pending() const noexcept { return pending_; }
  const Entry* find(std::string_view key) const {
    const auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : it->second.get();
  }
  // Whether the store, as last read, has `key` (unsaved changes aside).
  bool store_has(const std::string& key) const;

  // ---- changing -------------------------------------------------------------------------------
  // Makes `entry` the view's entry under `key`, recording the change.
  void place(const std::string& key, EntryPtr entry);
  // Removes `key`, which is in the view, recording the change.
  void erase(const std::string& key);
  // Drops every unsaved change.
  void discard() noexcept;

  // ---- what the store says --------------------------------------------------------------------
  // The first load, with nothing in the view: takes the store as it is.
  void load(KeyMap<EntryPtr> all) { entries_ = std::move(all); }
  // Another session set (`entry`) or erased (null) `key`: a pending change stays on top.
  void apply_outside(const std::string& key, EntryPtr entry);
  // Keys the session believes the store holds (not counting its own unsaved entries).
  std::vector<std::string> keys_in_store() const;
  // The pending keys another session changed since this one based its change on them.
  std::vector<std::string> conflicts() const;
  // After the commit that wrote every pending change at `revision`: `written` (the view's
  // entries it set) are stamped with it, and nothing is pending.
  void saved(const std::vector<Entry*>& written, std::int64_t revision,
             std::int64_t modified_us) noexcept;

  // ---- transactions ---------------------------------------------------------------------------
  void begin_undo() { undo_.emplace(); }
  bool touched(const std::string& key) const { return undo_ && undo_->contains(key); }
  // The transaction committed: its changes stay.
  void end_undo() noexcept { undo_.reset(); }
  // The transaction failed: every key it touched is as it was before it.
  void rollback() noexcept;
  // Sets aside every pending change but `key`'s (increment(), add()), to be put back with
  // restore_aside() whether the transaction commits or not.
  KeyMap<Pending> set_aside_except(const std::string& key);
  void restore_aside(KeyMap<Pending>& aside) { pending_.merge(aside); }

 private:
  // What a key looked like before a transaction touched it.
  struct Undo {
    EntryPtr view;                   // null: not in the view
    std::optional<Pending> pending;  // empty: not pending
  };
  // Records `key` in the undo log and as pending before it changes. Returns the key's place
  // in the view: its entry, or where it would be inserted.
  KeyMap<EntryPtr>::iterator before_change(const std::string& key);

  KeyMap<EntryPtr> entries_;
  KeyMap<Pending> pending_;
  std::optional<KeyMap<Undo>> undo_;
};

}  // namespace picklejar::store
