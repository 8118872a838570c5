#!/usr/bin/env python3
"""Doxygen's INPUT_FILTER for picklejar's public headers (docs/Doxyfile, scripts/docs).

The headers document the API in plain `//` comments, written to be read as the header
itself. This filter shows Doxygen those comments as documentation, leaving the headers
as they are:

- the comment at the top of a file becomes the file's documentation (@file);
- a comment right before a declaration (in a namespace, class, struct or enum; never in a
  function body) becomes `///`; when it precedes overloads of one function, with no blank
  line between them, it documents each of them (a member group with DISTRIBUTE_GROUP_DOC);
- a comment after a declaration on its line becomes `///<`, with the comment lines aligned
  under it;
- a comment followed by a blank line, and a `// ---- heading`, stay ordinary comments.

Comment text is escaped so that Doxygen shows it as written (a `\\n` or `<module.Class>` in a
comment is not a command or an HTML tag); indented lines (examples, tables) become unparsed
code blocks. std:: and fmt:: specializations are hidden. The output has exactly the input's lines, so warnings point at the header's lines.

    doxygen_filter.py FILE    prints the filtered FILE
"""

import os
import re
import sys

COMMENT = re.compile(r"^(\s*)//(?!/)(.*)$")
SCOPE = re.compile(r"^(?:namespace|class|struct|union|enum)\b")
KEYWORDS = {"requires", "noexcept", "decltype", "sizeof", "alignof", "static_assert", "explicit"}
DIVIDER = re.compile(r"^\s*// ----")
ACCESS = re.compile(r"^\s*(public|private|protected)\s*:")


def escape(text):
    """Comment text as Doxygen should show it: no commands, no HTML tags (MARKDOWN_SUPPORT is
    off, so nothing else is special)."""
    return re.sub(r"([\\@<>&%#$])", r"\\\1", text)


def doc_block(texts, prefix):
    """`texts` (a comment's lines, without `//`) as Doxygen lines starting with `prefix`;
    indented runs that are not list items become unparsed code blocks."""
    out = []
    in_code = False
    for i, text in enumerate(texts):
        body = text[1:] if text.startswith(" ") else text
        indented = body.startswith("  ") and body.strip() != ""
        in_list = indented and (body.lstrip().startswith("- ") or (
            out and not in_code and body.startswith("    ") and _last_list(texts, i)))
        if indented and not in_list and not in_code:
            in_code = True
            out.append(f"{prefix} @code{{.unparsed}}{text}")  # one line each, as in the header
            continue
        if in_code and not indented:
            out[-1] += " @endcode"
            in_code = False
        out.append(f"{prefix}{text}" if in_code else f"{prefix}{escape(text)}")
    if in_code:
        out[-1] += " @endcode"
    return out


def _last_list(texts, i):
    """Whether line i continues a list item: the nearest less indented line above is one."""
    for text in reversed(texts[:i]):
        body = text[1:] if text.startswith(" ") else text
        if not body.startswith("    "):
            return body.lstrip().startswith("- ")
    return False


class Scanner:
    """Tracks brace depth and, per open brace, whether it opened a declaration scope."""

    def __init__(self):
        self.scopes = [True]  # the file is a declaration scope
        self.statement = ""  # the code since the last ; { or } at this level
        self.parens = 0

    def in_declarations(self):
        return self.scopes[-1]

    def feed(self, line):
        """Feeds one line of code (comments and strings are skipped)."""
        i = 0
        while i < len(line):
            c = line[i]
            if line.startswith("//", i):
                return
            if c in "\"'":
                end = i + 1
                while end < len(line) and line[end] != c:
                    end += 2 if line[end] == "\\" else 1
                self.statement += line[i:end + 1]
                i = end + 1
                continue
            if c == "(":
                self.parens += 1
            elif c == ")":
                self.parens -= 1
            if c == "{":
                self.scopes.append(self.in_declarations() and self.parens == 0 and
                                   bool(SCOPE.match(_strip_template(self.statement.strip()))))
                self.statement = ""
            elif c == "}":
                if len(self.scopes) > 1:
                    self.scopes.pop()
                self.statement = ""
            elif c == ";" and self.parens == 0:
                self.statement = ""
            else:
                self.statement += c
            i += 1
        if line.lstrip().startswith("#") and not line.rstrip().endswith("\\"):
            self.statement = ""
        self.statement += " "


def _strip_template(text):
    """`text` without leading `template <...>` heads and `requires` clauses up to a scope
    keyword."""
    while text.startswith("template"):
        depth, i = 0, text.find("<")
        if i < 0:
            return text
        for j in range(i, len(text)):
            depth += {"<": 1, ">": -1}.get(text[j], 0)
            if depth == 0:
                text = text[j + 1:].lstrip()
                break
        else:
            return text
    if text.startswith("requires"):
        match = re.search(r"\b(class|struct|union)\s+\w", text)
        return text[match.start():] if match else text
    return text


