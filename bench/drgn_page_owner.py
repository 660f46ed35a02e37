#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A peer for the benchmark: page_owner read with plain drgn, as a drgn user would write it.

usage: drgn_page_owner.py -c VMCORE -s VMLINUX [-o FILE] [--pfns N] [--memo-symbols]

For every pfn from min_low_pfn to max_pfn: pfn_to_page(), the page_ext through mem_section
(page_ext + page_ext_size * pfn, page_owner at page_owner_ops.offset), the flags, the struct
page_owner's fields as drgn objects, and for each allocated record its stack: the stack depot
handle looked up by hand (this drgn has no stackdepot helper) and every frame symbolized with
prog.symbol(). The text is page_owner-like, not the kernel's byte for byte (no gfp or page flag
names, no migrate types or memcg lines).

--memo-symbols keeps each address's text, the one shortcut a user would add after seeing
prog.symbol() cost a millisecond (this drgn searches the symbol table on every call).
--pfns N stops after N pfns, for a sample of a large dump. The last line on stderr gives the
pfns, records and frames done, the seconds spent in the walk (set-up excluded) and the set-up's
seconds, for whoever extrapolates."""
import argparse
import functools
import sys
import time

import drgn
from drgn import Object, reinterpret
from drgn.helpers.linux.mm import pfn_to_page

PAGE_EXT_OWNER = 0
PAGE_EXT_OWNER_ALLOCATED = 1
PAGE_EXT_INVALID = 0x1


def vmcoreinfo_number(prog, key, default):
    """NUMBER(key)= or SIZE/OFFSET-less key= from the dumped kernel's vmcoreinfo_data."""
    try:
        text = prog["vmcoreinfo_data"].string_().decode(errors="replace")
    except (KeyError, drgn.FaultError):
        return default
    for line in text.splitlines():
        for prefix in (f"NUMBER({key})=", f"{key}="):
            if line.startswith(prefix):
                return int(line[len(prefix):], 0)
    return default


class StackDepot:
    """handle -> frames, the way lib/stackdepot.c's depot_fetch_stack() does it."""

    def __init__(self, prog):
        self.prog = prog
        parts = prog.type("union handle_parts")
        names = {m.name for m in parts.members[1].type.members}
        self.index_name = next(n for n in ("pool_index_plus_1", "pool_index", "slabindex")
                               if n in names)
        self.plus_1 = self.index_name == "pool_index_plus_1"
        try:
            self.pools = prog["stack_pools"]  # an array up to 6.16, a pointer since
            self.count = prog["pools_num"].value_()
        except KeyError:
            self.pools = prog["stack_slabs"]
            self.count = prog["depot_index"].value_() + 1
        self.record_type = prog.type("struct stack_record")
        self.refcounted = any(m.name == "count" for m in self.record_type.members)

    def frames(self, handle_obj):
        parts = reinterpret("union handle_parts", handle_obj)
        index = getattr(parts, self.index_name).value_() - (1 if self.plus_1 else 0)
        offset = parts.offset.value_() << 4  # DEPOT_STACK_ALIGN
        if index < 0 or index >= self.count:
            return []
        pool = self.pools[index].value_()
        if not pool:
            return []
        record = Object(self.prog, self.record_type, address=pool + offset)
        if self.refcounted and record.count.refs.counter.value_() == 0:
            return []
        return [record.entries[i].value_() for i in range(record.size.value_())]


