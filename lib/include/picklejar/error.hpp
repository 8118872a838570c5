#pragma once
// The exceptions picklejar throws. Every one derives from picklejar::Error, so a caller that
// only wants "did it work" catches that; callers that care catch a family below.
//
// Families:
//   DecodeError     the input is not a well-formed pickle (carries byte offset and opcode)
//     LimitError    a configured limit was exceeded (input size, depth, memo, items, ...)
//     ForbiddenError the pickle names something the decode policy refuses (a global, a
//                   persistent id, an out-of-band buffer nobody supplied)
//   TypeError       a Value of the wrong kind was used (as_int() on a str, unhashable key)
//   ValueError      a C++ argument has the right kind but an unusable value (bad UTF-8)
//   LookupError     a key or index that is not there, where the API promised it would be
//   EncodeError     a value the chosen pickle protocol cannot express
//   StoreError      a session file problem, naming the file (and the key, when one is)
//     FormatError   not a picklejar file, or a format/app schema version it cannot open
//     IntegrityError an entry's digest or HMAC does not match
//     LockTimeout   the lock file (a server store: its row lock) stayed locked past the timeout
//     ConflictError strict mode: another process changed keys this session is saving
//     SqliteError   SQLite failed (I/O, full disk, corruption); carries SQLite's code
//     ServerError   a PostgreSQL server refused a statement or the connection to it failed;
//                   carries the server's SQLSTATE
//
// Messages follow "what 'where': why", e.g.
//   "pickle decode error at offset 12 (opcode 0x58 BINUNICODE): declared length 4294967295
//    exceeds the 3 bytes remaining"

#include <picklejar/config.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace picklejar {

// The root of every exception picklejar throws (a std::runtime_error: what() is the message).
class PICKLEJAR_EXPORT Error : public std::runtime_error {
 public:
  // what() is `message`.
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// What went wrong while decoding. Part of the public API: values are never renumbered.
enum class DecodeErrc : std::uint8_t {
  truncated = 1,        // input ended inside an opcode, or before STOP
  unknown_opcode = 2,   // a byte that is not a pickle opcode
  stack_underflow = 3,  // an opcode needed more values than the stack holds above the MARK
  mark_missing = 4,     // an opcode needed a MARK and none was open
  memo_missing = 5,     // GET of a memo index that was never stored
  bad_utf8 = 6,         // a str argument is not UTF-8 (surrogates are allowed)
  bad_text = 7,         // a text argument (INT, LONG, FLOAT, STRING, GLOBAL line) is malformed
  bad_argument = 8,     // a binary argument is impossible (negative length, bad protocol...)
  wrong_type = 9,       // an opcode applied to the wrong kind of value (APPEND to a dict...)
  odd_items = 10,       // DICT/SETITEMS with a key and no value
  unhashable = 11,      // a dict key or set member that cannot be hashed (a list)
  trailing_data = 12,   // bytes after STOP while the policy rejects them
  limit_exceeded = 13,  // see LimitError
  forbidden = 14,       // see ForbiddenError
  unsupported_protocol = 15,  // PROTO above 5
  hook_failed = 16,           // a caller-supplied hook (persistent_load) threw
  bad_frame = 17,    // a read crossed the end of a FRAME, or a FRAME began inside an unfinished one
  hidden_call = 18,  // Python would call what an inert value cannot show (a BUILD after a
                     // state holding __setstate__, items added after BUILD)
};

// Where in the input a decode error happened.
struct DecodePosition {
  std::uint64_t offset = 0;  // byte offset of the opcode being executed
  int opcode = -1;           // its byte value, or -1 when the error is not tied to an opcode
};

// The input is not a well-formed pickle. what() names the offset and opcode when known.
class PICKLEJAR_EXPORT DecodeError : public Error {
 public:
  // `why` is reason(); what() adds the position (offset and opcode) when there is one.
  DecodeError(DecodeErrc code, std::optional<DecodePosition> position, const std::string& why);

  DecodeErrc code() const noexcept { return code_; }  // what kind of failure
  // Empty when the error concerns the whole input (e.g. it is larger than max_input_bytes).
  const std::optional<DecodePosition>& position() const noexcept { return position_; }
  // The reason alone, without the "at offset N (opcode X)" prefix.
  const std::string& reason() const noexcept { return reason_; }

