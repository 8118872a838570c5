// The C++ backend sends docs/FORMAT-POSTGRES.md's statements word for word: every ```sql block
// of the page is in lib/src/store/postgres/sql.hpp under its name, and nothing else is.

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "store/postgres/sql.hpp"

namespace {

// The page's ```sql NAME blocks, each without the indentation of its opening fence.
std::map<std::string, std::string> page_blocks(const std::string& page) {
  std::map<std::string, std::string> blocks;
  std::istringstream lines(page);
  std::string line;
  std::string name;
  std::string body;
  std::size_t indent = 0;
  while (std::getline(lines, line)) {
    const std::size_t fence = line.find("```");
    if (name.empty() && fence != std::string::npos && line.compare(fence, 7, "```sql ") == 0) {
      indent = fence;
      name = line.substr(fence + 7);
      body.clear();
    } else if (!name.empty() && fence != std::string::npos) {
      while (!body.empty() && body.back() == '\n') body.pop_back();
      blocks[name] = body;
      name.clear();
    } else if (!name.empty()) {
      body += (line.size() >= indent ? line.substr(indent) : line) + "\n";
    }
  }
  return blocks;
}

}  // namespace

TEST_CASE("postgres: the backend's statements are docs/FORMAT-POSTGRES.md's, word for word") {
  const char* doc = std::getenv("PICKLEJAR_FORMAT_POSTGRES_DOC");
  REQUIRE_MESSAGE(doc != nullptr, "PICKLEJAR_FORMAT_POSTGRES_DOC is not set (meson test sets it)");
  std::ifstream in(doc);
  REQUIRE(in.good());
  std::stringstream page;
  page << in.rdbuf();
  const std::map<std::string, std::string> blocks = page_blocks(page.str());
  CHECK(blocks.size() >= 20);
  std::map<std::string, std::string> ours;
  for (const auto& [name, text] : picklejar::store::sql::kAll) ours[name] = text;
  CHECK(ours == blocks);
}
