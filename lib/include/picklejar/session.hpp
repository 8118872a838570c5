#pragma once
// picklejar::Session — a dictionary of pickles kept in one SQLite file that several processes
// (C++ and Python) open at the same time. Start here.
//
//   picklejar::Session s("state.pj");              // creates the file if it is missing
//   int runs = s.get_or("runs", 0);
//   s.set("runs", runs + 1);
//   s.save();                                      // every change, in one transaction
//   s.increment("count");                          // atomic across processes
//   s.transact([](picklejar::Session& t) {         // any read-modify-write, atomic across
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
// What is saved, and when (the same rules as README "Keeping state"; Python differs only
// where noted there):
//   - Only save(), transact(), increment(), add() and convert_protocol() write. The
//     destructor never throws and never writes: a destructor cannot report a failed save,
//     and a half-finished operation abandoned by an exception must not reach the file. It
//     drops unsaved changes, and tells SessionOptions::on_dropped_changes when there were
//     any (discard() first to drop them on purpose).
//   - SaveOnExit (below) is the opt-in "save when this scope ends": it saves when the scope
//     exits normally and discards when it exits by an exception — the rule of Python's
//     `with picklejar.Session(...)` block.
//   - A Value that find()/get() hands out is the session's cached object: changing it in
//     place (v.append(3)) changes what later reads see, but is not a change save() knows
//     of. Call touch(key) after changing it, or set(key, v) again.
//
// Guarantees.
//   - Opening either succeeds fully or throws; a file that is not a picklejar file is
//     refused with FormatError and never written.
//   - save(), transact(), increment(), add(), convert_protocol() and migrations are one
//     SQLite transaction (BEGIN IMMEDIATE, after the writers' lock of the sidecar
//     "<file>.lock"): after a crash at any moment the file holds exactly the old or the new
//     state. Readers take no lock: SQLite's read transaction gives them a consistent
//     snapshot, and they never keep a writer waiting.
//   - Every entry is checked against its SHA-256 (or HMAC-SHA256 with an integrity key)
//     before a byte of it is decoded, and decoded by the safe decoder (pickle.hpp): nothing
//     named in a pickle is ever executed.
//
// Errors (error.hpp): FormatError (not a picklejar file, a format or app schema version that
// cannot be opened as asked), IntegrityError (an entry or the file's key does not verify),
// LockTimeout, ConflictError (strict mode), SqliteError (I/O, disk full, ...), all naming
// the file; LookupError for get() of a missing key; StoreError for misuse (writing to a
// read-only session, using a session after fork() or close()). Every error about one entry
// names its key and the file: a DecodeError "key 'k' in 'state.pj': ...", and a typed read
// that does not fit its C++ type an EntryCodecError "'window'.size[1]: expected int, got str
// in 'state.pj'". get_or(key, fallback, on_error) turns those into a fallback, so one bad
// entry cannot stop an application from starting.
//
// Thread safety: one thread at a time per Session, const functions included (they decode
// and cache). Separate Session objects, in one process or in many, may use the same file
// concurrently: the lock file and SQLite keep them apart.

#include <picklejar/config.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
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

namespace detail {
// What a braced-init-list fallback (get_or("k", {})) converts to: an overload that stops
// compilation with a message, where `{}` would otherwise be taken for a null const char*.
struct BracedFallback {};
// get_or's fallback: a value, not a pointer (a string literal takes the const char* form).
template <class T>
concept Fallback = !std::is_pointer_v<T>;
// get_or's on_error: called with the error that made it fall back.
template <class F>
concept ErrorHandler = std::invocable<F&, const Error&>;
// set()'s and add()'s typed form: anything but a Value, except what converts to a Value
// without a mapping (a string literal). An unmapped type is taken, so that to_value's
// static_assert lists the ways to map it instead of "constraints not satisfied".
template <class T>
concept SetArgument =
    !std::is_same_v<T, Value> && (Encodable<T> || !std::is_convertible_v<const T&, Value>);
// update()'s items: a map or range of pairs of string keys and values (to_value's
// static_assert names a value type without a mapping).
template <class Items>
concept KeyedItems = requires(const Items& items) {
  std::string_view(std::get<0>(*std::begin(items)));
  std::get<1>(*std::begin(items));
};
#define PICKLEJAR_DETAIL_BRACED_FALLBACK                                                   \
  "picklejar::Session::get_or(key, {}): a braced fallback names no type. Write the type: " \
  "get_or<std::string>(key, {}), or get_or(key, std::vector<std::string>{})"
}  // namespace detail

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
  std::int64_t from = 0;                // the version it reads
  std::int64_t to = 0;                  // the version it leaves (> from)
  std::function<void(Session&)> apply;  // the step
};

