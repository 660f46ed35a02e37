#!/usr/bin/env python3
"""Check that a dump holds the page state the live capture printed, with drgn (a reader
independent of powner): for every record of the capture, page->flags in the dump must equal
the Flags value printed live. A page whose state changed between the last read and the crash
(a slab page moving on or off its partial list, say) makes the fixture unusable.

usage: verify-dump.py VMCORE VMLINUX CAPTURE    (Debian's /usr/bin/python3 with python3-drgn)"""
import re
import sys

import drgn
from drgn.helpers.linux.mm import pfn_to_page

def main(vmcore, vmlinux, capture):
    prog = drgn.Program()
    prog.set_core_dump(vmcore)
    prog.load_debug_info([vmlinux])
    line = re.compile(r"^PFN (0x[0-9a-f]+|\d+) .* Flags (0x[0-9a-f]+)\(", re.M)
    with open(capture, errors="replace") as f:
        text = f.read()
    checked = bad = 0
    for m in line.finditer(text):
        pfn = int(m.group(1), 0)
        want = int(m.group(2), 16)
        flags = pfn_to_page(prog, pfn).flags
        try:
            got = flags.f.value_()  # 7.2+: memdesc_flags_t
        except (AttributeError, LookupError):
            got = flags.value_()
        checked += 1
        if got != want:
            bad += 1
            if bad <= 5:
                print(f"pfn {pfn:#x}: live Flags {want:#x}, dump {got:#x}", file=sys.stderr)
    print(f"verify-dump: {checked} records, {bad} with page flags that changed before the dump")
    return 1 if bad or not checked else 0

if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
