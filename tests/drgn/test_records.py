#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The drgn plugin's record API against the text and against drgn's own reading of the dump.

- records(prog) and records(prog, nid=N) hold exactly the records of the live kernel's
  stack_handle captures, field for field: pfn, order, gfp_mask, pid, tgid, comm, ts_nsec,
  handle and the stack's symbols (fewer records only when the dump lacks pages, as warned).
  A kernel that prints no pid, tgid, comm or ts (5.10: its struct page_owner has none) gives
  None for them.
- every stack's addresses are what drgn finds by following the handle through the kernel's
  own structures (union handle_parts, stack_pools, struct stack_record).
- page_owner_of() agrees with records() for every record, and with drgn's reading of
  mem_section, page_ext and struct page_owner for a spread of PFNs, allocated, freed or never
  set, free stacks included (a field struct page_owner lacks is None); given a struct page, a
  pointer to one, a PFN or a physical address in the page, it answers alike.

The program is opened with drgn alone: the plugin finds the dump file itself.

usage: test_records.py FIXTURE_DIR DUMP"""
import os
import re
import sys
import warnings

import drgn
from drgn import cast
from drgn.helpers.linux.mm import pfn_to_page

from powner.drgn import SkippedPagesWarning, page_owner_of, records

from fixture import Failures, load_vmlinux, read_vmcoreinfo

# 5.10 prints only the order and the mask.
HEADER = re.compile(r"Page allocated via order (\d+), mask (0x[0-9a-f]+)\(.*\)(?:, pid (-?\d+), "
                    r"tgid (-?\d+) \((.*)\), ts (\d+) ns(?:, free_ts \d+ ns)?)?")
PFN = re.compile(r"PFN (0x[0-9a-f]+|\d+) ")
DEPOT_STACK_ALIGN = 4  # lib/stackdepot.c
OBJECT_PFN_STEP = 97  # PFNs compared with drgn's own reading: a prime stride over all memory


def parse_capture(path):
    """pfn -> (order, gfp_mask, pid, tgid, comm, ts_nsec, handle or None, [symbol, ...]);
    pid, tgid, comm and ts_nsec are None when the header has none."""
    with open(path, "rb") as f:
        text = f.read().decode(errors="backslashreplace")
    out = {}
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if not lines[0]:
            continue
        header, pfn = HEADER.fullmatch(lines[0]), PFN.match(lines[1])
        order, mask, pid, tgid, comm, ts = header.groups()
        stack = [line[1:] for line in lines[2:] if line.startswith(" ")]
        handle = next((int(line[8:]) for line in lines if line.startswith("handle: ")), None)
        pid, tgid, ts = (None if n is None else int(n) for n in (pid, tgid, ts))
        out[int(pfn.group(1), 0)] = (int(order), int(mask, 16), pid, tgid, comm, ts, handle,
                                     stack)
    return out


def check_records(prog, capture, nid, fail):
    want = parse_capture(capture)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = {r.pfn: r for r in records(prog, nid=nid)}
    skipped = sum(int(n) for w in caught if issubclass(w.category, SkippedPagesWarning)
                  for n in re.findall(r"(\d+) [a-z]", str(w.message)))
    label = os.path.basename(capture)
    for pfn in got.keys() - want.keys():
        fail(f"{label}: records() has PFN {pfn:#x}, the kernel printed no such record")
    missing = want.keys() - got.keys()
    if len(missing) > skipped:
        fail(f"{label}: records() lacks {len(missing)} records, {skipped} skipped pages reported")
    for pfn in want.keys() & got.keys():
        r = got[pfn]
        handle = r.handle if want[pfn][6] is not None else None  # printed in stack_handle mode
        fields = (r.order, r.gfp_mask, r.pid, r.tgid, r.comm, r.ts_nsec, handle,
                  [symbol for _, symbol in r.stack])
        if fields != want[pfn]:
            fail(f"{label}: PFN {pfn:#x}: records() {fields} != text {want[pfn]}")
    print(f"{label}: {len(got)} records, {len(want.keys() & got.keys())} identical to the text, "
          f"{len(missing)} lacking ({skipped} skipped pages reported)")
    return got


def has_member(type_, name):
    try:
        type_.member(name)
        return True
    except LookupError:
        return False


def depot_entries(prog, handle):
    """The frames of a stack depot handle, through drgn's objects: pool_index_plus_1 and
    stack_pools (6.12+), or slabindex and stack_slabs (6.1)."""
    if not handle:
        return []
    parts = drgn.Object(prog, "union handle_parts", value={"handle": handle})
    if has_member(parts.type_, "pool_index_plus_1"):
        pool = prog.variable("stack_pools", "lib/stackdepot.c")[parts.pool_index_plus_1 - 1]
    else:
        pool = prog.variable("stack_slabs", "lib/stackdepot.c")[parts.slabindex]
    record = cast("struct stack_record *",
                  cast("char *", pool) + (parts.offset.value_() << DEPOT_STACK_ALIGN))
    if has_member(record.type_.type, "count") and record.count.refs.counter.value_() == 0:
        return []  # stack_depot_fetch() returns nothing after the last stack_depot_put()
    return [record.entries[i].value_() for i in range(record.size.value_())]


def check_stacks(prog, stacks, fail):
    """stacks: handle -> the addresses a record gave for it."""
    for handle, addresses in stacks.items():
        expected = depot_entries(prog, handle)
        if addresses != expected:
            fail(f"stack of handle {handle}: {addresses} != drgn's {expected}")
    print(f"{len(stacks)} stacks: addresses as drgn decodes their handles")


class PageExtOracle:
    """A page's page_owner as drgn reads it through the kernel's types (SPARSEMEM_EXTREME)."""

    def __init__(self, prog, vmcoreinfo):
        self.prog = prog
        info = dict(line.split("=", 1) for line in vmcoreinfo.splitlines() if "=" in line)
        self.page_size = int(info["PAGESIZE"])
        page_shift = self.page_size.bit_length() - 1
        self.section_shift = int(info["NUMBER(SECTION_SIZE_BITS)"]) - page_shift
        self.per_root = self.page_size // drgn.sizeof(prog.type("struct mem_section"))
        self.nr_mem_sections = 1 << (int(info["NUMBER(MAX_PHYSMEM_BITS)"]) -
                                     int(info["NUMBER(SECTION_SIZE_BITS)"]))
        self.page_ext_size = prog["page_ext_size"].value_()
        self.owner_offset = prog["page_owner_ops"].offset.value_()
        self.owner_bit = prog.constant("PAGE_EXT_OWNER").value_()
        self.allocated_bit = prog.constant("PAGE_EXT_OWNER_ALLOCATED").value_()
        try:
            self.never = prog.constant("MR_NEVER").value_()
        except LookupError:
            self.never = -1  # before 7.3

    def __call__(self, pfn):
        """None, or (allocated, order, gfp_mask, pid, tgid, comm, ts, handle, free_handle,
        free_pid, free_tgid, free_ts, migrated)."""
        nr = pfn >> self.section_shift
        root = self.prog["mem_section"][nr // self.per_root]
        if not root:
            return None
        section = root[nr % self.per_root]
        base = section.page_ext.value_()
        if not base or base & 1:  # PAGE_EXT_INVALID
            return None
        ext = base + self.page_ext_size * pfn
        flags = drgn.Object(self.prog, "unsigned long", address=ext).value_()
        if not flags >> self.owner_bit & 1:
            return None
        po = drgn.Object(self.prog, "struct page_owner", address=ext + self.owner_offset)

        def member(name):  # None: this kernel's struct page_owner lacks it (5.10: pid to ts)
            return po.member_(name).value_() if has_member(po.type_, name) else None

        comm = po.comm.string_().decode(errors="backslashreplace") \
            if has_member(po.type_, "comm") else None
        return (bool(flags >> self.allocated_bit & 1), po.order.value_(), po.gfp_mask.value_(),
                member("pid"), member("tgid"), comm, member("ts_nsec"),
                po.handle.value_(), po.free_handle.value_(),
                member("free_pid"), member("free_tgid"), member("free_ts_nsec"),
                po.last_migrate_reason.value_() != self.never)


def owner_fields(r):
    return (r.allocated, r.order, r.gfp_mask, r.pid, r.tgid, r.comm, r.ts_nsec, r.handle,
            r.free_handle, r.free_pid, r.free_tgid, r.free_ts_nsec,
            r.last_migrate_reason is not None)


def each_way(prog, pfn, page_size):
    """page_owner_of() of a PFN's page given each way it takes one."""
    page = pfn_to_page(prog, pfn)
    return [page_owner_of(page), page_owner_of(page[0]), page_owner_of(prog, pfn),
            page_owner_of(prog, phys=pfn * page_size + (pfn * 37) % page_size)]


