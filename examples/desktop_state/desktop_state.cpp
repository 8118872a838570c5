// A desktop application's state in a session file: restored at start, saved on exit, and
// migrated when a new version of the application changes its layout.
//
//   desktop_state FILE [--version 1] [--open PATH] [--move DX DY] [--theme NAME]
//                      [--watch SECONDS]
//
// Version 2 (the default) keeps "window" (a dict: x, y, width, height, maximized),
// "recent_files" (a list of paths, newest first), "preferences" (a dict: theme, font_size)
// and "launches" (an int): plain Python data, which python3 reads with nothing but sqlite3
// and pickle. It also shows "last_opened" when a tool saved one (a datetime, in any zone).
// Version 1, the application's previous release (--version 1), kept "geometry" as a list
// [x, y, width, height], "recent" and "theme". Opening a version 1 file with version 2
// migrates it once, in one transaction.
//
// A file no version of the application wrote (made with `picklejar set`, or by a Python tool,
// without a schema version: app schema version 0) is adopted by the migration from 0, which
// keeps what fits.
//
// Restoring survives a bad entry (edited by hand, or by a Python tool that wrote the wrong
// shape): get_or(key, fallback, on_error) uses the default and says what was wrong, and the
// next save writes a good value over it. Version 2 also keeps the last 3 states as automatic
// backups (SessionOptions::keep_backups: `picklejar restore --list FILE`), and with --watch it
// stays up to SECONDS after saving to show what another program changes meanwhile.

#include <picklejar/session.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace desktop {

struct Window {
  int x = 100;
  int y = 100;
  int width = 800;
  int height = 600;
  bool maximized = false;
};

// A Window is a plain dict in the file, so Python needs no class to read it.
picklejar::Value to_pickle(const Window& w) {
  return picklejar::Value::dict({{"x", w.x},
                                 {"y", w.y},
                                 {"width", w.width},
                                 {"height", w.height},
                                 {"maximized", w.maximized}});
}

void from_pickle(const picklejar::Value& v, Window& w) {
  (void)picklejar::from_value<std::map<std::string, picklejar::Value>>(v);  // "expected dict"
  w.x = picklejar::from_value<int>(v["x"]);
  w.y = picklejar::from_value<int>(v["y"]);
  w.width = picklejar::from_value<int>(v["width"]);
  w.height = picklejar::from_value<int>(v["height"]);
  w.maximized = picklejar::from_value<bool>(v["maximized"]);
}

struct Preferences {
  std::string theme = "light";
  int font_size = 11;
};

picklejar::Value to_pickle(const Preferences& p) {
  return picklejar::Value::dict({{"theme", p.theme}, {"font_size", p.font_size}});
}

void from_pickle(const picklejar::Value& v, Preferences& p) {
  (void)picklejar::from_value<std::map<std::string, picklejar::Value>>(v);
  p.theme = picklejar::from_value<std::string>(v["theme"]);
  p.font_size = picklejar::from_value<int>(v["font_size"]);
}

// Version 1's layout -> version 2's.
void migrate_1_to_2(picklejar::Session& s) {
  fmt::print("migrating the state from version 1 to version 2\n");
  if (const auto geometry = s.find("geometry")) {
    const auto g = picklejar::from_value<std::vector<int>>(*geometry);
    s.set("window", Window{g.at(0), g.at(1), g.at(2), g.at(3), false});
    s.erase("geometry");
  }
  if (const auto recent = s.find("recent")) {
    s.set("recent_files", *recent);
    s.erase("recent");
  }
  s.set("preferences", Preferences{s.get_or<std::string>("theme", "light"), 11});
  s.erase("theme");
}

// A state file no version of the application wrote: keep what fits (get_or's fallbacks take
// care of the rest when it is read).
void adopt_unversioned(picklejar::Session& s) {
  fmt::print("adopting a state file without a version ({} keys)\n", s.size());
}

struct Args {
  std::string file;
  int version = 2;
  int watch_seconds = 0;
  std::vector<std::string> opened;
  int dx = 0;
  int dy = 0;
  std::string theme;
};

Args parse(int argc, char** argv) {
  Args args;
  const auto usage = [] {
    fmt::print(stderr,
               "usage: desktop_state FILE [--version 1] [--open PATH] [--move DX DY] "
               "[--theme NAME] [--watch SECONDS]\n");
    std::exit(2);
  };
  if (argc < 2) usage();
  args.file = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--version" && i + 1 < argc) {
      args.version = std::atoi(argv[++i]);
    } else if (flag == "--open" && i + 1 < argc) {
      args.opened.push_back(argv[++i]);
    } else if (flag == "--move" && i + 2 < argc) {
      args.dx = std::atoi(argv[++i]);
      args.dy = std::atoi(argv[++i]);
    } else if (flag == "--theme" && i + 1 < argc) {
      args.theme = argv[++i];
    } else if (flag == "--watch" && i + 1 < argc) {
      args.watch_seconds = std::atoi(argv[++i]);
    } else {
      usage();
    }
  }
  if (args.version != 1 && args.version != 2) usage();
  return args;
}