// What a session dropped: the unsaved changes its destructor or close() discarded.
struct DroppedChanges {
  std::string path;               // the session file
  std::vector<std::string> keys;  // the keys with unsaved changes (sets and erases), in order
};

// How a Session opens its file. Every field has a default that suits an application's state.
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
  // Permission bits (0600-0777; owner read and write required) of the files this session
  // creates: the session file, and so its -wal, -shm and -journal files, which SQLite gives
  // the session file's bits; its lock file gets read and write for each class that may write
  // the session file. Existing files keep theirs. Default: 0600 with an integrity_key (signed
  // state is the application's own: nobody else needs to read it), else 0666 & ~umask.
  std::optional<unsigned> file_mode;
  // Whether the session file's name may be a symbolic link. Default false: the last
  // component of the path is never followed (a link another user planted in a shared
  // directory must not make this session create or write a file elsewhere); the directories
  // on the way are. Set it for sessions you keep behind a link of your own.
  bool follow_symlinks = false;
  // How entries are decoded (limits, global allowlist, ...). Default: the safe defaults.
  DecodeOptions decode;
  // Recorded in the file (meta row writer_app) by every save of this session. Default "".
  std::string app_name;
  // Called by the destructor, close() and move-assignment when they drop unsaved changes,
  // with the keys dropped; not called when there were none (discard() first to drop them on
  // purpose). Default none: dropped silently. A hook rather than a write: it runs in a
  // destructor, which must neither throw nor do I/O that can fail, so it only reports — log
  // it, count it, or assert on it in debug builds. It runs on the destroying thread; an
  // exception it throws is swallowed; it must not use the session.
  std::function<void(const DroppedChanges&)> on_dropped_changes;
  // Automatic backups against mistakes (a bad write, a crash of the application, a botched
  // migration). When a writable session opens an existing file, it first writes a backup of
  // it (backup_to()) named "<file name>.backup-<UTC time>" (list_backups() finds them), unless
  // the newest backup already holds the file's current revision, then removes the oldest
  // beyond keep_backups. The backup precedes any format upgrade or migration; one that cannot
  // be written makes the open fail, with the file untouched. `picklejar restore FILE` puts the
  // newest back. Default 0: no backups.
  std::size_t keep_backups = 0;
  // Where automatic backups go. Default (empty): the session file's directory.
  std::filesystem::path backup_directory;
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
  std::int64_t format_version = 0;      // docs/FORMAT.md's version of the layout
  std::int64_t app_schema_version = 0;  // the application's schema version
  std::int64_t revision = 0;            // the global revision this session is current with
  int default_protocol = 4;             // used unless SessionOptions::protocol is set
  std::string integrity_scheme;         // "sha256" or "hmac-sha256"
  std::optional<std::string> key_id;    // with hmac-sha256: the key's fingerprint
  // The file's id (32 lowercase hex digits), bound into every HMAC digest: random at creation,
  // carried by copy_from(). It tells files apart only if the application keeps it elsewhere:
  // a file replaced by another, id included, shows that one's id (docs/FORMAT.md "Integrity").
  std::string file_id;
  std::string journal_mode;  // SQLite's name: "wal" or "delete"
  std::string synchronous;   // "full" or "normal"
  bool read_only = false;    // opened with OpenMode::read_only
  std::string created_by;    // "picklejar-cpp 0.1.0", the library that created the file
  std::string writer;        // "<name> <version>" of the last library that saved
  std::string writer_app;    // SessionOptions::app_name of the last save
  std::chrono::system_clock::time_point created;   // when the file was created
  std::chrono::system_clock::time_point modified;  // of the last save
  // Sizes of the file now: read by file_info() in one read transaction (no lock file),
  // so they describe one consistent state of the file, which may be newer than the
  // revision above. Unsaved changes are not counted.
  std::int64_t entries = 0;       // entries in the file
  std::int64_t pickle_bytes = 0;  // the sum of their pickles' sizes
  std::int64_t page_size = 0;     // SQLite's page size, bytes
  std::int64_t file_bytes = 0;    // the database: pages x page size (WAL content included)
  std::int64_t free_pages = 0;    // pages on SQLite's free list, reusable without growing
  std::int64_t wal_bytes = 0;     // the "-wal" file's size on disk; 0 without one
};

