#include "postgres_bench_raw.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string_view>

#include <picklejar/pickle.hpp>

#include "sha256.hpp"

namespace picklejar::bench {
namespace {

// docs/FORMAT-POSTGRES.md's statements, as any client of the page sends them.
struct Statement {
  const char* name;
  const char* sql;
};
constexpr Statement kStatements[] = {
    {"connection_settings", "SELECT set_config('idle_in_transaction_session_timeout', $1, false)"},
    {"layout_exists",
     "SELECT EXISTS (SELECT FROM pg_catalog.pg_tables WHERE schemaname = 'picklejar' AND "
     "tablename = 'layout')"},
    {"read_layout", "SELECT version, min_reader_version FROM picklejar.layout"},
    {"read_store",
     "SELECT store_id, file_id, format_version, min_reader_version, app_schema_version, "
     "default_protocol, revision, purged_revision, created_us, modified_us, created_by, "
     "writer_name, writer_version, writer_app, integrity_scheme, key_id FROM picklejar.store "
     "WHERE name = $1"},
    {"lock_store",
     "SELECT store_id, file_id, format_version, min_reader_version, app_schema_version, "
     "default_protocol, revision, purged_revision, created_us, modified_us, created_by, "
     "writer_name, writer_version, writer_app, integrity_scheme, key_id FROM picklejar.store "
     "WHERE name = $1 FOR UPDATE"},
    {"entries_since",
     "SELECT key, pickle, protocol, digest, revision, modified_us FROM picklejar.entry WHERE "
     "store_id = $1 AND revision > $2"},
    {"tombstones_since",
     "SELECT key, revision FROM picklejar.tombstone WHERE store_id = $1 AND revision > $2"},
    {"get", "SELECT pickle, digest FROM picklejar.entry WHERE store_id = $1 AND key = $2"},
    {"write_settings",
     "SELECT set_config('lock_timeout', $1, true), set_config('synchronous_commit', $2, true)"},
    {"put_entries",
     "INSERT INTO picklejar.entry (store_id, key, pickle, protocol, digest, revision, "
     "modified_us) SELECT $1::bigint, key, pickle, protocol, digest, $6::bigint, $7::bigint "
     "FROM unnest($2::bytea[], $3::bytea[], $4::smallint[], $5::bytea[]) AS t (key, pickle, "
     "protocol, digest) ON CONFLICT (store_id, key) DO UPDATE SET pickle = EXCLUDED.pickle, "
     "protocol = EXCLUDED.protocol, digest = EXCLUDED.digest, revision = EXCLUDED.revision, "
     "modified_us = EXCLUDED.modified_us"},
    {"drop_tombstones",
     "DELETE FROM picklejar.tombstone WHERE store_id = $1 AND key = ANY ($2::bytea[])"},
    {"purge_tombstones", "DELETE FROM picklejar.tombstone WHERE store_id = $1 AND revision <= $2"},
    {"update_store",
     "UPDATE picklejar.store SET revision = $2, purged_revision = $3, modified_us = $4, "
     "writer_name = $5, writer_version = $6, writer_app = $7, app_schema_version = $8, "
     "default_protocol = $9, integrity_scheme = $10, key_id = $11, format_version = $12, "
     "min_reader_version = $13 WHERE store_id = $1"},
    {"notify", "SELECT pg_notify('picklejar', $1)"},
};

// The columns of read_store and lock_store this client uses.
enum Column : int {
  store_id = 0,
  format_version = 2,
  min_reader_version = 3,
  app_schema_version = 4,
  default_protocol = 5,
  revision = 6,
  purged_revision = 7,
  integrity_scheme = 14,
  key_id = 15,
};

constexpr int kText = 0;
constexpr int kBinary = 1;
constexpr std::uint32_t kByteaOid = 17;
constexpr std::uint32_t kSmallintOid = 21;

std::int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

void put_u32(std::string& out, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 4);
}

// A one-dimensional array in PostgreSQL's binary form, its elements already binary.
std::string array(std::uint32_t oid, const std::vector<std::string_view>& elements) {
  std::string out;
  for (const std::uint32_t word : {1U, 0U, oid, static_cast<std::uint32_t>(elements.size()), 1U})
    put_u32(out, word);
  for (const std::string_view e : elements) {
    put_u32(out, static_cast<std::uint32_t>(e.size()));
    out.append(e);
  }
  return out;
}

std::int64_t big_endian(std::string_view raw) {
  std::uint64_t v = 0;
  for (const char c : raw) v = (v << 8) | static_cast<unsigned char>(c);
  const std::size_t bits = raw.size() * 8;
  if (bits < 64 && (v >> (bits - 1)) != 0) v |= ~std::uint64_t{0} << bits;
  return static_cast<std::int64_t>(v);
}

}  // namespace