void add_recent(std::vector<std::string>& recent, const std::string& path) {
  recent.erase(std::remove(recent.begin(), recent.end(), path), recent.end());
  recent.insert(recent.begin(), path);
  if (recent.size() > 5) recent.resize(5);
}

// Version 1 of the application, as it was released.
void run_version_1(picklejar::Session& s, const Args& args) {
  auto geometry = s.get_or("geometry", std::vector<int>{100, 100, 800, 600});
  auto recent = s.get_or("recent", std::vector<std::string>{});
  for (const std::string& path : args.opened) add_recent(recent, path);
  geometry[0] += args.dx;
  geometry[1] += args.dy;
  s.set("geometry", geometry);
  s.set("recent", recent);
  if (!args.theme.empty()) s.set("theme", args.theme);
  s.save();
  fmt::print("version 1 saved {} recent files\n", recent.size());
}

void run_version_2(picklejar::Session& s, const Args& args) {
  // A bad entry must not stop the application: its default, and a word about it.
  const auto ignore = [](const picklejar::Error& e) {
    fmt::print("state ignored: {}\n", e.what());
  };
  auto window = s.get_or("window", Window{}, ignore);
  auto recent = s.get_or("recent_files", std::vector<std::string>{}, ignore);
  auto preferences = s.get_or("preferences", Preferences{}, ignore);
  const auto launches = s.get_or("launches", 0, ignore) + 1;
  using std::chrono::sys_seconds;
  const auto last_opened = s.get_or("last_opened", std::optional<sys_seconds>{}, ignore);
  fmt::print("restored: window {}x{} at ({}, {}), theme {}, launch {}\n", window.width,
             window.height, window.x, window.y, preferences.theme, launches);
  for (const std::string& path : recent) fmt::print("  recent: {}\n", path);
  if (last_opened) fmt::print("  last opened: {:%Y-%m-%d %H:%M:%S} UTC\n", *last_opened);

  for (const std::string& path : args.opened) add_recent(recent, path);
  window.x += args.dx;
  window.y += args.dy;
  if (!args.theme.empty()) preferences.theme = args.theme;
  // On exit: everything in one transaction.
  s.set("window", window);
  s.set("recent_files", recent);
  s.set("preferences", preferences);
  s.set("launches", launches);
  s.save();
  fmt::print("saved: window at ({}, {}), {} recent files\n", window.x, window.y, recent.size());
}

// While the application runs, another program (a settings tool, a second window) may change
// the state: wait_for_change() wakes up a few milliseconds after its save, with the keys.
void watch(picklejar::Session& s, int seconds) {
  fmt::print("watching for changes\n");
  std::fflush(stdout);
  const picklejar::Changes changes = s.wait_for_change(std::chrono::seconds(seconds));
  if (changes.empty()) return;
  fmt::print("changed by another program: {}\n", fmt::join(changes.keys(), ", "));
  const auto ignore = [](const picklejar::Error& e) {
    fmt::print("state ignored: {}\n", e.what());
  };
  const auto preferences = s.get_or("preferences", Preferences{}, ignore);
  fmt::print("theme now {}, font size {}\n", preferences.theme, preferences.font_size);
}

}  // namespace desktop

int main(int argc, char** argv) {
  const desktop::Args args = desktop::parse(argc, argv);
  try {
    picklejar::SessionOptions options;
    options.app_name = fmt::format("desktop_state {}", args.version);
    options.schema_version = args.version;
    if (args.version == 2) {
      options.migrations = {{0, 2, desktop::adopt_unversioned}, {1, 2, desktop::migrate_1_to_2}};
      options.keep_backups = 3;  // the last 3 states, backed up as the application starts
    }
    picklejar::Session session(args.file, options);
    if (args.version == 1) {
      desktop::run_version_1(session, args);
    } else {
      desktop::run_version_2(session, args);
      if (args.watch_seconds > 0) desktop::watch(session, args.watch_seconds);
    }
  } catch (const picklejar::Error& e) {
    fmt::print(stderr, "desktop_state: {}\n", e.what());
    return 1;
  }
  return 0;
}
