#include "session_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace picklejar::test {

SessionOptions fast(OpenMode mode) {
  SessionOptions options;
  options.mode = mode;
  options.durability = Durability::fast;
  return options;
}

SessionOptions patient(OpenMode mode) {
  SessionOptions options = fast(mode);
  options.lock_timeout = std::chrono::minutes(1);
  return options;
}

FileSnapshot snapshot(const std::filesystem::path& file) {
  FileSnapshot s;
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) return s;
  s.exists = true;
  s.bytes = read_file(file);
  s.mtime_ns =
      static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
  return s;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// ---- RawDb -------------------------------------------------------------------------------------

namespace {
sqlite3* handle(void* db) { return static_cast<sqlite3*>(db); }

struct Stmt {
  sqlite3_stmt* stmt = nullptr;
  Stmt(void* db, const std::string& sql) {
    if (sqlite3_prepare_v2(handle(db), sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
      throw std::runtime_error("RawDb: " + std::string(sqlite3_errmsg(handle(db))) + ": " + sql);
  }
  ~Stmt() { sqlite3_finalize(stmt); }
  void row(const std::string& sql) {
    if (sqlite3_step(stmt) != SQLITE_ROW) throw std::runtime_error("RawDb: no row from " + sql);
  }
};
}  // namespace

RawDb::RawDb(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("RawDb: cannot open " + file.string());
  }
  sqlite3_busy_timeout(db, 5000);
  db_ = db;
}

RawDb::~RawDb() { sqlite3_close(handle(db_)); }

void RawDb::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(handle(db_), sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error != nullptr ? error : "?";
    sqlite3_free(error);
    throw std::runtime_error("RawDb: " + message + ": " + sql);
  }
}

std::int64_t RawDb::integer(const std::string& sql) {
  Stmt s(db_, sql);
  s.row(sql);
  return sqlite3_column_int64(s.stmt, 0);
}

std::string RawDb::text(const std::string& sql) {
  Stmt s(db_, sql);
  s.row(sql);
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s.stmt, 0));
  return p != nullptr ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s.stmt, 0)))
                      : std::string();
}

std::string RawDb::blob(const std::string& sql) {
  Stmt s(db_, sql);
  s.row(sql);
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s.stmt, 0));
  return p != nullptr ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s.stmt, 0)))
                      : std::string();
}

void RawDb::exec_with_blob(const std::string& sql, const std::string& blob) {
  Stmt s(db_, sql);
  sqlite3_bind_blob(s.stmt, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(s.stmt) != SQLITE_DONE)
    throw std::runtime_error("RawDb: " + std::string(sqlite3_errmsg(handle(db_))) + ": " + sql);
}

// ---- processes
// -----------------------------------------------------------------------------------

std::string py_bytes(const std::string& bytes) {
  std::string out = "b'";
  for (const char c : bytes) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
  return out + "'";
}

}  // namespace picklejar::test