// What other sessions changed in the file since this session last looked (load(),
// wait_for_change()): the keys they added, saved again or removed, each list in key order.
// This session's own saves are not listed.
struct PICKLEJAR_EXPORT Changes {
  std::int64_t since_revision = 0;   // the global revision at the previous look
  std::int64_t revision = 0;         // the global revision the session is current with now
  std::vector<std::string> added;    // keys new to this session's view of the file
  std::vector<std::string> changed;  // keys it had, saved since (perhaps with an equal value)
  std::vector<std::string> removed;  // keys it had that the file has no more
  // No key in any of the lists.
  bool empty() const noexcept { return added.empty() && changed.empty() && removed.empty(); }
  // added, changed and removed together, in key order.
  std::vector<std::string> keys() const;
};

// What backup_to() wrote.
struct BackupInfo {
  std::filesystem::path path;  // `out`, as given
  std::int64_t revision = 0;   // the global revision the backup holds
  std::int64_t entries = 0;    // in the backup
  std::int64_t bytes = 0;      // the backup file's size
  // Keys whose digest does not verify in the backup: copied as the file holds them (a backup
  // is the file as it is), and named here so that a tool can say so. Empty normally.
  std::vector<std::string> unverified_keys;
};

// An automatic backup (SessionOptions::keep_backups) of a session file.
struct BackupFile {
  std::filesystem::path path;                  // the backup file
  std::chrono::system_clock::time_point time;  // when it was written (UTC, from its name)
};

// The automatic backups of the session file `file` in `directory` (default: the file's
// directory), newest first. Only names "<file name>.backup-<UTC time>" count. Throws
// StoreError when the directory cannot be listed (a missing one has none).
PICKLEJAR_EXPORT std::vector<BackupFile> list_backups(const std::filesystem::path& file,
                                                      const std::filesystem::path& directory = {});
// The name an automatic backup of `file` made now gets: "<directory>/<file name>.backup-
// 20261207T084233.645309Z" (the UTC time; `directory` defaults to the file's). For tools
// that back up by hand into the same series (`picklejar restore` does, before restoring).
PICKLEJAR_EXPORT std::filesystem::path next_backup_path(
    const std::filesystem::path& file, const std::filesystem::path& directory = {});

// A typed read (get<T>, get_or<T>, the value increment() reads) of an entry that does not fit
// the C++ type: the CodecError of from_value<T> with the key in front of its path and the
// file after its reason, e.g. "'window'.size[1]: expected int, got str in 'state.pj'".
// path() is "'window'.size[1]", reason() "expected int, got str".
class PICKLEJAR_EXPORT EntryCodecError : public CodecError {
 public:
  // `path` and `reason` as CodecError's, for the entry `key` of the session file `file`.
  EntryCodecError(std::string key, std::string file, const std::string& path,
                  const std::string& reason);
  const std::string& key() const noexcept { return key_; }    // the entry's key
  const std::string& file() const noexcept { return file_; }  // the session file

 private:
  std::string key_;
  std::string file_;
};

// A session file, open: see the top of this file for the model, guarantees and errors.
class PICKLEJAR_EXPORT Session {
 public:
  using Options = SessionOptions;  // Session::Options, the same struct
  class Iterator;

  // Opens (or creates) the session file at `path`. Throws FormatError (foreign, empty in
  // read_write/read_only, truncated, newer format or app schema than allowed), IntegrityError
  // (integrity key mismatch), LockTimeout,
  // SqliteError, StoreError (a missing file without create, a symbolic link without
  // follow_symlinks, a name too long for the file system), ValueError (bad options: protocol
  // outside 0-5, a negative timeout, a file_mode outside 0600-0777, migrations without
  // schema_version, not going up, or two starting at one version). Exceptions a
  // migration throws propagate unchanged (the file stays unmigrated).
  // A `path` starting with postgresql:// or postgres:// names a store on a PostgreSQL server
  // instead (docs/FORMAT-POSTGRES.md, "Naming a store": a libpq URL with ?store=NAME), opened
  // with the same options and guarantees; path() is then the URL without its password, and
  // failures of the server or the connection throw ServerError.
  explicit Session(const std::filesystem::path& path, const SessionOptions& options = {});
  // The constructor, as a function.
  static Session open(const std::filesystem::path& path, const SessionOptions& options = {}) {
    return Session(path, options);
  }
  // Every object in the schema of the session file at `path` that docs/FORMAT.md does not
  // allow (a trigger, a view, a virtual table, an index or a changed table: what makes the
  // constructor refuse the file with FormatError), one line each; empty when the schema is
  // sound. Reads only the schema, in one read transaction (no lock file). Throws SqliteError
  // for a file SQLite cannot read, StoreError as the constructor, and for a postgresql:// URL.
  static std::vector<std::string> schema_problems(const std::filesystem::path& path,
                                                  const SessionOptions& options = {});

