#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check that a dump holds the page state the live capture printed, with drgn (a reader
independent of powner): for every record of the capture, page->flags in the dump must equal
the Flags value printed live.

The one change tolerated is a slab page joining or leaving its node's partial list (PG_workingset,
SLUB's SL_partial) between the last read and the crash: read_page_owner() itself allocates its
buffer from kmalloc-4k, so reading moves kmalloc slabs on and off their partial lists, and no
dump can show the state a reader saw. Such pages are listed in OUT (JSON: pfn, live and dump
flags) for the parity tests; any other difference makes the fixture unusable (exit 1).

usage: verify-dump.py VMCORE VMLINUX CAPTURE OUT    (/usr/bin/python3 with python3-drgn)"""
import json
import re
import sys

import drgn
from drgn.helpers.linux.mm import pfn_to_page

def main(vmcore, vmlinux, capture, out):
    prog = drgn.Program()
    prog.set_core_dump(vmcore)
    prog.load_debug_info([vmlinux])
    workingset = 1 << prog.constant("PG_workingset").value_()
    with open(capture, errors="replace") as f:
        text = f.read()
    checked, changed, bad = 0, [], 0
    for rec in text.split("\n\n"):
        m = re.search(r"^PFN (0x[0-9a-f]+|\d+) .* Flags (0x[0-9a-f]+)\(", rec, re.M)
        if not m:
            continue
        pfn, want = int(m.group(1), 0), int(m.group(2), 16)
        flags = pfn_to_page(prog, pfn).flags
        try:
            got = flags.f.value_()  # 7.2+: memdesc_flags_t
        except (AttributeError, LookupError):
            got = flags.value_()
        checked += 1
        if got == want:
            continue
        slab = "allocate_slab+" in rec
        if slab and got ^ want == workingset:
            changed.append({"pfn": pfn, "live_flags": want, "dump_flags": got})
        else:
            bad += 1
            print(f"pfn {pfn:#x}: live Flags {want:#x}, dump {got:#x}", file=sys.stderr)
    with open(out, "w") as f:
        json.dump(changed, f, indent=1)
    print(f"verify-dump: {checked} records; {len(changed)} slab pages moved on or off their "
          f"partial list after the capture; {bad} other changes")
    return 1 if bad or not checked else 0

if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
