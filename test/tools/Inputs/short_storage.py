# Writes files whose tensor records are shorter than their tensors: a
# torch.save file or a TorchScript archive copied record by record, with one
# tensor record (`archive/data/0`, `NAME/constants/0`, ...) cut to a few bytes.
# The pickles still claim the full storage, as LibTorch trusts them to.
#
#   short_storage.py OUT_DIR
#
# writes into OUT_DIR:
#   sample.pt           torch.save(torch.ones(1000)), data/0 cut to 16 bytes
#   sample-view.pt      torch.save(torch.ones(1000)[:2]), data/0 cut to 16
#                       bytes: the view fits, its storage does not
#   sample-ok.pt        torch.save(torch.ones(1000)), untouched
#   parameter.pt        a scripted module with a parameter of 1000 floats,
#                       data/0 cut to 16 bytes
#   constant.pt         the same module frozen (the parameter becomes a
#                       constant of the code, constants/0), cut to 16 bytes
import os
import sys
import zipfile

import torch


class Scale(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(1000))

    def forward(self, x):
        return x * self.w


def cut_record(source, target, suffix, keep=16):
    """Copies the zip `source` to `target`, the record ending in `suffix` cut
    to `keep` bytes."""
    cut = 0
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename.endswith(suffix):
                data = data[:keep]
                cut += 1
            new.writestr(info.filename, data, compress_type=zipfile.ZIP_STORED)
    if cut != 1:
        sys.exit(f"short_storage.py: {cut} records of {source} end in {suffix}")


def main():
    out = sys.argv[1]
    whole = os.path.join(out, "whole.pt")
    torch.save(torch.ones(1000), os.path.join(out, "sample-ok.pt"))
    torch.save(torch.ones(1000), whole)
    cut_record(whole, os.path.join(out, "sample.pt"), "/data/0")
    torch.save(torch.ones(1000)[:2], whole)
    cut_record(whole, os.path.join(out, "sample-view.pt"), "/data/0")

    scripted = torch.jit.script(Scale())
    scripted.save(whole)
    cut_record(whole, os.path.join(out, "parameter.pt"), "/data/0")
    torch.jit.freeze(scripted.eval()).save(whole)
    cut_record(whole, os.path.join(out, "constant.pt"), "/constants/0")
    os.remove(whole)


if __name__ == "__main__":
    main()
