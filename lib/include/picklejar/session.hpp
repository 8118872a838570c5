#pragma once
// picklejar::Session — a dictionary of pickles kept in one SQLite file that several processes
// (C++ now, Python next) open at the same time. Start here.
//
//   picklejar::Session s("state.pj");              // creates the file if it is missing
//   int runs = s.get_or("runs", 0);
//   s.set("runs", runs + 1);
//   s.save();                                      // every change, in one transaction
//   s.transact([](picklejar::Session& t) {         // read-modify-write, atomic across
//     t.set("count", t.get_or("count", 0) + 1);    // processes
//   });
//
// Model. A session holds a snapshot of the file in memory: the raw pickles of every entry,
// decoded lazily (verified, then decoded on first access, then cached). Reads never touch
// the disk. Changes (set, erase) stay in memory until save() writes them all in one SQLite
// transaction; load() brings in what other processes saved, incrementally (only entries
// whose revision is newer than the last one this session saw, plus deletions).
// docs/FORMAT.md is the file format and lock protocol: what a Python program implements to
// share the same files.
//
// Guarantees.
//   - Opening either succeeds fully or throws; a file that is not a picklejar file is
//     refused with FormatError and never written.
//   - save(), transact(), convert_protocol() and migrations are one SQLite transaction
//     (BEGIN IMMEDIATE, under the exclusive lock of the sidecar "<file>.lock"): after a crash
//     at any moment the file holds exactly the old or the new state.
//   - Every entry is checked against its SHA-256 (or HMAC-SHA256 with an integrity key)
//     before a byte of it is decoded, and decoded by the safe decoder (pickle.hpp): nothing
//     named in a pickle is ever executed.
//   - The destructor never throws and never writes: unsaved changes are dropped.
//
// Errors (error.hpp): FormatError (not a picklejar file, a format or app schema version that
// cannot be opened as asked), IntegrityError (an entry or the file's key does not verify),
// LockTimeout, ConflictError (strict mode), SqliteError (I/O, disk full, ...), all naming
// the file; LookupError for get() of a missing key; StoreError for misuse (writing to a
// read-only session, using a session after fork() or close()).
//
// Thread safety: one thread at a time per Session, const functions included (they decode
// and cache). Separate Session objects, in one process or in many, may use the same file
// concurrently: the lock file and SQLite keep them apart.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <picklejar/codec.hpp>
#include <picklejar/error.hpp>
#include <picklejar/pickle.hpp>
#include <picklejar/value.hpp>

