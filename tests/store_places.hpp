#pragma once
// Where a session's store lives, for the behaviour tests run against every backend
// (tests/test_session_backends.cpp): a session file in a scratch directory, or a store on the
// private PostgreSQL server scripts/test starts (PG* variables; over TCP to 127.0.0.1, the
// password from PGPASSFILE). Each place names fresh stores, so tests never see each other's;
// without the server the PostgreSQL cases fail, never skip.

#include <libpq-fe.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "process_support.hpp"

namespace picklejar::test {

inline int next_store_number() {
  static int n = 0;
  return ++n;
}

struct FilePlace {
  static constexpr bool kServer = false;
  ScratchDir dir;
  std::string name(const std::string& base) const { return (dir / (base + ".pj")).string(); }
};

// Fresh store names on the test server, over TCP (127.0.0.1:$PGPORT).
struct PostgresPlace {
  static constexpr bool kServer = true;
  // The server's URL, for database `database` (default: $PGDATABASE, else postgres).
  static std::string server(const char* database = nullptr) {
    const char* port = std::getenv("PGPORT");
    const char* db = database != nullptr ? database : std::getenv("PGDATABASE");
    REQUIRE_MESSAGE(port != nullptr, "PGPORT is not set: run the tests with scripts/test");
    return fmt::format("postgresql://127.0.0.1:{}/{}", port, db ? db : "postgres");
  }
  // A store URL; its connections carry `application` (pg_stat_activity.application_name).
  static std::string url(const std::string& store, const std::string& application) {
    return fmt::format("{}?store={}&application_name={}", server(), store, application);
  }
  std::string name(const std::string& base) const {
    return url(fmt::format("{}-{}-{}", base, ::getpid(), next_store_number()), "picklejar-tests");
  }
};

// The store name in a URL PostgresPlace made.
inline std::string store_of(const std::string& url) {
  const std::size_t from = url.find("store=") + 6;
  return url.substr(from, url.find('&', from) - from);
}

// A plain libpq client of the test server (to look, to tamper, to hold locks).
class RawPg {
 public:
  explicit RawPg(const std::string& server = PostgresPlace::server())
      : conn_(PQconnectdb(server.c_str())) {
    REQUIRE_MESSAGE(PQstatus(conn_) == CONNECTION_OK, PQerrorMessage(conn_));
  }
  ~RawPg() { PQfinish(conn_); }
  RawPg(const RawPg&) = delete;
  RawPg& operator=(const RawPg&) = delete;
  // Runs `sql` with text parameters; the first column of the first row as text (empty when
  // there is none). REQUIREs success.
  template <class... Args>
  std::string text(const std::string& sql, const Args&... params) {
    const std::string texts[] = {std::string(params)..., ""};
    const char* values[sizeof...(params) + 1] = {};
    for (std::size_t i = 0; i < sizeof...(params); ++i) values[i] = texts[i].c_str();
    PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(sizeof...(params)), nullptr,
                               values, nullptr, nullptr, 0);
    const auto status = PQresultStatus(r);
    const std::string error = PQresultErrorMessage(r);
    std::string out = status == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    REQUIRE_MESSAGE((status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK), error);
    return out;
  }
  int number(const std::string& sql, const std::string& param) {
    return std::stoi(text(sql, param));
  }

 private:
  PGconn* conn_;
};

// Waits (up to a minute: a loaded machine) until a connection of `application` waits for a
// lock on the server; false when none did.
inline bool wait_until_blocked(RawPg& raw, const std::string& application) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (std::chrono::steady_clock::now() < deadline) {
    if (raw.number("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND "
                   "wait_event_type = 'Lock'",
                   application) > 0)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Ends every server connection of `application` (pg_terminate_backend) and waits until they
// are gone; how many there were.
inline int terminate_connections(RawPg& raw, const std::string& application) {
  const int ended = raw.number(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
      application);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (std::chrono::steady_clock::now() < deadline &&
         raw.number("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                    application) > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return ended;
}

}  // namespace picklejar::test
