#include "connection.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <optional>

#include <picklejar/error.hpp>

#include "url.hpp"

namespace picklejar::store {
namespace {

constexpr std::string_view kLockNotAvailable = "55P03";

void replace_all(std::string& text, std::string_view what, std::string_view with) {
  if (what.empty()) return;
  for (std::size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + with.size()))
    text.replace(at, what.size(), with);
}

}  // namespace

// ---- Params and PgResult -----------------------------------------------------------------------

Params& Params::text(std::string_view value) {
  values_.emplace_back(value);
  is_null_.push_back(0);
  formats_.push_back(0);
  return *this;
}

Params& Params::integer(std::int64_t value) { return text(std::to_string(value)); }

Params& Params::bytes(std::string_view value) {
  values_.emplace_back(value);
  is_null_.push_back(0);
  formats_.push_back(1);
  return *this;
}

Params& Params::null() {
  values_.emplace_back();
  is_null_.push_back(1);
  formats_.push_back(0);
  return *this;
}

Params& Params::binary(std::string value) {
  values_.push_back(std::move(value));
  is_null_.push_back(0);
  formats_.push_back(1);
  return *this;
}

namespace {

void put_u32(std::string& out, std::uint32_t value) {
  const char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                         static_cast<char>(value >> 8), static_cast<char>(value)};
  out.append(bytes, 4);
}

// Where the dimension's length sits in the header of a one-dimensional array without NULLs:
// ndim, has-nulls, element OID, then the length (patched by take()) and the lower bound.
constexpr std::size_t kArrayCountAt = 12;

}  // namespace

ArrayParam::ArrayParam(Type type) : type_(type) { restart(); }

void ArrayParam::restart() {
  data_.clear();
  put_u32(data_, 1);
  put_u32(data_, 0);
  put_u32(data_, static_cast<std::uint32_t>(type_));
  put_u32(data_, 0);
  put_u32(data_, 1);
  count_ = 0;
}

void ArrayParam::add(std::string_view bytes) {
  put_u32(data_, static_cast<std::uint32_t>(bytes.size()));
  data_.append(bytes);
  ++count_;
}

void ArrayParam::add(std::int16_t value) {
  put_u32(data_, 2);
  const auto bits = static_cast<std::uint16_t>(value);
  data_.push_back(static_cast<char>(bits >> 8));
  data_.push_back(static_cast<char>(bits));
  ++count_;
}

std::string ArrayParam::take() {
  std::string count;
  put_u32(count, static_cast<std::uint32_t>(count_));
  data_.replace(kArrayCountAt, 4, count);
  std::string out = std::move(data_);
  restart();
  return out;
}

std::int64_t PgResult::integer(int row, int column) const noexcept {
  // Binary integers are big-endian two's complement of 1 (boolean), 2, 4 or 8 bytes.
  const std::string_view raw = bytes(row, column);
  std::uint64_t value = 0;
  for (const char c : raw) value = (value << 8) | static_cast<unsigned char>(c);
  const std::size_t bits = raw.size() * 8;
  if (bits > 8 && bits < 64 && (value >> (bits - 1)) != 0) value |= ~std::uint64_t{0} << bits;
  return static_cast<std::int64_t>(value);
}

std::int64_t PgResult::affected() const noexcept {
  return std::strtoll(PQcmdTuples(result_.get()), nullptr, 10);
}

// ---- PgConnection ------------------------------------------------------------------------------

PgConnection::PgConnection(const std::string& conninfo, ConnectionNames names)
    : names_(std::move(names)) {
  conn_ = PQconnectdb(conninfo.c_str());
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return;
  const std::string why = conn_ ? clean(PQerrorMessage(conn_)) : "out of memory";
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  throw ServerError(names_.shown, "",
                    fmt::format("cannot connect to the server of '{}': {}", names_.shown, why));
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

std::string PgConnection::clean(const char* message) const {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text)
    if (c == '\n' || c == '\t') c = ' ';
  replace_all(text, names_.password, "***");
  replace_all(text, url_quote(names_.password), "***");
  return text;
}