namespace picklejar {

class Session;
namespace store {
struct SessionState;  // internal
}

enum class OpenMode : std::uint8_t {
  create,      // open the file, creating it when missing (or 0 bytes long)
  read_write,  // open an existing file; a missing or empty one is an error
  read_only,   // open an existing file, never write it: set/erase/save/transact throw
};

// How hard a commit works to survive power loss, in SQLite's terms (PRAGMA synchronous).
// Both survive a crash of the program at any point; neither ever corrupts the file.
enum class Durability : std::uint8_t {
  durable,  // WAL + synchronous=FULL: a committed save survives power loss
  fast,     // WAL + synchronous=NORMAL: the last saves may roll back after power loss
};

// Where the file lives decides the journal: WAL needs every process on one machine.
enum class FilesystemCheck : std::uint8_t {
  detect,   // statfs(): NFS, SMB/CIFS, AFS, 9P, Ceph, FUSE, ... count as network
  local,    // trust that the file system is local: WAL
  network,  // treat it as a network file system: rollback journal (DELETE) + synchronous=FULL
};

// What save() does with keys that another process changed since this session saw them.
enum class ConflictPolicy : std::uint8_t {
  last_writer_wins,  // per key: this session's value (or erasure) replaces theirs
  strict,            // save() throws ConflictError naming the keys and writes nothing
};

// One step of the application's own data schema: turns a session at version `from` into
// one at version `to` (> from) by reading and changing entries through the Session passed
// in (get/set/erase; save, load and transact are not allowed there).
struct Migration {
  std::int64_t from = 0;
  std::int64_t to = 0;
  std::function<void(Session&)> apply;
};

struct SessionOptions {
  // Default: create the file when it is missing.
  OpenMode mode = OpenMode::create;
  // How long to wait for the lock file (and for SQLite's own locks) before LockTimeout.
  // Default 5 s. Zero tries once.
  std::chrono::milliseconds lock_timeout{5000};
  // Pickle protocol (0-5) for the entries this session writes. Default: the file's default
  // protocol (meta row default_protocol: 4 in a new file, changed by convert_protocol()).
  // Entries keep the protocol they were written with.
  std::optional<int> protocol;
  // Default durable (WAL + synchronous=FULL). Never synchronous=OFF.
  Durability durability = Durability::durable;
  // Default detect.
  FilesystemCheck filesystem = FilesystemCheck::detect;
  // Default last_writer_wins.
  ConflictPolicy conflicts = ConflictPolicy::last_writer_wins;
  // The application's data schema version. Default none: the file's version is neither
  // checked nor changed (a new file gets 0). When set: a new file gets it; an older file is
  // migrated to it at open with `migrations` (in order, in one transaction, exactly once
  // even when processes race); a newer file is refused (FormatError) unless read_only.
  std::optional<std::int64_t> schema_version;
  std::vector<Migration> migrations;  // default none
  // Secret bytes for HMAC-SHA256 entry digests. Default none (SHA-256 digests: corruption
  // detection, not tamper detection). Never stored in the file: only its key id is. A file
  // created with a key must be opened with the same key, and one created without a key
  // must be opened without one; anything else is an IntegrityError at open.
  std::optional<std::string> integrity_key;
  // How entries are decoded (limits, global allowlist, ...). Default: the safe defaults.
  DecodeOptions decode;
  // Recorded in the file (meta row writer_app) by every save of this session. Default "".
  std::string app_name;
};

// What the session knows about one entry.
struct EntryInfo {
  int protocol = 0;             // the pickle protocol it was written with
  std::size_t pickle_size = 0;  // bytes
  // The global revision of the save that wrote it; 0 while it is an unsaved change.
  std::int64_t revision = 0;
  // When that save happened (the writer's clock); the epoch while unsaved.
  std::chrono::system_clock::time_point modified;
};

// The file as this session last saw it (at open, load, save or transact).
struct SessionFileInfo {
  std::int64_t format_version = 0;
  std::int64_t app_schema_version = 0;
  std::int64_t revision = 0;  // the global revision this session is current with
  int default_protocol = 4;
  std::string integrity_scheme;       // "sha256" or "hmac-sha256"
  std::optional<std::string> key_id;  // with hmac-sha256: the key's fingerprint
  std::string journal_mode;           // SQLite's name: "wal" or "delete"
  std::string synchronous;            // "full" or "normal"
  bool read_only = false;
  std::string created_by;  // "picklejar-cpp 0.1.0", the library that created the file
  std::string writer;      // "<name> <version>" of the last library that saved
  std::string writer_app;  // SessionOptions::app_name of the last save
  std::chrono::system_clock::time_point created;
  std::chrono::system_clock::time_point modified;  // of the last save
};

class Session {
 public:
  using Options = SessionOptions;
  class Iterator;

  // Opens (or creates) the session file at `path`. Throws FormatError (foreign, empty in
  // read_write/read_only, truncated, newer format or app schema than allowed), IntegrityError
  // (integrity key mismatch), LockTimeout, SqliteError, StoreError (a missing file without
  // create), ValueError (bad options: protocol outside 0-5, a negative timeout, migrations
  // without schema_version, not going up, or two starting at one version). Exceptions a
  // migration throws propagate unchanged (the file stays unmigrated).
  explicit Session(const std::filesystem::path& path, const SessionOptions& options = {});
  static Session open(const std::filesystem::path& path, const SessionOptions& options = {}) {
    return Session(path, options);
  }

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  // Drops unsaved changes and closes the file. Never throws, never writes an entry. In a
  // child process after fork(), the SQLite connection is deliberately leaked instead of
  // closed (closing could checkpoint or delete the parent's WAL).
  ~Session();

  // Closes the file now, reporting what the destructor would swallow. Unsaved changes are
  // dropped. Afterwards every function but the destructor throws StoreError.
  void close();

  const std::filesystem::path& path() const noexcept;