def symbolize(prog, address):
    try:
        sym = prog.symbol(address)
    except LookupError:
        return f" 0x{address:x}"
    return f" {sym.name}+0x{address - sym.address:x}/0x{sym.size:x}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-c", "--core", required=True)
    ap.add_argument("-s", "--symbols", required=True, help="the vmlinux")
    ap.add_argument("-o", "--output", help="output file (default: standard output)")
    ap.add_argument("--pfns", type=int, default=0, help="stop after this many pfns")
    ap.add_argument("--memo-symbols", action="store_true",
                    help="symbolize each address once (prog.symbol() searches on every call)")
    args = ap.parse_args()

    start = time.monotonic()
    prog = drgn.Program()
    prog.set_core_dump(args.core)
    prog.load_debug_info([args.symbols])

    page_shift = prog["PAGE_SHIFT"].value_()
    section_shift = vmcoreinfo_number(prog, "SECTION_SIZE_LOG", 27) - page_shift
    mem_section = prog["mem_section"]
    per_root = (1 << page_shift) // prog.type("struct mem_section").size
    page_ext_size = prog["page_ext_size"].value_()
    owner_offset = prog["page_owner_ops"].offset.value_()
    page_ext_type = prog.type("struct page_ext")
    owner_type = prog.type("struct page_owner")
    # 6.1 prints free_ts; 6.12+ (which added free_pid) do not.
    names = {m.name for m in owner_type.members}
    has_free_ts = "free_ts_nsec" in names and "free_pid" not in names
    try:
        never = prog.constant("MR_NEVER").value_()  # 7.3; -1 before
    except LookupError:
        never = -1
    # memdesc_flags_t, a struct around the word, since 6.18.
    flags_type = prog.type("struct page").member("flags").type
    while flags_type.kind == drgn.TypeKind.TYPEDEF:
        flags_type = flags_type.type
    flags_wrapped = flags_type.kind == drgn.TypeKind.STRUCT
    reasons = prog["migrate_reason_names"]
    depot = StackDepot(prog)
    first = prog["min_low_pfn"].value_()
    last = prog["max_pfn"].value_()
    if args.pfns:
        last = min(last, first + args.pfns)

    frame_text = functools.partial(symbolize, prog)
    if args.memo_symbols:
        frame_text = functools.cache(frame_text)
    out = open(args.output, "w") if args.output else sys.stdout
    walk = time.monotonic()
    records = frames = 0
    for pfn in range(first, last):
        page = pfn_to_page(prog, pfn)
        nr = pfn >> section_shift
        root = mem_section[nr // per_root]
        if not root:
            continue
        base = root[nr % per_root].page_ext.value_()
        if not base or base & PAGE_EXT_INVALID:
            continue
        ext = Object(prog, page_ext_type, address=base + page_ext_size * pfn)
        flags = ext.flags.value_()
        if not flags & (1 << PAGE_EXT_OWNER) or not flags & (1 << PAGE_EXT_OWNER_ALLOCATED):
            continue
        po = Object(prog, owner_type, address=ext.address_ + owner_offset)
        order = po.order.value_()
        if pfn & ((1 << order) - 1):
            continue
        if not po.handle:
            continue
        free_ts = f", free_ts {po.free_ts_nsec.value_()} ns" if has_free_ts else ""
        page_flags = page.flags.f if flags_wrapped else page.flags
        lines = [
            f"Page allocated via order {order}, mask {po.gfp_mask.value_():#x}, "
            f"pid {po.pid.value_()}, tgid {po.tgid.value_()} "
            f"({po.comm.string_().decode(errors='replace')}), ts {po.ts_nsec.value_()} ns"
            f"{free_ts}",
            f"PFN 0x{pfn:x} Flags {page_flags.value_():#x}",
        ]
        stack = depot.frames(po.handle)
        lines.extend(frame_text(address) for address in stack)
        reason = po.last_migrate_reason.value_()
        if reason != never and reason >= 0:
            lines.append("Page has been migrated, last migrate reason: "
                         f"{reasons[reason].string_().decode()}")
        out.write("\n".join(lines) + "\n\n")
        records += 1
        frames += len(stack)
    done = time.monotonic()
    if out is not sys.stdout:
        out.close()
    print(f"drgn_page_owner: {last - first} pfns, {records} records, {frames} frames, "
          f"walk {done - walk:.3f} s, set-up {walk - start:.3f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
