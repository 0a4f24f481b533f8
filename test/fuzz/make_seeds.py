# Writes the binary seeds of the fuzz corpus (test/fuzz/corpus/): two small
# TorchScript archives for ArchiveFuzzer, as they are and as records
# ("NAME\nCONTENT" separated by "\n%%%%\n", see ArchiveFuzzer.cpp), and two
# torch.save files for SampleSpecFuzzer (prefixed with '1', the byte that
# picks the file path); and one of each whose tensor record is cut short
# (test/tools/short-storage.test).
# The text seeds are written by hand. Run: /usr/bin/python3 test/fuzz/make_seeds.py
import os
import sys
import tempfile
import zipfile
from typing import List

import torch

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools", "Inputs"))
from short_storage import cut_record  # noqa: E402


class Threshold(torch.nn.Module):
    def forward(self, x):
        if bool(x.sum() > 2.0):
            return x + 1
        return x - 1


class LoopList(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(2))

    def forward(self, x, n: int):
        ys: List[torch.Tensor] = []
        for i in range(n):
            if i % 2 == 0:
                ys.append(x * self.w)
            else:
                ys.append(x)
        return torch.stack(ys)


def cut_in_place(path, suffix):
    """Cuts the record of the zip `path` ending in `suffix` to 4 bytes."""
    with tempfile.TemporaryDirectory() as folder:
        whole = os.path.join(folder, "whole.pt")
        os.replace(path, whole)
        cut_record(whole, path, suffix, keep=4)


def save_sample(name, value, cut=None):
    path = os.path.join(here, "SampleSpecFuzzer", name)
    torch.save(value, path)
    if cut:
        cut_in_place(path, cut)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(b"1" + data)


def save_archive(name, module, cut=None):
    path = os.path.join(here, "ArchiveFuzzer", name + ".pt")
    torch.jit.save(torch.jit.script(module), path)
    if cut:
        cut_in_place(path, cut)
    records = []
    with zipfile.ZipFile(path) as archive:
        for entry in archive.namelist():
            inner = entry.split("/", 1)[1]
            if inner != "version":
                records.append(inner.encode() + b"\n" + archive.read(entry))
    with open(os.path.join(here, "ArchiveFuzzer", name + ".records"), "wb") as f:
        f.write(b"\n%%%%\n".join(records))


if __name__ == "__main__":
    save_archive("threshold", Threshold())
    save_archive("loop-list", LoopList())
    save_sample("torch-save-tuple", (torch.ones(2), 3, [1.5], None))
    save_sample("torch-save-list-dict", [{"a": torch.arange(3)}])
    save_archive("short-parameter", LoopList(), cut="/data/0")
    save_sample("torch-save-short-storage", (torch.ones(8),), cut="/data/0")
