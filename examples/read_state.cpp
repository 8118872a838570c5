// Reads a pickle written by Python and picks values out of it.
//
//   python3 -c 'import pickle; pickle.dump({"window": {"size": (800, 600)}, "recent": ["a.txt"]},
//               open("state.pickle", "wb"))'
//   read_state state.pickle

#include <picklejar/picklejar.hpp>

#include <fmt/format.h>

#include <fstream>
#include <iterator>

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: read_state FILE\n");
    return 2;
  }
  std::ifstream file(argv[1], std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  try {
    // Allow nothing but plain data: any class or function reference is refused.
    picklejar::DecodeOptions options;
    options.globals = picklejar::GlobalPolicy::allowlist;
    const picklejar::Value state = picklejar::loads(bytes, options);

    fmt::print("state: {}\n", state);
    if (auto window = state.find("window")) {
      const picklejar::Value size = (*window)["size"];
      fmt::print("window is {} x {}\n", size[0].as_int(), size[1].as_int());
    }
    for (const picklejar::Value& path : state.get("recent", picklejar::Value::list())) {
      fmt::print("recent file: {}\n", path.as_str());
    }
  } catch (const picklejar::Error& e) {
    fmt::print(stderr, "read_state: {}: {}\n", argv[1], e.what());
    return 1;
  }
  return 0;
}