  // ---- reading (from this session's snapshot; never touches the disk) -----------------------
  // The value under `key`, or empty when there is none. The Value is the session's cached
  // object (as a Python dict hands out its objects): changes made to it in place are seen by
  // later reads in this session but are saved only if you set() it again. Throws
  // IntegrityError when the entry does not verify, DecodeError when it does not decode
  // (naming key and file); neither is cached, so every access reports it.
  std::optional<Value> find(std::string_view key) const;
  // The value under `key`; LookupError naming key and file when there is none.
  Value get(std::string_view key) const;
  // Typed: from_value<T>(get(key)) (CodecError when the value does not fit T).
  template <class T>
  T get(std::string_view key) const {
    return from_value<T>(get(key));
  }
  // Typed with a fallback for a missing key (a present value of the wrong shape still throws).
  template <class T>
  T get_or(std::string_view key, T fallback) const {
    std::optional<Value> value = find(key);
    if (!value) return fallback;
    return from_value<T>(*value);
  }
  std::string get_or(std::string_view key, const char* fallback) const {
    return get_or<std::string>(key, std::string(fallback));
  }
  bool contains(std::string_view key) const;
  std::size_t size() const;
  bool empty() const { return size() == 0; }
  // Every key, in code point order (SQLite's binary collation of UTF-8).
  std::vector<std::string> keys() const;
  // Iterates (key, value) pairs in key order, decoding each value as it is reached.
  // Changing the session while iterating is allowed: iteration continues after the key it
  // is on.
  Iterator begin() const;
  Iterator end() const;
  // Protocol, size and revision of an entry; empty when there is none.
  std::optional<EntryInfo> entry_info(std::string_view key) const;
  SessionFileInfo file_info() const;
  // The entry's pickle exactly as stored, without decoding it; empty when there is none.
  // Checks the digest first (IntegrityError, as find()) unless `verify` is false, which is
  // for tools that look at damaged entries (`picklejar get --format pickle --unverified`).
  std::optional<std::string> find_pickle(std::string_view key, bool verify = true) const;
  // SQLite's PRAGMA integrity_check of the whole file (pages, indexes, constraints), under
  // the shared lock: empty when the database is sound, otherwise SQLite's messages. Entry
  // digests are not part of it (find() checks those).
  std::vector<std::string> check_database() const;

  // ---- changing (in memory until save()) ------------------------------------------------------
  // Pickles `value` now (EncodeError naming the key when the protocol cannot express it) and
  // makes it the entry under `key`. A key is any UTF-8 text without lone surrogates (Python
  // str that SQLite can store; ValueError otherwise). StoreError in a read_only session.
  void set(std::string_view key, const Value& value);
  // Typed: set(key, to_value(x)).
  template <class T>
  requires(!std::is_same_v<std::remove_cvref_t<T>, Value> &&
           Encodable<std::remove_cvref_t<T>>) void set(std::string_view key, const T& x) {
    set(key, Value(to_value(x)));
  }
  // Removes the entry; false when there was none. StoreError in a read_only session.
  bool erase(std::string_view key);
  // Whether there are changes save() would write, and their keys (in key order).
  bool has_unsaved_changes() const;
  std::vector<std::string> unsaved_keys() const;
  // Drops every unsaved change: the session shows the file as it last saw it.
  void discard();

  // ---- synchronizing with the file ------------------------------------------------------------
  // Brings in what other sessions saved since this one last looked, as one consistent
  // snapshot (a read transaction under the shared lock). Unsaved changes stay, on top.
  void load();
  // Writes every unsaved change (sets and erases) in one transaction under the exclusive
  // lock, as one new global revision, and brings in what others saved meanwhile. With
  // ConflictPolicy::strict, throws ConflictError naming the keys another session changed
  // since this one saw them, writing nothing and keeping the changes. No changes: no write.
  void save();
  // Atomic read-modify-write across processes: takes the exclusive lock, brings the session
  // up to date, runs fn(*this), saves. If fn (or the save) throws, fn's changes are undone
  // (changes made before transact() stay unsaved) and the exception propagates. A transact()
  // inside fn joins the outer one; save(), load(), discard() and convert_protocol() inside fn
  // throw StoreError.
  void transact(const std::function<void(Session&)>& fn);
  // Re-encodes every entry with pickle protocol `protocol` (0-5) in one transaction, and
  // makes it the file's default protocol. Needs no unsaved changes (StoreError otherwise).
  // Throws EncodeError when an entry cannot be expressed in that protocol (nothing written).
  void convert_protocol(int protocol);

 private:
  // Checks the session is open (not moved from, not closed) and used by the process that
  // opened it.
  store::SessionState& impl() const;
  std::optional<std::string> next_key(std::string_view after, bool inclusive) const;

  std::unique_ptr<store::SessionState> impl_;
};

// Iterates a session in key order; *it is {key, value}. Input iterator.
class Session::Iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = std::pair<std::string, Value>;
  using difference_type = std::ptrdiff_t;
  using reference = value_type;
  using pointer = void;

  Iterator() = default;
  // Decodes the value (IntegrityError / DecodeError as find()).
  value_type operator*() const;
  Iterator& operator++();
  void operator++(int) { ++*this; }
  friend bool operator==(const Iterator& a, const Iterator& b) noexcept { return a.key_ == b.key_; }

 private:
  friend class Session;
  Iterator(const Session* session, std::optional<std::string> key) noexcept
      : session_(session), key_(std::move(key)) {}
  const Session* session_ = nullptr;
  std::optional<std::string> key_;  // empty at the end
};

}  // namespace picklejar