  Session(Session&&) noexcept;  // takes over the other session, leaving it closed
  // Closes this session the way the destructor does (on_dropped_changes included), then
  // takes over `other`.
  Session& operator=(Session&&) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  // Drops unsaved changes (reporting them to SessionOptions::on_dropped_changes) and closes
  // the file. Never throws, never writes an entry. In a child process after fork(), the
  // SQLite connection is deliberately leaked instead of closed (closing could checkpoint or
  // delete the parent's WAL), and nothing is reported: the changes are the parent's.
  ~Session();

  // Closes the file now, reporting what the destructor would swallow. Unsaved changes are
  // dropped (and reported to on_dropped_changes). Afterwards every function but the
  // destructor and is_open() throws StoreError.
  void close();
  // False once closed or moved from.
  bool is_open() const noexcept { return impl_ != nullptr; }

  const std::filesystem::path& path() const noexcept;  // as opened; empty once closed

  // ---- reading (from this session's snapshot; never touches the disk) -----------------------
  // The value under `key`, or empty when there is none. Throws IntegrityError when the entry
  // does not verify, DecodeError when it does not decode (naming key and file); neither is
  // cached, so every access reports it.
  // The Value is the session's cached object (as a Python dict hands out its objects):
  // changes made to it in place are seen by later reads in this session, but save() writes
  // them only after touch(key) (or set(key, value) again).
  std::optional<Value> find(std::string_view key) const;
  // The value under `key`; LookupError naming key and file when there is none. The same
  // cached object as find() (touch(key) after changing it in place).
  Value get(std::string_view key) const;
  // Typed: from_value<T>(get(key)). EntryCodecError naming key and file when the value does
  // not fit T.
  template <class T>
  T get(std::string_view key) const {
    const Value value = get(key);
    return read_as<T>(key, value);
  }
  // Typed with a fallback for a missing key. A present value that cannot be read as T still
  // throws (EntryCodecError, DecodeError, IntegrityError): a wrong value is not silently
  // replaced; use the form with on_error to survive it.
  //   int n = s.get_or("n", 0);
  //   std::string theme = s.get_or("theme", "light");            // std::string
  //   auto recent = s.get_or("recent", std::vector<std::string>{});
  // A braced fallback names no type (get_or("k", {}) does not compile): write the type,
  // get_or<std::vector<std::string>>("recent", {}) or get_or("recent", std::vector<...>{}).
  template <detail::Fallback T>
  T get_or(std::string_view key, T fallback) const {
    std::optional<Value> value = find(key);
    if (!value) return fallback;
    return read_as<T>(key, *value);
  }
  template <std::same_as<char> Char>
  std::string get_or(std::string_view key, const Char* fallback) const {
    return get_or<std::string>(key, std::string(fallback));
  }
  // Typed with a fallback that also survives a bad entry: when the entry under `key` does
  // not verify (IntegrityError), does not decode (DecodeError) or does not fit T
  // (EntryCodecError), calls on_error(error) — the error names key and file — and returns
  // `fallback`. The entry stays as it is in the file. Other errors (a closed session, an
  // exception of on_error) propagate. For reading an application's state at start:
  //   auto window = s.get_or("window", Window{}, [](const picklejar::Error& e) {
  //     log_warning("window state ignored: {}", e.what());
  //   });
  template <detail::Fallback T, detail::ErrorHandler OnError>
  T get_or(std::string_view key, T fallback, OnError&& on_error) const {
    try {
      std::optional<Value> value = find(key);
      if (!value) return fallback;
      return read_as<T>(key, *value);
    } catch (const IntegrityError& e) {
      on_error(static_cast<const Error&>(e));
    } catch (const DecodeError& e) {
      on_error(static_cast<const Error&>(e));
    } catch (const EntryCodecError& e) {
      on_error(static_cast<const Error&>(e));
    }
    return fallback;
  }
  template <std::same_as<char> Char, detail::ErrorHandler OnError>
  std::string get_or(std::string_view key, const Char* fallback, OnError&& on_error) const {
    return get_or<std::string>(key, std::string(fallback), std::forward<OnError>(on_error));
  }
  // get_or(key, {}): stops compilation (see get_or above) instead of taking {} for a null
  // const char* and throwing std::logic_error at run time. (NoType is empty unless a type is
  // given, in which case the overloads above are the ones that apply.)
  template <class... NoType>
  requires(sizeof...(NoType) == 0) void get_or(std::string_view, detail::BracedFallback) const {
    static_assert(sizeof...(NoType) != 0, PICKLEJAR_DETAIL_BRACED_FALLBACK);
  }
  template <class... NoType, class OnError>
  requires(sizeof...(NoType) == 0) void get_or(std::string_view, detail::BracedFallback,
                                               OnError&&) const {
    static_assert(sizeof...(NoType) != 0, PICKLEJAR_DETAIL_BRACED_FALLBACK);
  }

