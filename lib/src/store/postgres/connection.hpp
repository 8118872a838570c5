#pragma once
// A thin RAII layer over libpq for the PostgreSQL backend (internal): one connection whose
// every statement with data is parameterized (prepared once per connection, results in
// binary), results read by column type, and failures turned into the library's errors —
// ServerError (with the server's SQLSTATE) or LockTimeout — naming the store as shown,
// never a password.
//
// Thread safety: one thread at a time.

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace picklejar::store {

// The parameters of one statement: integers and text sent as text, bytea as binary.
class Params {
 public:
  Params& text(std::string_view value);
  Params& integer(std::int64_t value);
  Params& bytes(std::string_view value);
  Params& null();
  // A parameter already in binary form (an ArrayParam's).
  Params& binary(std::string value);

 private:
  friend class PgConnection;
  std::vector<std::string> values_;
  std::vector<char> is_null_;
  std::vector<int> formats_;
};

// A one-dimensional array parameter in PostgreSQL's binary form (what array_recv reads),
// built one element at a time: the keys, pickles, protocols or digests of a change set, sent
// as one bytea[] or smallint[] (docs/FORMAT-POSTGRES.md "Writing", steps 4-5).
class ArrayParam {
 public:
  enum class Type : std::uint32_t { bytea = 17, smallint = 21 };  // the element type's OID
  explicit ArrayParam(Type type);
  void add(std::string_view bytes);  // a bytea element
  void add(std::int16_t value);      // a smallint element
  std::size_t size() const noexcept { return count_; }
  std::size_t bytes() const noexcept { return data_.size(); }
  // The array as sent; the builder is empty again afterwards.
  std::string take();

 private:
  void restart();
  Type type_;
  std::string data_;  // the header (its count patched by take()), then the elements
  std::size_t count_ = 0;
};

// One statement's rows, every column in binary.
class PgResult {
 public:
  explicit PgResult(PGresult* result) noexcept : result_(result) {}
  int rows() const noexcept { return PQntuples(result_.get()); }
  bool is_null(int row, int column) const noexcept {
    return PQgetisnull(result_.get(), row, column) != 0;
  }
  std::string_view bytes(int row, int column) const noexcept {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
  }
  // A smallint, integer or bigint column (a boolean as 0 or 1).
  std::int64_t integer(int row, int column) const noexcept;
  std::string text(int row, int column) const { return std::string(bytes(row, column)); }
  // The rows an INSERT, UPDATE or DELETE changed.
  std::int64_t affected() const noexcept;

 private:
  friend class PgConnection;
  struct Clear {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

// Who the connection's messages name, and what they must never show.
struct ConnectionNames {
  std::string shown;     // the store's URL without its password
  std::string password;  // the URL's password (percent-decoded), scrubbed from messages
  std::chrono::milliseconds lock_timeout{0};  // for LockTimeout's message
};

class PgConnection {
 public:
  // Connects with libpq's own configuration (`conninfo`, PG* variables, ~/.pgpass).
  // ServerError naming the store when the server cannot be reached or refuses the login.
  PgConnection(const std::string& conninfo, ConnectionNames names);
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // Runs one statement, prepared on this connection the first time it runs (parsing and
  // planning it once, not on every call); ServerError when it fails, LockTimeout for
  // SQLSTATE 55P03.
  PgResult exec(const char* sql, const Params& params = Params());
  // A statement without parameters, or several (DDL, BEGIN, COMMIT, LISTEN).
  void exec_plain(const char* sql);
  // ROLLBACK, ignoring failure (the connection may be gone: the server rolled back then).
  void rollback_quietly() noexcept;

  // Whether libpq found the connection lost.
  bool broken() const noexcept { return conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK; }
  // Reads what the server sent meanwhile; true when it held a notification (LISTEN).
  // Marks the connection broken when the server closed it.
  bool take_notifications() noexcept;
  int socket() const noexcept { return conn_ ? PQsocket(conn_) : -1; }
  // "postgresql://user@host:port/dbname?store=NAME" as libpq connected, defaults included.
  std::string shown_connected(std::string_view store) const;
  void rename(std::string shown) { names_.shown = std::move(shown); }
  // For a child process after fork(): forgets the connection without closing it (closing
  // would end the parent's server session too).
  void abandon() noexcept { conn_ = nullptr; }

 private:
  [[noreturn]] void fail(const PGresult* result) const;
  // libpq's message on one line, without the password.
  std::string clean(const char* message) const;

  // The name `sql` is prepared under on this connection, preparing it first if need be.
  const std::string& prepared(const char* sql);

  ConnectionNames names_;
  PGconn* conn_ = nullptr;
  std::map<std::string, std::string, std::less<>> prepared_;  // statement -> its name
};

}  // namespace picklejar::store
