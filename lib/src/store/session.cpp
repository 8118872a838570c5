// Session: the dictionary interface over the in-memory view, and lazy verified decoding.

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include <picklejar/session.hpp>

#include "../pickle/write_check.hpp"
#include "../value/utf8.hpp"
#include "session_impl.hpp"

namespace picklejar {
namespace {

// Rethrows a decode error of an entry with the entry named, keeping its type.
[[noreturn]] void rethrow_decode_error(const std::string& where) {
  try {
    throw;
  } catch (const ForbiddenError& e) {
    throw ForbiddenError(e.position(), where + e.reason());
  } catch (const LimitError& e) {
    throw LimitError(e.position(), where + e.reason());
  } catch (const DecodeError& e) {
    throw DecodeError(e.code(), e.position(), where + e.reason());
  }
}

}  // namespace

// Python str keys must survive SQLite's UTF-8 TEXT: valid UTF-8, and no lone surrogates
// (which Python's sqlite3 module cannot encode either).
void store::check_key(std::string_view key) {
  if (const auto bad = detail::find_invalid_utf8(key))
    throw ValueError(fmt::format("session key is not UTF-8: bad byte at offset {}", *bad));
  for (std::size_t i = 0; i + 1 < key.size(); ++i) {
    if (static_cast<unsigned char>(key[i]) == 0xED &&
        static_cast<unsigned char>(key[i + 1]) >= 0xA0)
      throw ValueError(fmt::format("session key holds a lone surrogate at offset {}", i));
  }
}

EntryCodecError::EntryCodecError(std::string key, std::string file, const std::string& path,
                                 const std::string& reason)
    : CodecError(path, reason, fmt::format("{}: {} in '{}'", path, reason, file)),
      key_(std::move(key)),
      file_(std::move(file)) {}

// ---- SessionState ------------------------------------------------------------------------------

store::SessionState::SessionState(const std::filesystem::path& file, const SessionOptions& given)
    : path(file),
      path_text(file.string()),
      options(given),
      signer(given.integrity_key ? std::optional<std::string_view>(*given.integrity_key)
                                 : std::nullopt),
      pid(::getpid()),
      registry(&store::LockRegistry::current()),
      read_only(given.mode == OpenMode::read_only) {
  if (options.integrity_key) {
    std::fill(options.integrity_key->begin(), options.integrity_key->end(), '\0');
    options.integrity_key.reset();
  }
}

void store::SessionState::check_digest(std::string_view key, const store::Entry& entry) const {
  if (signer.verify(key, entry.pickle, entry.digest.view())) return;
  const bool keyed = signer.scheme() == store::IntegrityScheme::hmac_sha256;
  throw IntegrityError(
      path_text, std::string(key),
      fmt::format("integrity check failed for key '{}' in '{}': {}", key, path_text,
                  keyed ? "its HMAC-SHA256 does not match its name and pickle (changed, "
                          "moved from another key, or written with another key)"
                        : "its SHA-256 does not match its pickle"));
}

const Value& store::SessionState::decoded(std::string_view key, const store::Entry& entry) const {
  if (entry.value) return *entry.value;
  check_digest(key, entry);
  try {
    entry.value = loads(entry.pickle, options.decode);
  } catch (const DecodeError&) {
    rethrow_decode_error(fmt::format("key '{}' in '{}': ", key, path_text));
  }
  return *entry.value;
}

void store::SessionState::require_writable(std::string_view what) const {
  if (read_only)
    throw StoreError(path_text, std::nullopt,
                     fmt::format("cannot {} '{}': the session is read-only", what, path_text));
}

void store::SessionState::require_outside_transaction(std::string_view what) const {
  if (in_transaction)
    throw StoreError(
        path_text, std::nullopt,
        fmt::format("cannot {} '{}' inside transact() or a migration", what, path_text));
}

int store::SessionState::write_protocol() const {
  return options.protocol ? *options.protocol : static_cast<int>(meta.default_protocol);
}

store::EntryPtr store::SessionState::encode(const std::string& key, const Value& value,
                                            int protocol) const {
  auto entry = std::make_shared<store::Entry>();
  EncodeOptions encode;
  encode.protocol = protocol;
  try {
    entry->pickle = dumps(value, encode);
  } catch (const EncodeError& e) {
    throw EncodeError(fmt::format("cannot save key '{}' in '{}': {}", key, path_text, e.what()));
  }
  // What this session cannot read back would be lost: refuse it now, not on every load.
  try {
    pickle::check_decodable(entry->pickle, protocol, options.decode);
  } catch (const DecodeError& e) {
    throw EncodeError(
        fmt::format("cannot save key '{}' in '{}': its pickle would not load back: {}", key,
                    path_text, e.what()));
  }
  const store::Digest digest = signer.digest(key, entry->pickle);
  entry->digest.assign(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  entry->protocol = protocol;
  entry->value = value;
  return entry;
}

void store::SessionState::put(const std::string& key, const Value& value, int protocol) {
  view.place(key, encode(key, value, protocol));
}

void store::SessionState::report_dropped() const noexcept {
  if (view.pending().empty() || !options.on_dropped_changes) return;
  try {
    DroppedChanges dropped;
    dropped.path = path_text;
    for (const auto& [key, change] : view.pending()) dropped.keys.push_back(key);
    options.on_dropped_changes(dropped);
  } catch (...) {  // a report must not turn a destructor into std::terminate
  }
}

void store::SessionState::rollback_undo() noexcept {
  schema_change.reset();  // its row went with the transaction
  view.rollback();
}

// ---- Session -----------------------------------------------------------------------------------

Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    Session doomed(std::move(*this));  // closes ours the way the destructor does
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Session::~Session() {
  if (!impl_) return;
  if (impl_->registry != &store::LockRegistry::current()) {
    if (impl_->backend) impl_->backend->abandon();
    return;
  }
  impl_->report_dropped();
}

store::SessionState& Session::impl() const {
  if (!impl_) throw StoreError("", std::nullopt, "session is closed (or was moved from)");
  if (impl_->registry != &store::LockRegistry::current())
    throw StoreError(impl_->path_text, std::nullopt,
                     fmt::format("session '{}' was opened by process {} and cannot be used in "
                                 "process {}, a child made by fork(): open a new Session there",
                                 impl_->path_text, impl_->pid, ::getpid()));
  return *impl_;
}

void Session::close() {
  impl();  // checks it is open and ours
  std::unique_ptr<store::SessionState> closing = std::move(impl_);
  closing->report_dropped();
  closing->backend->close();
}

const std::filesystem::path& Session::path() const noexcept {
  static const std::filesystem::path none;
  return impl_ ? impl_->path : none;
}

std::optional<Value> Session::find(std::string_view key) const {
  store::SessionState& s = impl();
  const store::Entry* entry = s.view.find(key);
  if (entry == nullptr) return std::nullopt;
  return s.decoded(key, *entry);
}

Value Session::get(std::string_view key) const {
  std::optional<Value> value = find(key);
  if (!value) throw LookupError(fmt::format("key '{}' not in session '{}'", key, impl_->path_text));
  return std::move(*value);
}

bool Session::contains(std::string_view key) const { return impl().view.find(key) != nullptr; }

std::size_t Session::size() const { return impl().view.entries().size(); }

void Session::rethrow_read_error(std::string_view key) const {
  const std::string file = impl_ ? impl_->path_text : std::string();
  const std::string where = fmt::format("'{}'", key);
  try {
    throw;
  } catch (const EntryCodecError&) {
    throw;
  } catch (const CodecError& e) {
    throw EntryCodecError(std::string(key), file, where + e.path(), e.reason());
  } catch (const TypeError& e) {
    throw EntryCodecError(std::string(key), file, where, e.what());
  } catch (const ValueError& e) {
    throw EntryCodecError(std::string(key), file, where, e.what());
  } catch (const LookupError& e) {
    throw EntryCodecError(std::string(key), file, where, e.what());
  }
}

std::vector<std::string> Session::keys() const {
  std::vector<std::string> out;
  const store::SessionState& s = impl();
  out.reserve(s.view.entries().size());
  for (const auto& [key, entry] : s.view.entries()) out.push_back(key);
  return out;
}

std::vector<std::string> Session::keys(std::string_view prefix) const {
  std::vector<std::string> out;
  const store::SessionState& s = impl();
  const auto& entries = s.view.entries();
  for (auto it = entries.lower_bound(prefix); it != entries.end() && it->first.starts_with(prefix);
       ++it)
    out.push_back(it->first);
  return out;
}

std::optional<std::string> Session::next_key(std::string_view after, bool inclusive) const {
  const store::SessionState& s = impl();
  const auto& entries = s.view.entries();
  const auto it = inclusive ? entries.lower_bound(after) : entries.upper_bound(after);
  if (it == entries.end()) return std::nullopt;
  return it->first;
}

Session::Iterator Session::begin() const { return Iterator(this, next_key("", true)); }
Session::Iterator Session::end() const { return Iterator(this, std::nullopt); }

Session::Iterator::value_type Session::Iterator::operator*() const {
  return {*key_, session_->get(*key_)};
}

Session::Iterator& Session::Iterator::operator++() {
  key_ = session_->next_key(*key_, false);
  return *this;
}

std::optional<EntryInfo> Session::entry_info(std::string_view key) const {
  const store::SessionState& s = impl();
  const store::Entry* found = s.view.find(key);
  if (found == nullptr) return std::nullopt;
  const store::Entry& e = *found;
  EntryInfo info;
  info.protocol = e.protocol;
  info.pickle_size = e.pickle.size();
  info.revision = e.revision;
  info.modified = std::chrono::system_clock::time_point(std::chrono::microseconds(e.modified_us));
  return info;
}

std::optional<std::string> Session::find_pickle(std::string_view key, bool verify) const {
  const store::SessionState& s = impl();
  const store::Entry* entry = s.view.find(key);
  if (entry == nullptr) return std::nullopt;
  if (verify) s.check_digest(key, *entry);
  return entry->pickle;
}

std::vector<std::string> Session::check_database() const {
  store::SessionState& s = impl();
  return s.backend->check_database(s.in_transaction);
}

SessionFileInfo Session::file_info() const {
  store::SessionState& s = impl();
  SessionFileInfo info;
  info.format_version = s.meta.format_version;
  info.app_schema_version = s.meta.app_schema_version;
  info.revision = s.seen;
  info.default_protocol = static_cast<int>(s.meta.default_protocol);
  info.integrity_scheme = s.meta.integrity_scheme;
  info.key_id = s.meta.key_id;
  if (s.meta.file_id) info.file_id = store::file_id_hex(*s.meta.file_id);
  info.read_only = s.read_only;
  info.created_by = s.meta.created_by;
  info.writer = s.meta.writer_name + " " + s.meta.writer_version;
  info.writer_app = s.meta.writer_app;
  using std::chrono::microseconds;
  info.created = std::chrono::system_clock::time_point(microseconds(s.meta.created_us));
  info.modified = std::chrono::system_clock::time_point(microseconds(s.meta.modified_us));
  s.backend->describe(info, s.in_transaction);
  return info;
}

void Session::set(std::string_view key, const Value& value) {
  store::SessionState& s = impl();
  s.require_writable("set a key in");
  store::check_key(key);
  s.put(std::string(key), value, s.write_protocol());
}

bool Session::erase(std::string_view key) {
  store::SessionState& s = impl();
  s.require_writable("erase a key from");
  if (s.view.find(key) == nullptr) return false;
  s.view.erase(std::string(key));
  return true;
}

bool Session::has_unsaved_changes() const { return !impl().view.pending().empty(); }

std::vector<std::string> Session::unsaved_keys() const {
  std::vector<std::string> out;
  for (const auto& [key, change] : impl().view.pending()) out.push_back(key);
  return out;
}

void Session::discard() {
  store::SessionState& s = impl();
  s.require_outside_transaction("discard changes to");
  s.view.discard();
}

}  // namespace picklejar