  bool contains(std::string_view key) const;  // whether there is an entry under `key`
  std::size_t size() const;                   // number of entries
  bool empty() const { return size() == 0; }  // no entries
  // Every key, in code point order (SQLite's binary collation of UTF-8).
  std::vector<std::string> keys() const;
  // The keys that start with `prefix` (byte-wise), in order: a group of keys, as QSettings'
  // childKeys() after beginGroup(), with "window/" or "window." as the prefix.
  std::vector<std::string> keys(std::string_view prefix) const;
  // Iterates (key, value) pairs in key order, decoding each value as it is reached (an entry
  // that does not verify or decode throws as find() does, naming key and file).
  // Changing the session while iterating is allowed: iteration continues after the key it
  // is on.
  Iterator begin() const;
  Iterator end() const;  // (as begin())
  // Protocol, size and revision of an entry; empty when there is none.
  std::optional<EntryInfo> entry_info(std::string_view key) const;
  // The file's versions and writers as last seen, and its sizes now (one read transaction:
  // SqliteError).
  SessionFileInfo file_info() const;
  // The entry's pickle exactly as stored, without decoding it; empty when there is none.
  // Checks the digest first (IntegrityError, as find()) unless `verify` is false, which is
  // for tools that look at damaged entries (`picklejar get --format pickle --unverified`).
  std::optional<std::string> find_pickle(std::string_view key, bool verify = true) const;
  // SQLite's PRAGMA integrity_check of the whole file (pages, indexes, constraints), under
  // one read transaction: empty when the database is sound, otherwise SQLite's messages. Entry
  // digests are not part of it (find() checks those). Throws FormatError when another
  // program changed the schema to one the format does not allow since the session opened.
  std::vector<std::string> check_database() const;

  // ---- changing (in memory until save()) ------------------------------------------------------
  // Pickles `value` now (EncodeError naming the key when the protocol cannot express it) and
  // makes it the entry under `key`. A key is any UTF-8 text without lone surrogates (Python
  // str that SQLite can store; ValueError otherwise). StoreError in a read_only session.
  void set(std::string_view key, const Value& value);
  // Typed: set(key, to_value(x)).
  template <class T>
  requires detail::SetArgument<std::remove_cvref_t<T>>
  void set(std::string_view key, const T& x) { set(key, Value(to_value(x))); }
  // Sets every (key, value) of `items`: a map from string keys to Values or to encodable C++
  // values (std::map<std::string, int>, ...) or any range of such pairs. All or nothing: a
  // bad key or a value that cannot be encoded throws (as set() does) and changes nothing.
  template <detail::KeyedItems Items>
  void update(const Items& items) {
    std::vector<std::pair<std::string, Value>> values;
    for (const auto& [key, x] : items) values.emplace_back(std::string(key), to_value(x));
    update_values(values);
  }
  void update(std::initializer_list<std::pair<std::string_view, Value>> items) {
    std::vector<std::pair<std::string, Value>> values;
    for (const auto& [key, value] : items) values.emplace_back(std::string(key), value);
    update_values(values);
  }
  // Marks the entry under `key` as changed, so that save() writes it: call it after changing
  // the Value find()/get() handed out in place (Python: Session.touch, or writeback=True).
  // Pickles the session's value now (EncodeError naming the key). LookupError when there is
  // no entry; StoreError in a read_only session.
  void touch(std::string_view key);
  // Removes the entry; false when there was none. StoreError in a read_only session.
  bool erase(std::string_view key);
  // Removes every entry whose key starts with `prefix` (QSettings' remove(group)); returns
  // how many. An empty prefix removes everything. StoreError in a read_only session.
  std::size_t erase_prefix(std::string_view prefix);
  // Removes every entry (in memory until save(), like any erase). StoreError in read_only.
  void clear();
  // Whether there are changes save() would write, and their keys (in key order).
  bool has_unsaved_changes() const;
  std::vector<std::string> unsaved_keys() const;  // (as has_unsaved_changes())
  // Drops every unsaved change: the session shows the file as it last saw it. Nothing is
  // reported to on_dropped_changes: dropping them is what was asked.
  void discard();

