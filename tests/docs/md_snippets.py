#!/usr/bin/env python3
"""Turns the ```cpp blocks of a Markdown page into one C++ program, so that the page's code
is compiled as written and run (tests/docs/meson.build).

A block whose first line is an #include or a namespace goes at namespace scope, in page
order; every other block becomes the body of a function of its own, which main() runs in an
empty temporary directory (relative file names land there). An exception leaving a block
fails the program, naming the block's line in the page. #line directives make compiler
errors point at the page.

    md_snippets.py PAGE.md OUT.cpp
"""

import re
import sys


def blocks(text):
    """(line number of the block's first code line, code) for each ```cpp block."""
    for match in re.finditer(r"^```cpp\n(.*?)^```", text, re.S | re.M):
        yield text.count("\n", 0, match.start()) + 2, match.group(1)


def program(page, text):
    top, functions = [], []
    for line, code in blocks(text):
        directive = f'#line {line} "{page}"\n'
        first = code.lstrip().split("\n", 1)[0]
        if first.startswith("#include") or first.startswith("namespace"):
            top.append(directive + code)
        else:
            functions.append((line, f"void block_{line}() {{\n{directive}{code}}}\n"))
    if not functions:
        raise SystemExit(f"{page}: no ```cpp block to run")
    runs = "".join(f"  status |= run({line}, block_{line});\n" for line, _ in functions)
    return "".join([
        f"// Generated from {page} by tests/docs/md_snippets.py: do not edit.\n",
        *top,
        "\n#include <cstdio>\n#include <cstdlib>\n#include <exception>\n#include <filesystem>\n",
        "#include <string>\n#include <unistd.h>\n\n",
        "namespace {\n",
        *(f for _, f in functions),
        f'''
// Runs `block` in an empty directory of its own; 1 when it threw.
int run(int line, void (*block)()) {{
  std::string pattern = (std::filesystem::temp_directory_path() / "md_snippet.XXXXXX").string();
  if (!::mkdtemp(pattern.data())) {{
    std::perror("mkdtemp");
    std::exit(2);
  }}
  const std::filesystem::path dir = pattern;
  std::filesystem::current_path(dir);
  std::printf("--- {page}:%d\\n", line);
  std::fflush(stdout);
  int status = 0;
  try {{
    block();
  }} catch (const std::exception& e) {{
    std::fprintf(stderr, "{page}:%d: the block threw: %s\\n", line, e.what());
    status = 1;
  }}
  std::filesystem::current_path(dir.parent_path());
  std::filesystem::remove_all(dir);
  return status;
}}
}}  // namespace

int main() {{
  int status = 0;
{runs}  return status;
}}
'''])


def main():
    page, out = sys.argv[1], sys.argv[2]
    with open(page, encoding="utf-8") as f:
        text = f.read()
    name = "/".join(page.replace("\\", "/").split("/")[-2:])  # docs/SESSION.md
    with open(out, "w", encoding="utf-8") as f:
        f.write(program(name, text))


if __name__ == "__main__":
    main()
