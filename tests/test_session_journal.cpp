// Journal modes and durability: WAL with synchronous FULL or NORMAL on local file systems,
// the rollback journal with FULL on network ones (detected by statfs f_type, or forced),
// checked through SQLite's own pragmas.

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include <picklejar/session.hpp>

#include "session_support.hpp"
#include "store/sqlite/filesystem.hpp"

using picklejar::Durability;
using picklejar::FilesystemCheck;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;

namespace {

SessionOptions options_for(Durability durability, FilesystemCheck filesystem) {
  SessionOptions options;
  options.durability = durability;
  options.filesystem = filesystem;
  return options;
}

}  // namespace

TEST_CASE("Session journal: durable and fast are WAL with synchronous FULL and NORMAL") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  {
    Session durable(file, options_for(Durability::durable, FilesystemCheck::local));
    CHECK(durable.file_info().journal_mode == "wal");
    CHECK(durable.file_info().synchronous == "full");
    durable.set("a", 1);
    durable.save();
    CHECK(std::filesystem::exists(dir / "a.pj-wal"));
    Session fast(file, options_for(Durability::fast, FilesystemCheck::local));
    CHECK(fast.file_info().journal_mode == "wal");
    CHECK(fast.file_info().synchronous == "normal");
    // synchronous is per connection: each session keeps its own.
    CHECK(durable.file_info().synchronous == "full");
  }
  RawDb raw(file);
  CHECK(raw.text("PRAGMA journal_mode") == "wal");  // WAL is recorded in the file itself
  SessionOptions reader;
  reader.mode = picklejar::OpenMode::read_only;
  Session s(file, reader);
  CHECK(s.file_info().journal_mode == "wal");
}

TEST_CASE("Session journal: network file systems get the rollback journal and FULL") {
  ScratchDir dir;
  const auto file = dir / "net.pj";
  for (const Durability durability : {Durability::durable, Durability::fast}) {
    Session s(file, options_for(durability, FilesystemCheck::network));
    CHECK(s.file_info().journal_mode == "delete");
    CHECK(s.file_info().synchronous == "full");
    s.set("a", static_cast<int>(durability));
    s.save();
  }
  CHECK_FALSE(std::filesystem::exists(dir / "net.pj-wal"));
  CHECK_FALSE(std::filesystem::exists(dir / "net.pj-journal"));  // deleted at each commit
  RawDb raw(file);
  CHECK(raw.text("PRAGMA journal_mode") == "delete");
  CHECK(raw.text("PRAGMA integrity_check") == "ok");

  SUBCASE("a WAL file moved to a network file system leaves WAL") {
    const auto moved = dir / "moved.pj";
    {
      Session local(moved, options_for(Durability::durable, FilesystemCheck::local));
      local.set("a", 1);
      local.save();
    }
    Session s(moved, options_for(Durability::durable, FilesystemCheck::network));
    CHECK(s.file_info().journal_mode == "delete");
    CHECK(s.get<int>("a") == 1);
  }
}

TEST_CASE("Session journal: detection by statfs f_type") {
  using picklejar::store::is_network_filesystem;
  CHECK(is_network_filesystem(0x6969));            // NFS
  CHECK(is_network_filesystem(0xFF534D42));        // CIFS
  CHECK(is_network_filesystem(0xFE534D42));        // SMB2
  CHECK(is_network_filesystem(0x517B));            // SMB
  CHECK(is_network_filesystem(0x5346414F));        // AFS
  CHECK(is_network_filesystem(0x01021997));        // 9P
  CHECK(is_network_filesystem(0x00C36400));        // Ceph
  CHECK(is_network_filesystem(0x65735546));        // FUSE
  CHECK_FALSE(is_network_filesystem(0xEF53));      // ext2/3/4
  CHECK_FALSE(is_network_filesystem(0x01021994));  // tmpfs
  CHECK_FALSE(is_network_filesystem(0x9123683E));  // btrfs
  CHECK_FALSE(is_network_filesystem(0x58465342));  // XFS
  CHECK_FALSE(is_network_filesystem(0x794C7630));  // overlayfs

  ScratchDir dir;
  const auto type = picklejar::store::filesystem_type(dir.path());
  REQUIRE(type.has_value());
  // The type of a missing file is its directory's.
  CHECK(picklejar::store::filesystem_type(dir / "missing.pj") == type);
  CHECK_FALSE(picklejar::store::filesystem_type("/no/such/dir/at/all.pj").has_value());
  // Detection agrees with the forced choice for the machine's scratch directory.
  Session s(dir / "a.pj", options_for(Durability::durable, FilesystemCheck::detect));
  CHECK(s.file_info().journal_mode == (is_network_filesystem(*type) ? "delete" : "wal"));
}

