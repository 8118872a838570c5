// The PostgreSQL backend: the connection, transactions, reading, and writing one revision,
// each with docs/FORMAT-POSTGRES.md's statements (sql.hpp), every one parameterized.

#include "postgres_backend.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <picklejar/error.hpp>

#include "../../value/utf8.hpp"
#include "sql.hpp"

namespace picklejar::store {
namespace {

using namespace std::chrono_literals;

// A transaction of this session may stay idle this long before the server ends its
// connection (and rolls it back): at least a minute, and at least the lock timeout.
constexpr std::chrono::milliseconds kMinIdle = 60s;
// A store's keys are at most this many bytes (docs/FORMAT-POSTGRES.md "Tables").
constexpr std::size_t kMaxKeyBytes = 2048;

// A duration for set_config: PostgreSQL reads '0' as "forever", so never less than 1 ms.
std::string duration(std::chrono::milliseconds ms) {
  return fmt::format("{}ms", std::max<std::int64_t>(ms.count(), 1));
}

std::string hex(std::string_view bytes) {
  std::string out;
  for (const char c : bytes.substr(0, 40))
    out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return bytes.size() > 40 ? out + "..." : out;
}

// A key as the store holds it: strict UTF-8 (no encoded surrogates), as every session key.
std::string checked_key(std::string_view key, const std::string& name) {
  bool ok = !detail::find_invalid_utf8(key);
  for (std::size_t i = 0; ok && i + 1 < key.size(); ++i)
    ok = !(static_cast<unsigned char>(key[i]) == 0xED &&
           static_cast<unsigned char>(key[i + 1]) >= 0xA0);
  if (!ok)
    throw FormatError(name, std::nullopt,
                      fmt::format("malformed row in '{}': a key is not UTF-8 (its bytes: x'{}')",
                                  name, hex(key)));
  return std::string(key);
}

EntryPtr entry_of(const PgResult& r, int row, const std::string& name) {
  auto entry = std::make_shared<Entry>();
  entry->pickle = std::string(r.bytes(row, 1));
  entry->protocol = static_cast<int>(r.integer(row, 2));
  entry->digest.assign(r.bytes(row, 3));
  entry->revision = r.integer(row, 4);
  entry->modified_us = r.integer(row, 5);
  if (entry->protocol < 0 || entry->protocol > 5 || entry->revision < 1)
    throw FormatError(name, std::nullopt,
                      fmt::format("malformed row in '{}': an entry's protocol {} or revision {} "
                                  "is out of range",
                                  name, entry->protocol, entry->revision));
  return entry;
}

}  // namespace

// ---- the connection ----------------------------------------------------------------------------

PostgresBackend::PostgresBackend(const OpenRequest& request, const StoreUrl& url)
    : conninfo_(url.conninfo),
      names_{request.name, url.password, request.options.lock_timeout},
      store_(url.store),
      lock_timeout_(request.options.lock_timeout),
      durable_(request.options.durability == Durability::durable) {
  connect();
  names_.shown = conn_->shown_connected(store_);
  conn_->rename(names_.shown);
  feed_ = postgres_change_feed(*this);
}

PostgresBackend::~PostgresBackend() = default;

void PostgresBackend::connect() {
  conn_.reset();
  listening_ = false;
  auto conn = std::make_unique<PgConnection>(conninfo_, names_);
  conn->exec(sql::kConnectionSettings,
             Params().text(duration(std::max<std::chrono::milliseconds>(lock_timeout_, kMinIdle))));
  conn_ = std::move(conn);
}

void PostgresBackend::begin_statement(const char* sql) {
  if (conn_ == nullptr || conn_->broken()) connect();
  try {
    conn_->exec_plain(sql);
    return;
  } catch (const ServerError&) {
    if (!conn_->broken()) throw;
  }
  connect();
  conn_->exec_plain(sql);
}

std::optional<std::int64_t> PostgresBackend::current_revision() {
  const auto ask = [this]() -> std::optional<std::int64_t> {
    const PgResult r = conn_->exec(sql::kStoreRevision, Params().integer(store_id_));
    if (r.rows() == 0) return std::nullopt;
    return r.integer(0, 0);
  };
  if (conn_ == nullptr || conn_->broken()) connect();
  try {
    return ask();
  } catch (const ServerError&) {
    if (!conn_->broken()) throw;
  }
  connect();
  return ask();
}

void PostgresBackend::close() {
  feed_.reset();
  conn_.reset();
}

void PostgresBackend::abandon() noexcept {
  if (conn_) conn_->abandon();
}

// ---- transactions ------------------------------------------------------------------------------

class PostgresBackend::Txn final : public BackendTransaction {
 public:
  Txn(PostgresBackend& backend, TxnKind kind) : b_(backend), kind_(kind) {
    b_.row_.reset();
    b_.wrote_ = false;
    b_.batch_.clear();
    b_.begin_statement(kind == TxnKind::read ? sql::kBeginRead : sql::kBeginWrite);
    open_ = true;
    if (kind == TxnKind::read) return;
    try {
      lock();
    } catch (...) {  // no destructor runs for an object whose constructor threw
      b_.conn_->rollback_quietly();
      b_.row_.reset();
      throw;
    }
  }
  ~Txn() override {
    if (open_) b_.conn_->rollback_quietly();
    b_.row_.reset();
  }
  void commit() override {
    open_ = false;  // COMMIT ends the transaction even when it fails
    // A write transaction that wrote nothing ends with ROLLBACK: the revision does not move.
    const bool wrote = kind_ == TxnKind::write && b_.wrote_;
    b_.conn_->exec_plain(kind_ == TxnKind::read || wrote ? "COMMIT" : "ROLLBACK");
    if (wrote) b_.current_ = b_.row_->revision;
  }