  // ---- synchronizing with the file ------------------------------------------------------------
  // Brings in what other sessions saved since this one last looked, as one consistent
  // snapshot (one SQLite read transaction: readers take no lock file, so they never keep a
  // writer waiting), and returns the keys they changed
  // since the previous load() or wait_for_change() returned — those that save(), transact(),
  // increment() and add() brought in meanwhile included. Unsaved changes stay, on top (a key
  // listed may be hidden by this session's own unsaved change to it).
  Changes load();
  // Writes every unsaved change (sets and erases) in one transaction under the exclusive
  // lock, as one new global revision, and brings in what others saved meanwhile. With
  // ConflictPolicy::strict, throws ConflictError naming the keys another session changed
  // since this one saw them, writing nothing and keeping the changes. No changes: no write.
  void save();
  // Atomic read-modify-write across processes: takes the exclusive lock, brings the session
  // up to date, runs fn(*this), saves (every unsaved change, those made before transact()
  // too), and returns what fn returned. If fn (or the save) throws, fn's changes are undone
  // (changes made before transact() stay unsaved) and the exception propagates. A
  // transact() inside fn joins the outer one; save(), load(), discard() and
  // convert_protocol() inside fn throw StoreError.
  //   int count = s.transact([](Session& t) {
  //     const int n = t.get_or("count", 0) + 1;
  //     t.set("count", n);
  //     return n;
  //   });
  template <std::invocable<Session&> F>
  std::invoke_result_t<F&, Session&> transact(F&& fn) {
    using Result = std::invoke_result_t<F&, Session&>;
    static_assert(!std::is_reference_v<Result>, "transact: fn must return a value");
    if constexpr (std::is_void_v<Result>) {
      transact_impl([&fn](Session& s) { fn(s); });
    } else {
      std::optional<Result> result;
      transact_impl([&fn, &result](Session& s) { result.emplace(fn(s)); });
      return std::move(*result);
    }
  }
  // Adds `delta` to the int under `key` (0 when absent) and saves that key, atomically across
  // processes (as transact() would, but writing only `key`: other unsaved changes stay
  // unsaved). Returns the new value. The value read is this session's view after bringing
  // it up to date: the file's, or this session's unsaved change to `key`, which is then
  // saved with the increment. EntryCodecError naming key and file when the value is not an
  // int (bool included) within 64 bits; ValueError when the sum overflows them (nothing is
  // written then). Inside transact(), joins it. StoreError in a read_only session.
  std::int64_t increment(std::string_view key, std::int64_t delta = 1);
  // Sets `key` to `value` and saves it unless the key exists, atomically across processes
  // (set-if-absent: of processes racing to add one key, exactly one succeeds). Returns
  // whether it added. Like increment(), writes only `key`, and the key "exists" when this
  // session's up-to-date view has it. Inside transact(), joins it.
  bool add(std::string_view key, const Value& value);
  template <class T>
  requires detail::SetArgument<std::remove_cvref_t<T>>
  bool add(std::string_view key, const T& x) { return add(key, Value(to_value(x))); }
  // Re-encodes every entry with pickle protocol `protocol` (0-5) in one transaction, and
  // makes it the file's default protocol. Needs no unsaved changes (StoreError otherwise).
  // Throws EncodeError when an entry cannot be expressed in that protocol (nothing written).
  void convert_protocol(int protocol);

