#pragma once
// A thin RAII layer over SQLite's C API for the session store (internal): a connection that
// caches its prepared statements and defends itself against a hostile file, a statement
// handle that resets itself when the caller is done with it, and a transaction that rolls
// back unless committed. Every failure throws SqliteError naming the database file and
// carrying SQLite's extended result code.
//
// Thread safety: a Db and its statements are used by one thread at a time (connections are
// opened with SQLITE_OPEN_NOMUTEX).

#include <sqlite3.h>

#include <picklejar/pickle.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "file_name.hpp"

namespace picklejar::store {

class Db;

// A prepared statement. Bind parameters (1-based), step through rows, read columns
// (0-based). Text and blob views stay valid until the next step() or reset().
class Statement {
 public:
  Statement(const Db& db, std::string_view sql);
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind_text(int index, std::string_view text);
  Statement& bind_blob(int index, std::span<const std::byte> blob);
  Statement& bind_blob(int index, std::string_view blob);
  Statement& bind_null(int index);

  // Runs to the next row: true when a row is ready, false when the statement is done.
  bool step();
  // Steps to completion, ignoring rows (for statements that return none).
  void run();
  // Back to the start, bindings cleared. Never throws: a failed step already reported.
  void reset() noexcept;

  int column_type(int column) const noexcept;  // SQLITE_INTEGER, SQLITE_TEXT, ...
  bool column_is_null(int column) const noexcept;
  std::int64_t column_int(int column) const noexcept;
  std::string_view column_text(int column) const noexcept;
  std::string_view column_blob(int column) const noexcept;

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
  };
  const Db* db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
};

// A cached statement on loan: resets (and so ends any read it holds open) when destroyed.
class Query {
 public:
  explicit Query(Statement& statement) noexcept : statement_(&statement) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() { statement_->reset(); }
  Statement* operator->() const noexcept { return statement_; }
  Statement& operator*() const noexcept { return *statement_; }

 private:
  Statement* statement_;
};

// What a connection allows a file to cost it (docs/FORMAT.md "Hardening").
struct DbLimits {
  // SQLite's busy handler waits up to this long for its own locks. A single step of a
  // statement that runs longer than this (at least kMinStatementTime) is interrupted:
  // SqliteError with SQLITE_INTERRUPT.
  std::chrono::milliseconds timeout{5000};
  // The longest string or blob SQLite makes or reads (SQLITE_LIMIT_LENGTH; at least
  // kMinValueBytes, at most SQLite's own compiled limit). A pickle larger than the decoder's
  // max_input_bytes is refused anyway.
  std::size_t max_value_bytes = DecodeLimits{}.max_input_bytes;
};
inline constexpr std::chrono::milliseconds kMinStatementTime{1000};
inline constexpr std::size_t kMinValueBytes = std::size_t{1} << 20;

class Db {
 public:
  enum class Access {
    read_only,
    read_write,
    create,
    // Read-only and immutable=1: no locks, no -wal or -shm made or read, only the database
    // file's own pages. For looking at page 1 of a file that may not be ours, changing nothing.
    page_one,
  };

  // Opens (or, with Access::create, creates) the database `name.file` through its file: URI
  // (never a symbolic link unless name.follow_symlinks), hardened before anything is read
  // from it: defensive mode, no triggers, no views, an untrusted schema, `limits`, SQL text
  // of at most 1 MiB, cell size checks, no memory-mapped I/O; extended result codes on.
  // Throws SqliteError naming name.shown when SQLite cannot open the file or refuses a
  // setting.
  static std::unique_ptr<Db> open(const FileName& name, Access access, const DbLimits& limits);
  // The same for `path`, its last component never followed (for tools and tests).
  static std::unique_ptr<Db> open(const std::filesystem::path& path, Access access,
                                  const DbLimits& limits) {
    return open(resolve_file_name(path, false), access, limits);
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  // Closes the connection (finalizing cached statements first); errors are ignored.
  ~Db();
  // Closes now; SqliteError when SQLite reports a failure. Afterwards only destruction.
  void close();

  sqlite3* handle() const noexcept { return db_; }
  // The file's name as the caller gave it (for messages), and the file opened.
  const std::string& path() const noexcept { return path_; }
  const std::filesystem::path& file() const noexcept { return file_; }

  // Runs SQL that returns no rows (one or more statements).
  void exec(const char* sql);
  // exec() without the statement time limit (DbLimits::timeout): for VACUUM and VACUUM INTO,
  // whose time grows with the file's size and which run nothing the file's schema defines
  // (check the schema first).
  void exec_unlimited(const char* sql);
  // A statement prepared once per connection and kept. `sql` must be a string literal (or
  // otherwise outlive the Db): the cache is keyed by its address.
  Query query(const char* sql);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const noexcept { return sqlite3_changes(db_); }
  // SQLite's data version of the main database (SQLITE_FCNTL_DATA_VERSION): it changes
  // whenever the file's content changed, by this connection's commits or by other
  // connections' (noticed when this one starts a transaction, as SQLite validates its page
  // cache). Meaningful inside a transaction that has started reading, or right after this
  // connection's COMMIT. nullopt when SQLite cannot tell.
  std::optional<std::uint32_t> data_version() const noexcept;

  // Throws SqliteError for `rc`: "<what> '<path>': <SQLite's message> (<code name>)".
  [[noreturn]] void fail(int rc, std::string_view what) const;

  // For a child process after fork(): forget the connection without closing it, since
  // closing could checkpoint or delete files the parent's connection still uses.
  void abandon() noexcept;

  // While alive, the connection's statement time limit runs (see DbLimits::timeout): held
  // around every call that lets SQLite execute statements.
  class Clock {
   public:
    explicit Clock(const Db& db) noexcept;
    Clock(const Clock&) = delete;
    Clock& operator=(const Clock&) = delete;
    ~Clock() { db_.armed_ = was_armed_; }

   private:
    const Db& db_;
    bool was_armed_;
  };

 private:
  Db(sqlite3* db, std::string path, std::filesystem::path file) noexcept
      : db_(db), path_(std::move(path)), file_(std::move(file)) {}
  void harden(const DbLimits& limits);
  static int on_progress(void* self) noexcept;
  sqlite3* db_;
  std::string path_;
  std::filesystem::path file_;
  std::unordered_map<const char*, std::unique_ptr<Statement>> cache_;
  std::chrono::milliseconds statement_time_{kMinStatementTime};
  // The progress handler's state; set by Clock, which const statements hold.
  mutable std::chrono::steady_clock::time_point deadline_{};
  mutable bool armed_ = false;
  mutable bool interrupted_ = false;  // the handler stopped a statement
};

// BEGIN (a read snapshot, taken at the first read) or BEGIN IMMEDIATE (the write lock now,
// waiting up to the connection's busy timeout). Rolls back when destroyed uncommitted.
class Transaction {
 public:
  enum class Kind { read, write };
  Transaction(Db& db, Kind kind);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Db& db_;
  bool open_ = true;
};

}  // namespace picklejar::store