class RawPgStore::Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  int rows() const { return PQntuples(r_.get()); }
  std::string_view bytes(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col),
            static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
  }
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::int64_t integer(int row, int col) const { return big_endian(bytes(row, col)); }
  std::int64_t affected() const { return std::atoll(PQcmdTuples(r_.get())); }
  PGresult* r_get() const { return r_.get(); }

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> r_;
};

RawPgStore::RawPgStore(const std::string& conninfo, std::string store, bool durable)
    : conn_(PQconnectdb(conninfo.c_str())), store_(std::move(store)), durable_(durable) {
  if (PQstatus(conn_) != CONNECTION_OK)
    throw std::runtime_error(fmt::format("cannot connect: {}", PQerrorMessage(conn_)));
  for (const Statement& s : kStatements) {
    Result r(PQprepare(conn_, s.name, s.sql, 0, nullptr));
    if (PQresultStatus(r.r_get()) != PGRES_COMMAND_OK)
      throw std::runtime_error(fmt::format("cannot prepare {}: {}", s.name, PQerrorMessage(conn_)));
  }
  run("connection_settings", {"60000ms"}, {kText});
  const Result row = run("read_store", {store_}, {kText});
  if (row.rows() != 1) throw std::runtime_error("no store " + store_);
  store_id_ = std::to_string(row.integer(0, Column::store_id));
}

RawPgStore::~RawPgStore() { PQfinish(conn_); }

RawPgStore::Result RawPgStore::run(const char* name, const std::vector<std::string>& params,
                                   const std::vector<int>& formats) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  for (const std::string& p : params) {
    values.push_back(p.data());
    lengths.push_back(static_cast<int>(p.size()));
  }
  Result r(PQexecPrepared(conn_, name, static_cast<int>(params.size()), values.data(),
                          lengths.data(), formats.data(), kBinary));
  const ExecStatusType status = PQresultStatus(r.r_get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error(fmt::format("{}: {}", name, PQerrorMessage(conn_)));
  return r;
}

void RawPgStore::plain(const char* sql) {
  Result r(PQexec(conn_, sql));
  if (PQresultStatus(r.r_get()) != PGRES_COMMAND_OK)
    throw std::runtime_error(fmt::format("{}: {}", sql, PQerrorMessage(conn_)));
}

RawPgStore::Locked RawPgStore::begin_write() {
  plain("BEGIN ISOLATION LEVEL READ COMMITTED");
  run("write_settings", {"600000ms", durable_ ? "on" : "off"}, {kText, kText});
  const Result r = run("lock_store", {store_}, {kText});
  if (r.rows() != 1) throw std::runtime_error("no store " + store_);
  Locked w;
  for (int c = 0; c < 16; ++c) w.row.emplace_back(r.bytes(0, c));
  w.revision = r.integer(0, Column::revision) + 1;
  w.purged = r.integer(0, Column::purged_revision);
  if (r.is_null(0, Column::key_id)) w.row[Column::key_id].clear();
  return w;
}

void RawPgStore::write_entries(const Locked& w,
                               const std::vector<std::pair<std::string, std::string>>& kp) {
  std::vector<std::string_view> keys, pickles, protocols, digests;
  std::vector<std::array<unsigned char, 32>> sums;
  sums.reserve(kp.size());
  static constexpr char kProtocol4[2] = {0, 4};
  for (const auto& [key, pickle] : kp) {
    sums.push_back(sha256()(pickle));
    keys.push_back(key);
    pickles.push_back(pickle);
    protocols.emplace_back(kProtocol4, 2);
    digests.emplace_back(reinterpret_cast<const char*>(sums.back().data()), 32);
  }
  const std::string key_array = array(kByteaOid, keys);
  run("put_entries",
      {store_id_, key_array, array(kByteaOid, pickles), array(kSmallintOid, protocols),
       array(kByteaOid, digests), std::to_string(w.revision), std::to_string(now_us())},
      {kText, kBinary, kBinary, kBinary, kBinary, kText, kText});
  run("drop_tombstones", {store_id_, key_array}, {kText, kBinary});
}