  // ---- change notification ---------------------------------------------------------------------
  // Whether another session may have changed the file since this one last looked (load(),
  // wait_for_change()): SQLite's data version (PRAGMA data_version), no lock, no entry read;
  // a few microseconds. True also when save() or transact() brought in others' changes that
  // load() has not returned yet. It may be true with nothing to report (another program
  // vacuumed the file): load() then returns empty Changes.
  bool changed() const;
  // Waits up to `timeout` for other sessions to change the file, then load()s and returns
  // what they changed; empty Changes when the time ran out. Returns at once when changed()
  // has something to report; wait_for_change(0ms) is the non-blocking poll. Waiting costs no
  // CPU while nothing happens: on Linux it blocks on inotify events of the file's directory
  // (the file, its -wal and -journal), then looks at the data version (a commit is visible a
  // little after its last write: it looks again after 1, 2, 4, ... ms); elsewhere, on a
  // network file system (FilesystemCheck) or when inotify is unavailable, it polls the data
  // version every 2 ms, slowing to every 100 ms while nothing changes. Latency: typically
  // under 5 ms with inotify, at most about 100 ms polling (docs/FORMAT.md "Watching for
  // changes"). StoreError inside transact().
  Changes wait_for_change(std::chrono::milliseconds timeout);

  // ---- the whole file --------------------------------------------------------------------------
  // Writes a complete copy of the file as it is now to `out`: SQLite's VACUUM INTO in one read
  // transaction, taking no lock file (one consistent snapshot; other processes keep reading and
  // writing), so the copy is compacted, has every committed save (no -wal file to bring along) and
  // uses the rollback journal until a session opens it. The copy is written under a temporary name
  // next to `out`, synced, checked (SQLite's integrity check, the format check of opening,
  // every entry's digest), given the file's permission bits, and only then renamed to `out`,
  // replacing a file there: `out` never holds half a backup. Unsaved changes are not in it.
  // Throws StoreError for an `out` that is this session's file (or its -wal, -shm, -journal
  // or lock file) or has a "-wal" beside it (a database in use), inside transact(); SqliteError
  // (disk full, ...), LockTimeout. Copying the file with cp instead may miss saves still in
  // the -wal file, or copy a half-written state.
  BackupInfo backup_to(const std::filesystem::path& out) const;
  // Makes the file hold what the session file `backup` holds (a backup_to() copy, or any
  // session file with the same integrity key): its entries, pickles exactly as they are,
  // app_schema_version and default_protocol. One write transaction under the exclusive lock,
  // written as a save: keys the backup lacks are removed, other sessions see the restore as
  // changes. Every backup entry is verified first, under the backup's own format and file id
  // (IntegrityError naming the key and the backup; nothing written), and written with its
  // digest under this file's id, which the file keeps. Needs no unsaved changes (StoreError).
  // FormatError when `backup` is not a session file of format 1 or 2, or when this session
  // declares a
  // schema_version other than the backup's; IntegrityError when it was written with
  // another integrity key (rekey a copy of it first). StoreError in a read_only session or
  // inside transact().
  void restore_from(const std::filesystem::path& backup);
  // Makes the store hold what the open session `source` holds (a session file or a store on a
  // server, as `source` last loaded it): its entries with their pickles, protocols and digests
  // byte for byte, its app_schema_version and default_protocol, and its file id (digests are
  // bound to it, so they verify here as they are) — `picklejar copy`. One write transaction
  // under the exclusive lock, written as a save, as restore_from(); other sessions open on
  // this store stop at their next load or save (IntegrityError: its file id changed), as
  // after a rekey, and must open it again. Unless
  // `replace`, the store must hold no entry once the lock is taken (StoreError; nothing
  // written); with it, keys `source` lacks are removed. Every entry is verified with
  // `source`'s key, and with this session's, before anything is written (IntegrityError naming
  // the key and `source`; nothing written). IntegrityError when `source` is signed otherwise
  // (another key, or a key where this one has none); FormatError when its format version is
  // not this store's, or its app schema version not the schema_version this session declares.
  // StoreError when either has unsaved changes, `source` is this session, in a read_only
  // session or inside transact().
  void copy_from(const Session& source, bool replace = false);
  // Gives back the space of erased entries to the file system: SQLite's VACUUM under the
  // exclusive lock, then a checkpoint that truncates the -wal file. Rewrites the whole file
  // (its size, twice, in temporary space); readers in other processes keep reading. Neither
  // entries nor the revision change. The file shrinks once no other process reads an older
  // snapshot. StoreError in a read_only session or inside transact().
  void vacuum();
  // Re-signs every entry with `new_key` (HMAC-SHA256; std::nullopt: plain SHA-256 digests),
  // after verifying each with the session's current key, in one write transaction under the
  // exclusive lock that also sets the meta rows integrity_scheme and key_id: a file without a
  // key gets one, a keyed file changes its key or loses it; the file id stays. An entry that
  // does not verify stops it (IntegrityError naming the key; nothing written). Afterwards
  // this session uses the new key; other sessions open on the file must be opened again with
  // it (their next load or save throws IntegrityError). Needs no unsaved changes
  // (StoreError); StoreError in a read_only session or inside transact().
  void rekey(std::optional<std::string_view> new_key);
  // Sets the file's app_schema_version (meta row) without running a migration: for tools
  // that restore data of a known version (picklejar import). Saved as a write of its own, or
  // with the transact() it is called in. StoreError when the session declares another
  // schema_version (its migrations own the row), in a read_only session.
  void set_app_schema_version(std::int64_t version);

