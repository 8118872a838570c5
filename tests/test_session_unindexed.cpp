// Issue 15, item 5: a WAL-mode session file in a directory the reader may not write. Once
// the last writer closed, SQLite has deleted the file's -wal and -shm, and a reader who cannot
// make the -shm again could not read at all ("attempt to write a readonly database", 1544).
// Such a reader now reads the file's own pages (immutable=1) while no -wal exists, checking
// that no writer changed the file meanwhile, and through SQLite's index while one does.
//
// The reader is a forked child: "nobody" when the tests run as root (the directory stays
// 0755, root's); otherwise this user, with the directory made 0555 except while the parent
// writes.

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <picklejar/session.hpp>

#include "session_support.hpp"

namespace fs = std::filesystem;
using picklejar::OpenMode;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::test::fast;
using picklejar::test::ScratchDir;
using picklejar::test::Signal;

namespace {

constexpr uid_t kOtherUser = 65534;

// The directory a reader may not write: root's 0755 for "nobody", or 0555 for this user.
class ReadOnlyPlace {
 public:
  ReadOnlyPlace() {
    fs::permissions(dir_.path(), static_cast<fs::perms>(0755));
    lock();
  }
  ~ReadOnlyPlace() { fs::permissions(dir_.path(), static_cast<fs::perms>(0755)); }
  fs::path file() const { return dir_ / "state.pj"; }
  fs::path wal() const { return dir_ / "state.pj-wal"; }
  fs::path shm() const { return dir_ / "state.pj-shm"; }

  // The parent writes (SQLite makes and deletes the -wal and -shm next to the file).
  void unlock() const {
    if (::geteuid() != 0) fs::permissions(dir_.path(), static_cast<fs::perms>(0755));
  }
  void lock() const {
    if (::geteuid() != 0) fs::permissions(dir_.path(), static_cast<fs::perms>(0555));
  }

  // In the child: become the reader.
  static void become_reader() {
    if (::geteuid() != 0) return;
    if (::setgroups(0, nullptr) != 0 || ::setgid(kOtherUser) != 0 || ::setuid(kOtherUser) != 0)
      throw std::runtime_error("cannot become user 65534");
  }

  // Writes `a` and `b` in one save, closing the session after (unless kept).
  void write(int a, int b) const {
    unlock();
    {
      Session s(file(), fast(OpenMode::create));
      s.set("a", a);
      s.set("b", b);
      s.save();
    }
    lock();
  }

 private:
  ScratchDir dir_;
};

std::string bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void expect(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

}  // namespace

TEST_CASE("Read-only places: a WAL file whose writers all closed is read, and left as it was") {
  ReadOnlyPlace place;
  place.write(1, 2);
  REQUIRE_FALSE(fs::exists(place.wal()));  // the last writer deleted it
  REQUIRE_FALSE(fs::exists(place.shm()));
  const std::string before = bytes_of(place.file());
  const int status = picklejar::test::run_child([&] {
    ReadOnlyPlace::become_reader();
    Session s(place.file(), fast(OpenMode::read_only));
    expect(s.get<int>("a") == 1 && s.get<int>("b") == 2, "values read");
    const auto info = s.file_info();
    expect(info.journal_mode == "wal", "journal mode shown as wal");
    expect(info.entries == 2, "entries counted");
    expect(!s.changed(), "nothing changed");
    expect(s.load().empty(), "a load finds nothing new");
    return 0;
  });
  CHECK(status == 0);
  CHECK(bytes_of(place.file()) == before);
  CHECK_FALSE(fs::exists(place.wal()));
  CHECK_FALSE(fs::exists(place.shm()));
}

TEST_CASE("Read-only places: such a reader sees what writers save later, with a -wal or without") {
  ReadOnlyPlace place;
  place.write(1, 1);
  Signal opened, closed_writer_saved, read_closed, open_writer_saved, read_open;
  const pid_t reader = picklejar::test::fork_child([&] {
    ReadOnlyPlace::become_reader();
    Session s(place.file(), fast(OpenMode::read_only));
    expect(s.get<int>("a") == 1, "first value");
    opened.notify();
    closed_writer_saved.wait();  // the writer saved and closed: no -wal now
    bool ok = s.changed();
    s.load();
    ok = ok && s.get<int>("a") == 2 && s.get<int>("b") == 2;
    read_closed.notify();
    expect(ok, "a closed writer's save is seen as a change and read");
    open_writer_saved.wait();  // a writer saved and is still open: its -wal holds the save
    s.load();
    ok = s.get<int>("a") == 3 && s.get<int>("b") == 3;
    read_open.notify();
    expect(ok, "an open writer's save is read");
    return 0;
  });
  // A reader that failed exits (run_child's status says why) without the signals it owes.
  const auto reader_signals = [&](Signal& signal) {
    while (!signal.ready()) {
      if (::waitpid(reader, nullptr, WNOHANG) != 0) FAIL("the reader exited early");
      ::usleep(1000);
    }
  };
  reader_signals(opened);
  place.write(2, 2);
  REQUIRE_FALSE(fs::exists(place.wal()));
  closed_writer_saved.notify();
  reader_signals(read_closed);
  place.unlock();
  {
    Session writer(place.file(), fast(OpenMode::read_write));
    writer.set("a", 3);
    writer.set("b", 3);
    writer.save();
    REQUIRE(fs::exists(place.wal()));
    open_writer_saved.notify();
    reader_signals(read_open);
  }
  place.lock();
  CHECK(picklejar::test::wait_child(reader) == 0);
}

TEST_CASE("Read-only places: such a reader never sees half of a save made while it reads") {
  // A writer opening, saving a == b and closing (checkpointing into the file) in a loop, while
  // the reader opens and reads in a loop: every read gives a == b or says the file changed
  // during it; nothing else.
  ReadOnlyPlace place;
  place.write(0, 0);
  Signal writer_done;
  const pid_t reader = picklejar::test::fork_child([&] {
    ReadOnlyPlace::become_reader();
    int consistent = 0;
    int changed = 0;
    for (int round = 0; round < 2000 && !(writer_done.ready() && consistent > 0); ++round) {
      try {
        Session s(place.file(), fast(OpenMode::read_only));
        expect(s.get<int>("a") == s.get<int>("b"), "one save's values");
        ++consistent;
      } catch (const picklejar::StoreError& e) {
        expect(std::string(e.what()).find("changed it during the read") != std::string::npos,
               e.what());
        ++changed;
      }
    }
    std::printf("consistent reads %d, reads refused as changed meanwhile %d\n", consistent,
                changed);
    return consistent > 0 ? 0 : 3;
  });
  for (int i = 1; i <= 150; ++i) place.write(i, i);
  writer_done.notify();
  CHECK(picklejar::test::wait_child(reader) == 0);
}
