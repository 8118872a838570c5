#include "view.hpp"

namespace picklejar::store {

bool View::store_has(const std::string& key) const {
  if (const auto it = pending_.find(key); it != pending_.end()) return it->second.disk != nullptr;
  return entries_.contains(key);
}

KeyMap<EntryPtr>::iterator View::before_change(const std::string& key) {
  // lower_bound, not find: the caller inserts at the same place without a second search.
  const auto in_view = entries_.lower_bound(key);
  const bool viewed = in_view != entries_.end() && in_view->first == key;
  const auto in_pending = pending_.lower_bound(key);
  const bool is_pending = in_pending != pending_.end() && in_pending->first == key;
  if (undo_) {
    const auto [record, first] = undo_->try_emplace(key);
    if (first && viewed) record->second.view = in_view->second;
    if (first && is_pending) record->second.pending = in_pending->second;
  }
  if (is_pending) return in_view;
  Pending change;
  if (viewed) {
    change.disk = in_view->second;
    change.base_revision = in_view->second->revision;
  }
  pending_.emplace_hint(in_pending, key, std::move(change));
  return in_view;
}

void View::place(const std::string& key, EntryPtr entry) {
  const auto at = before_change(key);
  if (at != entries_.end() && at->first == key) {
    at->second = std::move(entry);
  } else {
    entries_.emplace_hint(at, key, std::move(entry));
  }
}

void View::erase(const std::string& key) { entries_.erase(before_change(key)); }

void View::discard() noexcept {
  for (const auto& [key, change] : pending_) {
    if (change.disk) {
      entries_[key] = change.disk;
    } else {
      entries_.erase(key);
    }
  }
  pending_.clear();
}

void View::apply_outside(const std::string& key, EntryPtr entry) {
  if (const auto it = pending_.find(key); it != pending_.end()) {
    it->second.disk = std::move(entry);
  } else if (entry) {
    entries_[key] = std::move(entry);
  } else {
    entries_.erase(key);
  }
}

std::vector<std::string> View::keys_in_store() const {
  std::vector<std::string> keys;
  for (const auto& [key, entry] : entries_)
    if (!pending_.contains(key)) keys.push_back(key);
  for (const auto& [key, change] : pending_)
    if (change.disk) keys.push_back(key);
  return keys;
}

std::vector<std::string> View::conflicts() const {
  std::vector<std::string> keys;
  for (const auto& [key, change] : pending_) {
    const std::optional<std::int64_t> now =
        change.disk ? std::optional(change.disk->revision) : std::nullopt;
    if (now != change.base_revision) keys.push_back(key);
  }
  return keys;
}

void View::saved(const std::vector<Entry*>& written, std::int64_t revision,
                 std::int64_t modified_us) noexcept {
  for (Entry* entry : written) {
    entry->revision = revision;
    entry->modified_us = modified_us;
  }
  pending_.clear();
}

void View::rollback() noexcept {
  if (!undo_) return;
  for (auto& [key, record] : *undo_) {
    if (record.view) {
      entries_[key] = record.view;
    } else {
      entries_.erase(key);
    }
    if (record.pending) {
      pending_[key] = *record.pending;
    } else {
      pending_.erase(key);
    }
  }
  undo_.reset();
}

KeyMap<Pending> View::set_aside_except(const std::string& key) {
  KeyMap<Pending> others = std::move(pending_);
  pending_.clear();
  if (auto mine = others.extract(key)) pending_.insert(std::move(mine));
  return others;
}

}  // namespace picklejar::store