 private:
  friend class Watcher;
  // Checks the session is open (not moved from, not closed) and used by the process that
  // opened it.
  store::SessionState& impl() const;
  std::optional<std::string> next_key(std::string_view after, bool inclusive) const;
  void transact_impl(const std::function<void(Session&)>& fn);
  void update_values(const std::vector<std::pair<std::string, Value>>& values);
  // Inside a catch block: rethrows a mapping failure (CodecError, TypeError, ValueError,
  // LookupError) of the value under `key` as an EntryCodecError; anything else unchanged.
  [[noreturn]] void rethrow_read_error(std::string_view key) const;
  template <class T>
  T read_as(std::string_view key, const Value& value) const {
    try {
      return from_value<T>(value);
    } catch (...) {
      rethrow_read_error(key);
    }
  }

  std::unique_ptr<store::SessionState> impl_;
};

// Saves a session when the scope it guards exits normally, and discards the session's
// unsaved changes when the scope exits by an exception: Python's `with picklejar.Session`
// rule, for C++ code that prefers it to an explicit save() at the end.
//
//   picklejar::Session s("state.pj");
//   picklejar::SaveOnExit saving(s);
//   s.set("window", window);      // saved when the scope ends, unless an exception leaves it
//
// The destructor calls save() only when no exception is leaving the scope
// (std::uncaught_exceptions() is what it was at construction), so it may throw what save()
// throws (LockTimeout, ConflictError, SqliteError, ...): it is noexcept(false), like
// std::experimental::scope_success. Use it as a local variable, declared after the session
// it guards. Nothing happens when there is nothing to save or the session is closed;
// dismiss() turns the guard off.
class SaveOnExit {
 public:
  // Guards `session` from here to the end of the scope.
  explicit SaveOnExit(Session& session) noexcept
      : session_(&session), exceptions_(std::uncaught_exceptions()) {}
  SaveOnExit(const SaveOnExit&) = delete;
  SaveOnExit& operator=(const SaveOnExit&) = delete;
  ~SaveOnExit() noexcept(false) {
    if (!session_ || !session_->is_open()) return;
    if (std::uncaught_exceptions() > exceptions_) {
      try {
        session_->discard();
      } catch (...) {  // unwinding already: the exception leaving the scope is the report
      }
    } else if (session_->has_unsaved_changes()) {
      session_->save();
    }
  }
  void dismiss() noexcept { session_ = nullptr; }  // turns the guard off

 private:
  Session* session_;
  int exceptions_;
};

// Iterates a session in key order; *it is {key, value}. Input iterator.
class PICKLEJAR_EXPORT Session::Iterator {
 public:
  using iterator_category = std::input_iterator_tag;  // (input iterator)
  using value_type = std::pair<std::string, Value>;   // {key, value}
  using difference_type = std::ptrdiff_t;             // (std::ptrdiff_t)
  using reference = value_type;                       // a pair, by value
  using pointer = void;                               // (none)

  Iterator() = default;
  // Decodes the value (IntegrityError / DecodeError as find()).
  value_type operator*() const;
  Iterator& operator++();            // to the next key
  void operator++(int) { ++*this; }  // (as ++it)
  // The same position (end() equals end()).
  friend bool operator==(const Iterator& a, const Iterator& b) noexcept { return a.key_ == b.key_; }

 private:
  friend class Session;
  Iterator(const Session* session, std::optional<std::string> key) noexcept
      : session_(session), key_(std::move(key)) {}
  const Session* session_ = nullptr;
  std::optional<std::string> key_;  // empty at the end
};

}  // namespace picklejar
