// Backups: backup_to() of a file another process keeps writing (and what cp makes of it), the
// backup file itself, the automatic backups of SessionOptions::keep_backups, list_backups()
// and restore_from().

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <picklejar/session.hpp>

#include "session_support.hpp"

using picklejar::BackupInfo;
using picklejar::FormatError;
using picklejar::IntegrityError;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::StoreError;
using picklejar::test::patient;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;
using Keys = std::vector<std::string>;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

SessionOptions backing_up(std::size_t keep, const fs::path& directory = {}) {
  SessionOptions options = patient();
  options.keep_backups = keep;
  options.backup_directory = directory;
  return options;
}

// Opens a backup as an application would and reads every entry (which verifies each).
std::int64_t check_backup(const fs::path& backup) {
  SessionOptions options = patient();
  options.mode = picklejar::OpenMode::read_only;
  Session copy(backup, options);
  CHECK(copy.check_database().empty());
  for (const auto& [key, value] : copy) CHECK_FALSE(value.is_none());
  return copy.file_info().revision;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("Session backup: backup_to() copies a file another process keeps saving; cp does not") {
  ScratchDir dir;
  const auto file = dir / "live.pj";
  picklejar::test::Signal created;
  picklejar::test::Signal go;
  picklejar::test::write_file(dir / "running", "");  // the writer saves while this exists
  const pid_t writer = picklejar::test::fork_child([&] {
    Session s(file, patient());  // creates the file (in the rollback journal; then WAL)
    created.notify();
    go.wait();
    const std::string blob(2048, 'x');
    for (int i = 0; fs::exists(dir / "running"); ++i) {
      s.set(fmt::format("key{}", i % 200), picklejar::Value::bytes(blob));
      s.set("count", i);
      s.save();
    }
    return 0;
  });
  created.wait();
  // What cp copies: the database file alone, as created, without the saves that follow in
  // the -wal.
  fs::copy_file(file, dir / "cp.pj");
  go.notify();
  SessionOptions read_only = patient();
  read_only.mode = picklejar::OpenMode::read_only;
  CHECK(Session(dir / "cp.pj", read_only).file_info().revision == 0);

  std::int64_t last = -1;
  for (int round = 0; round < 12; ++round) {
    Session reader(file, read_only);
    const auto out = dir / fmt::format("backup{}.pj", round);
    const BackupInfo info = reader.backup_to(out);
    CHECK(info.path == out);
    CHECK(info.unverified_keys.empty());
    CHECK(info.bytes == static_cast<std::int64_t>(fs::file_size(out)));
    CHECK_FALSE(fs::exists(out.string() + "-wal"));  // complete without one
    const std::int64_t revision = check_backup(out);
    CHECK(revision == info.revision);
    CHECK(revision >= last);
    last = revision;
    std::this_thread::sleep_for(20ms);
  }
  fs::remove(dir / "running");
  CHECK(picklejar::test::wait_child(writer) == 0);
  CHECK(last > 0);
}

TEST_CASE("Session backup: the backup file") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  Session s(file, patient());
  s.update({{"a", 1}, {"b", picklejar::Value::list({1, 2, 3})}});
  s.save();
  s.set("unsaved", 1);

  SUBCASE("holds the saved state, keeps the file's mode, replaces an older backup whole") {
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    const auto out = dir / "copy.pj";
    picklejar::test::write_file(out, "an older backup");
    const BackupInfo info = s.backup_to(out);
    CHECK(info.entries == 2);
    CHECK(info.revision == 1);
    CHECK(fs::status(out).permissions() ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
    CHECK(names_in(dir.path()) == Keys{"copy.pj", "s.pj", "s.pj-shm", "s.pj-wal", "s.pj.lock"});
    Session copy(out, patient());
    CHECK(copy.keys() == Keys{"a", "b"});
    CHECK(copy.get<std::vector<int>>("b") == std::vector<int>{1, 2, 3});
  }
  SUBCASE("refuses the session's own files and a database in use") {
    for (const std::string name : {"s.pj", "s.pj-wal", "s.pj-shm", "s.pj.lock"})
      CHECK_THROWS_WITH_AS(s.backup_to(dir / name), doctest::Contains("own file"), StoreError);
    { Session other(dir / "other.pj", patient()); }
    picklejar::test::write_file(dir / "open.pj-wal", "");
    CHECK_THROWS_WITH_AS(s.backup_to(dir / "open.pj"), doctest::Contains("-wal' exists"),
                         StoreError);
  }
  SUBCASE("a failure leaves nothing behind") {
    picklejar::test::write_file(dir / "plain", "");
    CHECK_THROWS_AS(s.backup_to(dir / "plain" / "copy.pj"), StoreError);
    CHECK(names_in(dir.path()) == Keys{"plain", "s.pj", "s.pj-shm", "s.pj-wal", "s.pj.lock"});
  }
  SUBCASE("from a read-only session, and names the entries that do not verify") {
    s.discard();
    {
      RawDb raw(file);
      raw.exec("UPDATE entries SET digest = zeroblob(32) WHERE key = 'b'");
    }
    SessionOptions options = patient();
    options.mode = picklejar::OpenMode::read_only;
    Session reader(file, options);
    const BackupInfo info = reader.backup_to(dir / "copy.pj");
    CHECK(info.unverified_keys == Keys{"b"});
    CHECK(info.entries == 2);
    RawDb copy(dir / "copy.pj");
    CHECK(copy.integer("SELECT count(*) FROM entries") == 2);
  }
  SUBCASE("is refused inside transact()") {
    s.discard();
    CHECK_THROWS_AS(s.transact([&](Session& t) { t.backup_to(dir / "copy.pj"); }), StoreError);
  }
}

TEST_CASE("Session backup: keep_backups keeps the last N, one per revision, before migrations") {
  ScratchDir dir;
  const auto file = dir / "state.pj";
  {
    Session s(file, backing_up(3));  // a new file: nothing to back up
    s.set("launches", 0);
    s.save();
  }
  CHECK(picklejar::list_backups(file).empty());
  for (int launch = 1; launch <= 5; ++launch) {
    Session s(file, backing_up(3));
    s.set("launches", launch);
    s.save();
    std::this_thread::sleep_for(2ms);  // distinct names
  }
  auto backups = picklejar::list_backups(file);
  REQUIRE(backups.size() == 3);
  CHECK(backups[0].time > backups[1].time);
  CHECK(backups[1].time > backups[2].time);
  // The newest backup holds the state before the last launch's save.
  CHECK(Session(backups[0].path, patient()).get<int>("launches") == 4);
  CHECK(Session(backups[2].path, patient()).get<int>("launches") == 2);

  SUBCASE("an unchanged file is not backed up again") {
    { Session s(file, backing_up(3)); }  // backs up launch 5's state
    { Session s(file, backing_up(3)); }  // nothing new
    { Session s(file, backing_up(3)); }
    const auto now = picklejar::list_backups(file);
    REQUIRE(now.size() == 3);
    CHECK(Session(now[0].path, patient()).get<int>("launches") == 5);
    CHECK(now[1].path == backups[0].path);
  }
  SUBCASE("the backup precedes a migration") {
    SessionOptions v2 = backing_up(3);
    v2.schema_version = 2;
    v2.migrations = {{0, 2, [](Session& t) { t.set("migrated", true); }}};
    { Session s(file, v2); }
    const auto now = picklejar::list_backups(file);
    Session before(now[0].path, patient());
    CHECK(before.file_info().app_schema_version == 0);
    CHECK_FALSE(before.contains("migrated"));
  }
  SUBCASE("in another directory, and a backup that cannot be written stops the open") {
    const auto elsewhere = dir / "backups";
    fs::create_directory(elsewhere);
    { Session s(file, backing_up(2, elsewhere)); }
    CHECK(picklejar::list_backups(file, elsewhere).size() == 1);
    CHECK(picklejar::list_backups(file).size() == 3);
    picklejar::test::write_file(dir / "not-a-dir", "");
    const auto before = picklejar::test::snapshot(file);
    CHECK_THROWS_AS(Session(file, backing_up(2, dir / "not-a-dir")), StoreError);
    CHECK(picklejar::test::snapshot(file) == before);
  }
  SUBCASE("read-only sessions make none") {
    SessionOptions options = backing_up(3);
    options.mode = picklejar::OpenMode::read_only;
    { Session s(file, options); }
    CHECK(picklejar::list_backups(file).front().path == backups[0].path);
  }
  SUBCASE("only names of the right form count") {
    picklejar::test::write_file(dir / "state.pj.backup-yesterday", "");
    picklejar::test::write_file(dir / "state.pj.backup-20261307T084233.645309Z", "");
    picklejar::test::write_file(dir / "other.pj.backup-20261207T084233.645309Z", "");
    CHECK(picklejar::list_backups(file).size() == 3);
  }
}

TEST_CASE("Session backup: restore_from() brings a backup back as a save others see") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  SessionOptions v1 = patient();
  v1.schema_version = 1;
  Session s(file, v1);
  s.update({{"keep", 1}, {"change", 2}, {"gone", 3}});
  s.save();
  s.backup_to(dir / "b.pj");
  s.set("change", 20);
  s.erase("gone");
  s.set("new", 4);
  s.save();
  Session other(file, patient());

  SUBCASE("entries, exactly, and the app's versions") {
    Session tool(file, patient());  // no schema_version, as `picklejar restore`
    tool.convert_protocol(2);
    tool.set_app_schema_version(3);
    const std::string pickle_before = *tool.find_pickle("keep");
    tool.restore_from(dir / "b.pj");
    CHECK(tool.keys() == Keys{"change", "gone", "keep"});
    CHECK(tool.get<int>("change") == 2);
    CHECK(tool.file_info().app_schema_version == 1);
    CHECK(tool.file_info().default_protocol == 4);
    CHECK(*tool.find_pickle("keep") != pickle_before);  // protocol 4's pickle again
    CHECK(*tool.find_pickle("keep") == *Session(dir / "b.pj", patient()).find_pickle("keep"));
    const picklejar::Changes changes = other.load();
    CHECK(changes.added == Keys{"gone"});
    CHECK(changes.changed == Keys{"change", "keep"});
    CHECK(changes.removed == Keys{"new"});
  }
  SUBCASE("refused before anything is written") {
    const auto before = picklejar::test::snapshot(file);
    {
      RawDb raw(dir / "b.pj");
      raw.exec("UPDATE entries SET digest = zeroblob(32) WHERE key = 'keep'");
    }
    CHECK_THROWS_WITH_AS(s.restore_from(dir / "b.pj"), doctest::Contains("'keep' does not verify"),
                         IntegrityError);
    SessionOptions keyed = patient();
    keyed.integrity_key = "k";
    { Session(dir / "keyed.pj", keyed).backup_to(dir / "keyed-backup.pj"); }
    CHECK_THROWS_WITH_AS(s.restore_from(dir / "keyed-backup.pj"), doctest::Contains("key id"),
                         IntegrityError);
    picklejar::test::write_file(dir / "junk.pj", "not a database, not at all, no");
    CHECK_THROWS_AS(s.restore_from(dir / "junk.pj"), FormatError);
    CHECK_THROWS_AS(s.restore_from(dir / "missing.pj"), StoreError);
    s.set("x", 1);
    CHECK_THROWS_WITH_AS(s.restore_from(dir / "b.pj"), doctest::Contains("unsaved"), StoreError);
    s.discard();
    CHECK(picklejar::test::snapshot(file) == before);
  }
  SUBCASE("a row an open would refuse is refused, naming the key and the backup") {
    // The schema's CHECKs hold the protocol's type, not its range: restored, the file would
    // no longer open.
    const auto before = picklejar::test::snapshot(file);
    RawDb(dir / "b.pj").exec("UPDATE entries SET protocol = 9 WHERE key = 'keep'");
    const std::string malformed =
        "malformed entry 'keep' in '" + (dir / "b.pj").string() + "': its protocol 9 is not 0-5";
    CHECK_THROWS_WITH_AS(s.restore_from(dir / "b.pj"), doctest::Contains(malformed.c_str()),
                         FormatError);
    CHECK(picklejar::test::snapshot(file) == before);
  }
  SUBCASE("a session declaring another schema version refuses") {
    Session copy(dir / "b.pj", patient());
    copy.set_app_schema_version(5);
    CHECK_THROWS_WITH_AS(s.restore_from(dir / "b.pj"), doctest::Contains("app schema version 5"),
                         FormatError);
  }
}