void RawPgStore::finish_write(const Locked& w) {
  std::int64_t purged = w.purged;
  const std::int64_t limit = w.revision - 10'000;  // the tombstone retention
  if (limit > purged &&
      run("purge_tombstones", {store_id_, std::to_string(limit)}, {kText, kText}).affected() > 0)
    purged = limit;
  // The row's own columns go back as they came (binary), but for what this write changes.
  const std::string revision = std::to_string(w.revision);
  std::vector<std::string> p = {store_id_,
                                revision,
                                std::to_string(purged),
                                std::to_string(now_us()),
                                "postgres_bench-raw",
                                "1",
                                "",
                                w.row[Column::app_schema_version],
                                w.row[Column::default_protocol],
                                w.row[Column::integrity_scheme],
                                w.row[Column::key_id],
                                w.row[Column::format_version],
                                w.row[Column::min_reader_version]};
  std::vector<const char*> values;
  std::vector<int> lengths;
  for (const std::string& s : p) {
    values.push_back(s.data());
    lengths.push_back(static_cast<int>(s.size()));
  }
  if (w.row[Column::key_id].empty()) values[10] = nullptr;  // sha256: NULL
  const int formats[13] = {kText,   kText,   kText,   kText,   kText,   kText,  kText,
                           kBinary, kBinary, kBinary, kBinary, kBinary, kBinary};
  Result r(
      PQexecPrepared(conn_, "update_store", 13, values.data(), lengths.data(), formats, kBinary));
  if (PQresultStatus(r.r_get()) != PGRES_COMMAND_OK)
    throw std::runtime_error(fmt::format("update_store: {}", PQerrorMessage(conn_)));
  run("notify", {store_id_ + ":" + revision}, {kText});
  plain("COMMIT");
}

void RawPgStore::save_batch(const std::vector<std::pair<std::string, Value>>& items) {
  std::vector<std::pair<std::string, std::string>> kp;
  kp.reserve(items.size());
  for (const auto& [key, value] : items) kp.emplace_back(key, dumps(value));
  const Locked w = begin_write();
  write_entries(w, kp);
  finish_write(w);
}

void RawPgStore::save_one(const std::string& key, const Value& value) {
  std::vector<std::pair<std::string, std::string>> kp{{key, dumps(value)}};
  const Locked w = begin_write();
  write_entries(w, kp);
  finish_write(w);
}

Value RawPgStore::get(const std::string& key) {
  const Result r = run("get", {store_id_, key}, {kText, kBinary});
  if (r.rows() != 1) throw std::runtime_error("no key " + key);
  check_digest(r.bytes(0, 0), r.bytes(0, 1), key);
  return loads(r.bytes(0, 0));
}

std::size_t RawPgStore::load_all() {
  if (run("layout_exists", {}, {}).integer(0, 0) != 1) throw std::runtime_error("no tables");
  if (run("read_layout", {}, {}).integer(0, 0) != 1) throw std::runtime_error("layout");
  plain("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (run("read_store", {store_}, {kText}).rows() != 1) throw std::runtime_error("no store");
  const Result r = run("entries_since", {store_id_, "0"}, {kText, kText});
  rows_.clear();
  rows_.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i)
    rows_.push_back(Row{std::string(r.bytes(i, 0)), std::string(r.bytes(i, 1)),
                        std::string(r.bytes(i, 3)), r.integer(i, 2), r.integer(i, 4),
                        r.integer(i, 5)});
  plain("COMMIT");
  return rows_.size();
}

void RawPgStore::increment(const std::string& key) {
  const Locked w = begin_write();
  const std::int64_t now_at = w.revision - 1;
  if (now_at != seen_) {  // others wrote since: what changed, as a session refreshes
    const Result changed = run("entries_since", {store_id_, std::to_string(seen_)}, {kText, kText});
    for (int i = 0; i < changed.rows(); ++i) {
      if (changed.bytes(i, 0) != key) continue;
      check_digest(changed.bytes(i, 1), changed.bytes(i, 3), key);
      count_ = loads(changed.bytes(i, 1)).as_int();
    }
    if (seen_ != 0) {
      const Result erased =
          run("tombstones_since", {store_id_, std::to_string(seen_)}, {kText, kText});
      for (int i = 0; i < erased.rows(); ++i)
        if (erased.bytes(i, 0) == key) count_ = 0;
    }
  }
  write_entries(w, {{key, dumps(Value(count_ + 1))}});
  finish_write(w);
  ++count_;
  seen_ = w.revision;
}

}  // namespace picklejar::bench
