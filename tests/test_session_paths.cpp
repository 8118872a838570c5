// Issue 15: file names, symbolic links, file modes, read-only places and refused files, and
// writers that neither readers nor another user can starve. Cross-language where the
// contract is shared (each language opens what the other wrote under the same odd names).

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <picklejar/session.hpp>

#include "process_support.hpp"
#include "python.hpp"
#include "session_support.hpp"

namespace fs = std::filesystem;
using picklejar::OpenMode;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::test::fast;
using picklejar::test::ScratchDir;

namespace {

// A second local user: "nobody" (uid/gid 65534). Children drop to it when the tests run as
// root; otherwise the cases that need it check what a non-owner can do from our own user.
constexpr uid_t kOtherUser = 65534;

void become_other_user() {
  if (::geteuid() != 0) return;
  if (::setgroups(0, nullptr) != 0 || ::setgid(kOtherUser) != 0 || ::setuid(kOtherUser) != 0)
    throw std::runtime_error("cannot become user 65534");
}

// Runs `body` with the current directory set to `dir` (names below are relative, as in the
// issue: "file:uri.pj" is a URI only as a relative name).
template <class Body>
void in_directory(const fs::path& dir, Body&& body) {
  const fs::path before = fs::current_path();
  fs::current_path(dir);
  try {
    body();
  } catch (...) {
    fs::current_path(before);
    throw;
  }
  fs::current_path(before);
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// Names SQLite would read as URIs or with parameters, and bytes a shell or URI would mangle.
std::vector<std::string> odd_names() {
  return {
      "file:uri.pj",
      "file:mem.pj?mode=memory",
      "file:x.pj?nolock=1&immutable=1",
      "q?x=1.pj",
      "h#frag.pj",
      "p%41.pj",
      "nl\nname.pj",
      "emoji\xF0\x9F\x98\x80.pj",
      "-dash.pj",
      std::string(247, 'n'),  // the longest: its "-journal" file still fits NAME_MAX
  };
}

// True when the tests run as root and can act as kOtherUser; otherwise says so, visibly.
bool can_be_other_user(const char* what) {
  if (::geteuid() == 0) return true;
  MESSAGE("not run as root: cannot check " << what << " as another user (CI runs as root)");
  return false;
}

}  // namespace

TEST_CASE("Paths: a file name means that file, in C++ and Python alike") {
  for (const std::string& name : odd_names()) {
    CAPTURE(name);
    ScratchDir dir;
    in_directory(dir.path(), [&] {
      Session s(name, fast(OpenMode::create));
      s.set("name", name);
      s.save();
      CHECK(s.file_info().revision == 1);
    });
    // Exactly that file (and its lock file) exist, nothing else.
    std::vector<std::string> expected = {name, name + ".lock"};
    std::sort(expected.begin(), expected.end());
    CHECK(names_in(dir.path()) == expected);
    // Python opens the same file and writes into it; C++ reads what it wrote.
    const std::string out = picklejar::test::run_python(
        "import os, picklejar\n"
        "os.chdir(" +
        picklejar::test::py_bytes(dir.path().string()) +
        ")\n"
        "name = " +
        picklejar::test::py_bytes(name) +
        ".decode()\n"
        "with picklejar.Session(name, mode='read_write') as s:\n"
        "    assert s['name'] == name, s['name']\n"
        "    s['python'] = 1\n"
        "print(sorted(os.listdir('.')) == sorted([name, name + '.lock']))\n");
    CHECK(out == "True\n");
    in_directory(dir.path(), [&] {
      Session s(name, fast(OpenMode::read_only));
      CHECK(s.get<int>("python") == 1);
    });
  }
}

TEST_CASE("Paths: Python creates a session under each odd name; C++ opens and reads it") {
  for (const std::string& name : odd_names()) {
    CAPTURE(name);
    ScratchDir dir;
    const std::string out = picklejar::test::run_python(
        "import os, picklejar\n"
        "os.chdir(" +
        picklejar::test::py_bytes(dir.path().string()) +
        ")\n"
        "name = " +
        picklejar::test::py_bytes(name) +
        ".decode()\n"
        "with picklejar.Session(name, durability='fast') as s:\n"
        "    s['name'] = name\n"
        "    s.save()\n"
        "print(sorted(os.listdir('.')) == sorted([name, name + '.lock']))\n");
    CHECK(out == "True\n");
    in_directory(dir.path(), [&] {
      Session s(name, fast(OpenMode::read_write));
      CHECK(s.get<std::string>("name") == name);
      CHECK(s.file_info().revision == 1);
      s.set("cpp", 1);
      s.save();
    });
    std::vector<std::string> expected = {name, name + ".lock"};
    std::sort(expected.begin(), expected.end());
    CHECK(names_in(dir.path()) == expected);
  }
}

TEST_CASE("Paths: a name too long for its -journal or .lock file is refused, creating nothing") {
  ScratchDir dir;
  // 247 + "-journal" is NAME_MAX (255); 251 + ".lock" is too; 256 is over NAME_MAX itself.
  // The limit counts bytes, not characters: an emoji is 4 bytes in UTF-8.
  std::string emojis;  // 62 characters, 248 bytes
  for (int i = 0; i < 62; ++i) emojis += "\xF0\x9F\x98\x80";
  const std::vector<std::string> names = {std::string(248, 'n'), std::string(251, 'n'),
                                          std::string(256, 'n'),
                                          std::string(244, 'n') + emojis.substr(0, 4), emojis};
  for (const std::string& name : names) {
    CAPTURE(name.size());
    const std::string length = "its name is " + std::to_string(name.size()) + " bytes long";
    for (const OpenMode mode : {OpenMode::create, OpenMode::read_write, OpenMode::read_only}) {
      CHECK_THROWS_WITH_AS(Session(dir / name, fast(mode)), doctest::Contains(length.c_str()),
                           picklejar::StoreError);
      CHECK_THROWS_WITH_AS(Session(dir / name, fast(mode)),
                           doctest::Contains("session file names may be at most 247 bytes"),
                           picklejar::StoreError);
    }
  }
  CHECK(names_in(dir.path()).empty());
}

TEST_CASE("Paths: symbolic links another user planted are never followed") {
  ScratchDir dir;
  fs::create_directory(dir / "private");
  SUBCASE("a lock file that is a symlink") {
    fs::create_symlink(dir / "private" / "x", dir / "state.pj.lock");
    CHECK_THROWS_WITH_AS(Session(dir / "state.pj", fast(OpenMode::create)),
                         doctest::Contains("symbolic link"), picklejar::StoreError);
    CHECK(!fs::exists(dir / "private" / "x"));
  }
  SUBCASE("a dangling symlink where the session file would be") {
    fs::create_symlink(dir / "private" / "victim.pj", dir / "other.pj");
    CHECK_THROWS_WITH_AS(Session(dir / "other.pj", fast(OpenMode::create)),
                         doctest::Contains("it is a symbolic link"), picklejar::StoreError);
    CHECK(!fs::exists(dir / "private" / "victim.pj"));
    CHECK(names_in(dir / "private").empty());
  }
  SUBCASE("a symlink to an existing session, followed only when asked") {
    {
      Session s(dir / "private" / "real.pj", fast(OpenMode::create));
      s.set("a", 1);
      s.save();
    }
    fs::create_symlink(dir / "private" / "real.pj", dir / "link.pj");
    CHECK_THROWS_AS(Session(dir / "link.pj", fast(OpenMode::read_only)), picklejar::StoreError);
    SessionOptions follow = fast(OpenMode::read_write);
    follow.follow_symlinks = true;
    CHECK(Session(dir / "link.pj", follow).get<int>("a") == 1);
  }
  SUBCASE("a lock file owned by another user") {
    if (!can_be_other_user("a lock file owned by another user")) return;  // chown needs root
    std::ofstream(dir / "state.pj.lock") << "";
    REQUIRE(::chown((dir / "state.pj.lock").c_str(), kOtherUser, kOtherUser) == 0);
    CHECK_THROWS_WITH_AS(Session(dir / "state.pj", fast(OpenMode::create)),
                         doctest::Contains("it belongs to user 65534"), picklejar::StoreError);
  }
  SUBCASE("a lock file owned by the database's owner, not the caller, is used") {
    if (!can_be_other_user("a lock file owned by the database's owner")) return;
    {
      Session s(dir / "state.pj", fast(OpenMode::create));
      s.set("a", 1);
      s.save();
    }
    for (const char* suffix : {"", ".lock"})
      REQUIRE(::chown((dir / ("state.pj" + std::string(suffix))).c_str(), kOtherUser, kOtherUser) ==
              0);
    Session s(dir / "state.pj", fast(OpenMode::read_write));
    s.set("a", 2);
    s.save();
    CHECK(Session(dir / "state.pj", fast(OpenMode::read_only)).get<int>("a") == 2);
  }
}

TEST_CASE("Paths: SessionOptions::file_mode sets the bits of every file a session creates") {
  ScratchDir dir;
  const auto bits = [](const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 0777;
  };
  SUBCASE("0600 on request, -wal and -shm too; the lock file as well") {
    const mode_t old_mask = ::umask(022);  // without file_mode: 0644
    SessionOptions options = fast(OpenMode::create);
    options.file_mode = 0600;
    Session s(dir / "a.pj", options);
    s.set("token", "secret");
    s.save();
    ::umask(old_mask);
    CHECK(bits(dir / "a.pj") == 0600);
    CHECK(bits(dir / "a.pj-wal") == 0600);
    CHECK(bits(dir / "a.pj-shm") == 0600);
    CHECK(bits(dir / "a.pj.lock") == 0600);
  }
  SUBCASE("0600 by default with an integrity key; 0666 less the umask without one") {
    const mode_t old_mask = ::umask(022);
    SessionOptions keyed = fast(OpenMode::create);
    keyed.integrity_key = "k";
    { Session s(dir / "keyed.pj", keyed); }
    { Session s(dir / "plain.pj", fast(OpenMode::create)); }
    ::umask(old_mask);
    CHECK(bits(dir / "keyed.pj") == 0600);
    CHECK(bits(dir / "plain.pj") == 0644);
    CHECK(bits(dir / "plain.pj.lock") == 0600);  // only the owner may write it
  }
  SUBCASE("an existing file keeps its bits; a bad mode is a ValueError") {
    { Session s(dir / "a.pj", fast(OpenMode::create)); }
    fs::permissions(dir / "a.pj", static_cast<fs::perms>(0640));
    SessionOptions options = fast(OpenMode::read_write);
    options.file_mode = 0600;
    { Session s(dir / "a.pj", options); }
    CHECK(bits(dir / "a.pj") == 0640);
    for (const unsigned bad : {0400u, 01600u, 0200u}) {
      options.file_mode = bad;
      CHECK_THROWS_AS(Session(dir / "a.pj", options), picklejar::ValueError);
    }
  }
}

TEST_CASE("Paths: refused files are left as they were; only a 0-byte file is empty") {
  ScratchDir dir;
  SUBCASE("a 1-byte file is not empty") {
    picklejar::test::write_file(dir / "one.pj", "x");
    const auto before = picklejar::test::snapshot(dir / "one.pj");
    CHECK_THROWS_AS(Session(dir / "one.pj", fast(OpenMode::create)), picklejar::FormatError);
    CHECK(picklejar::test::snapshot(dir / "one.pj") == before);
  }
  SUBCASE("another application's database: no -wal or -shm appear") {
    {
      picklejar::test::RawDb raw(dir / "other.db");
      raw.exec("PRAGMA journal_mode = DELETE; CREATE TABLE t (x); INSERT INTO t VALUES (1)");
    }
    const auto before = picklejar::test::snapshot(dir / "other.db");
    for (const OpenMode mode : {OpenMode::create, OpenMode::read_write, OpenMode::read_only})
      CHECK_THROWS_AS(Session(dir / "other.db", fast(mode)), picklejar::FormatError);
    CHECK(picklejar::test::snapshot(dir / "other.db") == before);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"other.db"});
  }
  SUBCASE("a spent revision counter refuses the save instead of overflowing") {
    {
      Session s(dir / "a.pj", fast(OpenMode::create));
      s.set("a", 1);
      s.save();
    }
    {
      picklejar::test::RawDb raw(dir / "a.pj");
      raw.exec("UPDATE meta SET value = 9223372036854775806 WHERE name = 'revision'");
    }
    Session s(dir / "a.pj", fast(OpenMode::read_write));
    s.set("a", 2);
    CHECK_THROWS_WITH_AS(s.save(), doctest::Contains("the largest a file may hold"),
                         picklejar::FormatError);
  }
}