TEST_CASE("Session journal: saves checkpoint the WAL once it passes 1000 frames") {
  // SQLite's automatic checkpoint, in the commit that passes 1000 frames. Without it the WAL
  // would grow with every save until the last connection closes: here to some 6,000 frames
  // (three pages a save), about 25 MB.
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session s(file, options_for(Durability::fast, FilesystemCheck::local));
  for (int i = 0; i < 1000; ++i) {
    s.set("count", i);
    s.save();
    s.transact([](Session& t) { t.set("count", t.get<int>("count") + 1); });
  }
  // A checkpointed WAL starts over from its beginning: its file never grows much past the
  // threshold (plus the frames of the save that crossed it).
  constexpr std::uintmax_t kFrame = 24 + 4096;
  CHECK(std::filesystem::file_size(dir / "a.pj-wal") < 2000 * kFrame);
  CHECK(s.get<int>("count") == 1000);
  RawDb raw(file);
  CHECK(raw.text("PRAGMA integrity_check") == "ok");
}

TEST_CASE("Session journal: a migration's large WAL is checkpointed when the open returns") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  const std::string page(4000, 'x');
  {
    Session s(file, options_for(Durability::fast, FilesystemCheck::local));
    s.set("seed", 0);
    s.save();
  }
  const auto before = std::filesystem::file_size(file);
  SessionOptions migrating = options_for(Durability::fast, FilesystemCheck::local);
  migrating.schema_version = 1;
  migrating.migrations = {{0, 1, [&](Session& s) {
                             for (int i = 0; i < 1500; ++i)
                               s.set("k" + std::to_string(i), picklejar::Value::bytes(page));
                           }}};
  Session s(file, migrating);  // stays open: closing would checkpoint anyway
  // 1500 pages went to the WAL in the migration's one commit; only a checkpoint brings them
  // into the database file.
  CHECK(std::filesystem::file_size(file) > before + 1000 * 4096);
  CHECK(s.size() == 1501);
}

TEST_CASE("Session journal: the WAL stays bounded while processes keep saving") {
  // A checkpoint that runs while another process appends never finishes the WAL, which then
  // never starts over: it grew by hundreds of megabytes a second when checkpoints ran after
  // the lock's release (docs/LOCKING.md). Under the lock, it starts over at every checkpoint.
  ScratchDir dir;
  const auto file = dir / "a.pj";
  const auto wal = dir / "a.pj-wal";
  SessionOptions fast = options_for(Durability::fast, FilesystemCheck::local);
  fast.lock_timeout = std::chrono::seconds(60);
  { Session create(file, fast); }
  constexpr std::uintmax_t kBound = 3000 * (24 + 4096);  // three times the threshold
  picklejar::test::Signal go;
  std::vector<pid_t> children;
  for (int p = 0; p < 4; ++p) {
    children.push_back(picklejar::test::fork_child([&] {
      Session s(file, fast);
      go.wait();
      std::uintmax_t largest = 0;
      for (int i = 0; i < 1500; ++i) {
        s.transact([](Session& t) { t.set("count", t.get_or("count", 0) + 1); });
        std::error_code missing;  // for a moment, between a close and a reopen
        const std::uintmax_t size = std::filesystem::file_size(wal, missing);
        if (!missing) largest = std::max(largest, size);
      }
      return largest < kBound ? 0 : 1;
    }));
  }
  for (int p = 0; p < 4; ++p) go.notify();
  for (const pid_t child : children) CHECK(picklejar::test::wait_child(child) == 0);
  CHECK(Session(file, fast).get<int>("count") == 6000);
}