 private:
  // Steps 1-2 of "Writing": the transaction's settings, then the store row's lock.
  void lock() {
    PgConnection& conn = *b_.conn_;
    conn.exec(sql::kWriteSettings,
              Params().text(duration(b_.lock_timeout_)).text(b_.durable_ ? "on" : "off"));
    b_.row_ = b_.meta_of(conn.exec(sql::kLockStore, Params().text(b_.store_)));
  }

  PostgresBackend& b_;
  TxnKind kind_;
  bool open_ = false;
};

std::unique_ptr<BackendTransaction> PostgresBackend::begin(TxnKind kind) {
  return std::make_unique<Txn>(*this, kind);
}

// ---- reading -----------------------------------------------------------------------------------

bool PostgresBackend::unchanged(std::int64_t seen, bool known, TxnKind) {
  if (!row_) row_ = meta_of(conn_->exec(sql::kReadStore, Params().text(store_)));
  return known && row_->revision == seen;
}

void PostgresBackend::caught_up() noexcept {
  if (row_) current_ = row_->revision;
}

Meta PostgresBackend::read_meta() { return *row_; }

KeyMap<EntryPtr> PostgresBackend::read_all_entries() {
  KeyMap<EntryPtr> all;
  for (auto& [key, entry] : read_entries_since(0)) all.emplace(std::move(key), std::move(entry));
  return all;
}

std::vector<std::pair<std::string, EntryPtr>> PostgresBackend::read_entries_since(
    std::int64_t since) {
  const PgResult r = conn_->exec(sql::kEntriesSince, Params().integer(store_id_).integer(since));
  std::vector<std::pair<std::string, EntryPtr>> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i)
    out.emplace_back(checked_key(r.bytes(i, 0), name()), entry_of(r, i, name()));
  return out;
}

std::vector<std::string> PostgresBackend::read_erased_since(std::int64_t since) {
  const PgResult r = conn_->exec(sql::kTombstonesSince, Params().integer(store_id_).integer(since));
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(checked_key(r.bytes(i, 0), name()));
  return out;
}

std::vector<std::string> PostgresBackend::read_keys() {
  const PgResult r = conn_->exec(sql::kAllKeys, Params().integer(store_id_));
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(checked_key(r.bytes(i, 0), name()));
  return out;
}

// ---- writing one revision ----------------------------------------------------------------------

void PostgresBackend::put_entry(const std::string& key, const Entry& entry, std::int64_t revision,
                                std::int64_t now) {
  if (key.size() > kMaxKeyBytes)
    throw StoreError(name(), key,
                     fmt::format("cannot save a key of {} bytes in '{}': a store's keys are at "
                                 "most {} bytes of UTF-8",
                                 key.size(), name(), kMaxKeyBytes));
  batch_.target(store_id_, revision);
  batch_.put(*conn_, key, entry, now);
}

void PostgresBackend::erase_entry(const std::string& key, std::int64_t revision) {
  batch_.target(store_id_, revision);
  batch_.erase(key);
}

std::int64_t PostgresBackend::purge_tombstones(std::int64_t revision, std::int64_t purged) {
  batch_.flush(*conn_);
  const std::int64_t limit = revision - kTombstoneRetention;
  if (limit <= purged) return purged;
  const PgResult r = conn_->exec(sql::kPurgeTombstones, Params().integer(store_id_).integer(limit));
  return r.affected() > 0 ? limit : purged;
}

void PostgresBackend::write_meta(const Meta& before, const Meta& after) {
  batch_.flush(*conn_);
  Params p;
  p.integer(store_id_)
      .integer(after.revision)
      .integer(after.purged_revision)
      .integer(after.modified_us)
      .text(after.writer_name)
      .text(after.writer_version)
      .text(after.writer_app)
      .integer(after.app_schema_version)
      .integer(after.default_protocol)
      .text(after.integrity_scheme);
  if (after.key_id) {
    p.text(*after.key_id);
  } else {
    p.null();
  }
  p.integer(after.format_version).integer(after.min_reader_version);
  conn_->exec(sql::kUpdateStore, p);
  if (after.file_id && after.file_id != before.file_id)  // a copy took its source's id
    conn_->exec(sql::kSetFileId,
                Params().integer(store_id_).bytes(std::string_view(
                    reinterpret_cast<const char*>(after.file_id->data()), after.file_id->size())));
  conn_->exec(sql::kNotify, Params().text(fmt::format("{}:{}", store_id_, after.revision)));
  row_ = after;
  wrote_ = true;
}

// ---- the whole store ---------------------------------------------------------------------------

void PostgresBackend::describe(SessionFileInfo& info, bool in_transaction) {
  info.journal_mode = "postgresql";
  info.synchronous = durable_ ? "on" : "off";
  std::optional<Txn> txn;
  if (!in_transaction) txn.emplace(*this, TxnKind::read);
  const PgResult r = conn_->exec(sql::kStoreSizes, Params().integer(store_id_));
  info.entries = r.integer(0, 0);
  info.pickle_bytes = r.integer(0, 1);
  if (txn) txn->commit();
}

void PostgresBackend::unsupported(const char* what) const {
  throw StoreError(name(), std::nullopt,
                   fmt::format("cannot {} '{}': it is a store on a PostgreSQL server, not a "
                               "file (the server's own tools back it up and vacuum it: "
                               "pg_dump, autovacuum)",
                               what, name()));
}

std::vector<std::string> PostgresBackend::check_database(bool) { unsupported("check"); }

BackupInfo PostgresBackend::backup_to(const std::filesystem::path&, const Signer&) {
  unsupported("back up");
}

void PostgresBackend::vacuum() { unsupported("vacuum"); }

}  // namespace picklejar::store
