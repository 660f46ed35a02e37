#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Damaged dumps: one case of the matrix, made from a real fixture and run through a host.

usage: damaged_matrix.py [--crash] FIXTURE_DIR WORK_DIR POWNER CASE
       damaged_matrix.py --list [--crash]

POWNER is the command to run, split as a shell would: the powner command, python3 -m powner.drgn,
or with --crash crash_front.py (crash> powner), which runs only the cases about the dump's
page_owner data (opening a damaged dump or a wrong vmlinux is crash's own business) and whose
status only says whether powner printed an error (crash has none per command).
FIXTURE_DIR is an unpacked fixture (tests/vmcores/unpack.sh) with vmcore.d31, vmcore.d31.elf,
vmlinux and captures/. The case makes its damaged file under WORK_DIR (removed when the case
passes), runs POWNER on it and checks:
  - no crash (exit status below 128, no sanitizer report) and no hang (a timeout);
  - the exit status the case expects, with one line on stderr for a fatal problem;
  - for the cases that print records: every record that was readable is byte-identical to the
    live capture and in order. Records of pages the damage touched may differ or be missing;
    every other record missing from the output must be reported on stderr ("skipped: ...",
    check_parity.py's rule). Where the damage has a known effect (poisoned pages, impossible
    nodes, garbage handles), that effect is checked too.

Addresses come from the dump itself, through drgn (python3-drgn); file offsets from the ELF
dump's PT_LOAD headers and the kernel's page tables (elfcore.py)."""
import os
import random
import re
import shlex
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "parity"))
import check_parity  # noqa: E402
import elfcore  # noqa: E402

TIMEOUT = 120
CRASH = False  # --crash: the host is crash (crash_front.py)
PFN = re.compile(r"^PFN (0x[0-9a-f]+|\d+) ", re.M)
HANDLE = re.compile(r"^handle: (\d+)$", re.M)


class Failure(Exception):
    pass


# --- the fixture ------------------------------------------------------------------------------

class Fixture:
    def __init__(self, fixture):
        self.dir = fixture
        self.vmlinux = os.path.join(fixture, "vmlinux")
        self.elf = os.path.join(fixture, "vmcore.d31.elf")
        self.d31 = os.path.join(fixture, "vmcore.d31")
        self.changed = check_parity.changed_pages(fixture)
        self._layout = None

    def capture(self, name):
        with open(os.path.join(self.dir, "captures", name), encoding="utf-8",
                  errors="replace") as f:
            return f.read()

    @property
    def layout(self):
        """What the cases damage, from the dump through drgn."""
        if self._layout is None:
            import drgn
            prog = drgn.Program()
            prog.set_core_dump(self.elf)
            prog.load_debug_info([self.vmlinux])
            core = elfcore.ElfCore(self.elf)
            ms = prog["mem_section"]
            ext_size = prog["page_ext_size"].value_()
            nsec = (prog["max_pfn"].value_() + (1 << 15) - 1) >> 15
            page_ext = {}  # section -> address of the page_ext of pfn 0 (sparse_encode style)
            mem_maps = []  # &mem_section[nr].section_mem_map
            sparse = {ms.value_(), ms[0].value_()}  # what finds the sections themselves
            for nr in range(nsec):
                sec = ms[nr // 128][nr % 128]
                sparse |= {ms[nr // 128].value_(), sec.address_, sec.usage.value_()}
                mem_maps.append(sec.section_mem_map.address_)
                if sec.page_ext.value_() and not sec.page_ext.value_() & 1:
                    page_ext[nr] = sec.page_ext.value_()
            po = prog.type("struct page_owner")
            pools_num = prog["pools_num"].value_()
            self._layout = {
                "core": core,
                "ext_size": ext_size,
                "owner_off": prog["page_owner_ops"].offset.value_(),
                "handle_off": drgn.offsetof(po, "handle"),
                "page_ext": page_ext,
                "vmemmap": prog["vmemmap_base"].value_(),
                "page_size": drgn.sizeof(prog.type("struct page")),
                "pools": [prog["stack_pools"][i].value_() for i in range(pools_num)],
                "page_owner_inited": prog["page_owner_inited"].address_,
                "page_ext_size": prog["page_ext_size"].address_,
                "page_owner_ops_offset": prog["page_owner_ops"].offset.address_,
                "max_pfn": prog["max_pfn"].value_(),
                "btf": prog.symbol("__start_BTF").address,
                "mem_maps": mem_maps,
                "sparse": sorted(core.virt_to_phys(a) for a in sparse if a),
            }
        return self._layout

    def page_ext_entry(self, pfn):
        lay = self.layout
        return lay["page_ext"][pfn >> 15] + lay["ext_size"] * pfn

    def struct_page(self, pfn):
        return self.layout["vmemmap"] + self.layout["page_size"] * pfn


def records(text):
    return check_parity.records(text)


def pfn_of(record):
    m = PFN.search(record)
    return int(m.group(1), 0) if m else None


def live_pfns(text):
    return [p for p in (pfn_of(r) for r in records(text)) if p is not None]


# --- making damaged files ---------------------------------------------------------------------

def copy(src, work, name):
    dst = os.path.join(work, name)
    shutil.copyfile(src, dst)
    return dst


def truncated(src, work, name, size):
    dst = os.path.join(work, name)
    with open(src, "rb") as f, open(dst, "wb") as out:
        out.write(f.read(size))
    return dst


def patch(path, offset, data):
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def read_at(path, offset, size):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(size)


def offset_of(fx, vaddr, size):
    """File offset of [vaddr, vaddr + size) in the ELF dump, or None unless all of it is there."""
    core = fx.layout["core"]
    off = core.virt_to_offset(vaddr)
    if off is None or core.virt_to_offset(vaddr + size - 1) != off + size - 1:
        return None
    return off


def segment_of(fx, vaddr):
    """The physical range of the PT_LOAD holding vaddr, if any."""
    try:
        phys = fx.layout["core"].virt_to_phys(vaddr)
    except KeyError:
        return None
    for _, _, paddr, filesz, _ in fx.layout["core"].loads:
        if paddr <= phys < paddr + filesz:
            return paddr, paddr + filesz
    return None


def null_segment_of(fx, work, name, vaddr):
    """A copy of the ELF dump whose PT_LOAD holding vaddr is made PT_NULL: a hole in the dump."""
    core = fx.layout["core"]
    phys = core.virt_to_phys(vaddr)
    dst = copy(fx.elf, work, name)
    ehdr = read_at(dst, 0, 64)
    phoff, = struct.unpack_from("<Q", ehdr, 32)
    phnum, = struct.unpack_from("<H", ehdr, 56)
    for i in range(phnum):
        ph = read_at(dst, phoff + 56 * i, 56)
        p_type, = struct.unpack_from("<I", ph, 0)
        paddr, filesz = struct.unpack_from("<QQ", ph, 24)[0], struct.unpack_from("<Q", ph, 32)[0]
        if p_type == 1 and paddr <= phys < paddr + filesz:
            patch(dst, phoff + 56 * i, struct.pack("<I", 0))
            return dst, (paddr, paddr + filesz)
    raise Failure(f"no PT_LOAD holds {vaddr:#x}")


# --- running and checking ---------------------------------------------------------------------

class Run:
    def __init__(self, args):
        self.args = args
        try:
            p = subprocess.run(args, capture_output=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failure(f"hang: no exit within {TIMEOUT} s: {' '.join(args)}") from None
        self.status = p.returncode
        self.stdout = p.stdout.decode(errors="replace")
        self.stderr = p.stderr.decode(errors="replace")
        if self.status < 0 or self.status >= 128:
            raise Failure(f"crash: exit {self.status}\n{self.stderr[-3000:]}")
        if re.search(r"Sanitizer|runtime error:", self.stderr):
            raise Failure(f"sanitizer report:\n{self.stderr[-3000:]}")

    def expect_status(self, status, fatal_line=None):
        if CRASH and self.status == 77:
            raise Failure(f"crash cannot read the dump: {self.stderr.strip()}")
        if (self.status != status) if not CRASH else (bool(self.status) != bool(status)):
            raise Failure(f"exit {self.status}, expected {status}: {self.stderr.strip()[:2000]}")
        if status != 0:
            lines = self.stderr.strip().splitlines()
            if len(lines) != 1 or not lines[0].startswith("powner: "):
                raise Failure(f"a fatal problem takes one line on stderr, got: {self.stderr!r}")
            if fatal_line and not re.search(fatal_line, lines[0]):
                raise Failure(f"stderr {lines[0]!r} does not match {fatal_line!r}")

    def summary(self):
        """reason -> count, from the one "skipped:" line."""
        lines = [line for line in self.stderr.splitlines() if "skipped: " in line]
        if len(lines) > 1:
            raise Failure(f"more than one summary line: {lines}")
        if not lines:
            return {}
        return {m.group(2): int(m.group(1))
                for m in re.finditer(r"(\d+) ([^,]+)", lines[0].split("skipped: ", 1)[1])}


def powner(fx, binary, dump, *opts, vmlinux=None):
    return Run([*shlex.split(binary), "-c", dump, "-s", vmlinux or fx.vmlinux, *opts])


def drop(text, pfns):
    """The records of text but those of pfns."""
    return "\n\n".join(r for r in records(text) if pfn_of(r) not in pfns)


def expect_records(fx, run, live, touched=frozenset()):
    """Every record of the output is the live one (but for the pages the damage touched), in
    order, and the records left out are no more than the summary reports."""
    run.expect_status(0)
    want = check_parity.mask_changed(drop(live, touched), fx.changed, False)
    got = check_parity.mask_changed(drop(run.stdout, touched), fx.changed, True)
    if got == want:
        return "identical" + (f" but for {len(touched)} damaged pages" if touched else "")
    reason = check_parity.accounted_gap(want, got, run.stderr)
    if reason:
        return reason
    raise Failure("records differ from the live capture:\n" +
                  check_parity.describe_difference(want, got) + "\nstderr: " + run.stderr[-1000:])


def pick(fx, live, n, seed, where=None):
    """n pfns with a record in the live capture whose page_ext and struct page the ELF dump holds."""
    rng = random.Random(seed)
    pfns = [p for p in live_pfns(live) if p not in fx.changed and (where is None or where(p))]
    rng.shuffle(pfns)
    out = []
    for p in pfns:
        if offset_of(fx, fx.struct_page(p), 64) is not None and \
           offset_of(fx, fx.page_ext_entry(p), fx.layout["ext_size"]) is not None:
            out.append(p)
        if len(out) == n:
            break
    return out


# --- the cases --------------------------------------------------------------------------------

def case_truncated_header(fx, work, binary):
    dump = truncated(fx.d31, work, "d31.header", 300)
    powner(fx, binary, dump).expect_status(4, "not a kernel dump")
    return "kdump-compressed cut at 300 bytes: not a dump"


def case_truncated_bitmap(fx, work, binary):
    dump = truncated(fx.d31, work, "d31.bitmap", 3 * 4096 + 100)
    powner(fx, binary, dump).expect_status(4, "page bitmap")
    return "kdump-compressed cut in its page bitmap: not a dump"


def case_truncated_kernel_data(fx, work, binary):
    size = os.path.getsize(fx.elf) // 10
    dump = truncated(fx.elf, work, "elf.10pct", size)
    powner(fx, binary, dump).expect_status(8, "cannot read")
    return "ELF cut at 10%: the kernel's own data is gone (corrupt)"


def case_truncated_memory_map(fx, work, binary):
    size = os.path.getsize(fx.d31) * 95 // 100
    dump = truncated(fx.d31, work, "d31.95pct", size)
    run = powner(fx, binary, dump)
    result = expect_records(fx, run, fx.capture("page_owner.txt"))
    if "memory section not in the dump" not in run.summary():
        raise Failure(f"expected memory sections reported missing: {run.stderr}")
    return "kdump-compressed cut at 95% (mem_section lost): " + result


def case_truncated_tail(fx, work, binary):
    size = os.path.getsize(fx.elf) * 99 // 100
    dump = truncated(fx.elf, work, "elf.99pct", size)
    run = powner(fx, binary, dump)
    return "ELF cut at 99%: " + expect_records(fx, run, fx.capture("page_owner.txt"))


def case_hole_vmemmap(fx, work, binary):
    dump, (start, end) = null_segment_of(fx, work, "elf.hole-vmemmap", fx.struct_page(0))
    run = powner(fx, binary, dump)
    result = expect_records(fx, run, fx.capture("page_owner.txt"))
    if "struct page not in the dump" not in run.summary():
        raise Failure(f"expected struct pages reported missing: {run.stderr}")
    return f"ELF without physical {start:#x}-{end:#x} (struct pages): " + result


def case_hole_page_ext(fx, work, binary):
    # A segment with page_ext of pages that have records, and none of the memory sections.
    def keeps_sections(pfn):
        seg = segment_of(fx, fx.page_ext_entry(pfn))
        return seg and not any(seg[0] <= p < seg[1] for p in fx.layout["sparse"])
    pfn = next(p for p in live_pfns(fx.capture("page_owner.txt")) if keeps_sections(p))
    nr = pfn >> 15
    dump, (start, end) = null_segment_of(fx, work, "elf.hole-page_ext", fx.page_ext_entry(pfn))
    run = powner(fx, binary, dump)
    result = expect_records(fx, run, fx.capture("page_owner.txt"))
    if "page_ext not in the dump" not in run.summary():
        raise Failure(f"expected page_ext reported missing: {run.stderr}")
    return f"ELF without physical {start:#x}-{end:#x} (page_ext of section {nr}): " + result


def case_flip_page_ext(fx, work, binary):
    live = fx.capture("page_owner.txt")
    rng = random.Random(7)
    dump = copy(fx.elf, work, "elf.flip-page_ext")
    size = fx.layout["ext_size"]
    targets = pick(fx, live, 100, 7)  # pages with records ...
    while len(targets) < 200:         # ... and any page
        pfn = rng.randrange(fx.layout["max_pfn"])
        if pfn >> 15 in fx.layout["page_ext"] and offset_of(fx, fx.page_ext_entry(pfn), size):
            targets.append(pfn)
    for pfn in targets:
        off = offset_of(fx, fx.page_ext_entry(pfn), size) + rng.randrange(size)
        byte = read_at(dump, off, 1)[0]
        patch(dump, off, bytes([byte ^ (1 << rng.randrange(8))]))
    run = powner(fx, binary, dump)
    return f"{len(targets)} page_ext bits flipped: " + expect_records(fx, run, live, set(targets))


def case_flip_stack_depot(fx, work, binary):
    live = fx.capture("page_owner.mode-stack_handle.txt")
    pools = fx.layout["pools"]
    view = fx.capture("show_stacks_handles.txt")
    # Every stack record the live captures show: handle -> (address, bytes).
    extent = {}
    for rec in records(live) + records(view):
        m = HANDLE.search(rec)
        if not m:
            continue
        handle = int(m.group(1))
        frames = sum(1 for line in rec.splitlines() if line.startswith(" "))
        pool, offset = (handle & 0x1ffff) - 1, ((handle >> 17) & 0x3ff) << 4
        extent[handle] = (pools[pool] + offset, 32 + 8 * frames)
    rng = random.Random(11)
    dump = copy(fx.elf, work, "elf.flip-depot")
    flipped = []
    for _ in range(60):
        pool = rng.choice(pools)
        vaddr = pool + rng.randrange(16384)
        off = offset_of(fx, vaddr, 1)
        if off is None:
            continue
        patch(dump, off, bytes([read_at(dump, off, 1)[0] ^ (1 << rng.randrange(8))]))
        flipped.append(vaddr)
    touched_handles = {h for h, (a, n) in extent.items() if any(a <= v < a + n for v in flipped)}
    touched = {pfn_of(r) for r in records(live)
               if (m := HANDLE.search(r)) and int(m.group(1)) in touched_handles}
    run = powner(fx, binary, dump, "-m", "stack_handle")
    result = expect_records(fx, run, live, touched)
    # The stack view, where each entry names its handle (as the damaged record says it).
    live_handles = {int(m.group(1)) for m in HANDLE.finditer(view)}

    def untouched(text):
        return "\n\n".join(r for r in records(text)
                           if not (m := HANDLE.search(r)) or
                           (int(m.group(1)) in live_handles and
                            int(m.group(1)) not in touched_handles))
    run = powner(fx, binary, dump, "--stacks", "stacks_handles")
    run.expect_status(0)
    want, got = untouched(view), untouched(run.stdout)
    if got != want and not check_parity.accounted_gap(want, got, run.stderr):
        raise Failure("stack view differs from the live capture:\n" +
                      check_parity.describe_difference(want, got))
    return (f"{len(flipped)} stack depot bits flipped ({len(touched_handles)} stacks used): " +
            result + "; the stack view's other stacks identical")


def case_poisoned_pages(fx, work, binary):
    live = fx.capture("page_owner.txt")
    pfns = pick(fx, live, 25, 3)
    dump = copy(fx.elf, work, "elf.poison")
    for pfn in pfns:
        patch(dump, offset_of(fx, fx.struct_page(pfn), 64), b"\xff" * 64)
    run = powner(fx, binary, dump)
    result = expect_records(fx, run, live, set(pfns))
    printed = set(live_pfns(run.stdout))
    if printed & set(pfns):
        raise Failure(f"poisoned pages printed: {sorted(printed & set(pfns))}")
    if run.summary().get("page flags poisoned") != len(pfns):
        raise Failure(f"expected {len(pfns)} poisoned pages reported: {run.stderr}")
    return f"{len(pfns)} struct pages poisoned, skipped and counted; " + result


def case_impossible_node(fx, work, binary):
    live = fx.capture("page_owner.txt")
    pfns = pick(fx, live, 10, 5)
    dump = copy(fx.elf, work, "elf.node")
    for pfn in pfns:
        off = offset_of(fx, fx.struct_page(pfn), 8)
        flags, = struct.unpack("<Q", read_at(dump, off, 8))
        patch(dump, off, struct.pack("<Q", flags & ~(0x3f << 58) | (37 << 58)))  # node 37
    run = powner(fx, binary, dump)
    result = expect_records(fx, run, live, set(pfns))
    if set(live_pfns(run.stdout)) & set(pfns) or \
            run.summary().get("page flags name no possible node") != len(pfns):
        raise Failure(f"expected {len(pfns)} pages of an impossible node skipped: {run.stderr}")
    return f"{len(pfns)} pages on node 37, skipped and counted; " + result


def garbage_handles(fx, work):
    """(the ELF dump with garbage stack handles in some records, {pfn: its handle})."""
    live = fx.capture("page_owner.mode-stack_handle.txt")
    pfns = pick(fx, live, 12, 9)
    garbage = [0xffffffff, 0x0001ffff, 0x00020000, 0x7fff0006]  # pool index beyond pools_num
    dump = copy(fx.elf, work, "elf.handles")
    lay = fx.layout
    for i, pfn in enumerate(pfns):
        at = fx.page_ext_entry(pfn) + lay["owner_off"] + lay["handle_off"]
        patch(dump, offset_of(fx, at, 4), struct.pack("<I", garbage[i % len(garbage)]))
    return dump, {pfn: garbage[i % len(garbage)] for i, pfn in enumerate(pfns)}


def case_garbage_handles(fx, work, binary):
    live = fx.capture("page_owner.mode-stack_handle.txt")
    dump, handles = garbage_handles(fx, work)
    pfns = list(handles)
    run = powner(fx, binary, dump, "-m", "stack_handle")
    result = expect_records(fx, run, live, set(pfns))
    # The kernel prints those records without a stack (stack_depot_fetch() finds none): so
    # does powner, and it says how many.
    by_pfn = {pfn_of(r): r for r in records(run.stdout)}
    for pfn, handle in handles.items():
        rec = by_pfn.get(pfn)
        if rec is None or any(line.startswith(" ") for line in rec.splitlines()) or \
                f"handle: {handle}" not in rec:
            raise Failure(f"pfn {pfn:#x}: expected the record without a stack:\n{rec}")
    if run.summary().get("records with an unusable stack handle (printed without a stack)") \
            != len(pfns):
        raise Failure(f"expected {len(pfns)} unusable handles reported: {run.stderr}")
    return f"{len(pfns)} garbage handles printed without a stack and counted; " + result


def case_damaged_mem_map_pointer(fx, work, binary):
    dump = copy(fx.elf, work, "elf.mem_map")
    for at in fx.layout["mem_maps"]:  # every section's section_mem_map: its address bits
        off = offset_of(fx, at, 8)
        value, = struct.unpack("<Q", read_at(dump, off, 8))
        patch(dump, off, struct.pack("<Q", value ^ 0x0000_0123_4560_0000))
    run = powner(fx, binary, dump)
    return ("section_mem_map address bits damaged (SPARSEMEM_VMEMMAP ignores them): " +
            expect_records(fx, run, fx.capture("page_owner.txt")))


def case_page_owner_off(fx, work, binary):
    lay = fx.layout
    dump = copy(fx.elf, work, "elf.page_owner_off")
    patch(dump, offset_of(fx, lay["page_owner_inited"], 4), struct.pack("<i", 0))
    powner(fx, binary, dump).expect_status(7, "page_owner")
    # What a boot without page_owner=on leaves: no room for page_owner in page_ext.
    dump = copy(fx.elf, work, "elf.no_page_owner_room")
    patch(dump, offset_of(fx, lay["page_ext_size"], 8), struct.pack("<Q", 8))
    patch(dump, offset_of(fx, lay["page_owner_ops_offset"], 8), struct.pack("<Q", 0))
    powner(fx, binary, dump).expect_status(7, "page_owner=on")
    return ("page_owner_inited cleared, or page_ext without room for page_owner: a kernel "
            "booted without page_owner=on")


def vmcoreinfo_edit(fx, work, name, old, new):
    assert len(old) == len(new)
    dump = copy(fx.elf, work, name)
    with open(dump, "rb") as f:
        head = f.read(1 << 16)
    at = head.find(old)
    if at < 0:
        raise Failure(f"{old!r} not in the dump's notes")
    patch(dump, at, new)
    return dump


def case_vmcoreinfo_geometry(fx, work, binary):
    dump = vmcoreinfo_edit(fx, work, "elf.geometry", b"NUMBER(SECTION_SIZE_BITS)=27",
                           b"NUMBER(SECTION_SIZE_BITS)=61")
    powner(fx, binary, dump).expect_status(8, "SECTION_SIZE_BITS")
    return "VMCOREINFO SECTION_SIZE_BITS=61: corrupt"


def case_vmcoreinfo_pagesize(fx, work, binary):
    dump = vmcoreinfo_edit(fx, work, "elf.pagesize", b"PAGESIZE=4096", b"PAGESIZE=4x96")
    powner(fx, binary, dump).expect_status(4, "PAGESIZE|number in VMCOREINFO")
    return "VMCOREINFO PAGESIZE=4x96: not a dump"


def mismatched_vmlinux(fx, work):
    """A copy of the vmlinux with another build id (the bytes of its NT_GNU_BUILD_ID note)."""
    with open(fx.vmlinux, "rb") as f:
        data = bytearray(f.read())
    at = data.find(b"GNU\0")
    while at >= 0:
        namesz, descsz, ntype = struct.unpack_from("<III", data, at - 12)
        if namesz == 4 and ntype == 3 and 0 < descsz <= 64:  # NT_GNU_BUILD_ID
            for i in range(descsz):
                data[at + 4 + i] ^= 0x5a
            path = os.path.join(work, "vmlinux.other-build-id")
            with open(path, "wb") as f:
                f.write(data)
            return path
        at = data.find(b"GNU\0", at + 1)
    raise Failure("no build id note in the vmlinux")


def case_mismatched_vmlinux(fx, work, binary):
    vmlinux = mismatched_vmlinux(fx, work)
    powner(fx, binary, fx.d31, vmlinux=vmlinux).expect_status(5, r"build id.*--force")
    return "vmlinux with another build id: mismatch"


def case_mismatched_vmlinux_force(fx, work, binary):
    vmlinux = mismatched_vmlinux(fx, work)
    run = powner(fx, binary, fx.elf, "--force", vmlinux=vmlinux)
    if not re.search(r"^powner: warning: .*does not match", run.stderr, re.M):
        raise Failure(f"--force must warn: {run.stderr!r}")
    return "the same with --force: a warning, then " + \
        expect_records(fx, run, fx.capture("page_owner.txt"))


def stripped_vmlinux(fx, work):
    vmlinux = os.path.join(work, "vmlinux.stripped")
    subprocess.run(["objcopy", "--strip-debug", fx.vmlinux, vmlinux], check=True)
    return vmlinux


def case_no_debuginfo(fx, work, binary):
    vmlinux = stripped_vmlinux(fx, work)
    run = powner(fx, binary, fx.elf, vmlinux=vmlinux)
    if not re.search(r"^powner: warning: .*DWARF.*BTF", run.stderr, re.M):
        raise Failure(f"expected a warning that the types come from BTF: {run.stderr!r}")
    return ("vmlinux without DWARF: a warning, types from the dump's BTF, then " +
            expect_records(fx, run, fx.capture("page_owner.txt")))


def case_no_types(fx, work, binary):
    vmlinux = stripped_vmlinux(fx, work)
    dump = copy(fx.elf, work, "elf.no_btf")
    patch(dump, offset_of(fx, fx.layout["btf"], 2), b"\0\0")  # BTF_MAGIC 0xeb9f
    powner(fx, binary, dump, vmlinux=vmlinux).expect_status(6, "BTF|debug info|DWARF")
    powner(fx, binary, dump, "--force", vmlinux=vmlinux).expect_status(6)
    return "vmlinux without DWARF and the dump's BTF damaged: no debug info"


def case_truncated_vmlinux(fx, work, binary):
    vmlinux = truncated(fx.vmlinux, work, "vmlinux.cut", os.path.getsize(fx.vmlinux) // 2)
    powner(fx, binary, fx.d31, vmlinux=vmlinux).expect_status(3, "truncated")
    return "vmlinux cut in half: unreadable"


def case_not_a_dump(fx, work, binary):
    powner(fx, binary, fx.vmlinux).expect_status(4, "not a kernel dump")
    zeros = os.path.join(work, "zeros")
    with open(zeros, "wb") as f:
        f.write(bytes(1 << 16))
    powner(fx, binary, zeros).expect_status(4, "not a kernel dump")
    return "a vmlinux and 64 KiB of zeros as the dump: not a dump"


def case_missing_files(fx, work, binary):
    powner(fx, binary, os.path.join(work, "no-such-dump")).expect_status(3, "No such file")
    powner(fx, binary, fx.d31, vmlinux=os.path.join(work, "no-such-vmlinux")).expect_status(
        3, "No such file")
    return "a dump or vmlinux that does not exist: unreadable"


CASES = {name[len("case_"):].replace("_", "-"): fn
         for name, fn in sorted(globals().items()) if name.startswith("case_")}
# The cases crash> powner runs: damage to what the extension reads, in a dump crash opens. Not
# the holes: crash still reads a PT_LOAD made PT_NULL, so its pages are not missing there.
CRASH_CASES = ["damaged-mem-map-pointer", "flip-page-ext", "flip-stack-depot",
               "garbage-handles", "impossible-node", "page-owner-off", "poisoned-pages",
               "truncated-tail"]


def main(argv):
    global CRASH
    if argv[1:2] == ["--list"]:
        print("\n".join(CRASH_CASES if argv[2:] == ["--crash"] else CASES))
        return 0
    if argv[1] == "--crash":
        CRASH = True
        argv = argv[1:]
    fixture, work, binary, case = argv[1:5]
    fx = Fixture(fixture)
    work = os.path.join(work, case)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    try:
        result = CASES[case](fx, work, binary)
    except Failure as e:
        print(f"FAIL {case}: {e}\n(damaged files kept in {work})")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print(f"ok   {case}: {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