def statement_ends(lines, start):
    """The line index after the declaration starting at lines[start], and whether it was one
    (not a comment, blank line, access specifier or closing brace)."""
    first = lines[start].strip()
    if not first or first.startswith("//") or first.startswith("}") or ACCESS.match(first):
        return start, False
    depth, i = 0, start
    while i < len(lines):
        code = lines[i].split("//")[0] if not lines[i].lstrip().startswith("#") else lines[i]
        if lines[i].lstrip().startswith("#"):
            if not lines[i].rstrip().endswith("\\"):
                return i + 1, True
            i += 1
            continue
        for c in _without_strings(code):
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
        stripped = code.rstrip()
        if depth == 0 and (stripped.endswith(";") or stripped.endswith("}") or
                           stripped.endswith(",") and _enum_value(code)):
            return i + 1, True
        i += 1
    return i, True


def _function_name(lines):
    """The name a function declaration declares (overloads share it), or None."""
    code = _strip_template(" ".join(line.split("//")[0].strip() for line in lines))
    if code.startswith("#") or code.startswith("friend"):
        return None
    for match in re.finditer(r"(operator\s*[^\s(]+|~?\w+)\s*\(", code):
        if match.group(1) not in KEYWORDS:
            return match.group(1)
    return None


def _deleted(lines):
    return re.search(r"=\s*delete\s*;\s*(//.*)?$", "\n".join(lines).rstrip()) is not None


def _enum_value(code):
    return re.match(r"^\s*\w+(\s*=\s*[^,]+)?,\s*$", code) is not None


def _without_strings(code):
    return re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'', '""', code)


def filter_lines(lines, name):
    out = list(lines)
    scanner = Scanner()
    i = 0
    file_doc_done = False
    while i < len(lines):
        match = COMMENT.match(lines[i])
        if not match:
            scanner.feed(lines[i])
            i += 1
            continue
        # A run of whole-line comments at one indentation.
        indent = match.group(1)
        if DIVIDER.match(lines[i]):  # "// ---- reading ----": a heading, not documentation
            i += 1
            continue
        start = i
        texts = []
        while i < len(lines):
            m = COMMENT.match(lines[i])
            if not m or m.group(1) != indent or DIVIDER.match(lines[i]):
                break
            texts.append(m.group(2))
            i += 1
        if not file_doc_done and not indent:
            file_doc_done = True
            block = doc_block(texts, "///")
            block[0] = f"/// @file {name}{block[0][3:]}"
            out[start:i] = block
            continue
        if not scanner.in_declarations():
            continue
        end, is_declaration = statement_ends(lines, i)
        if not is_declaration:
            continue
        members = 1
        after = end
        name = _function_name(lines[i:end])
        while name:
            nxt, more = statement_ends(lines, after)
            if not more or _function_name(lines[after:nxt]) != name or _deleted(lines[after:nxt]):
                break
            members += 1
            after = nxt
        block = doc_block(texts, "///")
        if members > 1 and not _in_enum(lines, start) and not lines[i].lstrip().startswith("#"):
            block[0] = "///@{" + block[0][3:]
            out[after - 1] = out[after - 1] + " ///@}"
        out[start:start + len(texts)] = block
    return trailing_comments(out, lines)


def _in_enum(lines, index):
    for line in reversed(lines[:index]):
        if line.strip().startswith("enum"):
            return True
        if "{" in line or "}" in line:
            return False
    return False


def trailing_comments(out, lines):
    """`code;  // text` -> `code;  ///< text`, and the comment lines aligned under it too."""
    scanner = Scanner()
    column = None
    for i, line in enumerate(lines):
        in_declarations = scanner.in_declarations()
        scanner.feed(line)
        m = COMMENT.match(line)
        if m and column is not None and len(m.group(1)) == column and out[i] == line:
            out[i] = m.group(1) + "///<" + escape(m.group(2))
            continue
        column = None
        code, sep, text = _split_trailing(line)
        if sep and in_declarations and scanner.in_declarations() and out[i] == line:
            out[i] = code + "///<" + escape(text)
            column = len(code)
    return out


def _split_trailing(line):
    """(code, "//", text) for a line of code with a comment after it, else (line, "", "")."""
    if line.lstrip().startswith("//") or line.lstrip().startswith("#"):
        return line, "", ""
    i = 0
    while i < len(line):
        if line[i] in "\"'":
            quote, i = line[i], i + 1
            while i < len(line) and line[i] != quote:
                i += 2 if line[i] == "\\" else 1
        elif line.startswith("//", i):
            if line.startswith("///", i):
                break
            return line[:i], "//", line[i + 2:]
        i += 1
    return line, "", ""


def hide_std_specializations(lines):
    """Blank out specializations of std:: and fmt:: templates (std::hash, fmt::formatter):
    they belong to those namespaces, which Doxygen does not see (and would complain of)."""
    out = list(lines)
    for i, line in enumerate(lines):
        if re.match(r"^struct (std|fmt)::\w+<", line) and i > 0 and lines[i - 1] == "template <>":
            end = i
            while not lines[end].startswith("};"):
                end += 1
            out[i - 1:end + 1] = [""] * (end + 2 - i)
    return out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = hide_std_specializations(f.read().split("\n"))
    sys.stdout.write("\n".join(filter_lines(lines, os.path.basename(sys.argv[1]))))


if __name__ == "__main__":
    main()
