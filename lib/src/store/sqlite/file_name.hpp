#pragma once
// What a session's file name means (internal; docs/FORMAT.md "File names" is the contract):
// exactly that file, in C++ and Python alike. SQLite is handed a percent-encoded file: URI
// (SQLITE_OPEN_URI), so a name that starts with "file:" or holds '?', '#' or '%' is a file
// name and never a URI with parameters. A caller who follows symbolic links gets the file
// they lead to (its canonical path: every spelling shares the target's lock file, as SQLite
// keeps the -wal next to the target). Otherwise the directory part is resolved first and the last
// component is opened with SQLITE_OPEN_NOFOLLOW (SQLite refuses a symlink anywhere in the name it
// is given, so the directories, which the caller chose, are resolved by us; the last component,
// which another user may plant in a shared directory, is never followed). The lock file,
// "<file>.lock", is opened with O_NOFOLLOW always.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace picklejar::store {

// The longest suffix SQLite or picklejar adds to a session file's name: "-journal".
inline constexpr std::size_t kLongestSuffix = 8;

struct FileName {
  std::string shown;           // as the caller gave it: every message names the file so
  std::filesystem::path file;  // what is opened (directory resolved unless following links)
  std::string uri;             // "file:" + `file` percent-encoded
  bool follow_symlinks = false;
  std::filesystem::path lock_file() const;  // `file` + ".lock"
};

// Resolves `given` as above. Throws StoreError naming it when its directory does not exist,
// when it names a directory, or when its last component is longer than the file system's
// NAME_MAX less kLongestSuffix (its -journal, -wal, -shm and .lock files could not exist).
FileName resolve_file_name(const std::filesystem::path& given, bool follow_symlinks);

// "file:" + `path` with every byte but A-Z a-z 0-9 - . _ ~ / percent-encoded (what Python's
// urllib.parse.quote(os.fsencode(path), safe="/") makes).
std::string file_uri(const std::filesystem::path& path);

// Throws StoreError naming the file when it is a symbolic link and the caller does not follow
// them (SQLite would refuse it too, with a message that does not say why).
void refuse_symlink(const FileName& name);

// Permission bits: the ones a new session file gets when the caller names none (0600 with an
// integrity key: signed state is the application's own; else 0666 & ~umask, as SQLite), and
// the ones its new lock file gets: read and write for each class (owner, group, others) that
// may write the database, nothing for the others (they never need the lock file, and a
// user who can open it can hold a lock on it).
mode_t default_file_mode(bool integrity_key) noexcept;
mode_t lock_file_mode(mode_t database_mode) noexcept;

// Creates the empty database file with exactly `mode` before SQLite sees it (so its -wal,
// -shm and -journal, which SQLite gives the database's mode, get it too), never through a
// symbolic link unless following them. Returns false when the file exists already (made by
// another process meanwhile: it is opened as found). Throws StoreError naming it.
bool create_database_file(const FileName& name, mode_t mode);

}  // namespace picklejar::store
