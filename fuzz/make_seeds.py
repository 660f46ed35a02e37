#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the fuzzers' seed corpora (fuzz/corpus/<target>/). Run by hand when a harness's input
format changes; the seeds are committed.

usage: make_seeds.py CORPUS_DIR [ELF_DUMP]
ELF_DUMP, a kdump ELF of a real kernel (tests/vmcores/7.3/numa2/vmcore.d31.elf.xz, unpacked),
is where the kdump_file seeds are cut from: a few bytes of the pages that hold what the
harness reads, and the page-table entries that map them, as a tiny ELF core, and the same
converted with makedumpfile to the kdump-compressed format (when makedumpfile is installed).
The other seeds are synthetic: each harness's comments give its input layout."""
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "damaged"))

K_TABLES = 0xffffffff82000000
K_TEXT = 0xffffffff81000000


def u8(v): return struct.pack("<B", v)
def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v & 0xffffffff)
def i32(v): return struct.pack("<i", v)
def u64(v): return struct.pack("<Q", v & 0xffffffffffffffff)
def chunk(b): return u16(len(b)) + b


def put(buf, at, data):
    if len(buf) < at + len(data):
        buf.extend(b"\0" * (at + len(data) - len(buf)))
    buf[at:at + len(data)] = data


def write(corpus, target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- stack_depot ------------------------------------------------------------------------------

def depot_record(size_off, handle_off, count_off, entries_off, handle, entries, count=5):
    rec = bytearray(entries_off + 8 * len(entries))
    put(rec, size_off, u32(len(entries)))
    put(rec, handle_off, u32(handle))
    if count_off is not None:
        put(rec, count_off, i32(count))
    for i, e in enumerate(entries):
        put(rec, entries_off + 8 * i, u64(e))
    return bytes(rec)


def stack_depot_seeds(corpus):
    pool_area = 0xffff888001000000
    for variant, name in ((0, "7.3"), (1, "6.1")):
        if variant == 0:  # pool_index_plus_1:17 offset:10
            layout = (20, 24, 28, 32)
            h0, h1 = 1 | (0 << 17), 1 | (0x10 << 17)
        else:  # slabindex:16 offset:10 valid:1
            layout = (12, 16, None, 24)
            h0, h1 = 0 | (0 << 16) | (1 << 26), 0 | (0x10 << 16) | (1 << 26)
        tile = bytearray(1024)
        put(tile, 0, depot_record(*layout, h0, [K_TEXT + 0x10, K_TEXT + 0x180, K_TEXT + 0x2000]))
        put(tile, 0x100, depot_record(*layout, h1, [K_TEXT + 0x200], count=70))
        # struct stack { stack_record, next } nodes: 0x200 -> 0x210 -> end
        put(tile, 0x200, u64(pool_area) + u64(pool_area + 0x210))
        put(tile, 0x210, u64(pool_area + 0x100) + u64(0))
        data = (u8(variant) + u32(2) + u64(0) + b"".join(u64(i + 1) for i in range(8)) +
                u32(h0) + u32(h1) + u32(0xffffffff) + u32(0) + u32(0x200 // 16) + bytes(tile))
        write(corpus, "stack_depot", f"records-{name}", data)
        write(corpus, "stack_depot", f"null-pool-{name}",
              data[:13] + u64(0) + data[21:])


# --- kallsyms ---------------------------------------------------------------------------------

SMALL_KERNEL = [
    ("T", "_stext", 0), ("T", "_text", 0), ("T", "startup_64", 0),
    ("T", "first_alias", 0x100), ("t", "second_alias", 0x100),
    ("t", "add_port.isra.0", 0x180), ("T", "add_port", 0x200), ("T", "last_text", 0x300),
    ("T", "_etext", 0x1000), ("D", "some_data", 0x2000), ("T", "__init_begin", 0x10000),
    ("T", "_sinittext", 0x10000), ("T", "init_fn", 0x10000), ("T", "_einittext", 0x10800),
    ("D", "__init_end", 0x12000), ("B", "last_bss", 0x20000), ("B", "_end", 0x21000),
]


def kallsyms_tables(syms, pc_relative=True):
    """scripts/kallsyms.c's tables (6.12+ order) with one-character tokens, at K_TABLES, and
    the VMCOREINFO that points at them."""
    mem = bytearray()
    def align4(v):
        return (v + 3) & ~3

    num_syms = 0
    put(mem, 0, u32(len(syms)))
    names = 4
    off, markers = 0, []
    for i, (typ, name, _) in enumerate(syms):
        if i % 256 == 0:
            markers.append(off)
        data = (typ + name).encode()
        enc = bytes([len(data)]) if len(data) < 0x80 else bytes([len(data) & 0x7f | 0x80,
                                                                  len(data) >> 7])
        put(mem, names + off, enc + data)
        off += len(enc) + len(data)
    at = align4(names + off)
    for m in markers:
        put(mem, at, u32(m))
        at += 4
    token_table = at
    index = []
    for t in range(256):
        index.append(at - token_table)
        tok = bytes([t, 0]) if t else b"\0"
        put(mem, at, tok)
        at += len(tok)
    at = align4(at)
    token_index = at
    put(mem, at, b"".join(u16(i) for i in index))
    at += 512
    offsets = at
    for _, _, addr in syms:
        a = K_TEXT + addr
        v = a - (K_TABLES + at) if pc_relative else a - K_TEXT
        put(mem, at, i32(v))
        at += 4
    info = (f"OSRELEASE=7.3.0\nSYMBOL(kallsyms_names)={K_TABLES + names:x}\n"
            f"SYMBOL(kallsyms_num_syms)={K_TABLES + num_syms:x}\n"
            f"SYMBOL(kallsyms_token_table)={K_TABLES + token_table:x}\n"
            f"SYMBOL(kallsyms_token_index)={K_TABLES + token_index:x}\n"
            f"SYMBOL(kallsyms_offsets)={K_TABLES + offsets:x}\nSYMBOL(_stext)={K_TEXT:x}\n")
    if not pc_relative:
        base = align4(at)
        put(mem, base, u64(K_TEXT))
        info += f"SYMBOL(kallsyms_relative_base)={K_TABLES + base:x}\n"
    return info.encode(), bytes(mem)


def kallsyms_seeds(corpus):
    for pc, name in ((True, "pc-relative"), (False, "base-relative")):
        info, mem = kallsyms_tables(SMALL_KERNEL, pc)
        write(corpus, "kallsyms", name, u64(0) + chunk(info) + mem)
    info, mem = kallsyms_tables(SMALL_KERNEL)
    write(corpus, "kallsyms", "missing-page", u64(1) + chunk(info) + mem)
    # more than 256 names: the markers matter
    many = [("T", "_stext", 0)] + [("t", f"fn_{i}", 0x10 * (i + 1)) for i in range(300)] + \
           [("T", "_etext", 0x4000), ("B", "_end", 0x8000)]
    info, mem = kallsyms_tables(many)
    write(corpus, "kallsyms", "markers", u64(0) + chunk(info) + mem)


# --- nodelist ---------------------------------------------------------------------------------

def nodelist_seeds(corpus):
    cases = ["0", "0-1", "0,1", "1", "0-7:2/4", "all", "N", "2", "1-0", "", ",", "0-", "9999",
             "4294967296", "mode=handle nid=0-1", "mode=stack_handle", "nid=0 mode=stack",
             "mode=", "nid=", "foo", "nid=0\nmode=handle", "nid=all", "nid=0-63:1/1"]
    for i, text in enumerate(cases):
        write(corpus, "nodelist", f"case-{i:02d}", u16(64) + u64(0b11) + text.encode())
    write(corpus, "nodelist", "no-nodes", u16(0) + u64(0) + b"0")
    write(corpus, "nodelist", "1024-nodes", u16(1024) + u64(~0) + b"0-1023:3/7")


# --- page_owner -------------------------------------------------------------------------------

K_MEMCG = 0xffff888003000000


def struct_page(flags, page_type=0xffffffff, private=0, memcg=0, compound=0):
    p = bytearray(64)
    put(p, 0, u64(flags))
    put(p, 8, u64(compound))
    put(p, 40, u64(private))
    put(p, 48, u32(page_type))
    put(p, 56, u64(memcg))
    return bytes(p)


def page_ext(allocated, order, handle, comm=b"seed", migrate=10, gfp=0xcc0):
    e = bytearray(72)
    put(e, 0, u64(1 | (2 if allocated else 0)))
    o = 8
    put(e, o + 0, struct.pack("<H", order))
    put(e, o + 2, struct.pack("<h", migrate))
    put(e, o + 4, u32(gfp))
    put(e, o + 8, u32(handle))
    put(e, o + 12, u32(0))
    put(e, o + 16, u64(123456789))
    put(e, o + 24, u64(0))
    put(e, o + 32, comm[:15].ljust(16, b"\0"))
    put(e, o + 48, u32(42) + u32(42) + u32(0) + u32(0))
    return bytes(e)


def page_owner_seeds(corpus):
    node1 = 1 << 58
    zone = 2 << 56
    pages = (struct_page(zone | 0x20) +                          # allocated, order 0
             struct_page(node1 | zone | 0x28, memcg=K_MEMCG) +  # charged to a memcg
             struct_page(zone, page_type=0xf0000000, private=1) +  # buddy of order 1
             struct_page(zone) +                                # (skipped by the buddy)
             struct_page(zone | 0x40) +                         # head of order 2
             struct_page(zone, compound=1) + struct_page(zone, compound=1) +
             struct_page(zone | 0x1, memcg=K_MEMCG | 1))        # slab page
    exts = (page_ext(True, 0, 1) + page_ext(True, 0, 1 | (0x10 << 17), b"po_work") +
            page_ext(False, 0, 0) + page_ext(True, 0, 1) + page_ext(True, 2, 1, migrate=0) +
            page_ext(True, 2, 1) + page_ext(True, 2, 1) + page_ext(True, 0, 0x20001))
    pool = bytearray(1024)
    put(pool, 0, depot_record(20, 24, 28, 32, 1, [K_TEXT + 0x10, K_TEXT + 0x200]))
    put(pool, 0x100, depot_record(20, 24, 28, 32, 1 | (0x10 << 17), [K_TEXT + 0x300], count=0))
    memcg = bytearray(0xa10)
    put(memcg, 16, u64(K_MEMCG + 0x100))          # obj_cgroup.memcg
    put(memcg, 0x100, u64(K_MEMCG + 0x400))       # memcg->css.cgroup
    put(memcg, 0x100 + 76, u32(2))                # css.flags: CSS_ONLINE
    put(memcg, 0x400 + 296, u64(K_MEMCG + 0x800))  # cgroup->kn
    put(memcg, 0x800 + 8, u64(K_MEMCG + 0x900))   # kn->__parent
    put(memcg, 0x800 + 16, u64(K_MEMCG + 0xa00))  # kn->name
    put(memcg, 0xa00, b"po_a\0")
    usage = bytearray(0x100)
    put(usage, 16, u64(~0))                         # subsection_map: all present
    put(usage, 24, bytes([0x21, 0x43]) * 16)        # pageblock migratetypes
    for filt in (0, 1, 2, 4, 8, 12):
        data = (u64(0) + u64(0) * 4 + u32(0) + u16(2048) + u8(filt) + chunk(bytes(usage)) +
                chunk(pages) + chunk(exts) + chunk(bytes(pool)) + chunk(bytes(memcg)))
        write(corpus, "page_owner", f"records-filter-{filt}", data)
    # across a section boundary, with missing pages of struct page and page_ext
    data = (u64(0x2) + u64(0x10) + u64(0x4) + u64(0) + u64(0) + u32(32768 - 700) + u16(1500) +
            u8(0) + chunk(bytes(usage)) + chunk(pages) + chunk(exts) + chunk(bytes(pool)) +
            chunk(bytes(memcg)))
    write(corpus, "page_owner", "section-boundary", data)


# --- kdump_file -------------------------------------------------------------------------------

def tiny_elf(pieces, vmcoreinfo, page_offset):
    """An ELF core: a VMCOREINFO note and one PT_LOAD per (paddr, bytes)."""
    name = b"VMCOREINFO\0"
    desc = vmcoreinfo.encode()
    note = (struct.pack("<III", len(name), len(desc), 0) + name.ljust((len(name) + 3) // 4 * 4, b"\0")
            + desc.ljust((len(desc) + 3) // 4 * 4, b"\0"))
    phnum = 1 + len(pieces)
    data_at = 64 + 56 * phnum
    phdrs = struct.pack("<IIQQQQQQ", 4, 0, data_at, 0, 0, len(note), len(note), 4)
    body = note
    for paddr, data in pieces:
        off = data_at + len(body)
        phdrs += struct.pack("<IIQQQQQQ", 1, 7, off, page_offset + paddr, paddr, len(data),
                             len(data), 0)
        body += data
    ehdr = (b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) +
            struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, phnum, 0, 0, 0))
    return ehdr + phdrs + body


def kdump_seeds(corpus, elf_path):
    import elfcore
    core = elfcore.ElfCore(elf_path)
    # The direct map's offset, from any segment that is in it.
    page_offset = next(v - p for _, v, p, _, _ in core.loads if v < elfcore.START_KERNEL_MAP)
    wanted = [core.symbol(s) for s in ("mem_section", "_stext", "init_uts_ns", "node_data")]
    pieces = {}
    for vaddr in wanted:
        for table in core.page_table_pages(vaddr):
            pieces[table] = None  # whole page-table pages: libkdumpfile reads them whole
        phys = core.virt_to_phys(vaddr) & ~(elfcore.PAGE - 1)
        pieces[phys] = None
    for vaddr in wanted:  # what the pointers there point at
        value, = struct.unpack("<Q", core.read_phys(core.virt_to_phys(vaddr), 8))
        try:
            pieces[core.virt_to_phys(value) & ~(elfcore.PAGE - 1)] = None
        except KeyError:
            pass
    segs = [(p, core.read_phys(p, elfcore.PAGE)) for p in sorted(pieces)]
    elf = tiny_elf(segs, core.vmcoreinfo_text, page_offset)
    write(corpus, "kdump_file", "tiny.elf", elf)
    write(corpus, "kdump_file", "no-vmcoreinfo.elf", tiny_elf(segs[:1], "", page_offset))
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "tiny.elf")
        with open(src, "wb") as f:
            f.write(elf)
        # -d 0: no filtering, so makedumpfile needs nothing the tiny core lacks.
        out = os.path.join(tmp, "tiny.kdump")
        run = subprocess.run(["makedumpfile", "-c", "-d", "0", src, out], capture_output=True,
                             text=True)
        if run.returncode == 0 and os.path.exists(out):
            with open(out, "rb") as f:
                write(corpus, "kdump_file", "tiny.kdump-d0", f.read())
        else:
            print(f"makedumpfile: {run.stdout}{run.stderr}".strip())


def main(argv):
    corpus = argv[1]
    stack_depot_seeds(corpus)
    kallsyms_seeds(corpus)
    nodelist_seeds(corpus)
    page_owner_seeds(corpus)
    if len(argv) > 2:
        kdump_seeds(corpus, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
