// Loads the CPython-made corpus (see corpus.hpp). describe() lives in describe.cpp.

#include "corpus.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>

namespace picklejar::test {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("corpus: cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<CorpusCase> load() {
  const char* dir = std::getenv("PICKLEJAR_CORPUS");
  if (dir == nullptr) throw std::runtime_error("corpus: PICKLEJAR_CORPUS is not set");
  std::map<std::pair<std::string, int>, CorpusCase> cases;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    // <name>.p<N>.pkl
    if (entry.path().extension() != ".pkl") continue;
    const std::string stem = entry.path().stem().string();  // <name>.p<N>
    const auto dot = stem.rfind(".p");
    if (dot == std::string::npos) continue;
    CorpusCase c;
    c.name = stem.substr(0, dot);
    c.protocol = std::stoi(stem.substr(dot + 2));
    const fs::path base = entry.path().parent_path() / stem;
    c.pickle = read_file(entry.path());
    c.description = read_file(base.string() + ".desc");
    c.dis = read_file(base.string() + ".dis");
    const fs::path repr_path = entry.path().parent_path() / (c.name + ".repr");
    if (fs::exists(repr_path)) c.repr = read_file(repr_path);
    cases.emplace(std::pair(c.name, c.protocol), std::move(c));
  }
  if (cases.empty()) throw std::runtime_error(std::string("corpus: no cases in ") + dir);
  std::vector<CorpusCase> out;
  for (auto& [key, c] : cases) out.push_back(std::move(c));
  return out;
}

}  // namespace

const std::vector<CorpusCase>& corpus() {
  static const std::vector<CorpusCase> cases = load();
  return cases;
}

}  // namespace picklejar::test
