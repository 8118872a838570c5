#pragma once
// What a reader can see of a session file and its -wal from outside, for reading a WAL-mode
// file that SQLite cannot index (internal). A reader who may not write the file's directory
// cannot make the -shm index SQLite needs for a WAL-mode file once the last writer closed
// and deleted it; such a reader opens the file immutable=1 (no locks, no index) and checks
// that nothing changed the file or made a -wal while it read (docs/LOCKING.md "Read-only
// places and other users").

#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <filesystem>

namespace picklejar::store {

struct FileStamp {
  struct Part {
    bool exists = false;
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    timespec modified{};
    timespec changed{};
  };
  Part file;  // the database file
  Part wal;   // its -wal
  Part shm;   // its -shm
  // Whether anything seen differs.
  friend bool operator==(const FileStamp& a, const FileStamp& b) noexcept;
  // A number that differs between stamps that differ (a hash: it may rarely not).
  std::uint64_t version() const noexcept;
};

// The stamp of the database `file` (its name as SQLite opens it), `file`-wal and -shm now.
FileStamp take_file_stamp(const std::filesystem::path& file);

// Whether `file` is in WAL mode (its header's bytes 18 and 19 are 2) in a directory this
// process may not write, where SQLite cannot make its -shm index once the last writer deleted
// it. A file in rollback mode is never read without SQLite's locks (a hot journal must be
// rolled back first).
bool wal_index_unmakeable(const std::filesystem::path& file);

// Whether SQLite's error `code` says it could not make or use the -shm index of a WAL-mode
// file: SQLITE_READONLY_DIRECTORY, _CANTINIT or _RECOVERY, or SQLITE_CANTOPEN.
bool cannot_index_wal(int code) noexcept;

}  // namespace picklejar::store