def check_page_owner_of(prog, oracle, all_records, max_pfn, stacks, fail):
    for pfn, r in all_records.items():
        for way, one in enumerate(each_way(prog, pfn, oracle.page_size)):
            if one != r:
                fail(f"page_owner_of(PFN {pfn:#x}) (way {way}) = {one} != records()' {r}")
    counts = {"allocated": 0, "freed": 0, "none": 0}
    for pfn in range(0, max_pfn, OBJECT_PFN_STEP):
        try:
            want = oracle(pfn)
        except drgn.FaultError:
            continue  # not in the dump: nothing to compare with
        got, *others = each_way(prog, pfn, oracle.page_size)
        if (got and owner_fields(got)) != want or others != [got] * len(others):
            fail(f"page_owner_of(PFN {pfn:#x}) = {got} (other ways {others}), drgn reads {want}")
            continue
        counts["none" if got is None else "allocated" if got.allocated else "freed"] += 1
        if got is not None:
            stacks[got.handle] = [a for a, _ in got.stack]
            stacks[got.free_handle] = [a for a, _ in got.free_stack]
    beyond = (oracle.nr_mem_sections << oracle.section_shift) + 5
    for args, kwargs in [((prog,), {}), ((prog, 1), {"phys": 4096}), ((prog, "1"), {}),
                         ((pfn_to_page(prog, 0), 0), {})]:
        try:
            page_owner_of(*args, **kwargs)
            fail(f"page_owner_of({args}, {kwargs}) must raise TypeError")
        except TypeError:
            pass
    if page_owner_of(prog, beyond) is not None:
        fail(f"page_owner_of(prog, {beyond:#x}), a PFN without a memory section, is not None")
    print(f"page_owner_of: {len(all_records)} records as records() has them; "
          f"every {OBJECT_PFN_STEP}th PFN as drgn reads it: {counts}")
    if not counts["freed"] or not counts["allocated"] or not counts["none"]:
        fail(f"the PFNs compared lack a kind of page: {counts}")


