#!/usr/bin/python3
"""Checks the shape of s2t's C++ (issue 16, docs/design.md): the layers and the sizes.

    /usr/bin/python3 scripts/check-structure.py [ROOT]

- Layers: each folder is one layer, and a file includes only headers of its own layer or of
  a lower one: ir <- io <- passes <- emit <- api (include/s2t) <- tools, python. test/,
  bench/ and docs/ may include anything.
- Sizes: no C++ file of a layer over 800 lines, no function over 120 lines (a function is a
  definition whose header starts at column 0 and whose body ends at the matching `}`), a
  driver's main at most 80.

Prints one line per violation, `path:line: what`, and exits 1 if there is any.
"""
import os
import re
import sys

# Folder (first path component, or a longer prefix) -> rank. Lower ranks are lower layers.
LAYERS = [("ir", 0), ("io", 1), ("passes", 2), ("emit", 3), ("api", 4), ("include/s2t", 4),
          ("s2t", 4), ("tools", 5), ("python", 5)]
MAX_FILE_LINES = 800
MAX_FUNCTION_LINES = 120
# The driver's main is a page: options table and run() do the work.
MAX_MAIN_LINES = 80
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
# The head of a definition at column 0: not a preprocessor line, comment, label or a type body.
FUNCTION_HEAD = re.compile(r"^(?![#/ \t}])(?!(namespace|struct|class|enum|union|typedef|using|extern)\b)"
                           r"[^;=]*\)[^;]*$")


def layer_of(path):
    """The layer of a path relative to the root (or of an include path), or None."""
    for prefix, rank in sorted(LAYERS, key=lambda entry: -len(entry[0])):
        if path == prefix or path.startswith(prefix + "/"):
            return prefix, rank
    return None


def source_files(root):
    for top in ("ir", "io", "passes", "emit", "api", "include", "tools", "python"):
        for folder, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if name.endswith((".h", ".cpp")):
                    yield os.path.relpath(os.path.join(folder, name), root)


def check_includes(path, lines, problems):
    own = layer_of(path)
    for number, line in enumerate(lines, 1):
        match = INCLUDE.match(line)
        if not match:
            continue
        target = layer_of(match.group(1))
        if own and target and target[1] > own[1]:
            problems.append(f"{path}:{number}: {own[0]}/ includes \"{match.group(1)}\", "
                            f"a higher layer ({target[0]}/)")


def functions(lines):
    """(first line, line count, head) of each function defined at column 0."""
    index = 0
    while index < len(lines):
        line = lines[index]
        if FUNCTION_HEAD.match(line):
            # The body opens on this line or a following head line.
            start, depth, opened = index, 0, False
            while index < len(lines):
                text = re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'|//.*', "", lines[index])
                if not opened and ";" in text and "{" not in text:
                    break  # a declaration
                depth += text.count("{") - text.count("}")
                opened = opened or "{" in text
                if opened and depth <= 0:
                    yield start + 1, index - start + 1, line.strip()
                    break
                index += 1
        index += 1


def main(root):
    problems = []
    for path in source_files(root):
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        check_includes(path, lines, problems)
        if len(lines) > MAX_FILE_LINES:
            problems.append(f"{path}:1: {len(lines)} lines (at most {MAX_FILE_LINES})")
        for first, count, head in functions(lines):
            most = MAX_FUNCTION_LINES
            if path.startswith("tools/") and re.match(r"int main\(", head):
                most = MAX_MAIN_LINES
            if count > most:
                problems.append(f"{path}:{first}: function of {count} lines "
                                f"(at most {most}): {head[:60]}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