 private:
  DecodeErrc code_;
  std::optional<DecodePosition> position_;
  std::string reason_;
};

// A DecodeLimits (or another configured) limit was exceeded.
class PICKLEJAR_EXPORT LimitError : public DecodeError {
 public:
  // A DecodeError with code limit_exceeded.
  LimitError(std::optional<DecodePosition> position, const std::string& why)
      : DecodeError(DecodeErrc::limit_exceeded, position, why) {}
};

// The pickle names something the decode policy refuses (a global, a persistent id, ...).
class PICKLEJAR_EXPORT ForbiddenError : public DecodeError {
 public:
  // A DecodeError with code forbidden.
  ForbiddenError(std::optional<DecodePosition> position, const std::string& why)
      : DecodeError(DecodeErrc::forbidden, position, why) {}
};

// A Value of the wrong kind was used (as_int() on a str), or an unhashable key.
class PICKLEJAR_EXPORT TypeError : public Error {
 public:
  using Error::Error;  // what() is the message
};

// A C++ argument of the right kind but an unusable value (bad UTF-8, a bad protocol).
class PICKLEJAR_EXPORT ValueError : public Error {
 public:
  using Error::Error;  // what() is the message
};

// A key or index that is not there, where the API promised it would be.
class PICKLEJAR_EXPORT LookupError : public Error {
 public:
  using Error::Error;  // what() is the message
};

// What dumps() cannot write: "what 'where': why", e.g. "cannot pickle int at [\"big\"] with
// protocol 1: more than 4300 digits".
class PICKLEJAR_EXPORT EncodeError : public Error {
 public:
  using Error::Error;  // what() is the message
};

// Errors of session files. Each names the file; key() is set when one entry is concerned.
class PICKLEJAR_EXPORT StoreError : public Error {
 public:
  // `path` is the file, `key` the entry concerned (if any); what() is `message`.
  StoreError(std::string path, std::optional<std::string> key, const std::string& message)
      : Error(message), path_(std::move(path)), key_(std::move(key)) {}

  const std::string& path() const noexcept { return path_; }  // the session file
  // The entry concerned, if one is.
  const std::optional<std::string>& key() const noexcept { return key_; }

 private:
  std::string path_;
  std::optional<std::string> key_;
};

// Not a picklejar file (another SQLite database, random bytes, empty or truncated), or a
// file format / app schema this program cannot open as asked. The file is left untouched.
class PICKLEJAR_EXPORT FormatError : public StoreError {
 public:
  using StoreError::StoreError;  // as StoreError
};

// An entry whose digest or HMAC does not match its pickle, or a file written with another
// integrity key. Raised before a single byte of the entry is decoded.
class PICKLEJAR_EXPORT IntegrityError : public StoreError {
 public:
  using StoreError::StoreError;  // as StoreError
};

// The session's lock file (for a store on a server: the store row's lock) could not be
// locked within the configured timeout.
class PICKLEJAR_EXPORT LockTimeout : public StoreError {
 public:
  using StoreError::StoreError;  // as StoreError
};

// save() in strict conflict mode found keys another process changed since this session
// last looked at them.
class PICKLEJAR_EXPORT ConflictError : public StoreError {
 public:
  // `keys` are the keys another session changed; what() is `message`.
  ConflictError(std::string path, std::vector<std::string> keys, const std::string& message)
      : StoreError(std::move(path), std::nullopt, message), keys_(std::move(keys)) {}

  const std::vector<std::string>& keys() const noexcept { return keys_; }  // in key order

 private:
  std::vector<std::string> keys_;
};

// SQLite itself failed (I/O error, disk full, corrupt database...); code() is SQLite's
// extended result code.
class PICKLEJAR_EXPORT SqliteError : public StoreError {
 public:
  // `code` is SQLite's extended result code; what() is `message`.
  SqliteError(std::string path, int code, const std::string& message)
      : StoreError(std::move(path), std::nullopt, message), code_(code) {}

  // SQLite's extended result code (SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_FSYNC, ...).
  int code() const noexcept { return code_; }
  // Whether SQLite gave up waiting for a lock another connection held (SQLITE_BUSY or
  // SQLITE_LOCKED, primary codes 5 and 6 of SQLite's stable interface): the file was busy,
  // not damaged, and trying again later may succeed.
  bool busy() const noexcept { return (code_ & 0xff) == 5 || (code_ & 0xff) == 6; }

 private:
  int code_;
};

// A store named by a postgresql:// URL: the server refused a statement, or the connection to
// it failed. The message names the server and the store (path() is the URL without its
// password), never a password. sqlstate() is the server's SQLSTATE, empty when it sent none
// (a lost connection). A save() or transact() that threw this wrote nothing and keeps its
// changes pending, unless the connection was lost during COMMIT: the next load() tells.
class PICKLEJAR_EXPORT ServerError : public StoreError {
 public:
  // `path` is the store's URL without its password; what() is `message`.
  ServerError(std::string path, std::string sqlstate, const std::string& message)
      : StoreError(std::move(path), std::nullopt, message), sqlstate_(std::move(sqlstate)) {}

  // The server's SQLSTATE ("55P03" lock not available, "42501" insufficient privilege, ...);
  // empty when it sent none.
  const std::string& sqlstate() const noexcept { return sqlstate_; }

 private:
  std::string sqlstate_;
};

}  // namespace picklejar