def main(argv):
    fixture, dump = argv[1], argv[2]
    vmcore = os.path.join(fixture, dump)
    prog = drgn.Program()
    prog.set_core_dump(vmcore)
    load_vmlinux(prog, os.path.join(fixture, "vmlinux"))
    fail = Failures()
    captures = os.path.join(fixture, "captures")

    # With handles where the kernel prints them (7.3, or an LTS kernel with the filter series).
    whole = os.path.join(captures, "page_owner.mode-stack_handle.txt")
    if not os.path.exists(whole):
        whole = os.path.join(captures, "page_owner.txt")
    all_records = check_records(prog, whole, None, fail)
    for name in sorted(os.listdir(captures)):
        m = re.fullmatch(r"page_owner\.mode-stack_handle\.nid-(\d+)\.txt", name)
        if m:
            check_records(prog, os.path.join(captures, name), int(m.group(1)), fail)

    stacks = {r.handle: [a for a, _ in r.stack] for r in all_records.values()}
    oracle = PageExtOracle(prog, read_vmcoreinfo(vmcore))
    check_page_owner_of(prog, oracle, all_records, prog["max_pfn"].value_(), stacks, fail)
    check_stacks(prog, stacks, fail)

    print(f"{'FAILED' if fail.count else 'passed'}: {fail.count} failures")
    return 1 if fail.count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
