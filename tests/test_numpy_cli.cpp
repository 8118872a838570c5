// `picklejar dump` and `picklejar get` print numpy arrays and scalars as numpy's repr() does,
// at any depth, the way Python prints the loaded value; a recipe that is not a valid array
// prints as the recipe it is.

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include <picklejar/ndarray.hpp>
#include <picklejar/session.hpp>

#include "numpy_support.hpp"
#include "process_support.hpp"
#include "python.hpp"

namespace test = picklejar::test;

namespace {

// The picklejar command's standard output for `args`; throws when it fails.
std::string picklejar_cli(const std::string& args) {
  const char* bin = std::getenv("PICKLEJAR_BIN");
  if (bin == nullptr) throw std::runtime_error("PICKLEJAR_BIN is not set");
  const std::string command = std::string(bin) + " " + args;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buffer[65536];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
  if (pclose(pipe.release()) != 0) throw std::runtime_error(command + " failed");
  return out;
}

std::string golden_path(const std::string& file) {
  return std::string(std::getenv("PICKLEJAR_NUMPY")) + "/" + file;
}

}  // namespace

TEST_CASE("numpy: picklejar dump prints numpy's repr of every golden array and scalar") {
  int seen = 0;
  for (const auto& c : test::numpy_cases()) {
    if (c.name.starts_with("np2_")) continue;  // numpy 2's names: no numpy to print them here
    for (const int protocol : {2, 5}) {
      CAPTURE(c.name);
      CAPTURE(protocol);
      const std::string file = golden_path(c.name + ".p" + std::to_string(protocol) + ".pkl");
      CHECK(picklejar_cli("dump " + file) == c.numpy_repr() + "\n");
      ++seen;
    }
  }
  CHECK(seen >= 100);
}

TEST_CASE("numpy: picklejar dump prints arrays inside containers as Python prints them") {
  test::ScratchDir dir;
  const std::string file = (dir / "state.pickle").string();
  const std::string python_repr = test::run_python(
      "import pickle, numpy as np\n"
      "state = {'weights': np.linspace(0, 1, 5, dtype='f4'), 'big': np.arange(2000.0),\n"
      "         'layers': [np.zeros((2, 3), 'i1'), np.float64(0.25), "
      "np.datetime64('2020-01-01')],\n"
      "         'name': 'model'}\n"
      "open('" +
      file +
      "', 'wb').write(pickle.dumps(state, 4))\n"
      "print(repr(state))\n");
  CHECK(picklejar_cli("dump " + file) == python_repr);

  // Not an array: numpy's size check fails, so the recipe prints as it is.
  const auto& bad = test::hostile_cases().front();
  std::ofstream(file, std::ios::binary) << bad.pickle(5);
  CHECK(picklejar_cli("dump " + file).starts_with("<reduce numpy.core"));
}

TEST_CASE("numpy: picklejar get prints a session's array as numpy does") {
  test::ScratchDir dir;
  const auto file = dir / "state.pj";
  const std::vector<float> image{0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f};
  const auto array = picklejar::NdArray::from(image, {2, 3});
  {
    picklejar::Session s(file);
    s.set("image", array);
    s.save();
  }
  CHECK(picklejar_cli("get " + file.string() + " image") ==
        "array([[0.5, 1.5, 2.5],\n       [3.5, 4.5, 5.5]], dtype=float32)\n");
  CHECK(picklejar::repr(array) + "\n" == picklejar_cli("get " + file.string() + " image"));
}
