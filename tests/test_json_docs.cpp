// docs/JSON.md's examples are true: every two-column table row "| `python expr` ... |
// `json` |" is what to_json() writes for pickle.dumps(expr, 4) as python3 computes it, and
// reads back to the same pickle; every ```json block is tagged JSON that from_json() accepts.

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <picklejar/json.hpp>
#include <picklejar/pickle.hpp>

#include "python.hpp"

namespace picklejar {
namespace {

std::string read_doc() {
  const char* path = std::getenv("PICKLEJAR_JSON_DOC");
  REQUIRE_MESSAGE(path != nullptr, "PICKLEJAR_JSON_DOC is not set");
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read ", path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The text of a cell that is one `code span`, or of the first span a cell starts with.
std::string span(std::string cell, bool whole) {
  const auto begin = cell.find_first_not_of(' ');
  const auto end = cell.find_last_not_of(' ');
  if (begin == std::string::npos || cell[begin] != '`') return {};
  cell = cell.substr(begin, end - begin + 1);
  const auto close = cell.find('`', 1);
  if (close == std::string::npos || (whole && close != cell.size() - 1)) return {};
  return cell.substr(1, close - 1);
}

// (Python expression, JSON) of every two-column example row.
std::vector<std::pair<std::string, std::string>> examples(const std::string& doc) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& line : lines_of(doc)) {
    if (!line.starts_with("| `")) continue;
    std::vector<std::string> cells;
    std::size_t start = 1;
    // Cells are split at " | "; the JSON never contains that sequence.
    for (std::size_t bar; (bar = line.find(" | ", start)) != std::string::npos; start = bar + 3) {
      cells.push_back(line.substr(start, bar - start));
    }
    cells.push_back(line.substr(start, line.rfind(" |") - start));
    if (cells.size() != 2) continue;
    const std::string expr = span(cells[0], false), json = span(cells[1], true);
    if (!expr.empty() && !json.empty()) out.emplace_back(expr, json);
  }
  return out;
}

std::string hex(std::string_view text) {
  std::string out;
  for (const unsigned char c : text) out += fmt::format("{:02x}", c);
  return out;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

TEST_CASE("docs/JSON.md: the example rows are what to_json writes for CPython's pickles") {
  const auto rows = examples(read_doc());
  REQUIRE(rows.size() >= 25);
  std::string script = R"(
import collections, datetime, decimal, pickle, sys, types
app = types.ModuleType("app")
sys.modules["app"] = app
class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y
Point.__module__ = "app"
app.Point = Point
def shared():
    a = [1, 2]
    return [a, a, {"k": a}]
def cyclic():
    l = [0]
    l.append(l)
    return l
for expr in sys.argv[1:] or EXPRS:
    print(pickle.dumps(eval(bytes.fromhex(expr).decode()), 4).hex())
)";
  std::string exprs = "EXPRS = [";
  for (const auto& [expr, json] : rows) exprs += "\"" + hex(expr) + "\",";
  script = exprs + "]\n" + script;
  const auto pickles = lines_of(test::run_python(script));
  REQUIRE(pickles.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& [expr, json] = rows[i];
    CAPTURE(expr);
    const std::string pickle = from_hex(pickles[i]);
    CHECK(to_json(loads(pickle)) == json);
    CHECK(dumps(from_json(json)) == pickle);
  }
}

TEST_CASE("docs/JSON.md: every json block is tagged JSON") {
  int blocks = 0;
  std::string block;
  bool inside = false;
  for (const std::string& line : lines_of(read_doc())) {
    if (!inside && line == "```json") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      ++blocks;
      CAPTURE(block);
      CHECK_NOTHROW(from_json(block));
    } else if (inside) {
      block += line + "\n";
    }
  }
  CHECK(blocks >= 2);
}

}  // namespace
}  // namespace picklejar
