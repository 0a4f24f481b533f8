# Writes files whose tensor record claims 3.75 GiB once inflated: a
# torch.save file and a scripted module's archive, copied record by record,
# `data/0` deflated and its uncompressed size (in the local header and the
# central directory) raised. Reading it allocates that size first.
#
#   huge_records.py OUT_DIR      writes OUT_DIR/sample.pt, OUT_DIR/model.pt
import os
import struct
import sys
import zipfile

import torch

from short_storage import Scale  # a module with a parameter, beside this file

CLAIMED = 0xF0000000


def inflate_claim(source, target, suffix="/data/0"):
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            method = zipfile.ZIP_DEFLATED if info.filename.endswith(suffix) else zipfile.ZIP_STORED
            new.writestr(info.filename, old.read(info), compress_type=method)
    data = bytearray(open(target, "rb").read())
    name = next(n for n in zipfile.ZipFile(target).namelist() if n.endswith(suffix)).encode()
    # Local file header (PK\3\4): uncompressed size at 22; central directory
    # header (PK\1\2): at 24. Each is followed by the name (at 30 and 46).
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while True:
            start = data.find(signature, start)
            if start < 0:
                sys.exit(f"huge_records.py: no {signature!r} header for {name!r}")
            if data[start + name_at:start + name_at + len(name)] == name:
                struct.pack_into("<I", data, start + size_at, CLAIMED)
                break
            start += 1
    open(target, "wb").write(data)


def main():
    out = sys.argv[1]
    plain = os.path.join(out, "plain.pt")
    torch.save(torch.ones(4), plain)
    inflate_claim(plain, os.path.join(out, "sample.pt"))
    torch.jit.script(Scale()).save(plain)
    inflate_claim(plain, os.path.join(out, "model.pt"))
    os.remove(plain)


if __name__ == "__main__":
    main()
