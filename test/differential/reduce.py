"""Reduces a failing program to a smaller one that fails the same way.

    /usr/bin/python3 test/differential/reduce.py PROGRAM.py SAMPLE.txt [--match TEXT] [-o OUT.py]

PROGRAM.py is the program's source (the `---- program` section of a failure
report without the line numbers, or the .py file kept by `run.py --keep`);
SAMPLE.txt holds the `---- sample (Python)` section. The reduction removes
statements (with their blocks), unwraps if/for/while/else blocks, and
keeps a change when the program still fails with a message containing TEXT
(default: the start of the original failure message). Each try runs s2t-opt
once, so a 150-line program takes a few minutes.
"""
import argparse
import math
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from run import check_source  # noqa: E402


def failure_of(source, sample):
    report = check_source(source, sample, "reduce")
    if report is None:
        return None
    return report.splitlines()[1]


def indent_of(line):
    return len(line) - len(line.lstrip(" "))


def block_end(lines, i):
    """Index after the statement at `i` and its indented block."""
    base = indent_of(lines[i])
    j = i + 1
    while j < len(lines) and (not lines[j].strip() or indent_of(lines[j]) > base):
        j += 1
    return j


def candidates(lines):
    """Smaller variants, biggest cuts first."""
    spans = []
    for i, line in enumerate(lines):
        if not line.strip() or line.startswith(("import ", "from ")):
            continue
        if re.match(r"\s*w\d+ \+= 1$", line):
            continue    # a while loop's counter: without it the loop may not end
        spans.append((i, block_end(lines, i)))
    spans.sort(key=lambda s: s[0] - s[1])
    for i, j in spans:
        yield lines[:i] + lines[j:]
        # A removed `else:` / `elif` block goes with its header only.
    for i, line in enumerate(lines):
        stripped = line.strip()
        if re.match(r"(if|elif|else|for|while)\b.*:$", stripped):
            j = block_end(lines, i)
            body = [b[4:] if b.strip() else b for b in lines[i + 1:j]]
            if stripped.startswith(("elif", "else")):
                continue
            # Unwrap: the body replaces the statement, its else branches go.
            k = j
            while k < len(lines) and lines[k].strip().startswith(("elif", "else")) and \
                    indent_of(lines[k]) == indent_of(line):
                k = block_end(lines, k)
            yield lines[:i] + body + lines[k:]


def reduce(source, sample, match):
    lines = source.splitlines()
    progress = True
    tries = 0
    while progress:
        progress = False
        for variant in candidates(lines):
            text = "\n".join(variant) + "\n"
            tries += 1
            failure = failure_of(text, sample)
            if failure is not None and match in failure and not failure.startswith("GENERATOR"):
                lines = variant
                progress = True
                print(f"  {len(lines)} lines ({tries} tries)", file=sys.stderr, flush=True)
                break
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("program")
    parser.add_argument("sample")
    parser.add_argument("--match")
    parser.add_argument("-o", "--output")
    args = parser.parse_args()
    source = open(args.program).read()
    sample = eval(open(args.sample).read(), {"torch": torch, "math": math})
    failure = failure_of(source, sample)
    if failure is None:
        sys.exit("the program passes: nothing to reduce")
    match = args.match or re.split(r"[:(]", failure)[0]
    print(f"failure: {failure}\nmatching: {match!r}", file=sys.stderr)
    reduced = reduce(source, sample, match)
    if args.output:
        with open(args.output, "w") as fh:
            fh.write(reduced)
    print(reduced)
    print(check_source(reduced, sample, "reduced"))


if __name__ == "__main__":
    main()