void PgConnection::fail(const PGresult* result) const {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state != nullptr ? state : "";
  std::string why = clean(result ? PQresultErrorMessage(result) : nullptr);
  if (why.empty()) why = clean(conn_ ? PQerrorMessage(conn_) : "no connection");
  if (sqlstate == kLockNotAvailable)
    throw LockTimeout(names_.shown, std::nullopt,
                      fmt::format("cannot write '{}': timed out after {} ms waiting for the "
                                  "store's lock (another session is writing it)",
                                  names_.shown, names_.lock_timeout.count()));
  if (broken())
    throw ServerError(names_.shown, sqlstate,
                      fmt::format("cannot use '{}': the connection to the server failed ({}); "
                                  "nothing of this call was kept unless it failed during "
                                  "COMMIT (a load() then tells)",
                                  names_.shown, why));
  throw ServerError(names_.shown, sqlstate,
                    fmt::format("cannot use '{}': the server refused it: {} (SQLSTATE {})",
                                names_.shown, why, sqlstate.empty() ? "none" : sqlstate));
}

const std::string& PgConnection::prepared(const char* sql) {
  const auto found = prepared_.find(std::string_view(sql));
  if (found != prepared_.end()) return found->second;
  std::string name = fmt::format("picklejar_{}", prepared_.size() + 1);
  PgResult result(conn_ == nullptr ? nullptr : PQprepare(conn_, name.c_str(), sql, 0, nullptr));
  if (!result.result_ || PQresultStatus(result.result_.get()) != PGRES_COMMAND_OK)
    fail(result.result_.get());
  return prepared_.emplace(sql, std::move(name)).first->second;
}

PgResult PgConnection::exec(const char* sql, const Params& params) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  values.reserve(params.values_.size());
  lengths.reserve(params.values_.size());
  for (std::size_t i = 0; i < params.values_.size(); ++i) {
    values.push_back(params.is_null_[i] ? nullptr : params.values_[i].data());
    lengths.push_back(static_cast<int>(params.values_[i].size()));
  }
  const std::string& name = prepared(sql);
  PgResult result(conn_ == nullptr
                      ? nullptr
                      : PQexecPrepared(conn_, name.c_str(), static_cast<int>(values.size()),
                                       values.data(), lengths.data(), params.formats_.data(), 1));
  const ExecStatusType status =
      result.result_ ? PQresultStatus(result.result_.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(result.result_.get());
  return result;
}

void PgConnection::exec_plain(const char* sql) {
  PgResult result(conn_ == nullptr ? nullptr : PQexec(conn_, sql));
  const ExecStatusType status =
      result.result_ ? PQresultStatus(result.result_.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(result.result_.get());
}

void PgConnection::rollback_quietly() noexcept {
  if (broken()) return;
  PQclear(PQexec(conn_, "ROLLBACK"));
}

bool PgConnection::take_notifications() noexcept {
  if (broken()) return false;
  PQconsumeInput(conn_);
  bool any = false;
  while (PGnotify* n = PQnotifies(conn_)) {
    any = true;
    PQfreemem(n);
  }
  return any;
}

std::string PgConnection::shown_connected(std::string_view store) const {
  const auto text = [](const char* s) { return std::string(s != nullptr ? s : ""); };
  const std::string user = text(PQuser(conn_));
  std::string host = text(PQhost(conn_));
  const std::string port = text(PQport(conn_));
  const std::string db = text(PQdb(conn_));
  if (host.starts_with('/')) {
    host = url_quote(host);  // a Unix socket's directory
  } else if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  return fmt::format("postgresql://{}{}{}{}?store={}", user.empty() ? "" : url_quote(user) + "@",
                     host, port.empty() ? "" : ":" + port, db.empty() ? "" : "/" + url_quote(db),
                     url_quote(store));
}

}  // namespace picklejar::store
