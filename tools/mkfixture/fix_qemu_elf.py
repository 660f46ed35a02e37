#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Make a QEMU 7.2 dump-guest-memory ELF readable by makedumpfile, in place.

QEMU 7.2 puts the section headers right after the ELF header and the program headers
after them (with e_ehsize 8); makedumpfile expects the program headers at offset 64.
Move them there and drop the section headers, which carry nothing makedumpfile needs.
usage: fix_qemu_elf.py FILE"""
import struct
import sys

EHDR = "<HHIQQQIHHHHHH"

def main(path):
    with open(path, "r+b") as f:
        head = bytearray(f.read(64))
        if head[:4] != b"\x7fELF" or head[4] != 2:
            sys.exit(f"{path}: not a 64-bit ELF file")
        (etype, machine, version, entry, phoff, _shoff, flags, ehsize,
         phentsize, phnum, _shentsize, _shnum, _shstrndx) = struct.unpack_from(EHDR, head, 16)
        if phoff == 64 and ehsize == 64:
            return
        f.seek(phoff)
        phdrs = f.read(phentsize * phnum)
        first_data = min(struct.unpack_from("<Q", phdrs, i * phentsize + 8)[0] for i in range(phnum))
        if 64 + len(phdrs) > first_data:
            sys.exit(f"{path}: no room for the program headers at offset 64")
        struct.pack_into(EHDR, head, 16, etype, machine, version, entry, 64, 0, flags, 64,
                         phentsize, phnum, 0, 0, 0)
        f.seek(0)
        f.write(head + phdrs + bytes(first_data - 64 - len(phdrs)))

if __name__ == "__main__":
    main(sys.argv[1])
