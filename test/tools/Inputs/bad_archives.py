"""`python3 bad_archives.py OUTDIR` writes the hostile model files of
test/tools/archive-errors.test into OUTDIR:

  random.bin          4 KiB of random bytes
  random-zip-magic.pt random bytes after a zip's magic number
  truncated.pt        the first half of a genuine archive
  plain-zip.pt        a zip that holds no TorchScript
  threshold.pt        a genuine archive (also given as a sample file)

and archives whose code/ records were edited into class bodies that
torch.jit.save never writes, which LibTorch's importer reads out of bounds on
(undefined behaviour; a segfault under AddressSanitizer):

  class-constant-without-type.pt   `__pirameters__ = []` in a module
  hook-without-def.pt              a listed forward hook without its method
  namedtuple-field-without-type.pt a NamedTuple field `x = 1`
  enum-member-without-value.pt     an Enum member `RED : int`

and archives whose code's debug information (`.debug_pkl`) LibTorch would
read out of bounds when it looks up a node's original source range:

  debug-info-index-out-of-range.pt a string table index past the table
"""
import enum
import os
import pickle
import random
import sys
import zipfile
from typing import NamedTuple

import torch
import torch.jit._pickle


class Threshold(torch.nn.Module):
    def forward(self, x):
        if bool(x.sum() > 2.0):
            return x + 1
        return x - 1


class Pair(NamedTuple):
    x: torch.Tensor
    y: torch.Tensor


class Split(torch.nn.Module):
    def forward(self, x) -> Pair:
        return Pair(x + 1, x - 1)


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Paint(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.color = Color.RED

    def forward(self, x):
        if self.color == Color.GREEN:
            return x + 1
        return x


def save(module, path):
    torch.jit.save(torch.jit.script(module), path)


def edit(source, target, record, old, new):
    """Copies the archive `source` to `target` with `old` replaced by `new`
    (once) in the record whose name ends with `record`."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        found = False
        for entry in zin.infolist():
            data = zin.read(entry)
            if entry.filename.endswith(record):
                text = data.decode()
                if old not in text:
                    sys.exit(f"bad_archives.py: {old!r} not in {entry.filename}:\n{text}")
                data = text.replace(old, new, 1).encode()
                found = True
            zout.writestr(entry, data)
        if not found:
            sys.exit(f"bad_archives.py: no record {record} in {source}")


class IntList:
    """Pickles as TorchScript's List[int] (torch.jit._pickle.build_intlist)."""

    def __init__(self, values):
        self.values = values

    def __reduce__(self):
        return (torch.jit._pickle.build_intlist, (self.values,))


def debug_info(texts, lines, start, end):
    """A .debug_pkl in the string-table format with one source range: the
    source made of the `texts` entries `lines`, from `start` to `end`."""
    source = (IntList(lines), 0, 1)
    record = (0, (source, start, end), -1)
    return pickle.dumps(("FORMAT_WITH_STRING_TABLE", tuple(texts), (record,)), protocol=2)


def replace_record(source, target, record, data):
    """Copies the archive `source` to `target` with the record whose name
    ends with `record` holding `data`."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for entry in zin.infolist():
            zout.writestr(entry, data if entry.filename.endswith(record)
                          else zin.read(entry))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(7)
    noise = bytes(rng.randrange(256) for _ in range(4096))
    with open(os.path.join(out, "random.bin"), "wb") as f:
        f.write(b"\x13\x37" + noise)
    with open(os.path.join(out, "random-zip-magic.pt"), "wb") as f:
        f.write(b"PK\x03\x04" + noise)

    threshold = os.path.join(out, "threshold.pt")
    save(Threshold(), threshold)
    with open(threshold, "rb") as f:
        whole = f.read()
    with open(os.path.join(out, "truncated.pt"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    with zipfile.ZipFile(os.path.join(out, "plain-zip.pt"), "w") as z:
        z.writestr("notes/readme.txt", "not a model\n")

    edit(threshold, os.path.join(out, "class-constant-without-type.pt"),
         "code/__torch__.py", "  __parameters__ = []\n",
         "  __parameters__ = []\n  __pirameters__ = []\n")
    edit(threshold, os.path.join(out, "hook-without-def.pt"),
         "code/__torch__.py", "  __buffers__ = []\n",
         '  __buffers__ = []\n  __forward_hooks__ = ["missing_hook", ]\n')

    replace_record(threshold, os.path.join(out, "debug-info-index-out-of-range.pt"),
                   ".debug_pkl", debug_info(["", "x = 1"], [1, 7], 0, 1))

    split = os.path.join(out, "split.pt")
    save(Split(), split)
    edit(split, os.path.join(out, "namedtuple-field-without-type.pt"),
         ".py", "  y : Tensor\n", "  y = 1\n")

    paint = os.path.join(out, "paint.pt")
    save(Paint(), paint)
    edit(paint, os.path.join(out, "enum-member-without-value.pt"),
         ".py", "  GREEN = 2\n", "  GREEN : int\n")


if __name__ == "__main__":
    main()
