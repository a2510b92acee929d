#!/usr/bin/env python3
"""Lists the CUDA fat binaries embedded in a file (a cuda model.so).

    python3 scripts/fatbin_contents.py model.so

One line per image: `<n> <kind> sm_<arch> <bytes>[ compressed]`, kind `elf`
(a cubin) or `ptx`, then for each cubin the kernels it defines. The container
is NVIDIA's fatbin format: a 16-byte header (magic 0xBA55ED50, version,
header size, size of what follows), then images, each a header (kind 1 = PTX,
2 = ELF, the header's size, the payload's size, the target architecture at
byte 28) and its payload.
"""
import re
import struct
import sys

MAGIC = struct.pack("<I", 0xBA55ED50)
KINDS = {1: "ptx", 2: "elf"}


def images(data):
    start = data.find(MAGIC)
    while start != -1:
        _, _, header_size, size = struct.unpack_from("<IHHQ", data, start)
        at, end = start + header_size, start + header_size + size
        while at < end:
            kind, _, image_header, payload, compressed = struct.unpack_from(
                "<HHIQI", data, at)
            arch, = struct.unpack_from("<I", data, at + 28)
            body = data[at + image_header:at + image_header + payload]
            yield KINDS.get(kind, f"kind{kind}"), arch, payload, compressed, body
            at += image_header + payload
        start = data.find(MAGIC, end)


def kernels(cubin):
    # A cubin names each kernel's code section .text.<kernel>.
    return sorted(set(m.decode() for m in re.findall(rb"\.text\.([A-Za-z_][\w$]*)", cubin)))


def main():
    data = open(sys.argv[1], "rb").read()
    count = 0
    for index, (kind, arch, size, compressed, body) in enumerate(images(data)):
        count += 1
        print(f"{index} {kind} sm_{arch} {size}{' compressed' if compressed else ''}")
        if kind == "elf":
            for name in kernels(body):
                print(f"  kernel {name}")
    if not count:
        sys.exit(f"{sys.argv[1]}: no fatbin found")


if __name__ == "__main__":
    main()
