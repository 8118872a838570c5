// The stores of a database as a whole (stores.hpp; docs/FORMAT-POSTGRES.md "Listing and
// deleting stores"): list them, look one up, delete one. Each call opens a connection of its
// own and closes it, and never creates the tables. The same statements as Python's
// python/picklejar/_backends/postgres_stores.py.

#include <picklejar/stores.hpp>

#include <fmt/format.h>

#include <algorithm>

#include <picklejar/error.hpp>

#include "connection.hpp"
#include "layout.hpp"
#include "sql.hpp"
#include "url.hpp"

namespace picklejar {
namespace {

using namespace std::chrono_literals;

// As a session's connections: a transaction may stay idle this long, and at least a minute.
constexpr std::chrono::milliseconds kMinIdle = 60s;

// The columns of read_store that a StoreInfo holds.
namespace col {
enum : int { format_version = 2, revision = 6, modified_us = 9, integrity_scheme = 14 };
}  // namespace col

std::string duration(std::chrono::milliseconds ms) {
  return fmt::format("{}ms", std::max<std::int64_t>(ms.count(), 1));
}

std::chrono::system_clock::time_point time_of(std::int64_t us) {
  return std::chrono::system_clock::time_point(std::chrono::microseconds(us));
}

// A connection set up as docs/FORMAT-POSTGRES.md "Connecting" says, naming the URL as libpq
// connected (defaults included; with ?store=NAME when `store` names one).
struct Connected {
  store::PgConnection conn;
  std::string shown;
};

std::unique_ptr<Connected> connect(const store::StoreUrl& url,
                                   std::chrono::milliseconds lock_timeout) {
  auto c = std::unique_ptr<Connected>(new Connected{
      store::PgConnection(url.conninfo, {url.shown, url.password, lock_timeout}), {}});
  c->shown = c->conn.shown_connected(url.store);
  if (url.store.empty()) c->shown.erase(c->shown.rfind("?store="));  // a database
  c->conn.rename(c->shown);
  c->conn.exec(store::sql::kConnectionSettings,
               store::Params().text(duration(std::max(lock_timeout, kMinIdle))));
  return c;
}

// Whether the database holds the tables. FormatError when their layout is newer than this
// picklejar's and cannot be used as asked: to `write` not at all, to read only down to its
// min_reader_version.
bool layout_ready(Connected& c, std::string_view doing, bool write) {
  if (c.conn.exec(store::sql::kLayoutExists).integer(0, 0) == 0) return false;
  const store::PgResult layout = c.conn.exec(store::sql::kReadLayout);
  if (layout.rows() == 0)
    throw FormatError(
        c.shown, std::nullopt,
        fmt::format("{} '{}': the table picklejar.layout has no row", doing, c.shown));
  const std::int64_t version = layout.integer(0, 0);
  const std::int64_t min_reader = layout.integer(0, 1);
  if (version > store::kLayoutVersion && (min_reader > store::kLayoutVersion || write))
    throw FormatError(
        c.shown, std::nullopt,
        fmt::format("{} '{}': the database's picklejar layout {} is newer than this "
                    "picklejar's ({}); {}",
                    doing, c.shown, version, store::kLayoutVersion,
                    min_reader <= store::kLayoutVersion
                        ? std::string("it may be opened read_only")
                        : fmt::format("reading it needs layout {} or later", min_reader)));
  return true;
}

}  // namespace

std::vector<StoreInfo> list_stores(std::string_view url) {
  const store::StoreUrl parsed = store::parse_database_url(url, "cannot list the stores of");
  const auto c = connect(parsed, 0ms);
  std::vector<StoreInfo> stores;
  if (!layout_ready(*c, "cannot list the stores of", false)) return stores;
  const store::PgResult r = c->conn.exec(store::sql::kListStores);
  stores.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i)
    stores.push_back(
        {r.text(i, 0), r.integer(i, 1), r.integer(i, 2), time_of(r.integer(i, 3)), r.text(i, 4)});
  return stores;
}

std::optional<StoreInfo> find_store(std::string_view url) {
  const store::StoreUrl parsed = store::parse_store_url(url);
  const auto c = connect(parsed, 0ms);
  if (!layout_ready(*c, "cannot look up", false)) return std::nullopt;
  const store::PgResult r =
      c->conn.exec(store::sql::kReadStore, store::Params().text(parsed.store));
  if (r.rows() == 0) return std::nullopt;
  return StoreInfo{parsed.store, r.integer(0, col::format_version), r.integer(0, col::revision),
                   time_of(r.integer(0, col::modified_us)), r.text(0, col::integrity_scheme)};
}

bool delete_store(std::string_view url, std::chrono::milliseconds lock_timeout, bool missing_ok) {
  constexpr std::string_view doing = "cannot delete";
  const store::StoreUrl parsed = store::parse_store_url(url);
  const auto c = connect(parsed, lock_timeout);
  bool deleted = false;
  if (layout_ready(*c, doing, true)) {
    // An error before COMMIT leaves it all as it was: the rollback, or the server's own when
    // the connection is gone.
    c->conn.exec_plain(store::sql::kBeginWrite);
    try {
      c->conn.exec(store::sql::kWriteSettings,
                   store::Params().text(duration(lock_timeout)).text("on"));
      deleted =
          c->conn.exec(store::sql::kDeleteStore, store::Params().text(parsed.store)).rows() > 0;
      c->conn.exec_plain("COMMIT");
    } catch (...) {
      c->conn.rollback_quietly();
      throw;
    }
  }
  if (!deleted && !missing_ok)
    throw StoreError(c->shown, std::nullopt,
                     fmt::format("{} '{}': no such store", doing, c->shown));
  return deleted;
}

bool is_store_url(std::string_view path) { return store::is_store_url(std::string(path)); }

std::string url_without_password(std::string_view url) { return store::shown_url(url); }

}  // namespace picklejar