TEST_CASE("Paths: a user who may only read the lock file cannot keep writers out") {
  // The lock file as older versions made it (0644): another user can open it and take a
  // shared lock, which a writer passes (SQLite's write lock keeps writers apart).
  ScratchDir dir;
  fs::permissions(dir.path(), fs::perms::all);
  const auto file = dir / "a.pj";
  {
    Session s(file, fast(OpenMode::create));
    s.set("a", 1);
    s.save();
  }
  fs::permissions(file, static_cast<fs::perms>(0644));
  fs::permissions(dir / "a.pj.lock", static_cast<fs::perms>(0644));
  if (!can_be_other_user("the lock file held by another user"))
    MESSAGE("the shared lock below is held by this same user");
  picklejar::test::Signal locked;
  picklejar::test::Signal done;
  const pid_t holder = picklejar::test::fork_child([&] {
    become_other_user();
    const int fd = ::open((dir / "a.pj.lock").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 2;
    struct flock lock {};
    lock.l_type = F_RDLCK;
    lock.l_whence = SEEK_SET;
    if (::fcntl(fd, F_SETLK, &lock) != 0) return 3;
    locked.notify();
    done.wait();
    return 0;
  });
  locked.wait();
  SessionOptions options = fast(OpenMode::read_write);
  options.lock_timeout = std::chrono::seconds(20);  // generous: the check is "no timeout"
  Session s(file, options);
  const auto start = std::chrono::steady_clock::now();
  s.set("a", 2);
  s.save();
  s.transact([](Session& t) { t.set("b", 3); });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("save + transact with another user holding the lock file shared: " << seconds << " s");
  CHECK(seconds < 10);
  done.notify();
  CHECK(picklejar::test::wait_child(holder) == 0);
  CHECK(Session(file, fast(OpenMode::read_only)).get<int>("a") == 2);
}

TEST_CASE("Paths: with file_mode 0600 another user cannot take a lock that delays a save") {
  // SQLite's own locks are not the lock file's: whoever can read a session's -shm can hold
  // its WAL write lock (byte 120) and make every save fail with "database is locked"
  // (FORMAT.md, "Lock protocol"). With 0600 another user cannot open any of its files.
  if (!can_be_other_user("files of mode 0600")) return;
  ScratchDir dir;
  fs::permissions(dir.path(), static_cast<fs::perms>(0755));
  const auto file = dir / "a.pj";
  const mode_t old_mask = ::umask(022);  // without file_mode: 0644, which the child could read
  SessionOptions options = fast(OpenMode::create);
  options.file_mode = 0600;
  options.lock_timeout = std::chrono::seconds(2);
  Session s(file, options);  // kept open: its -wal and -shm exist
  s.set("a", 1);
  s.save();
  ::umask(old_mask);
  REQUIRE(fs::exists(dir / "a.pj-shm"));
  picklejar::test::Signal tried;
  picklejar::test::Signal done;
  const pid_t other = picklejar::test::fork_child([&] {
    become_other_user();
    struct stat st {};  // the directories let it in: a refusal below is the files' own bits
    if (::stat(file.c_str(), &st) != 0) return 100;
    int refused = 0;  // files the other user could not open, each with EACCES
    for (const char* suffix : {"", "-wal", "-shm", ".lock"}) {
      const int fd = ::open((file.string() + suffix).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 && errno == EACCES) ++refused;
      if (fd < 0) continue;
      struct flock lock {};  // what it would do: hold a read lock on the bytes SQLite uses
      lock.l_type = F_RDLCK;
      lock.l_whence = SEEK_SET;
      lock.l_start = std::string(suffix) == "-shm" ? 120 : 0;
      lock.l_len = std::string(suffix) == "-shm" ? 1 : 0;
      (void)::fcntl(fd, F_SETLK, &lock);
    }
    tried.notify();
    done.wait();
    return refused;
  });
  tried.wait();
  const auto start = std::chrono::steady_clock::now();
  s.set("a", 2);
  CHECK_NOTHROW(s.save());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("save with another user trying the files of mode 0600: " << seconds << " s");
  CHECK(seconds < 1);
  done.notify();
  CHECK(picklejar::test::wait_child(other) == 4);  // the database, -wal, -shm and lock file
  CHECK(Session(file, fast(OpenMode::read_only)).get<int>("a") == 2);
}

TEST_CASE("Paths: readers holding the lock file shared in turns never time a writer out") {
  // Issue 15: readers of older versions read under the shared lock; four re-opening a big
  // file kept it shared-locked all the time, and a writer polling for the exclusive lock
  // timed out 10 of 10 times. Four processes relocking in staggered 0.3 s turns do the same.
  ScratchDir dir;
  const auto file = dir / "a.pj";
  {
    Session s(file, fast(OpenMode::create));
    s.set("counter", -1);
    s.save();
  }
  constexpr int kHolders = 4;
  picklejar::test::Signal started[kHolders];
  picklejar::test::Signal stop[kHolders];
  std::vector<pid_t> holders;
  for (int h = 0; h < kHolders; ++h) {
    holders.push_back(picklejar::test::fork_child([&, h] {
      const int fd = ::open((dir / "a.pj.lock").c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0) return 2;
      ::usleep(static_cast<useconds_t>(h * 75'000));
      started[h].notify();
      struct flock lock {};
      lock.l_whence = SEEK_SET;
      while (!stop[h].ready()) {
        lock.l_type = F_RDLCK;
        if (::fcntl(fd, F_SETLKW, &lock) != 0) return 3;
        ::usleep(300'000);
        lock.l_type = F_UNLCK;
        ::fcntl(fd, F_SETLK, &lock);
      }
      return 0;
    }));
  }
  for (auto& s : started) s.wait();
  ::usleep(300'000);  // all four in their loops
  SessionOptions options = fast(OpenMode::read_write);
  options.lock_timeout = std::chrono::seconds(2);
  int timeouts = 0;
  double longest = 0;
  {
    Session writer(file, options);
    for (int i = 0; i < 10; ++i) {
      const auto start = std::chrono::steady_clock::now();
      try {
        writer.transact([i](Session& t) { t.set("counter", i); });
      } catch (const picklejar::LockTimeout&) {
        ++timeouts;
      }
      longest = std::max(
          longest, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }
  for (auto& s : stop) s.notify();
  for (const pid_t pid : holders) CHECK(picklejar::test::wait_child(pid) == 0);
  MESSAGE(kHolders << " processes holding the lock file shared in turns: " << timeouts
                   << " of 10 transact() timed out (lock_timeout 2 s); longest " << longest
                   << " s");
  CHECK(timeouts == 0);
  CHECK(Session(file, fast(OpenMode::read_only)).get<int>("counter") == 9);
}

TEST_CASE("Paths: readers re-opening a big file in a loop never time a writer out") {
  ScratchDir dir;
  const auto file = dir / "big.pj";
  {
    Session s(file, fast(OpenMode::create));
    for (int i = 0; i < 20000; ++i) s.set("k" + std::to_string(i), Value(std::string(40, 'x')));
    s.save();
  }
  constexpr int kReaders = 4;
  picklejar::test::Signal stop[kReaders];
  std::vector<pid_t> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.push_back(picklejar::test::fork_child([&, r] {
      int opened = 0;  // re-opens until told to stop
      for (;;) {
        Session s(file, fast(OpenMode::read_only));
        (void)s.size();
        ++opened;
        if (stop[r].ready()) break;
      }
      return opened > 0 ? 0 : 1;
    }));
  }
  SessionOptions options = fast(OpenMode::read_write);
  options.lock_timeout = std::chrono::seconds(5);
  Session writer(file, options);
  int timeouts = 0;
  double longest = 0;
  for (int i = 0; i < 10; ++i) {
    const auto start = std::chrono::steady_clock::now();
    try {
      writer.transact([i](Session& t) { t.set("counter", i); });
    } catch (const picklejar::LockTimeout&) {
      ++timeouts;
    }
    longest = std::max(
        longest, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  for (auto& s : stop) s.notify();
  for (const pid_t pid : readers) CHECK(picklejar::test::wait_child(pid) == 0);
  MESSAGE(kReaders << " readers re-opening a 20,000-entry file: " << timeouts
                   << " of 10 transact() timed out; longest " << longest << " s");
  CHECK(timeouts == 0);
  CHECK(Session(file, fast(OpenMode::read_only)).get<int>("counter") == 9);
}
